"""SQLite schema and forward migrations.

``MIGRATIONS[i]`` takes the database from version ``i`` to ``i + 1``; the store runs the
missing ones at start inside one transaction, so an old data directory upgrades in place
and a half-applied migration never persists.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[str] = [
    # 0 -> 1: the gateway core
    """
    CREATE TABLE reports (
        tracking_id   TEXT PRIMARY KEY,
        channel       TEXT NOT NULL,
        transport     TEXT NOT NULL,
        external_id   TEXT,
        received_at   TEXT NOT NULL,
        status        TEXT NOT NULL DEFAULT 'received',
        status_at     TEXT NOT NULL,
        agency        TEXT,
        anonymous     INTEGER NOT NULL DEFAULT 0,
        confidential  INTEGER NOT NULL DEFAULT 0,
        throttled     INTEGER NOT NULL DEFAULT 0,
        duplicate_of  TEXT,
        region        TEXT,
        category      TEXT,
        core_case_id  TEXT,
        body          TEXT NOT NULL,
        created_at    REAL NOT NULL
    );
    CREATE INDEX reports_received ON reports(received_at);
    CREATE INDEX reports_status ON reports(status);

    -- level-1 dedup: one row per transport message (channel + external id, idempotency key)
    CREATE TABLE inbound_keys (
        key          TEXT PRIMARY KEY,
        tracking_id  TEXT,
        body_hash    TEXT,
        created_at   REAL NOT NULL
    ) WITHOUT ROWID;

    -- level-2 dedup: who filed what, by normalized identity (phone:+62..., x:123, email:...)
    CREATE TABLE report_identities (
        identity     TEXT NOT NULL,
        received_at  TEXT NOT NULL,
        tracking_id  TEXT NOT NULL,
        PRIMARY KEY (identity, received_at, tracking_id)
    ) WITHOUT ROWID;

    CREATE TABLE status_history (
        id           INTEGER PRIMARY KEY,
        tracking_id  TEXT NOT NULL,
        at           TEXT NOT NULL,
        status       TEXT NOT NULL,
        note         TEXT,
        agency       TEXT,
        event_key    TEXT UNIQUE,
        created_at   REAL NOT NULL
    );
    CREATE INDEX status_history_report ON status_history(tracking_id, at);

    CREATE TABLE followups (
        id           INTEGER PRIMARY KEY,
        tracking_id  TEXT NOT NULL,
        text         TEXT NOT NULL,
        created_at   REAL NOT NULL
    );

    -- transactional outbox: forward to core, acks, status updates, addenda
    CREATE TABLE outbox (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        kind             TEXT NOT NULL,
        tracking_id      TEXT,
        target           TEXT NOT NULL,
        payload          TEXT NOT NULL,
        state            TEXT NOT NULL DEFAULT 'pending',
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  REAL NOT NULL,
        last_error       TEXT,
        message_id       TEXT,
        delivery_state   TEXT,
        created_at       REAL NOT NULL,
        updated_at       REAL NOT NULL
    );
    CREATE INDEX outbox_due ON outbox(next_attempt_at, id) WHERE state = 'pending';
    CREATE INDEX outbox_state ON outbox(state);
    CREATE INDEX outbox_message ON outbox(target, message_id) WHERE message_id IS NOT NULL;

    CREATE TABLE checkpoints (
        name        TEXT PRIMARY KEY,
        value       TEXT NOT NULL,
        updated_at  REAL NOT NULL
    ) WITHOUT ROWID;

    -- parts of multipart transport messages, stored before the transport is acknowledged
    CREATE TABLE fragments (
        grp         TEXT NOT NULL,
        part        INTEGER NOT NULL,
        total       INTEGER NOT NULL,
        data        BLOB NOT NULL,
        meta        TEXT NOT NULL,
        created_at  REAL NOT NULL,
        PRIMARY KEY (grp, part)
    ) WITHOUT ROWID;

    CREATE TABLE opt_outs (
        identity    TEXT PRIMARY KEY,
        updated_at  REAL NOT NULL
    ) WITHOUT ROWID;

    -- the embedded case store, used when [core] url is empty
    CREATE TABLE core_cases (
        tracking_id  TEXT PRIMARY KEY,
        case_id      TEXT NOT NULL,
        payload      TEXT NOT NULL,
        received_at  REAL NOT NULL
    );
    CREATE TABLE core_addenda (
        id           INTEGER PRIMARY KEY,
        tracking_id  TEXT NOT NULL,
        payload      TEXT NOT NULL,
        received_at  REAL NOT NULL
    );
    """,
    # 1 -> 2: outbox claims (ClaimRows), the same columns as the PostgreSQL backend's
    """
    ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
    ALTER TABLE outbox ADD COLUMN lease_until REAL;
    """,
]

LATEST = len(MIGRATIONS)


def current_version(conn: sqlite3.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: sqlite3.Connection) -> int:
    """Apply missing migrations atomically; return the resulting version."""
    version = current_version(conn)
    if version > LATEST:
        raise RuntimeError(
            f"database schema version {version} is newer than this gateway ({LATEST})"
        )
    if version == LATEST:
        return version
    conn.execute("BEGIN IMMEDIATE")
    try:
        for step in MIGRATIONS[version:]:
            for statement in step.split(";"):
                if statement.strip():
                    conn.execute(statement)
        conn.execute("DELETE FROM schema_version")
        conn.execute("INSERT INTO schema_version (version) VALUES (?)", (LATEST,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return LATEST

"""PostgreSQL schema and forward migrations, run at start under an advisory lock.

``MIGRATIONS[i]`` takes the database from version ``i`` to ``i + 1``. Every instance runs
:func:`migrate` when it opens the store; the session advisory lock :data:`MIGRATION_LOCK`
makes a second instance starting at the same moment wait, then find the schema current and
do nothing, so two instances never migrate twice. The missing steps run in one transaction
(PostgreSQL DDL is transactional): a half-applied migration never persists.

A migration must be tolerated by the code of the version before it (add columns and
tables, never drop or rename in the same release), so instances can be upgraded one at a
time (README, "Running several instances").
"""

from __future__ import annotations

from gateway.store.postgres.reader import Conn

#: pg_advisory_lock key of the migration (a constant: "lapor" in ASCII)
MIGRATION_LOCK = 0x6C61706F72

MIGRATIONS: list[str] = [
    # 0 -> 1: the gateway core, as in the SQLite backend, plus outbox claims and leases
    """
    CREATE TABLE reports (
        tracking_id   TEXT PRIMARY KEY,
        channel       TEXT NOT NULL,
        transport     TEXT NOT NULL,
        external_id   TEXT,
        received_at   TIMESTAMPTZ NOT NULL,
        status        TEXT NOT NULL DEFAULT 'received',
        status_at     TIMESTAMPTZ NOT NULL,
        agency        TEXT,
        anonymous     BOOLEAN NOT NULL DEFAULT FALSE,
        confidential  BOOLEAN NOT NULL DEFAULT FALSE,
        throttled     BOOLEAN NOT NULL DEFAULT FALSE,
        duplicate_of  TEXT,
        region        TEXT,
        category      TEXT,
        core_case_id  TEXT,
        body          JSONB NOT NULL,
        created_at    DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX reports_received ON reports(received_at);
    CREATE INDEX reports_status ON reports(status);

    CREATE TABLE inbound_keys (
        key          TEXT PRIMARY KEY,
        tracking_id  TEXT,
        body_hash    TEXT,
        created_at   DOUBLE PRECISION NOT NULL
    );

    CREATE TABLE report_identities (
        identity     TEXT NOT NULL,
        received_at  TIMESTAMPTZ NOT NULL,
        tracking_id  TEXT NOT NULL,
        PRIMARY KEY (identity, received_at, tracking_id)
    );

    CREATE TABLE status_history (
        id           BIGSERIAL PRIMARY KEY,
        tracking_id  TEXT NOT NULL,
        at           TIMESTAMPTZ NOT NULL,
        status       TEXT NOT NULL,
        note         TEXT,
        agency       TEXT,
        event_key    TEXT UNIQUE,
        created_at   DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX status_history_report ON status_history(tracking_id, at);

    CREATE TABLE followups (
        id           BIGSERIAL PRIMARY KEY,
        tracking_id  TEXT NOT NULL,
        text         TEXT NOT NULL,
        created_at   DOUBLE PRECISION NOT NULL
    );

    CREATE TABLE outbox (
        id               BIGSERIAL PRIMARY KEY,
        kind             TEXT NOT NULL,
        tracking_id      TEXT,
        target           TEXT NOT NULL,
        payload          TEXT NOT NULL,
        state            TEXT NOT NULL DEFAULT 'pending',
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  DOUBLE PRECISION NOT NULL,
        last_error       TEXT,
        message_id       TEXT,
        delivery_state   TEXT,
        created_at       DOUBLE PRECISION NOT NULL,
        updated_at       DOUBLE PRECISION NOT NULL,
        claimed_by       TEXT,
        lease_until      DOUBLE PRECISION
    );
    CREATE INDEX outbox_due ON outbox(next_attempt_at, id) WHERE state = 'pending';
    CREATE INDEX outbox_state ON outbox(state);
    CREATE INDEX outbox_report ON outbox(tracking_id);
    CREATE INDEX outbox_message ON outbox(target, message_id) WHERE message_id IS NOT NULL;

    CREATE TABLE checkpoints (
        name        TEXT PRIMARY KEY,
        value       TEXT NOT NULL,
        updated_at  DOUBLE PRECISION NOT NULL
    );

    CREATE TABLE fragments (
        grp         TEXT NOT NULL,
        part        INTEGER NOT NULL,
        total       INTEGER NOT NULL,
        data        BYTEA NOT NULL,
        meta        TEXT NOT NULL,
        created_at  DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (grp, part)
    );

    CREATE TABLE opt_outs (
        identity    TEXT PRIMARY KEY,
        updated_at  DOUBLE PRECISION NOT NULL
    );

    CREATE TABLE core_cases (
        tracking_id  TEXT PRIMARY KEY,
        case_id      TEXT NOT NULL,
        payload      TEXT NOT NULL,
        received_at  DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE core_addenda (
        id           BIGSERIAL PRIMARY KEY,
        tracking_id  TEXT NOT NULL,
        payload      TEXT NOT NULL,
        received_at  DOUBLE PRECISION NOT NULL
    );

    -- leader leases of singletons (the X pollers): one holder until a time of the
    -- database's clock, so instances with skewed clocks still agree
    CREATE TABLE leases (
        name    TEXT PRIMARY KEY,
        holder  TEXT NOT NULL,
        until   TIMESTAMPTZ NOT NULL
    );
    """,
]

LATEST = len(MIGRATIONS)


async def migrate(conn: Conn) -> int:
    """Apply the missing migrations under :data:`MIGRATION_LOCK`; return the version."""
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        async with conn.transaction():
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
            )
            version = await conn.fetchval("SELECT version FROM schema_version") or 0
            if version > LATEST:
                raise RuntimeError(
                    f"database schema version {version} is newer than this gateway ({LATEST})"
                )
            if version == LATEST:
                return int(version)
            for step in MIGRATIONS[version:]:
                await conn.execute(step)
            await conn.execute("DELETE FROM schema_version")
            await conn.execute("INSERT INTO schema_version (version) VALUES ($1)", LATEST)
        return LATEST
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)

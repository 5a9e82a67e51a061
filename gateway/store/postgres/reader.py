"""Reads of the PostgreSQL store, on a pool of asyncpg connections.

:class:`PostgresReader` alone is the forwarder process's store (:class:`ForwarderReader`):
its connections are opened with ``default_transaction_read_only``, so nothing through them
can change the database, and it runs no migrations (the main process has). The writes are
added by :class:`gateway.store.postgres.store.PostgresStore`.

Every driver or server error becomes :class:`StoreUnavailableError`: the database is down,
restarting, or read-only after a failover, and the caller answers "retry".
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeAlias, TypeVar, cast

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from gateway.adapter import Fragment, StatusView, StoreUnavailableError
from gateway.store import rows as m
from gateway.store.base import (
    CoreCase,
    DeadLetter,
    DedupRow,
    HeldReport,
    IntakeCount,
    OutboxRecord,
    ReportSummary,
    RetryingRow,
    TargetBacklog,
)
from normalizer import Report
from outbox.jobs import OutboxItem

T = TypeVar("T")
#: a connection, as the pool lends it or opened alone (what every query function takes)
Conn: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"
#: what a lost, refused or read-only database raises through asyncpg (InternalClientError:
#: a pooled connection the server terminated, e.g. a fast shutdown, used again before the
#: driver noticed -- "cannot switch to state N; another operation is in progress")
DB_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
    TimeoutError,
)


class PostgresReader:
    """Every read query of the PostgreSQL backend. *dsn* is a ``postgresql://`` URL."""

    def __init__(self, dsn: str, *, read_only: bool = True, pool_size: int = 10) -> None:
        self.dsn = dsn
        self.read_only = read_only
        self.pool_size = pool_size
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        settings = {"application_name": "lapor-gateway"}
        if self.read_only:
            settings["default_transaction_read_only"] = "on"
        try:
            self._pool = await asyncpg.create_pool(
                self.dsn,
                min_size=1,
                max_size=self.pool_size,
                server_settings=settings,
                timeout=10,
                command_timeout=30,
                init=setup_connection,
                reset=_keep_session,
            )
        except DB_ERRORS as exc:
            raise StoreUnavailableError(f"cannot connect: {_describe(exc)}") from exc

    async def close(self) -> None:
        """Close the pool. Idempotent."""
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                await pool.close()
            except DB_ERRORS:
                pool.terminate()

    def _need_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StoreUnavailableError("store is closed")
        return self._pool

    async def _with(self, fn: Callable[[Conn], Awaitable[T]]) -> T:
        """Run *fn* on a pooled connection; driver errors become StoreUnavailableError."""
        pool = self._need_pool()
        try:
            async with pool.acquire() as conn:
                return await fn(conn)
        except DB_ERRORS as exc:
            raise StoreUnavailableError(f"database: {_describe(exc)}") from exc

    async def _read(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await self._with(lambda c: c.fetch(sql, *args))

    # -- intake and per-adapter state ------------------------------------------------------

    async def is_opted_out(self, identities: list[str]) -> bool:
        if not identities:
            return False
        rows = await self._read("SELECT 1 FROM opt_outs WHERE identity = ANY($1)", identities)
        return bool(rows)

    async def inbound_key_age(self, key: str) -> float | None:
        rows = await self._read("SELECT created_at FROM inbound_keys WHERE key = $1", key)
        return max(0.0, time.time() - float(rows[0]["created_at"])) if rows else None

    async def expired_fragment_groups(self, older_than_s: float) -> dict[str, list[Fragment]]:
        rows = await self._read(
            "SELECT grp, part, data, meta FROM fragments WHERE grp IN "
            "(SELECT grp FROM fragments GROUP BY grp HAVING MIN(created_at) < $1) "
            "ORDER BY grp, part",
            time.time() - older_than_s,
        )
        return m.fragment_groups(rows)

    async def get_checkpoint(self, name: str) -> str | None:
        rows = await self._read("SELECT value FROM checkpoints WHERE name = $1", name)
        return str(rows[0]["value"]) if rows else None

    # -- reports and status ----------------------------------------------------------------

    async def get_report(self, tracking_id: str) -> tuple[Report, str] | None:
        rows = await self._read(
            "SELECT body::text AS body, status FROM reports WHERE tracking_id = $1", tracking_id
        )
        return m.report_and_status(rows[0]) if rows else None

    async def status_view(self, tracking_id: str) -> StatusView | None:
        rows = await self._read(
            "SELECT status, channel, received_at, agency, category FROM reports "
            "WHERE tracking_id = $1",
            tracking_id,
        )
        if not rows:
            return None
        history = await self._read(
            "SELECT at, status, note FROM status_history WHERE tracking_id = $1 ORDER BY at, id",
            tracking_id,
        )
        return m.status_view(tracking_id, rows[0], history)

    async def list_reports(self, status: str | None, limit: int) -> list[ReportSummary]:
        rows = await self._read(
            "SELECT tracking_id, channel, status, received_at, duplicate_of, "
            "body->'possible_duplicate_of'->>'tracking_id' AS possible_duplicate_of, "
            "throttled::int AS throttled, confidential::int AS confidential, "
            "anonymous::int AS anonymous, core_case_id FROM reports "
            "WHERE ($1::text IS NULL OR status = $1) ORDER BY received_at DESC LIMIT $2",
            status or None,
            limit,
        )
        return [m.report_summary(r) for r in rows]

    async def followups(self, tracking_id: str) -> list[str]:
        rows = await self._read(
            "SELECT text FROM followups WHERE tracking_id = $1 ORDER BY id", tracking_id
        )
        return [str(r["text"]) for r in rows]

    async def dedup_rows(self, since: datetime) -> list[DedupRow]:
        """As :meth:`gateway.store.reader.SqliteReader.dedup_rows`: originals of the window
        whose forward is done, with their reporter identities."""
        rows = await self._read(
            "SELECT r.tracking_id, r.body->>'text' AS text, r.received_at, r.region, "
            "r.category, r.body->'location'->>'address' AS address, "
            "ARRAY(SELECT i.identity FROM report_identities i "
            "      WHERE i.tracking_id = r.tracking_id ORDER BY i.identity) AS identities "
            "FROM reports r WHERE r.received_at >= $1 AND r.duplicate_of IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.tracking_id = r.tracking_id "
            "  AND o.kind = 'forward' AND o.state IN ('pending', 'held', 'dead')) "
            "ORDER BY r.received_at",
            since,
        )
        return [m.dedup_row(r, list(r["identities"])) for r in rows]

    # -- outbox ----------------------------------------------------------------------------

    async def due_outbox(
        self,
        now: float,
        limit: int,
        exclude_targets: frozenset[str] = frozenset(),
        only_targets: frozenset[str] | None = None,
    ) -> list[OutboxItem]:
        rows = await self._read(
            "SELECT o.id, o.kind, o.tracking_id, o.target, o.payload, o.attempts, o.created_at, "
            "CASE WHEN o.kind IN ('forward', 'addendum') THEN r.body::text END AS body "
            "FROM outbox o LEFT JOIN reports r ON r.tracking_id = o.tracking_id "
            "WHERE o.state = 'pending' AND o.next_attempt_at <= $1 "
            "AND NOT (o.target = ANY($2)) AND ($3::text[] IS NULL OR o.target = ANY($3)) "
            "ORDER BY o.id LIMIT $4",
            now,
            sorted(exclude_targets),
            None if only_targets is None else sorted(only_targets),
            limit,
        )
        return [m.outbox_item(r) for r in rows]

    async def outbox_depth(self) -> dict[str, int]:
        rows = await self._read("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
        return {r["state"]: r["n"] for r in rows}

    async def dead_letters(self, limit: int) -> list[DeadLetter]:
        rows = await self._read(
            "SELECT id, kind, tracking_id, target, attempts, last_error, updated_at FROM outbox "
            "WHERE state = 'dead' ORDER BY id LIMIT $1",
            limit,
        )
        return [cast(DeadLetter, dict(r)) for r in rows]

    async def outbox_states(self, ids: list[int]) -> dict[int, str]:
        if not ids:
            return {}
        rows = await self._read("SELECT id, state FROM outbox WHERE id = ANY($1)", ids)
        return {int(r["id"]): str(r["state"]) for r in rows}

    async def outbox_rows(self, tracking_id: str) -> list[OutboxRecord]:
        rows = await self._read(
            "SELECT id, kind, target, state, attempts, last_error, message_id, delivery_state, "
            "payload FROM outbox WHERE tracking_id = $1 ORDER BY id",
            tracking_id,
        )
        return [cast(OutboxRecord, dict(r)) for r in rows]

    # -- operator console overview ---------------------------------------------------------

    async def intake_counts(self, since: datetime) -> list[IntakeCount]:
        rows = await self._read(
            "SELECT channel, to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24') "
            "AS hour, COUNT(*)::int AS count FROM reports WHERE received_at >= $1 "
            "GROUP BY channel, hour ORDER BY hour, channel",
            since,
        )
        return [cast(IntakeCount, dict(r)) for r in rows]

    async def outbox_backlog(self) -> list[TargetBacklog]:
        rows = await self._read(
            "SELECT target, "
            "COUNT(*) FILTER (WHERE state = 'pending')::int AS pending, "
            "COUNT(*) FILTER (WHERE state = 'pending' AND attempts > 0)::int AS retrying, "
            "COUNT(*) FILTER (WHERE state = 'held')::int AS held, "
            "COUNT(*) FILTER (WHERE state = 'dead')::int AS dead, "
            "MIN(created_at) FILTER (WHERE state = 'pending') AS oldest_pending_at "
            "FROM outbox WHERE state IN ('pending', 'held', 'dead') GROUP BY target ORDER BY target"
        )
        return [cast(TargetBacklog, dict(r)) for r in rows]

    async def retrying_rows(self, limit: int) -> list[RetryingRow]:
        rows = await self._read(
            "SELECT id, kind, tracking_id, target, attempts, last_error, next_attempt_at "
            "FROM outbox WHERE state = 'pending' AND attempts > 0 "
            "ORDER BY attempts DESC, id LIMIT $1",
            limit,
        )
        return [cast(RetryingRow, dict(r)) for r in rows]

    async def held_reports(self, limit: int) -> list[HeldReport]:
        rows = await self._read(
            "SELECT h.tracking_id, h.n, r.body::text AS body FROM "
            "(SELECT tracking_id, COUNT(*)::int AS n, MIN(id) AS first FROM outbox "
            " WHERE state = 'held' AND tracking_id IS NOT NULL GROUP BY tracking_id) h "
            "JOIN reports r ON r.tracking_id = h.tracking_id ORDER BY h.first LIMIT $1",
            limit,
        )
        return [m.held_report(r) for r in rows]

    # -- embedded case store ---------------------------------------------------------------

    async def core_cases(self) -> list[CoreCase]:
        rows = await self._read("SELECT tracking_id, case_id, received_at FROM core_cases")
        return [cast(CoreCase, dict(r)) for r in rows]


#: ``\u0000`` in a JSON document (not preceded by an escaping backslash)
_JSON_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def _text_without_nul(value: str) -> str:
    return value.replace("\x00", "\ufffd")


def _json_without_nul(value: str) -> str:
    return _JSON_NUL.sub(r"\1\\ufffd", value)


async def setup_connection(conn: asyncpg.Connection[asyncpg.Record]) -> None:
    """PostgreSQL text cannot hold NUL (SQLite can): a NUL a transport sent (a raw PDU, a
    follow-up) would make the filing fail, and the transport retry it for ever. Every text
    and JSON value this backend writes has NUL replaced by U+FFFD instead."""
    await conn.set_type_codec(
        "text", schema="pg_catalog", encoder=_text_without_nul, decoder=str, format="text"
    )
    await conn.set_type_codec(
        "jsonb", schema="pg_catalog", encoder=_json_without_nul, decoder=str, format="text"
    )


async def _keep_session(conn: asyncpg.Connection[asyncpg.Record]) -> None:
    """What a connection going back to the pool needs beyond ending its transaction (which
    asyncpg does anyway): nothing. The default reset (``RESET ALL``, ``UNLISTEN``, unlock
    advisory locks) is one more round trip per operation; this backend changes no session
    setting, listens to nothing and takes advisory locks per transaction only (the
    migration's session lock is released by the migration)."""


def _describe(exc: BaseException) -> str:
    """The error's class and message: no statement parameters (they may hold personal data)."""
    return f"{type(exc).__name__}: {exc}"

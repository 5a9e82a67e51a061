"""PostgreSQL store: every store interface on one database shared by several instances.

Durability: each write is one transaction on a pooled asyncpg connection and the method
returns after its COMMIT (``synchronous_commit`` as the server has it: ``on`` by default,
so the commit is on disk, and on the synchronous standby when one is configured). A write
that cannot commit (server down, restarting, read-only after a failover) raises
:class:`StoreUnavailableError` and nothing of it persists, so the transport answers
"retry". PostgreSQL commits concurrent transactions together itself, so there is no group
commit writer here as in the SQLite backend.

The schema is migrated at :meth:`PostgresStore.open` under an advisory lock
(:mod:`gateway.store.postgres.schema`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from gateway.adapter import Fragment, IntakeResult, StoreUnavailableError
from gateway.store.base import CoreEvent, EventResult, FileRequest, OutboxRow
from gateway.store.health import CommitHealth
from gateway.store.postgres import writes as w
from gateway.store.postgres.reader import DB_ERRORS, Conn, PostgresReader
from gateway.store.postgres.schema import migrate
from normalizer import Report
from outbox.jobs import OutboxItem, OutboxOutcome

if TYPE_CHECKING:
    from gateway.store.interfaces import ForwarderReader, Store

log = logging.getLogger(__name__)
T = TypeVar("T")


class PostgresStore(PostgresReader, CommitHealth):
    """Every store interface (:class:`gateway.store.interfaces.Store`) on PostgreSQL."""

    def __init__(self, dsn: str, *, pool_size: int = 10) -> None:
        super().__init__(dsn, read_only=False, pool_size=pool_size)
        self.failed_at: float | None = None

    async def open(self) -> None:
        await super().open()
        try:
            await self._with(migrate)
        except BaseException:
            await self.close()
            raise

    async def __aenter__(self) -> PostgresStore:
        """Open (a failed open closes what it had opened, :meth:`open`)."""
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def last_commit_failure(self) -> float | None:
        return self.failed_at

    async def probe_write(self) -> None:
        """Fails on a standby, a read-only database or one that cannot be reached."""
        await self._with(_probe)

    async def write(self, fn: Callable[[Conn], Awaitable[T]]) -> T:
        """Run *fn* in one transaction; return after its COMMIT. A driver or server error
        (at any statement or at the COMMIT) is :class:`StoreUnavailableError`; an error of
        *fn* itself (a KeyError, the planner's) rolls back and propagates as it is."""
        pool = self._need_pool()
        try:
            async with pool.acquire() as conn, conn.transaction():
                return await fn(conn)
        except DB_ERRORS as exc:
            self.failed_at = time.monotonic()
            log.error("store commit failed: %s", type(exc).__name__)
            raise StoreUnavailableError(f"commit failed: {type(exc).__name__}: {exc}") from exc

    # -- intake and per-adapter state ------------------------------------------------------

    async def file_report(self, request: FileRequest) -> IntakeResult:
        return await self.write(lambda c: w.file_report(c, request))

    async def answer_once(
        self, inbound_key: str, rows: list[OutboxRow], identity_opt_out: tuple[str, bool] | None
    ) -> bool:
        return await self.write(lambda c: w.answer_once(c, inbound_key, rows, identity_opt_out))

    async def add_followup(self, tracking_id: str, inbound_key: str, text: str) -> bool:
        return await self.write(lambda c: w.add_followup(c, tracking_id, inbound_key, text))

    async def delivery_receipt(self, target: str, message_id: str, state: str) -> bool:
        return await self.write(lambda c: w.delivery_receipt(c, target, message_id, state))

    async def apply_event(
        self, event: CoreEvent, make_rows: Callable[[Report, str], list[OutboxRow]]
    ) -> EventResult:
        return await self.write(lambda c: w.apply_event(c, event, make_rows))

    async def store_fragment(
        self, group: str, part: int, total: int, data: bytes, meta: dict[str, Any]
    ) -> list[Fragment] | None:
        return await self.write(lambda c: w.store_fragment(c, group, part, total, data, meta))

    async def drop_fragments(self, group: str) -> None:
        await self.write(lambda c: c.execute("DELETE FROM fragments WHERE grp = $1", group))

    async def set_checkpoint(self, name: str, value: str) -> None:
        await self.write(lambda c: w.set_checkpoint(c, name, value))

    # -- outbox ----------------------------------------------------------------------------

    async def finish_outbox(self, outcomes: list[OutboxOutcome]) -> None:
        if outcomes:
            await self.write(lambda c: w.finish_outbox(c, outcomes))

    async def claim_outbox(
        self,
        claimer: str,
        now: float,
        limit: int,
        lease_s: float,
        exclude_targets: frozenset[str] = frozenset(),
        only_targets: frozenset[str] | None = None,
    ) -> list[OutboxItem]:
        return await self.write(
            lambda c: w.claim_outbox(c, claimer, now, limit, lease_s, exclude_targets, only_targets)
        )

    async def unclaim_outbox(self, claimer: str, ids: list[int]) -> None:
        if ids:
            await self.write(lambda c: w.unclaim_outbox(c, claimer, ids))

    async def replay(self, ids: list[int] | None) -> int:
        return await self.write(lambda c: w.replay(c, ids))

    async def release_held(self, tracking_ids: list[str] | None) -> int:
        return await self.write(lambda c: w.release_held(c, tracking_ids))

    # -- leader leases ---------------------------------------------------------------------

    async def acquire_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        """Take *name* for *holder* for *ttl_s* (by the database's clock) when it is free,
        expired or already *holder*'s; False when another holder's lease still runs."""
        got = await self.write(
            lambda c: c.fetchval(
                "INSERT INTO leases (name, holder, until) "
                "VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3)) "
                "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
                "until = excluded.until "
                "WHERE leases.holder = excluded.holder OR leases.until <= clock_timestamp() "
                "RETURNING 1",
                name,
                holder,
                ttl_s,
            )
        )
        return got is not None

    async def renew_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        """Extend *holder*'s lease; False when it is no longer *holder*'s (taken over)."""
        got = await self.write(
            lambda c: c.fetchval(
                "UPDATE leases SET until = clock_timestamp() + make_interval(secs => $3) "
                "WHERE name = $1 AND holder = $2 RETURNING 1",
                name,
                holder,
                ttl_s,
            )
        )
        return got is not None

    async def release_lease(self, name: str, holder: str) -> None:
        """Give up *holder*'s lease at once, so another instance need not wait it out."""
        await self.write(
            lambda c: c.execute("DELETE FROM leases WHERE name = $1 AND holder = $2", name, holder)
        )

    # -- embedded case store ---------------------------------------------------------------

    async def embedded_core_receive(self, tracking_id: str, payload: dict[str, Any]) -> str:
        return await self.write(lambda c: w.embedded_core_receive(c, tracking_id, payload))

    async def embedded_core_addendum(self, tracking_id: str, payload: dict[str, Any]) -> None:
        await self.write(lambda c: w.embedded_core_addendum(c, tracking_id, payload))


async def _probe(conn: Conn) -> None:
    """A write-capable transaction: fails on a standby or a read-only database."""
    async with conn.transaction():
        await conn.execute("SELECT txid_current()")


if TYPE_CHECKING:  # mypy proves the backend implements every interface

    def _is_store(store: PostgresStore) -> Store:
        return store

    def _is_forwarder_reader(reader: PostgresReader) -> ForwarderReader:
        return reader

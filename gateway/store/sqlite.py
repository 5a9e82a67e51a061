"""SQLite store: WAL, group commit (:mod:`gateway.store.writer`), reads through aiosqlite.

Durability: ``journal_mode=WAL`` with ``synchronous=FULL``, so a commit that returned is on
disk even if the power goes. All writes go through the one :class:`GroupCommitWriter`;
the statements they run are in :mod:`gateway.store.queries`. Reads are those of
:class:`gateway.store.reader.SqliteReader`, on a second connection.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from gateway.adapter import Fragment, IntakeResult
from gateway.store import queries as q
from gateway.store.base import (
    CoreEvent,
    EventResult,
    FileRequest,
    OutboxRow,
)
from gateway.store.health import CommitHealth
from gateway.store.reader import SqliteReader
from gateway.store.writer import GroupCommitWriter
from normalizer import Report
from outbox.jobs import OutboxItem, OutboxOutcome

if TYPE_CHECKING:
    import sqlite3

    from gateway.store.interfaces import ForwarderReader, Store

T = TypeVar("T")


class SqliteStore(SqliteReader, CommitHealth):
    """Every store interface (:class:`gateway.store.interfaces.Store`) on one SQLite file."""

    def __init__(self, path: Path, *, max_batch: int = 256) -> None:
        super().__init__(path, read_only=False)
        self.writer = GroupCommitWriter(path, max_batch=max_batch)

    @property
    def batches(self) -> int:
        return self.writer.batches

    @property
    def lock_wait_s(self) -> float:
        """How long a batch waits for another process's write lock before it fails."""
        return self.writer.lock_wait_s

    @lock_wait_s.setter
    def lock_wait_s(self, value: float) -> None:
        self.writer.lock_wait_s = value

    # -- lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:
        await self.writer.open()  # creates the file and runs the migrations
        await super().open()

    async def close(self) -> None:
        """Finish queued writes, then close. Idempotent."""
        await self.writer.close()
        await super().close()

    async def __aenter__(self) -> SqliteStore:
        """Open; a failed open closes what it had opened before the error propagates."""
        try:
            await self.open()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def last_commit_failure(self) -> float | None:
        return self.writer.failed_at

    async def probe_write(self) -> None:
        """Fails when the disk is not writable or the file is locked."""
        await self.write(lambda c: c.execute("SELECT 1").fetchone())

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run *fn* inside a group-committed transaction; return after the commit."""
        return await self.writer.write(fn)

    # -- intake and per-adapter state ------------------------------------------------------

    async def file_report(self, request: FileRequest) -> IntakeResult:
        return await self.write(lambda c: q.file_report(c, request))

    async def answer_once(
        self, inbound_key: str, rows: list[OutboxRow], identity_opt_out: tuple[str, bool] | None
    ) -> bool:
        return await self.write(lambda c: q.answer_once(c, inbound_key, rows, identity_opt_out))

    async def add_followup(self, tracking_id: str, inbound_key: str, text: str) -> bool:
        return await self.write(lambda c: q.add_followup(c, tracking_id, inbound_key, text))

    async def delivery_receipt(self, target: str, message_id: str, state: str) -> bool:
        return await self.write(lambda c: q.delivery_receipt(c, target, message_id, state))

    async def apply_event(
        self, event: CoreEvent, make_rows: Callable[[Report, str], list[OutboxRow]]
    ) -> EventResult:
        return await self.write(lambda c: q.apply_event(c, event, make_rows))

    async def store_fragment(
        self, group: str, part: int, total: int, data: bytes, meta: dict[str, Any]
    ) -> list[Fragment] | None:
        return await self.write(lambda c: q.store_fragment(c, group, part, total, data, meta))

    async def drop_fragments(self, group: str) -> None:
        await self.write(lambda c: c.execute("DELETE FROM fragments WHERE grp = ?", (group,)))

    async def set_checkpoint(self, name: str, value: str) -> None:
        await self.write(lambda c: q.set_checkpoint(c, name, value))

    # -- outbox ----------------------------------------------------------------------------

    async def finish_outbox(self, outcomes: list[OutboxOutcome]) -> None:
        if outcomes:
            await self.write(lambda c: q.finish_outbox(c, outcomes))

    async def claim_outbox(
        self,
        claimer: str,
        now: float,
        limit: int,
        lease_s: float,
        exclude_targets: frozenset[str] = frozenset(),
        only_targets: frozenset[str] | None = None,
    ) -> list[OutboxItem]:
        ids = await self.write(
            lambda c: q.claim_outbox(c, claimer, now, limit, lease_s, exclude_targets, only_targets)
        )
        return await self.outbox_items(ids)

    async def unclaim_outbox(self, claimer: str, ids: list[int]) -> None:
        if ids:
            await self.write(lambda c: q.unclaim_outbox(c, claimer, ids))

    async def replay(self, ids: list[int] | None) -> int:
        return await self.write(lambda c: q.replay(c, ids))

    async def release_held(self, tracking_ids: list[str] | None) -> int:
        return await self.write(lambda c: q.release_held(c, tracking_ids))

    # -- leader leases: one instance per SQLite file, so every request is granted ----------

    async def acquire_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        return True

    async def renew_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        return True

    async def release_lease(self, name: str, holder: str) -> None:
        return None

    # -- embedded case store ---------------------------------------------------------------

    async def embedded_core_receive(self, tracking_id: str, payload: dict[str, Any]) -> str:
        return await self.write(lambda c: q.embedded_core_receive(c, tracking_id, payload))

    async def embedded_core_addendum(self, tracking_id: str, payload: dict[str, Any]) -> None:
        await self.write(lambda c: q.embedded_core_addendum(c, tracking_id, payload))


if TYPE_CHECKING:  # mypy proves the backends implement every interface

    def _is_store(store: SqliteStore) -> Store:
        return store

    def _is_forwarder_reader(reader: SqliteReader) -> ForwarderReader:
        return reader

"""SQLite store: WAL, group commit, writes on the loop, reads through aiosqlite.

Durability: ``journal_mode=WAL`` with ``synchronous=FULL``, so a commit that returned is on
disk even if the power goes. fsync per request would cap intake at a few hundred per
second, so writes are *group-committed*: every write operation is a plain function; the
writer task takes whatever operations are queued (up to ``max_batch``), runs them in one
transaction and commits them with one fsync. Callers are resumed only after that commit.
If one operation raises, the batch is re-run with a SAVEPOINT per operation so the failing
one leaves no trace and the others still commit.

Where the work runs: the statements of a batch are short (tens of microseconds each), so
they run on the event loop's own thread. Running them in aiosqlite's worker thread was
measured slower (bench/web_intake.py: about 560 vs 930 reports/s on this 2-core machine)
because every SQLite statement releases the GIL and must wait to take it back from the
busy event loop. The COMMIT (the fsync) and the periodic WAL checkpoint, one call each,
run in the store's own thread, so the loop parses requests meanwhile. A write lock held
by another process (an operator's CLI command) is waited for asynchronously, never by
blocking the loop.

Reads go through aiosqlite on a second connection: they can be long (listings, outbox
scans) and must not stall the loop; in WAL mode readers never block the writer and never
see uncommitted data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from gateway.adapter import Fragment, IntakeResult, StatusEntry, StatusView, StoreUnavailableError
from gateway.store import queries as q
from gateway.store.base import (
    CoreEvent,
    EventResult,
    FileRequest,
    OutboxRow,
)
from gateway.store.batch import WriteFn, commit, run_batch
from gateway.store.schema import migrate
from normalizer import Report
from outbox.jobs import OutboxItem, OutboxOutcome

log = logging.getLogger(__name__)
T = TypeVar("T")
#: payload key under which due_outbox() attaches the report JSON to core-bound rows
REPORT_BODY_KEY = "_report_json"


@dataclass
class _Pending:
    fn: WriteFn
    future: asyncio.Future[Any]


class SqliteStore:
    """The :class:`gateway.store.base.Store` on one SQLite file."""

    def __init__(self, path: Path, *, max_batch: int = 256, checkpoints: bool = True) -> None:
        self.path = path
        self.max_batch = max_batch
        self._db: sqlite3.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        #: seconds between WAL checkpoints (run by the writer after a batch, see _checkpoint);
        #: None in a second process (the forwarder): only the main writer checkpoints
        self.checkpoint_interval_s: float | None = 1.0 if checkpoints else None
        self._checkpointed_at = time.monotonic()
        self._commit_thread: ThreadPoolExecutor | None = None
        self.batches = 0
        self.writes = 0
        #: monotonic time of the last batch that could not commit (disk full, locked, I/O)
        self.failed_at: float | None = None
        #: how long a failed commit keeps :meth:`healthy` false; a probe alone cannot tell
        #: a full disk (an empty transaction commits fine), so a real failure is remembered
        self.failure_memory_s = 5.0
        #: how long a batch waits for another process's write lock before it fails
        self.lock_wait_s = 5.0

    # -- lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        # never block the loop on another process's lock: _begin() retries asynchronously
        db.execute("PRAGMA busy_timeout=0")
        # Checkpoints run from the writer between batches, in its commit thread (see
        # _checkpoint), not inside a commit: an automatic one would stall that batch.
        db.execute("PRAGMA wal_autocheckpoint=0")
        await self._locked_retry(lambda: migrate(db))
        self._db = db
        self._commit_thread = ThreadPoolExecutor(1, thread_name_prefix="store-commit")
        self._reader = await aiosqlite.connect(self.path, isolation_level=None)
        await self._reader.execute("PRAGMA busy_timeout=5000")
        self._reader.row_factory = aiosqlite.Row
        self._writer = asyncio.create_task(self._write_loop(), name="store-writer")

    async def _locked_retry(self, fn: Callable[[], T], timeout_s: float = 5.0) -> T:
        """Run *fn*; while another process holds the write lock, wait (asynchronously) and
        try again, up to *timeout_s*."""
        deadline = time.monotonic() + timeout_s
        delay = 0.001
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() > deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)

    def _checkpoint(self, db: sqlite3.Connection) -> None:
        """Copy committed WAL pages into the database file, and truncate the WAL once it
        grows past ~64 MiB (runs in the commit thread, between batches).

        Why the writer does it: a checkpoint run from another connection made the writer's
        next BEGIN IMMEDIATE fail with SQLITE_BUSY while it finished (the writer wants to
        restart the WAL), and the retry backoff turned that into 60-80 ms stalls of every
        request, every second or two (bench/web_intake.py at 1,000 req/s). From the writer
        itself there is nobody to contend with. PASSIVE never waits for readers."""
        try:
            row = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if row is not None and row[1] > 16_000:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as exc:  # the commit already happened; try again next time
            log.warning("WAL checkpoint failed: %s", type(exc).__name__)

    async def close(self) -> None:
        """Finish queued writes, then close. Idempotent."""
        if self._writer is not None:
            await self._queue.put(None)
            with contextlib.suppress(Exception):
                await self._writer
            self._writer = None
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader.close()
        if self._db is not None:
            with contextlib.suppress(Exception):
                self._db.close()
        if self._commit_thread is not None:
            self._commit_thread.shutdown(wait=True)
            self._commit_thread = None
        self._db = None
        self._reader = None

    async def healthy(self) -> bool:
        """True when a write transaction can commit (disk writable, file not locked) and no
        real commit failed within ``failure_memory_s``."""
        if self.failed_at is not None and time.monotonic() - self.failed_at < self.failure_memory_s:
            return False
        try:
            await self.write(lambda c: c.execute("SELECT 1").fetchone())
        except StoreUnavailableError:
            return False
        return True

    # -- group commit ----------------------------------------------------------------------

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run *fn* inside a group-committed transaction; return after the commit."""
        if self._writer is None or self._writer.done():
            raise StoreUnavailableError("store is closed")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(fn, future))
        result: T = await future
        return result

    async def _write_loop(self) -> None:
        while True:
            first = await self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stop = True
                    break
                batch.append(item)
            await self._commit_batch(batch)
            if stop:
                return

    async def _commit_batch(self, batch: list[_Pending]) -> None:
        assert self._db is not None
        db = self._db
        try:
            fns = [p.fn for p in batch]
            outcomes = await self._locked_retry(lambda: run_batch(db, fns), self.lock_wait_s)
            await self._loop_commit(db)
        except Exception as exc:  # the COMMIT itself failed: nothing in the batch is durable
            log.error("store commit failed: %s", type(exc).__name__)
            self.failed_at = time.monotonic()
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(StoreUnavailableError(f"commit failed: {exc}"))
            return
        self.batches += 1
        self.writes += len(batch)
        for pending, (ok, value) in zip(batch, outcomes, strict=True):
            if pending.future.done():
                continue
            if ok:
                pending.future.set_result(value)
            else:
                pending.future.set_exception(value)
        interval = self.checkpoint_interval_s
        if interval is not None and time.monotonic() - self._checkpointed_at >= interval:
            self._checkpointed_at = time.monotonic()
            try:
                await self._in_commit_thread(self._checkpoint, db)
            except Exception as exc:  # never let a checkpoint stop the writer
                log.warning("WAL checkpoint failed: %s", type(exc).__name__)

    async def _loop_commit(self, db: sqlite3.Connection) -> None:
        """COMMIT in the store's own thread: the fsync releases the GIL, so the event loop
        keeps parsing requests (which queue up as the next batch) instead of waiting on the
        disk. Only the COMMIT goes there: statements run in a thread were measured slower
        (see the module docstring). The writer task awaits it, so the connection is never
        used by two threads at once."""
        await self._in_commit_thread(commit, db)

    async def _in_commit_thread(
        self, fn: Callable[[sqlite3.Connection], None], db: sqlite3.Connection
    ) -> None:
        assert self._commit_thread is not None
        done = asyncio.get_running_loop().run_in_executor(self._commit_thread, fn, db)
        try:
            await asyncio.shield(done)
        except asyncio.CancelledError:
            # a COMMIT cannot be called back: let it finish before the task unwinds
            with contextlib.suppress(Exception):
                await done
            raise

    async def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[aiosqlite.Row]:
        if self._reader is None:
            raise StoreUnavailableError("store is closed")
        try:
            return list(await self._reader.execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"read failed: {exc}") from exc

    # -- intake ----------------------------------------------------------------------------

    async def file_report(self, request: FileRequest) -> IntakeResult:
        return await self.write(lambda c: q.file_report(c, request))

    async def answer_once(
        self, inbound_key: str, rows: list[OutboxRow], identity_opt_out: tuple[str, bool] | None
    ) -> bool:
        return await self.write(lambda c: q.answer_once(c, inbound_key, rows, identity_opt_out))

    async def add_followup(self, tracking_id: str, inbound_key: str, text: str) -> bool:
        return await self.write(lambda c: q.add_followup(c, tracking_id, inbound_key, text))

    async def is_opted_out(self, identities: list[str]) -> bool:
        if not identities:
            return False
        marks = ",".join("?" * len(identities))
        rows = await self._read(
            f"SELECT 1 FROM opt_outs WHERE identity IN ({marks})", tuple(identities)
        )
        return bool(rows)

    async def delivery_receipt(self, target: str, message_id: str, state: str) -> bool:
        return await self.write(lambda c: q.delivery_receipt(c, target, message_id, state))

    async def store_fragment(
        self, group: str, part: int, total: int, data: bytes, meta: dict[str, Any]
    ) -> list[Fragment] | None:
        return await self.write(lambda c: q.store_fragment(c, group, part, total, data, meta))

    async def expired_fragment_groups(self, older_than_s: float) -> dict[str, list[Fragment]]:
        cutoff = time.time() - older_than_s
        rows = await self._read(
            "SELECT grp, part, data, meta FROM fragments WHERE grp IN "
            "(SELECT grp FROM fragments GROUP BY grp HAVING MIN(created_at) < ?) "
            "ORDER BY grp, part",
            (cutoff,),
        )
        groups: dict[str, list[Fragment]] = {}
        for row in rows:
            groups.setdefault(row["grp"], []).append(
                Fragment(part=row["part"], data=bytes(row["data"]), meta=json.loads(row["meta"]))
            )
        return groups

    async def drop_fragments(self, group: str) -> None:
        await self.write(lambda c: c.execute("DELETE FROM fragments WHERE grp = ?", (group,)))

    async def get_checkpoint(self, name: str) -> str | None:
        rows = await self._read("SELECT value FROM checkpoints WHERE name = ?", (name,))
        return str(rows[0]["value"]) if rows else None

    async def set_checkpoint(self, name: str, value: str) -> None:
        await self.write(lambda c: q.set_checkpoint(c, name, value))

    # -- reports and status ----------------------------------------------------------------

    async def get_report(self, tracking_id: str) -> tuple[Report, str] | None:
        rows = await self._read(
            "SELECT body, status FROM reports WHERE tracking_id = ?", (tracking_id,)
        )
        if not rows:
            return None
        return Report.model_validate_json(rows[0]["body"]), str(rows[0]["status"])

    async def status_view(self, tracking_id: str) -> StatusView | None:
        rows = await self._read(
            "SELECT status, channel, received_at, agency, category FROM reports "
            "WHERE tracking_id = ?",
            (tracking_id,),
        )
        if not rows:
            return None
        history = await self._read(
            "SELECT at, status, note FROM status_history WHERE tracking_id = ? ORDER BY at, id",
            (tracking_id,),
        )
        row = rows[0]
        return StatusView(
            tracking_id=tracking_id,
            status=row["status"],
            channel=row["channel"],
            received_at=datetime.fromisoformat(row["received_at"]),
            agency=row["agency"],
            category=row["category"],
            history=[
                StatusEntry(at=datetime.fromisoformat(h["at"]), status=h["status"], note=h["note"])
                for h in history
            ],
        )

    async def apply_event(
        self, event: CoreEvent, make_rows: Callable[[Report, str], list[OutboxRow]]
    ) -> EventResult:
        return await self.write(lambda c: q.apply_event(c, event, make_rows))

    async def list_reports(self, status: str | None, limit: int) -> list[dict[str, Any]]:
        sql = (
            "SELECT tracking_id, channel, status, received_at, duplicate_of, throttled, "
            "confidential, anonymous, core_case_id FROM reports"
        )
        params: tuple[Any, ...] = ()
        if status:
            sql += " WHERE status = ?"
            params = (status,)
        sql += " ORDER BY received_at DESC LIMIT ?"
        rows = await self._read(sql, (*params, limit))
        return [dict(r) for r in rows]

    # -- outbox ----------------------------------------------------------------------------

    async def due_outbox(
        self,
        now: float,
        limit: int,
        exclude_targets: frozenset[str] = frozenset(),
        only_targets: frozenset[str] | None = None,
    ) -> list[OutboxItem]:
        """Due rows, oldest first; *exclude_targets* (paused, or served by another process)
        are skipped, and with *only_targets* nothing else is returned."""
        skip = ""
        params: list[Any] = [now]
        if exclude_targets:
            skip = " AND target NOT IN (" + ",".join("?" * len(exclude_targets)) + ")"
            params += sorted(exclude_targets)
        if only_targets is not None:
            skip += " AND target IN (" + ",".join("?" * len(only_targets)) + ")"
            params += sorted(only_targets)
        # rows bound for the core carry the report body, read in the same query: one read
        # per relay pass instead of one per forwarded report
        rows = await self._read(
            "SELECT o.id, o.kind, o.tracking_id, o.target, o.payload, o.attempts, o.created_at, "
            "CASE WHEN o.kind IN ('forward', 'addendum') THEN r.body END AS body "
            "FROM outbox o LEFT JOIN reports r ON r.tracking_id = o.tracking_id "
            f"WHERE o.state = 'pending' AND o.next_attempt_at <= ?{skip} ORDER BY o.id LIMIT ?",
            (*params, limit),
        )
        items = []
        for r in rows:
            payload = json.loads(r["payload"])
            if r["body"] is not None:
                payload[REPORT_BODY_KEY] = r["body"]
            items.append(
                OutboxItem(
                    id=r["id"],
                    kind=r["kind"],
                    tracking_id=r["tracking_id"],
                    target=r["target"],
                    payload=payload,
                    attempts=r["attempts"],
                    created_at=r["created_at"],
                )
            )
        return items

    async def finish_outbox(self, outcomes: list[OutboxOutcome]) -> None:
        if outcomes:
            await self.write(lambda c: q.finish_outbox(c, outcomes))

    async def outbox_depth(self) -> dict[str, int]:
        rows = await self._read("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
        return {r["state"]: r["n"] for r in rows}

    async def pending_count(self) -> int:
        rows = await self._read("SELECT COUNT(*) AS n FROM outbox WHERE state = 'pending'")
        return int(rows[0]["n"])

    async def dead_letters(self, limit: int) -> list[dict[str, Any]]:
        rows = await self._read(
            "SELECT id, kind, tracking_id, target, attempts, last_error, updated_at FROM outbox "
            "WHERE state = 'dead' ORDER BY id LIMIT ?",
            (limit,),
        )
        return [dict(r) for r in rows]

    async def outbox_rows(self, tracking_id: str) -> list[dict[str, Any]]:
        rows = await self._read(
            "SELECT id, kind, target, state, attempts, last_error, message_id, delivery_state, "
            "payload FROM outbox WHERE tracking_id = ? ORDER BY id",
            (tracking_id,),
        )
        return [dict(r) for r in rows]

    async def sent_acks(self, target_prefix: str, limit: int) -> list[dict[str, Any]]:
        rows = await self._read(
            "SELECT id, tracking_id, target, state, payload, message_id, delivery_state, "
            "updated_at FROM outbox WHERE kind = 'ack' AND target LIKE ? ORDER BY id DESC LIMIT ?",
            (target_prefix + "%", limit),
        )
        return [dict(r) for r in rows]

    async def replay(self, ids: list[int] | None) -> int:
        return await self.write(lambda c: q.replay(c, ids))

    async def dedup_rows(
        self, since: datetime
    ) -> list[tuple[str, str, list[str], datetime, str | None, str | None]]:
        """Rows that warm the similarity index (:meth:`gateway.dedup.Deduplicator.load`):
        original reports (not level-2 duplicates) received at or after *since*."""
        rows = await self._read(
            "SELECT tracking_id, json_extract(body, '$.text') AS text, received_at, region, "
            "category FROM reports WHERE received_at >= ? AND duplicate_of IS NULL "
            "ORDER BY received_at",
            (since.isoformat(),),
        )
        return [(r[0], r[1] or "", [], datetime.fromisoformat(r[2]), r[3], r[4]) for r in rows]

    async def release_held(self, tracking_ids: list[str] | None) -> int:
        return await self.write(lambda c: q.release_held(c, tracking_ids))

    async def embedded_core_receive(self, tracking_id: str, payload: dict[str, Any]) -> str:
        return await self.write(lambda c: q.embedded_core_receive(c, tracking_id, payload))

    async def embedded_core_addendum(self, tracking_id: str, payload: dict[str, Any]) -> None:
        await self.write(lambda c: q.embedded_core_addendum(c, tracking_id, payload))

    async def core_cases(self) -> list[dict[str, Any]]:
        rows = await self._read("SELECT tracking_id, case_id, received_at FROM core_cases")
        return [dict(r) for r in rows]

    async def followups(self, tracking_id: str) -> list[str]:
        rows = await self._read(
            "SELECT text FROM followups WHERE tracking_id = ? ORDER BY id", (tracking_id,)
        )
        return [str(r["text"]) for r in rows]

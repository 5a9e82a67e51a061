"""The one write connection of the SQLite store and its group commit.

fsync per request would cap intake at a few hundred per second, so writes are
*group-committed*: every write operation is a plain function; the writer task takes
whatever operations are queued (up to ``max_batch``), runs them in one transaction
(:mod:`gateway.store.batch`) and commits them with one fsync. Callers are resumed only
after that commit.

Where the work runs: the statements of a batch are short (tens of microseconds each), so
they run on the event loop's own thread. Running them in a worker thread is slower
(bench/web_intake.py; figures in the README's "Storage" section) because every SQLite
statement releases the GIL and must wait to take it back from the busy event loop. The
COMMIT (the fsync) and the periodic WAL checkpoint, one call each, run in the writer's own
thread, so the loop parses requests meanwhile; the writer task awaits them, so the
connection is never used by two threads at once. A write lock held by another process (an
operator's CLI command) is waited for asynchronously, never by blocking the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from gateway.adapter import StoreUnavailableError
from gateway.resilience.backoff import Backoff, exponential
from gateway.store.batch import WriteFn, commit, run_batch
from gateway.store.schema import migrate

log = logging.getLogger(__name__)
T = TypeVar("T")
#: waits while another process holds the write lock: 1 ms doubling to 100 ms
LOCK_BACKOFF = exponential(0.001, 0.1)


@dataclass
class _Pending:
    fn: WriteFn
    future: asyncio.Future[Any]


class GroupCommitWriter:
    """Owns the write connection: migrations at open, batches, COMMITs, checkpoints."""

    def __init__(self, path: Path, *, max_batch: int = 256) -> None:
        self.path = path
        self.max_batch = max_batch
        self._db: sqlite3.Connection | None = None
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._thread: ThreadPoolExecutor | None = None
        #: seconds between WAL checkpoints (run after a batch, see _checkpoint); None: never
        self.checkpoint_interval_s: float | None = 1.0
        self._checkpointed_at = time.monotonic()
        self.batches = 0
        self.writes = 0
        #: monotonic time of the last batch that could not commit (disk full, locked, I/O)
        self.failed_at: float | None = None
        #: how long a batch waits for another process's write lock before it fails
        self.lock_wait_s = 5.0

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        # never block the loop on another process's lock: _locked_retry waits asynchronously
        db.execute("PRAGMA busy_timeout=0")
        # checkpoints run between batches (see _checkpoint), not inside a commit: an
        # automatic one would stall that batch
        db.execute("PRAGMA wal_autocheckpoint=0")
        await self._locked_retry(lambda: migrate(db))
        self._db = db
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="store-commit")
        self._task = asyncio.create_task(self._loop(), name="store-writer")

    async def close(self) -> None:
        """Commit what is queued, then close. Idempotent."""
        if self._task is not None:
            await self._queue.put(None)
            with contextlib.suppress(Exception):
                await self._task
            self._task = None
        if self._db is not None:
            with contextlib.suppress(Exception):
                self._db.close()
            self._db = None
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run *fn* inside a group-committed transaction; return after the commit."""
        if self._task is None or self._task.done():
            raise StoreUnavailableError("store is closed")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(fn, future))
        result: T = await future
        return result

    async def _locked_retry(self, fn: Callable[[], T], timeout_s: float = 5.0) -> T:
        """Run *fn*; while another process holds the write lock, wait (asynchronously) and
        try again, up to *timeout_s*."""
        deadline = time.monotonic() + timeout_s
        backoff: Backoff | None = None  # made on the first lock only: commits are hot
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() > deadline:
                    raise
            backoff = backoff or Backoff(LOCK_BACKOFF)
            await asyncio.sleep(backoff.next())

    async def _loop(self) -> None:
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
            await self._in_thread(commit, db)
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
                await self._in_thread(self._checkpoint, db)
            except Exception as exc:  # never let a checkpoint stop the writer
                log.warning("WAL checkpoint failed: %s", type(exc).__name__)

    async def _in_thread(
        self, fn: Callable[[sqlite3.Connection], None], db: sqlite3.Connection
    ) -> None:
        """Run *fn* (a COMMIT or a checkpoint) in the writer's thread and wait for it."""
        assert self._thread is not None
        done = asyncio.get_running_loop().run_in_executor(self._thread, fn, db)
        try:
            await asyncio.shield(done)
        except asyncio.CancelledError:
            # a COMMIT cannot be called back: let it finish before the task unwinds
            with contextlib.suppress(Exception):
                await done
            raise

    @staticmethod
    def _checkpoint(db: sqlite3.Connection) -> None:
        """Copy committed WAL pages into the database file, and truncate the WAL once it
        grows past ~64 MiB.

        Why the writer does it: a checkpoint run from another connection made the writer's
        next BEGIN IMMEDIATE fail with SQLITE_BUSY while it finished (the writer wants to
        restart the WAL), and the retry backoff turned that into a stall of every request in
        flight (README, "Storage"). From the writer itself there is nobody to contend with.
        PASSIVE never waits for readers."""
        try:
            row = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if row is not None and row[1] > 16_000:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as exc:  # the commit already happened; try again next time
            log.warning("WAL checkpoint failed: %s", type(exc).__name__)

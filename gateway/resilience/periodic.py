"""Periodic jobs: one asyncio task per job, runs never overlap, a failing run never ends it.

The gateway's periodic work (the X pollers, the SMPP multipart sweep) is a handful of
interval jobs in one process; an asyncio task per job does what a scheduler library would
(no overlapping runs, a first run at once when asked, a new interval from now on
:meth:`Periodic.reschedule`) without a second event machinery beside the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Periodic:
    """Run *job* every *interval_s* seconds, counted from the end of the previous run.

    ``run_at_start``: the first run happens at once rather than one interval later. A run
    that raises is logged and the next one comes on time."""

    def __init__(
        self,
        name: str,
        job: Callable[[], Awaitable[object]],
        interval_s: float,
        *,
        run_at_start: bool = False,
    ) -> None:
        self.name = name
        self.job = job
        self.interval_s = interval_s
        self.run_at_start = run_at_start
        self.running = False
        self._stopping = False
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Run the job in a task of its own (see :meth:`run` for a task group's)."""
        self._stopping = False
        self._task = asyncio.create_task(self._loop(), name=self.name)

    async def run(self) -> None:
        """The schedule as a coroutine, for a caller that owns the task (a task group):
        returns when :meth:`stop` is called, which cancels it like a task of its own."""
        self._task = asyncio.current_task()
        await self._loop()

    async def __aenter__(self) -> Periodic:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def reschedule(self, interval_s: float) -> None:
        """From now on run every *interval_s*; the next run is *interval_s* after the end of
        the current run, or from now when idle."""
        self.interval_s = interval_s
        self._wake.set()

    async def stop(self, *, finish_run: bool = False) -> None:
        """Stop scheduling. A run in progress is cancelled, or with *finish_run* allowed to
        end first. Idempotent."""
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        if task is None:
            return
        if not (finish_run and self.running):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _loop(self) -> None:
        due_now = self.run_at_start
        while not self._stopping:
            if not due_now:
                self._wake.clear()
                try:
                    async with asyncio.timeout(self.interval_s):
                        await self._wake.wait()
                except TimeoutError:
                    pass
                else:
                    continue  # rescheduled (wait the new interval from now) or stopping
            due_now = False
            self.running = True
            try:
                await self.job()
            except Exception:
                log.exception(
                    "periodic job %s failed; next run in %.1f s", self.name, self.interval_s
                )
            finally:
                self.running = False

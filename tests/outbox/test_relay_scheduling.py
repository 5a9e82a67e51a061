"""When the relay runs its passes: wake-ups during a pass, lingering to gather rows.

An in-memory queue stands in for the store (the store's own outbox queries are covered by
tests/outbox/test_relay.py against real SQLite); here only the relay's timing is tested.
"""

from __future__ import annotations

import asyncio
import time

from outbox.backoff import RetryPolicy
from outbox.core_client import Delivered
from outbox.jobs import ForwardJob, OutboxItem, OutboxOutcome
from outbox.relay import Relay


class MemoryQueue:
    """Due rows in a list; records every pass (how many rows it took)."""

    def __init__(self) -> None:
        self.rows: list[OutboxItem] = []
        self.done: list[int] = []
        self.passes: list[int] = []
        self._next = 1

    def put(self) -> None:
        self.rows.append(OutboxItem(self._next, ForwardJob(), f"T{self._next}", "core", 0, 0.0))
        self._next += 1

    async def due_outbox(
        self,
        now: float,
        limit: int,
        exclude_targets: frozenset[str] = frozenset(),
        only_targets: frozenset[str] | None = None,
    ) -> list[OutboxItem]:
        taken, self.rows = self.rows[:limit], self.rows[limit:]
        if taken:
            self.passes.append(len(taken))
        return taken

    async def finish_outbox(self, outcomes: list[OutboxOutcome]) -> None:
        self.done.extend(o.id for o in outcomes)


def _relay(queue: MemoryQueue, deliver: object, **kw: float) -> Relay:
    return Relay(
        queue,
        deliver,  # type: ignore[arg-type]
        policy_for=lambda _: RetryPolicy(0.1, 1, 3),
        poll_interval_s=30.0,  # longer than any test: only wake-ups may start a pass
        **kw,  # type: ignore[arg-type]
    )


async def _until(pred: object, wait_s: float = 5.0) -> None:
    deadline = time.monotonic() + wait_s
    while not pred():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


async def test_row_committed_during_a_pass_goes_out_without_waiting_a_poll() -> None:
    queue = MemoryQueue()
    in_pass = asyncio.Event()
    release = asyncio.Event()

    async def deliver(item: OutboxItem) -> Delivered:
        in_pass.set()
        await release.wait()
        return Delivered()

    relay = _relay(queue, deliver)
    relay.start()
    try:
        queue.put()
        relay.wake()
        await asyncio.wait_for(in_pass.wait(), 5)
        queue.put()  # committed while the first pass is still delivering
        relay.wake()
        release.set()
        # the poll interval is 30 s: only the wake-up during the pass can deliver row 2 now
        await _until(lambda: queue.done == [1, 2])
    finally:
        await relay.stop()


async def test_linger_gathers_rows_committed_after_the_wake_up_into_one_pass() -> None:
    queue = MemoryQueue()

    async def deliver(item: OutboxItem) -> Delivered:
        return Delivered()

    relay = _relay(queue, deliver, linger_s=0.2)
    relay.start()
    try:
        await asyncio.sleep(0.05)  # the first pass (nothing due) has run
        for _ in range(5):
            queue.put()
            relay.wake()
            await asyncio.sleep(0.01)
        await _until(lambda: len(queue.done) == 5)
        assert queue.passes == [5]
    finally:
        await relay.stop()


async def test_at_a_low_rate_the_relay_does_not_linger() -> None:
    """Rows a few per second apart: each goes out at once, not ``linger_s`` later."""
    queue = MemoryQueue()
    delivered_at: list[float] = []

    async def deliver(item: OutboxItem) -> Delivered:
        delivered_at.append(time.monotonic())
        return Delivered()

    relay = _relay(queue, deliver, linger_s=0.5, linger_from_per_s=200.0)
    relay.start()
    try:
        await asyncio.sleep(0.05)
        for n in range(1, 4):
            queue.put()
            relay.wake()
            woken = time.monotonic()
            await _until(lambda n=n: len(queue.done) == n)  # type: ignore[misc]
            assert delivered_at[-1] - woken < 0.25, "the pass waited for linger_s"
            await asyncio.sleep(0.1)
        assert queue.passes == [1, 1, 1]
    finally:
        await relay.stop()


async def test_a_busy_relay_lingers_and_gathers_rows_into_one_pass() -> None:
    """Many wake-ups per second (a burst of commits): the relay lingers again, so rows
    committed after one wake-up join its pass."""
    queue = MemoryQueue()

    async def deliver(item: OutboxItem) -> Delivered:
        return Delivered()

    relay = _relay(queue, deliver, linger_s=0.5, linger_from_per_s=200.0)
    relay.rate_window_s = 0.25
    relay.start()
    try:
        # hundreds of commits per second (these wake-ups queue no row), and meanwhile five
        # rows 10 ms apart: without lingering each would be a pass of its own
        for n in range(90):
            for _ in range(20):
                relay.wake()
            if n >= 60 and n % 2 == 0 and queue._next <= 5:
                queue.put()
                relay.wake()
            await asyncio.sleep(0.005)
        await _until(lambda: len(queue.done) == 5)
        assert relay.rate_per_s >= 200.0
        assert len(queue.passes) <= 2, queue.passes
    finally:
        await relay.stop()


def test_linger_follows_the_rate_of_the_last_window() -> None:
    """The rule itself: the larger of wake-ups and rows per second, over the last window,
    against ``linger_from_per_s``; 0 keeps the relay lingering at every rate."""
    relay = _relay(MemoryQueue(), None, linger_s=0.05, linger_from_per_s=200.0)
    relay.rate_window_s = 0.25
    start = relay._window_start
    relay._wakes = 10  # 40 per second over the first window
    assert relay.linger_for(start + 0.25) == 0.0
    relay._rows = 60  # 240 rows per second (the forwarder's wake-ups coalesce)
    relay._wakes = 5
    assert relay.linger_for(start + 0.5) == 0.05
    # within a window the last window's rate holds
    assert relay.linger_for(start + 0.6) == 0.05
    always = _relay(MemoryQueue(), None, linger_s=0.05, linger_from_per_s=0.0)
    assert always.linger_for(always._window_start + 0.01) == 0.05

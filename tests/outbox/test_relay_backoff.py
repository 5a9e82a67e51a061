"""How the relay backs off a failing target: once per pass, rows due when the pause ends,
probes that take turns, and throttling that spends no attempt.

An in-memory queue that keeps rows, attempts and due times the way the store does (the
store's own queries are covered against real SQLite in tests/outbox/test_relay.py and the
system tests); here only the relay's decisions are tested, one pass at a time.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest

from normalizer import ReplyAddress
from outbox.backoff import RetryPolicy
from outbox.core_client import Delivered
from outbox.jobs import AckJob, ForwardJob, Job, OutboxItem, OutboxOutcome, SendError
from outbox.relay import Relay

FORWARD = ForwardJob()
ACK = AckJob(reply_to=ReplyAddress(adapter="sms.smpp", address="+6281234567890"), text="ok")
POLICY = RetryPolicy(initial_s=1.0, max_s=900.0, max_attempts=5, throttled_give_up_after_s=3600)


class Rows:
    """Pending rows with attempts and due times; outcomes applied as the store applies them."""

    def __init__(self, n: int, *, job: Job = FORWARD, target: str = "core") -> None:
        now = time.time()
        self.rows = {i: OutboxItem(i, job, f"T{i}", target, 0, now) for i in range(1, n + 1)}
        self.due_at = dict.fromkeys(self.rows, 0.0)
        self.state = dict.fromkeys(self.rows, "pending")
        self.outcomes: list[OutboxOutcome] = []

    async def due_outbox(
        self,
        now: float,
        limit: int,
        exclude_targets: frozenset[str] = frozenset(),
        only_targets: frozenset[str] | None = None,
    ) -> list[OutboxItem]:
        due = [
            r
            for i, r in sorted(self.rows.items())
            if self.state[i] == "pending"
            and self.due_at[i] <= now
            and r.target not in exclude_targets
        ]
        return due[:limit]

    async def finish_outbox(self, outcomes: list[OutboxOutcome]) -> None:
        for o in outcomes:
            self.outcomes.append(o)
            row = self.rows[o.id]
            if o.state in ("done", "dead"):
                self.state[o.id] = o.state
            else:
                self.due_at[o.id] = o.retry_at
            if o.state != "deferred":
                self.rows[o.id] = replace(row, attempts=row.attempts + 1)


def _relay(queue: Rows, deliver: object, policy: RetryPolicy = POLICY) -> Relay:
    return Relay(queue, deliver, policy_for=lambda _: policy, concurrency=16)  # type: ignore[arg-type]


async def test_a_burst_failing_together_is_one_failure_of_the_target() -> None:
    """16 rows failing in one pass pause the core for delay(1), not delay(16) (the cap)."""
    queue = Rows(40)

    async def down(item: OutboxItem) -> Delivered:
        await asyncio.sleep(0.01)  # in flight together, as HTTP requests are
        raise SendError("core answered 503", retryable=True)

    relay = _relay(queue, down)
    await relay.run_once()
    assert len(queue.outcomes) == 16, "one batch of concurrent attempts, the rest left due"
    pause = relay.paused_targets()["core"]
    assert pause <= 2.0, f"paused {pause:.0f} s after one failing pass"
    # every failed row is due again exactly when its target resumes: nothing lags behind
    until = time.time() + pause
    assert all(abs(o.retry_at - until) < 0.05 for o in queue.outcomes)


async def test_pause_grows_per_failed_probe_and_the_backlog_drains_in_order_after() -> None:
    queue = Rows(30)
    up = False
    sent: list[int] = []

    async def core(item: OutboxItem) -> Delivered:
        sent.append(item.id)
        await asyncio.sleep(0.01)
        if not up:
            raise SendError("core unreachable: ClientConnectorError", retryable=True)
        return Delivered()

    relay = _relay(queue, core)
    pauses = []
    for _ in range(4):  # the first pass, then three probes, each as soon as it may run
        await relay.run_once()
        pauses.append(relay.paused_targets()["core"])
        relay._paused_until["core"] = 0.0  # skip the wait itself
        for i in queue.due_at:
            queue.due_at[i] = min(queue.due_at[i], time.time())
    assert len(sent) == 16 + 3, "one probe per pass once the target failed"
    assert pauses == sorted(pauses) and pauses[-1] >= 4, pauses
    up = True
    sent.clear()
    while await relay.run_once():
        pass
    assert sent[0] in (1, 2) and sorted(sent[1:]) == sent[1:], "arrival order after the probe"
    assert set(queue.state.values()) == {"done"}


async def test_probes_take_turns_so_one_refused_row_does_not_hold_the_rest() -> None:
    """Row 1 is always refused; without turns it would be every probe, forever."""
    queue = Rows(5)

    async def core(item: OutboxItem) -> Delivered:
        if item.id == 1:
            raise SendError("core answered 500", retryable=True)
        return Delivered()

    relay = Relay(
        queue,
        core,
        policy_for=lambda _: RetryPolicy(0.02, 0.2, 1000),
        poll_interval_s=0.01,
    )
    relay.start()
    try:
        deadline = time.monotonic() + 5
        while any(queue.state[i] != "done" for i in range(2, 6)):
            assert time.monotonic() < deadline, f"held back behind row 1: {queue.state}"
            await asyncio.sleep(0.01)
    finally:
        await relay.stop()
    assert queue.state[1] == "pending"


async def test_throttling_defers_without_spending_attempts_and_waits_grow() -> None:
    queue = Rows(3, job=ACK, target="sms.smpp")

    async def throttled(item: OutboxItem) -> Delivered:
        raise SendError("submit_sm failed with status 0x00000058", retryable=True, throttled=True)

    relay = _relay(queue, throttled)
    pauses = []
    for _ in range(POLICY.max_attempts + 3):  # more throttled tries than the attempt budget
        await relay.run_once()
        pauses.append(relay.paused_targets()["sms.smpp"])
        relay._paused_until["sms.smpp"] = 0.0
        for i in queue.due_at:
            queue.due_at[i] = 0.0
    assert {o.state for o in queue.outcomes} == {"deferred"}
    assert all(r.attempts == 0 for r in queue.rows.values()), "throttling spent attempts"
    assert set(queue.state.values()) == {"pending"}, "throttling dead-lettered an ack"
    assert pauses[-1] > pauses[0] * 8, f"waits did not grow: {pauses}"


@pytest.mark.parametrize(
    ("queued_for_s", "state"),
    [
        pytest.param(3500, "deferred", id="within-budget"),
        pytest.param(3700, "dead", id="past-budget"),
    ],
)
async def test_a_throttled_row_gives_up_only_after_the_time_budget(
    queued_for_s: float, state: str
) -> None:
    queue = Rows(1, job=ACK, target="sms.smpp")
    queue.rows[1] = replace(queue.rows[1], created_at=time.time() - queued_for_s)

    async def throttled(item: OutboxItem) -> Delivered:
        raise SendError("submit_sm failed with status 0x00000058", retryable=True, throttled=True)

    await _relay(queue, throttled).run_once()
    assert [o.state for o in queue.outcomes] == [state]

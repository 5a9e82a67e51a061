"""The outbox relay: delivers every outbox row at least once, in order of arrival.

Loop: take due rows (oldest first), deliver them with bounded concurrency through the
deliverer for their target (the core case store, or the adapter that received the report),
then record every outcome in one store write. A retryable failure *pauses its whole
target*, so a core that is down is probed by one row at a time instead of being hammered by
the backlog. The pause grows (tenacity backoff, ``Retry-After`` honoured) once per pass in
which the target failed, never once per failed row: a burst of rows failing together is
one failure of the target, not sixteen. The rows that failed are due again when the pause
ends (a row that keeps failing while its target works backs off on its own), so when the
target answers again the whole backlog is due and drains at full speed in arrival order.
Successive probes take turns between the oldest due rows, so one row the target always
refuses cannot hold the others back.

A throttled send (:attr:`SendError.throttled`) pauses the target the same way but spends no
attempt: the row is deferred, and dead-lettered only when it is older than the policy's
throttle budget. A permanent failure, or too many attempts, moves the row to the
dead-letter state where ``lapor-gateway outbox dead-letters`` shows it and ``outbox
replay`` brings it back.

Exactly-once toward the core relies on the ``Idempotency-Key`` (a crash after the core
accepted but before we recorded it causes one repeat, which the core absorbs).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from outbox.backoff import RetryPolicy
from outbox.core_client import Delivered
from outbox.jobs import Attempt, OutboxItem, OutboxOutcome, SendError

log = logging.getLogger(__name__)

#: the relay's rate (wake-ups or rows per second) is measured over windows this long: long
#: enough that a burst at a low rate (a sender catching up after a stall) is not taken for
#: load
RATE_WINDOW_S = 1.0


class OutboxQueue(Protocol):
    async def due_outbox(
        self,
        now: float,
        limit: int,
        exclude_targets: frozenset[str] = frozenset(),
        only_targets: frozenset[str] | None = None,
    ) -> list[OutboxItem]: ...

    async def finish_outbox(self, outcomes: list[OutboxOutcome]) -> None: ...


@runtime_checkable
class Unclaiming(Protocol):
    """A queue whose due rows are claimed (several instances on one database): rows a pass
    took but did not attempt are given back, so they do not wait for the claim's lease."""

    async def unclaim(self, items: list[OutboxItem]) -> None: ...


class Deliverer(Protocol):
    async def __call__(self, item: OutboxItem) -> Delivered: ...


#: (item, result, started) -> None, called once per attempt with its result and
#: ``time.time()`` at its start; lets the gateway count attempts without a dependency here
Observer = Callable[[OutboxItem, Attempt, float], None]


class Relay:
    def __init__(
        self,
        queue: OutboxQueue,
        deliver: Deliverer,
        *,
        policy_for: Callable[[OutboxItem], RetryPolicy],
        poll_interval_s: float = 0.5,
        batch_size: int = 100,
        concurrency: int = 16,
        observe: Observer | None = None,
        linger_s: float = 0.0,
        linger_from_per_s: float = 0.0,
        only_targets: frozenset[str] | None = None,
        skip_targets: frozenset[str] = frozenset(),
    ) -> None:
        self.queue = queue
        self.linger_s = linger_s
        #: the relay lingers only while it is busy: at this many wake-ups (or rows) per
        #: second or more; below it every wake-up starts a pass at once (0: always linger)
        self.linger_from_per_s = linger_from_per_s
        #: this relay delivers only these targets (None: all) and never *skip_targets*, so
        #: two relays (two processes) can split the outbox without ever sharing a row
        self.only_targets = only_targets
        self.skip_targets = skip_targets
        self.deliver = deliver
        self.policy_for = policy_for
        self.poll_interval_s = poll_interval_s
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.observe = observe
        self._paused_until: dict[str, float] = {}
        #: passes in a row in which the target failed (any success resets it)
        self._failures: dict[str, int] = {}
        #: the row each failing target was last probed with (probes take turns)
        self._last_probe: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.last_loop_at = 0.0
        self._last_pass_error_at = 0.0
        #: wake-ups and rows counted since *_window_start*, and the rate of the last window
        self._wakes = 0
        self._rows = 0
        self._window_start = time.monotonic()
        self.rate_window_s = RATE_WINDOW_S
        self.rate_per_s = 0.0

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Run the loop in a task of its own (the forwarder process); the gateway runs
        :meth:`run` in its task group instead."""
        self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def __aenter__(self) -> Relay:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def wake(self) -> None:
        """Called after a commit that queued rows, so acks go out without waiting a poll."""
        self._wakes += 1
        self._wake.set()

    async def stop(self) -> None:
        """Finish the batch in flight (its outcomes are recorded), then stop."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def alive(self) -> bool:
        return self._task is not None and not self._task.done()

    def paused_targets(self) -> dict[str, float]:
        now = time.time()
        return {t: until - now for t, until in self._paused_until.items() if until > now}

    async def run(self) -> None:
        """Deliver until :meth:`stop`; whoever owns the task, :meth:`stop` waits for it."""
        self._task = asyncio.current_task()
        while not self._stopping:
            self.last_loop_at = time.time()
            # cleared *before* the pass: a commit during the pass wakes the next one
            self._wake.clear()
            try:
                processed = await self.run_once()
            except Exception as exc:
                # typically the store is unavailable (disk full, locked): say so once a
                # minute, not on every poll
                now = time.time()
                if now - self._last_pass_error_at > 60:
                    self._last_pass_error_at = now
                    log.error(
                        "outbox relay pass failed; retrying every poll interval",
                        extra={"error": f"{type(exc).__name__}: {exc}"},
                    )
                processed = 0
            self._rows += processed
            if processed >= self.batch_size:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval_s)
            linger = self.linger_for(time.monotonic())
            if linger and not self._stopping:
                # let the wake-up's neighbours commit too: under load one pass then carries
                # tens of rows instead of one (one read, one group commit of outcomes)
                await asyncio.sleep(linger)

    def linger_for(self, now: float) -> float:
        """How long to linger after this wake-up: ``linger_s`` while the relay is busy, else
        nothing.

        Busy means the last window's wake-ups or rows per second reached
        ``linger_from_per_s``. At a low rate lingering saves few passes (their CPU is
        small) and delays every row by ``linger_s``; under load it turns many one-row passes
        into a few large ones, and without it a closed loop of senders can slow down enough
        never to look busy (hence a threshold well under the rates where batching pays).
        Both counts are measured, not the passes: passes get fewer by lingering, wake-ups
        and rows do not (the forwarder process's wake-ups coalesce, its rows do not; the
        acks' relay has no rows while only forwards are committed, but every commit wakes
        it)."""
        elapsed = now - self._window_start
        if elapsed >= self.rate_window_s:
            self.rate_per_s = max(self._wakes, self._rows) / elapsed
            self._wakes = self._rows = 0
            self._window_start = now
        return self.linger_s if self.rate_per_s >= self.linger_from_per_s else 0.0

    # -- one pass --------------------------------------------------------------------------

    async def run_once(self) -> int:
        now = time.time()
        paused = frozenset(t for t, until in self._paused_until.items() if until > now)
        items = await self.queue.due_outbox(
            now, self.batch_size, paused | self.skip_targets, self.only_targets
        )
        if not items:
            return 0
        items, left = self._probe_only(items)
        semaphore = asyncio.Semaphore(self.concurrency)
        newly_paused: set[str] = set()

        async def attempt(item: OutboxItem) -> None:
            async with semaphore:
                if item.target in newly_paused:
                    left.append(item)  # its target failed earlier in this batch: leave it due
                    return
                outcome = await self._attempt(item, newly_paused)
            # recorded as soon as it is known (the store group-commits these): a crash then
            # repeats only the sends in flight, not every send of the batch so far
            await self.queue.finish_outbox([outcome])

        await asyncio.gather(*(attempt(i) for i in items))
        if left and isinstance(self.queue, Unclaiming):
            await self.queue.unclaim(left)
        return len(items)

    def _probe_only(self, items: list[OutboxItem]) -> tuple[list[OutboxItem], list[OutboxItem]]:
        """For a target that has been failing, send only one row (a probe): its oldest due
        row, or the next one if the oldest was the last probe. The backlog goes out again,
        in order, once a probe succeeds. Returns the rows to send and the rows left."""
        candidates: dict[str, list[OutboxItem]] = {}
        kept = []
        for item in items:
            if not self._failures.get(item.target):
                kept.append(item)
            else:
                candidates.setdefault(item.target, []).append(item)
        left = []
        for target, found in candidates.items():
            last = self._last_probe.get(target)
            probe = found[1] if found[0].id == last and len(found) > 1 else found[0]
            self._last_probe[target] = probe.id
            kept.append(probe)
            left += [i for i in found if i is not probe]
        return sorted(kept, key=lambda i: i.id), left

    def _pause(
        self, item: OutboxItem, exc: SendError, policy: RetryPolicy, pass_: set[str]
    ) -> float:
        """Pause the item's target after a retryable failure; returns when the pause ends.

        The first failure of a target in a pass counts once and sets the pause; the others
        of the same pass (rows that were in flight together) share it."""
        now = time.time()
        if item.target not in pass_:
            pass_.add(item.target)
            failures = self._failures.get(item.target, 0) + 1
            self._failures[item.target] = failures
            self._paused_until[item.target] = now + policy.delay(failures, exc.retry_after)
        return max(now, self._paused_until.get(item.target, now))

    async def _attempt(self, item: OutboxItem, newly_paused: set[str]) -> OutboxOutcome:
        policy = self.policy_for(item)
        started = time.time()
        try:
            delivered = await self.deliver(item)
        except SendError as exc:
            return self._failed(item, exc, policy, newly_paused, started)
        except Exception as exc:  # a bug in a deliverer must not kill the relay
            log.exception("outbox deliverer crashed", extra={"outbox_id": item.id})
            attempts = item.attempts + 1
            if policy.gives_up(attempts):
                return OutboxOutcome(
                    item.id, Attempt.DEAD, error=f"internal error: {type(exc).__name__}"
                )
            return OutboxOutcome(
                item.id,
                Attempt.RETRY,
                error=f"internal error: {type(exc).__name__}",
                retry_at=time.time() + policy.delay(attempts),
            )
        self._failures.pop(item.target, None)
        self._paused_until.pop(item.target, None)
        self._last_probe.pop(item.target, None)
        self._note(item, Attempt.DONE, started)
        return OutboxOutcome(
            item.id,
            Attempt.DONE,
            message_id=delivered.message_id,
            core_case_id=delivered.core_case_id,
            similar_to=delivered.similar_to,
        )

    def _failed(
        self,
        item: OutboxItem,
        exc: SendError,
        policy: RetryPolicy,
        newly_paused: set[str],
        started: float,
    ) -> OutboxOutcome:
        """The verdict on a failed attempt: retry, defer (throttled) or dead letter."""
        attempts = item.attempts + (0 if exc.throttled else 1)
        if exc.throttled:
            alive = not policy.gives_up_throttled(time.time() - item.created_at)
        else:
            alive = exc.retryable and not policy.gives_up(attempts)
        if alive:
            retry_at = self._pause(item, exc, policy, newly_paused)
            if attempts > self._failures.get(item.target, 0):
                # it failed before this run of target failures too: the row itself may be
                # the trouble, so it also backs off on its own
                retry_at = max(retry_at, time.time() + policy.delay(attempts, exc.retry_after))
            state = Attempt.DEFERRED if exc.throttled else Attempt.RETRY
            self._note(item, state, started)
            log.warning(
                "outbox delivery throttled, will retry"
                if exc.throttled
                else "outbox delivery failed, will retry",
                extra={
                    "outbox_id": item.id,
                    "kind": item.kind,
                    "target": item.target,
                    "error": str(exc),
                    "retry_in_s": round(retry_at - time.time(), 2),
                },
            )
            return OutboxOutcome(item.id, state, error=str(exc), retry_at=retry_at)
        self._note(item, Attempt.DEAD, started)
        log.error(
            "outbox delivery gave up (dead letter)",
            extra={
                "outbox_id": item.id,
                "kind": item.kind,
                "target": item.target,
                "error": str(exc),
                "attempts": attempts,
            },
        )
        return OutboxOutcome(item.id, Attempt.DEAD, error=str(exc))

    def _note(self, item: OutboxItem, result: Attempt, started: float) -> None:
        if self.observe is not None:
            self.observe(item, result, started)

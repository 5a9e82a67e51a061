"""Retry delays: exponential with jitter (tenacity's strategy), honouring ``Retry-After``.

The relay persists ``next_attempt_at`` in the outbox row instead of sleeping inside a
retry loop, so backoff survives restarts and one slow row never blocks the others; the
delay itself comes from tenacity's ``wait_exponential_jitter``.
"""

from __future__ import annotations

from dataclasses import dataclass

import tenacity


@dataclass(frozen=True)
class RetryPolicy:
    initial_s: float = 1.0
    max_s: float = 900.0
    max_attempts: int = 25
    #: a row the peer keeps throttling gives up this many seconds after it was queued
    throttled_give_up_after_s: float = 6 * 3600.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number *attempt* (1-based)."""
        if retry_after is not None and retry_after > 0:
            return min(retry_after, self.max_s)
        wait = tenacity.wait_exponential_jitter(
            multiplier=self.initial_s, max=self.max_s, jitter=self.initial_s
        )
        state = tenacity.RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
        state.attempt_number = max(1, attempt)
        return float(wait(state))

    def gives_up(self, attempts_done: int) -> bool:
        return attempts_done >= self.max_attempts

    def gives_up_throttled(self, queued_for_s: float) -> bool:
        """Throttling spends no attempts (flow control, not failure): time is its budget."""
        return queued_for_s >= self.throttled_give_up_after_s

"""Retry policy of the outbox: exponential delays with jitter, honouring ``Retry-After``.

The relay persists ``next_attempt_at`` in the outbox row instead of sleeping inside a
retry loop, so backoff survives restarts and one slow row never blocks the others; the
delay itself comes from the resilience kit (:func:`gateway.resilience.backoff.exponential_jitter`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.resilience.backoff import Backoff, exponential_jitter


@dataclass(frozen=True)
class RetryPolicy:
    initial_s: float = 1.0
    max_s: float = 900.0
    max_attempts: int = 25
    #: a row the peer keeps throttling gives up this many seconds after it was queued
    throttled_give_up_after_s: float = 6 * 3600.0
    _backoff: Backoff = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        backoff = Backoff(exponential_jitter(self.initial_s, self.max_s))
        object.__setattr__(self, "_backoff", backoff)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number *attempt* (1-based)."""
        if retry_after is not None and retry_after > 0:
            return min(retry_after, self.max_s)
        return self._backoff.delay(attempt)

    def gives_up(self, attempts_done: int) -> bool:
        return attempts_done >= self.max_attempts

    def gives_up_throttled(self, queued_for_s: float) -> bool:
        """Throttling spends no attempts (flow control, not failure): time is its budget."""
        return queued_for_s >= self.throttled_give_up_after_s

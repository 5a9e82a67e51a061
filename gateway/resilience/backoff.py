"""Retry delays, from tenacity's wait strategies.

A wait strategy is a function of tenacity's :class:`~tenacity.RetryCallState`. Callers that
retry inside one coroutine hand the strategy to :class:`tenacity.AsyncRetrying` directly
(the SMPP bind's reconnect); callers whose retries outlive a loop iteration or a process
(the outbox persists the attempt number; supervisors restart a child and wait) keep a
:class:`Backoff`, which evaluates the same strategy on a real retry state of its own.

The three shapes in use:

* :func:`exponential`: ``initial * 2^(n-1)``, capped (restart and reconnect loops);
* :func:`exponential_jitter`: the same plus ``uniform(0, initial)``, capped (the outbox, the
  SMPP reconnect: several gateways must not retry in step);
* :func:`exponential_random`: uniform between half of ``initial`` and the capped exponential
  (X API transient errors).
"""

from __future__ import annotations

import tenacity
from tenacity.wait import wait_base


def exponential(initial_s: float, max_s: float) -> wait_base:
    """``initial_s * 2^(n-1)`` seconds before retry *n*, at most *max_s*."""
    return tenacity.wait_exponential(multiplier=initial_s, max=max_s)


def exponential_jitter(initial_s: float, max_s: float) -> wait_base:
    """:func:`exponential` plus a uniform jitter of up to *initial_s*, at most *max_s*."""
    return tenacity.wait_exponential_jitter(multiplier=initial_s, max=max_s, jitter=initial_s)


def exponential_random(initial_s: float, max_s: float) -> wait_base:
    """Uniform between ``initial_s / 2`` and :func:`exponential`'s delay ("full jitter" that
    never drops below half the first delay)."""
    return tenacity.wait_random_exponential(multiplier=initial_s, max=max_s, min=initial_s / 2)


class Backoff:
    """The delays of one retried operation, from a tenacity wait strategy.

    :meth:`next` after each failure gives the delay before the next try, :meth:`reset` after
    a success starts over; :meth:`delay` answers for an attempt number kept elsewhere (the
    outbox stores it in the row).
    """

    def __init__(self, wait: wait_base) -> None:
        self.wait = wait
        self._retrying = tenacity.AsyncRetrying(wait=wait, stop=tenacity.stop_never)
        self._state = self._new_state()

    def _new_state(self) -> tenacity.RetryCallState:
        return tenacity.RetryCallState(retry_object=self._retrying, fn=None, args=(), kwargs={})

    @property
    def failures(self) -> int:
        """Failures since the last :meth:`reset`."""
        return self._state.attempt_number - 1

    def next(self) -> float:
        """Seconds to wait after one more failure."""
        wait = float(self.wait(self._state))
        self._state.prepare_for_next_attempt()
        return wait

    def reset(self) -> None:
        """A success: the next failure waits the first delay again."""
        self._state = self._new_state()

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number *attempt* (1-based)."""
        state = self._new_state()
        state.attempt_number = max(1, attempt)
        return float(self.wait(state))

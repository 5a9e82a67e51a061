"""Back-off after X API failures, and the outbound reply pace.

We do not use tweepy's ``wait_on_rate_limit``: it sleeps inside the request (holding the
poll job and the scheduler slot for up to 15 minutes or a day) and reads only
``x-rate-limit-reset``. Instead a failed call records *until when* that endpoint family must
not be called, and the poll job simply returns early until then.

* 429: wait until the **latest** of ``x-rate-limit-reset`` and the 24-hour resets
  (``x-user-limit-24hour-reset``, ``x-app-limit-24hour-reset``): when the daily cap is hit,
  the 15-minute window reopening does not help. Without usable headers, wait the floor.
* 5xx, network errors, timeouts: exponential back-off with jitter (so several gateways
  do not hammer a recovering API in step), capped at ``max_s``: the resilience kit's
  :func:`~gateway.resilience.backoff.exponential_random`.
* success resets both.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping

from gateway.resilience.backoff import Backoff as Delays
from gateway.resilience.backoff import exponential_random
from gateway.resilience.bucket import TokenBucket

RESET_HEADERS = (
    "x-rate-limit-reset",
    "x-user-limit-24hour-reset",
    "x-app-limit-24hour-reset",
)


def rate_limit_wait_s(headers: Mapping[str, str], *, now: float, floor_s: float) -> float:
    """Seconds to wait after a 429: until the latest reset header, at least *floor_s* when no
    header is usable, and at least one second when one is (resets are whole seconds)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    resets: list[float] = []
    for name in RESET_HEADERS:
        raw = lowered.get(name)
        if raw is None:
            continue
        try:
            value = float(raw.strip())
        except ValueError:
            continue
        if math.isfinite(value) and value > 0:
            resets.append(value)
    if not resets:
        return floor_s
    return max(max(resets) - now, 1.0)


class Backoff:
    """When the next call to one X endpoint family is allowed."""

    def __init__(
        self,
        *,
        floor_s: float,
        max_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.floor_s = floor_s
        self.max_s = max_s
        self._clock = clock
        self._delays = Delays(exponential_random(min(floor_s, max_s), max_s))
        self.blocked_until = 0.0
        self.reason = ""

    def remaining_s(self) -> float:
        """Seconds until calls are allowed again (0: now)."""
        return max(self.blocked_until - self._clock(), 0.0)

    @property
    def failures(self) -> int:
        """Transient failures since the last success."""
        return self._delays.failures

    def on_success(self) -> None:
        self._delays.reset()
        self.blocked_until = 0.0
        self.reason = ""

    def on_rate_limited(self, headers: Mapping[str, str]) -> float:
        now = self._clock()
        wait = rate_limit_wait_s(headers, now=now, floor_s=self.floor_s)
        self.blocked_until = max(self.blocked_until, now + wait)
        self.reason = "rate limited"
        return wait

    def on_transient(self) -> float:
        """Jittered exponential back-off: uniform in [base/2, min(max, base * 2^(n-1))]."""
        wait = self._delays.next()
        self.blocked_until = self._clock() + wait
        self.reason = "transient errors"
        return wait


class ReplyPacer:
    """At most *per_min* replies a minute, evenly spaced (X flags bursts of replies as spam).

    :meth:`reserve` books the next slot and returns how long the caller must wait for it.

    A token bucket of one token (no burst) refilled *per_min* times a minute; a reservation
    takes the next token in advance.
    """

    def __init__(self, per_min: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._bucket = TokenBucket.full(1.0, per_min / 60.0, clock(), floor=-math.inf)

    def reserve(self) -> float:
        return self._bucket.reserve(self._clock())

    def release(self) -> None:
        """Give back a slot reserved but not used (the caller decided not to wait)."""
        self._bucket.give_back()

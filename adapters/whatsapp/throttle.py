"""Send back-off after the Cloud API's rate-limit errors, per business number or per pair.

* 130429 (throughput reached), 131048 (spam rate limit) and 80007 (account rate limit) hold
  every send from that business phone number;
* 131056 (too many messages to the same citizen) holds only that citizen's sends, so the
  others keep flowing and that citizen's messages stay in order behind the hold.

Delays come from the shared :class:`~gateway.resilience.backoff.Backoff` (exponential with
jitter); a success on the key starts it over.
"""

from __future__ import annotations

import time

from gateway.resilience.backoff import Backoff, exponential_jitter

NUMBER_LIMITS = frozenset({130429, 131048, 80007})
PAIR_LIMITS = frozenset({131056})
RATE_LIMITS = NUMBER_LIMITS | PAIR_LIMITS


class SendThrottle:
    def __init__(self, floor_s: float, max_s: float) -> None:
        self.floor_s = floor_s
        self.max_s = max_s
        self._backoff: dict[str, Backoff] = {}
        self._until: dict[str, float] = {}

    @staticmethod
    def keys(number: str, to: str) -> tuple[str, str]:
        return number, f"{number}>{to}"

    def remaining_s(self, number: str, to: str) -> float:
        now = time.monotonic()
        return max(0.0, *(self._until.get(k, 0.0) - now for k in self.keys(number, to)))

    def limited(self, code: int, number: str, to: str, asked_s: float | None = None) -> float:
        """Record rate-limit error *code*; returns the seconds to hold."""
        key = number if code in NUMBER_LIMITS else self.keys(number, to)[1]
        backoff = self._backoff.setdefault(
            key, Backoff(exponential_jitter(self.floor_s, self.max_s))
        )
        wait = max(backoff.next(), asked_s or 0.0)
        self._until[key] = time.monotonic() + wait
        return wait

    def succeeded(self, number: str, to: str) -> None:
        for key in self.keys(number, to):
            if self._backoff.pop(key, None) is not None:
                self._until.pop(key, None)

    def held(self) -> int:
        now = time.monotonic()
        return sum(1 for until in self._until.values() if until > now)

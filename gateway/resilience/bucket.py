"""Token buckets: one for a single stream, and a table of them keyed by sender or client.

Every rate limit of the gateway is one of these: flood control per sender and per channel,
status and Open311 lookups per client address, the SMPP bind's ``tps``, the X reply pace.
Time is passed in (``now``, seconds on any monotonic clock), so the rules are pure and the
tests need no sleeping.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass

#: a per-client-address table starts over past this many addresses (spoofed sources)
MAX_CLIENTS = 100_000


@dataclass(slots=True)
class TokenBucket:
    """``capacity`` tokens, refilled at ``rate`` per second.

    ``floor`` below zero lets a caller charge past empty, as debt: a sender who keeps flooding
    stays throttled, a reserved slot (:meth:`reserve`) is a token taken in advance."""

    capacity: float
    rate: float
    tokens: float
    updated: float
    floor: float = 0.0

    @classmethod
    def full(cls, capacity: float, rate: float, now: float, floor: float = 0.0) -> TokenBucket:
        return cls(capacity, rate, capacity, now, floor)

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = max(self.updated, now)

    def available(self, now: float, cost: float = 1.0) -> bool:
        """Whether *cost* tokens can be taken at *now*."""
        self.refill(now)
        return self.tokens >= cost

    def take(self, now: float, cost: float = 1.0) -> None:
        """Take *cost* tokens (may go into debt down to ``floor``)."""
        self.refill(now)
        self.tokens = max(self.floor, self.tokens - cost)

    def try_take(self, now: float, cost: float = 1.0) -> bool:
        """Take *cost* tokens if there are that many; otherwise take nothing."""
        if not self.available(now, cost):
            return False
        self.tokens -= cost
        return True

    def is_full(self, now: float) -> bool:
        self.refill(now)
        return self.tokens >= self.capacity

    def seconds_until_available(self, now: float, cost: float = 1.0) -> float:
        self.refill(now)
        if self.tokens >= cost:
            return 0.0
        return (cost - self.tokens) / self.rate if self.rate > 0 else float("inf")

    def reserve(self, now: float) -> float:
        """Book the next token even if it is not there yet; return the seconds until it is
        (the caller waits that long, or hands it back with :meth:`give_back`)."""
        wait = self.seconds_until_available(now)
        self.tokens -= 1.0
        return wait

    def give_back(self, cost: float = 1.0) -> None:
        """Return tokens taken but not used."""
        self.tokens = min(self.capacity, self.tokens + cost)

    def block_for(self, seconds: float, now: float) -> None:
        """Put the bucket *seconds* of refill into debt: nothing goes out for that long, then
        the rate resumes from empty (the peer said slow down)."""
        self.tokens = -seconds * self.rate
        self.updated = now


class KeyedBuckets:
    """One :class:`TokenBucket` per key, created full on first use.

    ``max_keys`` bounds the memory a flood of distinct keys (spoofed client addresses) can
    take: past it the table starts over, every key full again. Without it the owner prunes
    (:meth:`prune`) the buckets that are full again, which equal fresh ones."""

    def __init__(
        self, capacity: float, rate: float, *, floor: float = 0.0, max_keys: int | None = None
    ) -> None:
        self.capacity = capacity
        self.rate = rate
        self.floor = floor
        self.max_keys = max_keys
        self._buckets: dict[str, TokenBucket] = {}

    def __len__(self) -> int:
        return len(self._buckets)

    def __iter__(self) -> Iterator[str]:
        return iter(self._buckets)

    def get(self, key: str) -> TokenBucket | None:
        """The bucket of *key*, or None if it was never used (or pruned: it is full)."""
        return self._buckets.get(key)

    def bucket(self, key: str, now: float) -> TokenBucket:
        """The bucket of *key*, made full at *now* if new."""
        found = self._buckets.get(key)
        if found is None:
            if self.max_keys is not None and len(self._buckets) >= self.max_keys:
                self._buckets.clear()
            found = TokenBucket.full(self.capacity, self.rate, now, self.floor)
            self._buckets[key] = found
        return found

    def try_take(self, key: str, now: float, cost: float = 1.0) -> bool:
        """Take *cost* tokens from *key*'s bucket if it has them."""
        return self.bucket(key, now).try_take(now, cost)

    def count(self, pred: Callable[[TokenBucket], bool]) -> int:
        return sum(1 for b in self._buckets.values() if pred(b))

    def prune(self, now: float, keep: Container[str] = ()) -> int:
        """Drop the full buckets whose key is not in *keep*; returns how many."""
        gone = [k for k, b in self._buckets.items() if k not in keep and b.is_full(now)]
        for key in gone:
            del self._buckets[key]
        return len(gone)

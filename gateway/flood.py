"""Flood control: token buckets per sender and per channel, and global back-pressure.

One citizen (or one broken phone, or one script) sending hundreds of messages must not
drown everyone else, and must not cost us anything we cannot undo. So:

* every message is **stored** (nothing is lost, the ack to the transport still follows the
  commit); a message beyond the rate is only marked ``throttled``: its outbox rows are
  ``held`` (no forward to the core, no ack per message) until the sender calms down or an
  operator releases it;
* a **sender** is each of the reporter's normalized identities (``phone:+62...``,
  ``x:123``...) and, for reports without any, the reply address; a message takes a token
  from each of its sender buckets and from its **channel** bucket, and is throttled when
  any of them is empty;
* a throttled message still draws on its sender buckets, down to ``-burst`` (debt): a sender
  who keeps flooding stays throttled, and passes again only after being quiet long enough
  to pay the debt back. Channel buckets take no debt (other citizens are not punished);
* a sender has **calmed down** when all its buckets are full again; :meth:`FloodControl.due`
  then hands the held tracking IDs back for release;
* **global back-pressure** (:class:`Backpressure`): when the outbox backlog exceeds
  ``max_outbox_backlog`` (or the store is not answering), webhook intake answers 503 with
  ``Retry-After`` instead of growing without bound; SMS and X keep their own transport-level
  flow control.

Everything is pure: time comes from an injected clock (``time.monotonic`` by default), and
nothing here does I/O. The state is in memory: after a restart buckets start full and held
reports wait for an operator (``release_held``) or the store's own release policy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from gateway.resilience.bucket import KeyedBuckets, TokenBucket
from gateway.sections import FloodSection
from normalizer.report import Report

Clock = Callable[[], float]
#: held-report key prefix for reports without any sender identity
_CHANNEL = "channel:"


@dataclass(frozen=True, slots=True)
class FloodVerdict:
    allowed: bool
    #: ``sender`` or ``channel`` when throttled
    reason: str | None = None
    #: seconds until a message from this sender/channel would pass
    retry_after: float = 0.0


def sender_keys(report: Report) -> list[str]:
    """The buckets a report draws from as a sender: its identities, else its reply address."""
    keys = report.reporter.identity_keys()
    if not keys and report.reply_to is not None:
        keys = [f"reply:{report.reply_to.adapter}:{report.reply_to.address}"]
    return keys


@dataclass
class FloodControl:
    """Per-sender and per-channel token buckets (implements the pipeline's ``FloodGate``)."""

    config: FloodSection
    clock: Clock = time.monotonic
    _senders: KeyedBuckets = field(init=False)
    _channels: KeyedBuckets = field(init=False)
    #: tracking IDs held per sender key, released when the sender calms down
    _held: dict[str, set[str]] = field(default_factory=dict)
    throttled_total: int = 0

    def __post_init__(self) -> None:
        c = self.config
        # a sender who keeps flooding goes into debt (down to minus one burst): stays throttled
        self._senders = KeyedBuckets(
            c.sender_burst, c.sender_per_min / 60.0, floor=-float(c.sender_burst)
        )
        self._channels = KeyedBuckets(c.channel_burst, c.channel_per_s)

    def allow(self, report: Report) -> bool:
        """The pipeline hook: take tokens for *report*; False means store it throttled."""
        return self.check(sender_keys(report), report.channel.value).allowed

    def check(self, senders: Iterable[str], channel: str, now: float | None = None) -> FloodVerdict:
        """Charge one message from *senders* on *channel* and say whether it passes."""
        t = self.clock() if now is None else now
        sender_buckets = [self._sender(key, t) for key in senders]
        channel_bucket = self._channel(channel, t)
        blocked = [b for b in sender_buckets if not b.available(t)]
        if blocked:
            for bucket in sender_buckets:
                bucket.take(t)  # debt: keep flooding, stay throttled
            self.throttled_total += 1
            wait = max(b.seconds_until_available(t) for b in blocked)
            return FloodVerdict(False, "sender", wait)
        if not channel_bucket.available(t):
            self.throttled_total += 1
            return FloodVerdict(False, "channel", channel_bucket.seconds_until_available(t))
        for bucket in sender_buckets:
            bucket.take(t)
        channel_bucket.take(t)
        return FloodVerdict(True)

    def hold(self, tracking_id: str, report: Report) -> None:
        """Remember a throttled report so :meth:`due` can release it once its sender calms
        down; a report without any sender key waits for its channel to calm down."""
        keys = sender_keys(report) or [f"{_CHANNEL}{report.channel.value}"]
        for key in keys:
            self._held.setdefault(key, set()).add(tracking_id)

    def calmed(self, senders: Iterable[str], now: float | None = None) -> bool:
        """True when every bucket of *senders* is full again (or was never used). A key
        ``channel:<name>`` stands for that channel's bucket."""
        t = self.clock() if now is None else now
        for key in senders:
            if key.startswith(_CHANNEL):
                table, name = self._channels, key.removeprefix(_CHANNEL)
            else:
                table, name = self._senders, key
            bucket = table.get(name)
            if bucket is not None and not bucket.is_full(t):
                return False
        return True

    def due(self, now: float | None = None) -> list[str]:
        """Held tracking IDs whose senders have calmed down; they are forgotten here, so the
        caller releases them (``store.release_held``) exactly once."""
        t = self.clock() if now is None else now
        ready: set[str] = set()
        for key in [k for k in self._held if self.calmed([k], t)]:
            ready |= self._held.pop(key)
        # a report held under two identities is released only when both have calmed
        still_held = set().union(*self._held.values()) if self._held else set()
        return sorted(ready - still_held)

    def forget(self, tracking_ids: Iterable[str]) -> None:
        """Drop reports an operator released by hand."""
        gone = set(tracking_ids)
        for key in list(self._held):
            self._held[key] -= gone
            if not self._held[key]:
                del self._held[key]

    def prune(self, now: float | None = None) -> int:
        """Drop full buckets without held reports (they equal fresh ones); returns how many.
        Call periodically so memory follows active senders, not every sender ever seen."""
        t = self.clock() if now is None else now
        held_channels = {k.removeprefix(_CHANNEL) for k in self._held if k.startswith(_CHANNEL)}
        return self._senders.prune(t, keep=self._held) + self._channels.prune(t, held_channels)

    def stats(self, now: float | None = None) -> dict[str, int]:
        """Figures for metrics and ``/readyz``."""
        t = self.clock() if now is None else now
        return {
            "throttled_total": self.throttled_total,
            "throttled_senders": self._senders.count(lambda b: not b.available(t)),
            "held_reports": len(set().union(*self._held.values())) if self._held else 0,
            "tracked_senders": len(self._senders),
        }

    def _sender(self, key: str, now: float) -> TokenBucket:
        return self._senders.bucket(key, now)

    def _channel(self, channel: str, now: float) -> TokenBucket:
        return self._channels.bucket(channel, now)


@dataclass
class Backpressure:
    """Global back-pressure from the outbox backlog (and store health).

    The pipeline (or a periodic task) feeds :meth:`observe` with the pending outbox count;
    webhook adapters call :meth:`retry_after` (``AdapterContext.overloaded``) on every
    request, so that call is O(1) and never touches the store. Retry-After grows with the
    overshoot, between ``min_retry_s`` and ``max_retry_s``, so clients spread out."""

    max_backlog: int
    min_retry_s: float = 5.0
    max_retry_s: float = 300.0
    backlog: int = 0
    store_ok: bool = True

    def observe(self, backlog: int, store_ok: bool = True) -> None:
        self.backlog = backlog
        self.store_ok = store_ok

    def retry_after(self) -> float | None:
        """Seconds a webhook client should wait, or None when intake is open."""
        return retry_after_for(
            self.backlog, self.max_backlog, self.store_ok, self.min_retry_s, self.max_retry_s
        )


def retry_after_for(
    backlog: int,
    max_backlog: int,
    store_ok: bool = True,
    min_retry_s: float = 5.0,
    max_retry_s: float = 300.0,
) -> float | None:
    """Pure rule behind :class:`Backpressure`: None while ``backlog <= max_backlog`` and the
    store answers; otherwise ``min_retry_s`` scaled by the overshoot ratio, capped."""
    if not store_ok:
        return min_retry_s * 6
    if backlog <= max_backlog:
        return None
    ratio = backlog / max(1, max_backlog)
    return min(max_retry_s, round(min_retry_s * ratio, 1))

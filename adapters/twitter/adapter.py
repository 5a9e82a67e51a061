"""``TwitterAdapter``: the X (@lapor1708) channel, registry name ``twitter``.

Inbound: the mentions poller and the DM poller run as periodic jobs
(:class:`~gateway.resilience.periodic.Periodic`) every
``poll_interval_s`` (``idle_poll_interval_s`` after ``idle_after_polls`` empty polls, back as
soon as something arrives), and/or the Account Activity webhook. All three feed one
:class:`~.processor.Processor`.

With several instances on one database the pollers poll only on the holder of the leader
lease ``x-pollers`` (:attr:`gateway.adapter.AdapterContext.leader`); the cursors are in
the database, so the instance that takes over goes on from the last committed one.

Failures never escape a job (a dead job would silently stop intake). Each endpoint family
(mentions, DMs, writes) has its own :class:`~.ratelimit.Backoff`: while it is blocked, the
job returns at once. 401/403 on reads (and 401 on writes) mark the adapter unhealthy
(``/readyz``, ``lapor_twitter_auth_ok``) until a call succeeds: that is a configuration
problem an operator must fix, not an outage to wait out.

Outbound (:meth:`TwitterAdapter.send`): ``ReplyAddress.mode`` ``"tweet"`` replies to
``in_reply_to`` with :func:`~.replies.compose_public_reply` (``route == "dm_invite"`` or the
operator's ``always_invite_dm`` add the DM invitation); ``"dm"`` sends a DM to ``address``.
Replies are paced to ``reply_rate_per_min``. A duplicate-content 403 means X already has
this exact reply: success, not a retry loop.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from adapters.auth_state import AuthState
from adapters.twitter import metrics
from adapters.twitter.client import XClient
from adapters.twitter.config import TwitterConfig
from adapters.twitter.dms import DmPoller
from adapters.twitter.errors import (
    AuthError,
    DuplicateContentError,
    RateLimitedError,
    TransientError,
    XApiError,
)
from adapters.twitter.mentions import MentionsPoller
from adapters.twitter.processor import ADAPTER_NAME, ROUTE_DM_INVITE, Processor
from adapters.twitter.ratelimit import Backoff, ReplyPacer
from adapters.twitter.replies import compose_public_reply
from adapters.twitter.webhook import PATH, WebhookHandler
from gateway.adapter import (
    Adapter,
    AdapterContext,
    Health,
    OutboundMessage,
    Route,
    SendError,
    SendResult,
    StoreUnavailableError,
)
from gateway.resilience.periodic import Periodic

log = logging.getLogger(__name__)

MENTIONS = "mentions"
DMS = "dm"
DM_MAX_CHARS = 10_000
#: the leader lease under which the pollers run: with several instances on one database,
#: only its holder polls (another takes over when it dies)
POLLERS_LEASE = "x-pollers"


class TwitterAdapter(Adapter):
    name = ADAPTER_NAME

    def __init__(
        self, ctx: AdapterContext, config: TwitterConfig, *, client: XClient | None = None
    ) -> None:
        super().__init__(ctx)
        self.config = config
        self.client = client or XClient(config)
        self.processor = Processor(ctx.intake, config)
        self.pollers: dict[str, MentionsPoller | DmPoller] = {}
        if config.poll_mentions:
            self.pollers[MENTIONS] = MentionsPoller(self.client, self.processor, ctx.intake, config)
        if config.poll_dms:
            self.pollers[DMS] = DmPoller(self.client, self.processor, ctx.intake, config)
        self.webhook = WebhookHandler(
            self.processor, config, ctx.max_body_bytes, overloaded=ctx.overloaded
        )
        self.backoff = {
            family: Backoff(floor_s=config.backoff_floor_s, max_s=config.backoff_max_s)
            for family in (MENTIONS, DMS, "write")
        }
        self.pacer = ReplyPacer(config.reply_rate_per_min)
        self.auth = AuthState(
            log,
            "x credentials accepted again",
            gauge=metrics.AUTH_OK,
            detail_prefix="X refuses the credentials: ",
        )
        self._locks = {family: asyncio.Lock() for family in (MENTIONS, DMS)}
        self._empty = {MENTIONS: 0, DMS: 0}
        self._idle = {MENTIONS: False, DMS: False}
        self._jobs: dict[str, Periodic] = {}
        self._stopping = False

    # -- lifecycle ------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        if not self.config.webhook_enabled:
            return []
        return [
            Route("GET", PATH, self.webhook.crc, name="twitter_webhook_crc"),
            Route("POST", PATH, self.webhook.events, name="twitter_webhook_events"),
        ]

    async def start(self) -> None:
        self._stopping = False
        metrics.AUTH_OK.set(1)
        if not self.pollers:
            return
        for family in self.pollers:  # first poll right away, not one interval later
            job = Periodic(
                f"x-{family}",
                functools.partial(self.run_job, family),
                self.config.poll_interval_s,
                run_at_start=True,
            )
            job.start()
            self._jobs[family] = job

    async def stop(self) -> None:
        """Stop scheduling, let an in-flight poll finish the item it is committing, close."""
        self._stopping = True
        jobs, self._jobs = self._jobs, {}
        await asyncio.gather(*(job.stop(finish_run=True) for job in jobs.values()))
        for lock in self._locks.values():
            async with lock:
                pass
        await self.client.close()

    # -- polling --------------------------------------------------------------------------

    async def run_job(self, family: str) -> int | None:
        """One scheduled poll of *family*; never raises. Returns the number of new items,
        or None when it did not poll (backing off, stopping, or failed)."""
        if self._stopping or self.backoff[family].remaining_s() > 0:
            return None
        if not await self.ctx.leader(POLLERS_LEASE):  # another instance polls
            return None
        lock = self._locks[family]
        if lock.locked():
            return None
        async with lock:
            try:
                fresh = await self.pollers[family].poll(lambda: self._stopping)
            except Exception as exc:  # a job must never die: every failure is data
                self._failed(family, exc)
                return None
        self.backoff[family].on_success()
        self.auth.accepted()
        self._track_idle(family, fresh)
        return fresh

    def _failed(self, family: str, exc: Exception) -> None:
        backoff = self.backoff[family]
        if isinstance(exc, RateLimitedError):
            wait = backoff.on_rate_limited(exc.headers)
            kind = "rate_limited"
        elif isinstance(exc, AuthError):
            wait = backoff.on_transient()
            kind = "auth"
            self.auth.refused(str(exc))
        elif isinstance(exc, XApiError):
            wait = backoff.on_transient()
            kind = "transient" if isinstance(exc, TransientError) else "client"
        elif isinstance(exc, StoreUnavailableError):
            wait = backoff.on_transient()
            kind = "store"
        else:
            wait = backoff.on_transient()
            kind = "bug"
            log.exception("x %s poll failed unexpectedly", family, exc_info=exc)
        metrics.API_ERRORS.labels(family, kind).inc()
        log.warning("x %s poll failed (%s): %s; next try in %.0f s", family, kind, exc, wait)

    def _track_idle(self, family: str, fresh: int) -> None:
        """Slow down after a run of empty polls; speed up again on the first new item."""
        self._empty[family] = 0 if fresh else self._empty[family] + 1
        idle = self._empty[family] >= self.config.idle_after_polls
        if idle == self._idle[family]:
            return
        self._idle[family] = idle
        interval = self.config.idle_poll_interval_s if idle else self.config.poll_interval_s
        job = self._jobs.get(family)
        if job is not None and not self._stopping:
            job.reschedule(interval)
        log.info("x %s polling every %.0f s", family, interval)

    # -- outbound -------------------------------------------------------------------------

    async def send(self, message: OutboundMessage) -> SendResult:
        reply_to = message.reply_to
        mode = reply_to.mode or "tweet"
        if mode not in {"tweet", "dm"}:
            raise SendError(f"unknown X reply mode {mode!r}", retryable=False)
        if not reply_to.address.isdigit():
            raise SendError("X reply address is not a user id", retryable=False)
        blocked = self.backoff["write"].remaining_s()
        if blocked > 0:
            raise SendError("X write rate limit", retryable=True, retry_after=blocked)
        delay = self.pacer.reserve()
        if delay > self.config.max_send_wait_s:
            self.pacer.release()
            raise SendError("reply rate reached", retryable=True, retry_after=delay)
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            if mode == "dm":
                text = message.text[:DM_MAX_CHARS]
                message_id = await self.client.send_dm(reply_to.address, text)
            else:
                text = compose_public_reply(
                    message.text,
                    tracking_id=message.tracking_id,
                    invite_dm=reply_to.route == ROUTE_DM_INVITE or self.config.always_invite_dm,
                    confidential=message.confidential,
                    kind=str(message.payload.get("kind") or message.kind),
                )
                message_id = await self.client.create_tweet(text, in_reply_to=reply_to.in_reply_to)
        except DuplicateContentError:
            metrics.SENT.labels(mode, "duplicate").inc()
            return SendResult(message_id=None)
        except XApiError as exc:
            metrics.SENT.labels(mode, "error").inc()
            raise self._send_error(exc) from exc
        self.backoff["write"].on_success()
        metrics.SENT.labels(mode, "ok").inc()
        return SendResult(message_id=message_id or None)

    def _send_error(self, exc: XApiError) -> SendError:
        if isinstance(exc, RateLimitedError):
            wait = self.backoff["write"].on_rate_limited(exc.headers)
            return SendError(str(exc), retryable=True, retry_after=wait)
        if isinstance(exc, AuthError):
            self.auth.refused(str(exc))
            return SendError(str(exc), retryable=True, retry_after=self.config.backoff_floor_s)
        if isinstance(exc, TransientError):
            return SendError(str(exc), retryable=True)
        return SendError(str(exc), retryable=False)

    # -- health ---------------------------------------------------------------------------

    def health(self) -> Health:
        extra: dict[str, Any] = {
            family: {
                "backoff_s": round(b.remaining_s(), 1),
                "reason": b.reason,
            }
            for family, b in self.backoff.items()
        }
        for family, poller in self.pollers.items():
            if isinstance(poller, MentionsPoller) and poller.last_poll_at is not None:
                extra[family]["last_poll_at"] = poller.last_poll_at.isoformat()
            extra[family]["idle"] = self._idle.get(family, False)
        return self.auth.health(extra)

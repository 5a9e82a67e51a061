"""``TelegramAdapter``: the Telegram bot door, registry name ``telegram``.

Inbound, by ``mode``: the long poller (:mod:`.poller`, one
:class:`~gateway.resilience.periodic.Periodic` job whose run is one ``getUpdates``) or the
webhook (:mod:`.webhook`). Both feed one :class:`~.conversation.Conversation`. A failed poll
never ends the job: it backs off (tenacity, :mod:`gateway.resilience.backoff`), or waits the
``retry_after`` of a 429. 401/404 (the token) and 409 (a webhook is set, or a second
poller) mark the adapter unhealthy in ``/readyz`` until a poll succeeds.

Outbound (:meth:`TelegramAdapter.send`): ``sendMessage`` quoting the citizen's message
(``reply_parameters``, sent even if that message was deleted). The help template is
replaced by ``help_text`` (Telegram commands instead of SMS ones). Paced by one token
bucket for the bot (``send_rate_per_s``). Errors are data for the outbox:

* 429: retryable, throttled (spends no attempt), after Telegram's ``retry_after``;
* 403 (the user blocked the bot, deleted the account): the chat is recorded as blocked
  (checkpoint ``telegram.blocked.<chat id>``, durable) and counted
  (``lapor_telegram_blocked_chats_total``); this and every later message to the chat is a
  non-retryable failure, a dead letter an operator sees, without another API call. The
  chat's next message to the bot lifts the block;
* 401/404: retryable (the operator fixes the token), adapter unhealthy;
* 5xx, network: retryable; other 4xx: dead letter.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from adapters.auth_state import AuthState
from adapters.telegram import metrics
from adapters.telegram.client import BotClient
from adapters.telegram.config import TelegramConfig
from adapters.telegram.conversation import ADAPTER_NAME, BLOCKED_PREFIX, Conversation, mask_id
from adapters.telegram.errors import (
    AuthError,
    BlockedError,
    BotApiError,
    ConflictError,
    RateLimitedError,
    TransientError,
)
from adapters.telegram.poller import Poller
from adapters.telegram.webhook import PATH, WebhookHandler
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
from gateway.resilience.backoff import Backoff, exponential_random
from gateway.resilience.bucket import TokenBucket
from gateway.resilience.periodic import Periodic

log = logging.getLogger(__name__)

MAX_TEXT = 4096


class TelegramAdapter(Adapter):
    name = ADAPTER_NAME

    def __init__(
        self, ctx: AdapterContext, config: TelegramConfig, *, client: BotClient | None = None
    ) -> None:
        super().__init__(ctx)
        self.config = config
        self.client = client or BotClient(config)
        self.conversation = Conversation(ctx.intake, config, self.client, ctx.data_dir)
        self.poller = Poller(self.client, self.conversation, ctx.intake)
        self.webhook = WebhookHandler(
            self.conversation, config, ctx.max_body_bytes, overloaded=ctx.overloaded
        )
        self.backoff = Backoff(exponential_random(config.backoff_floor_s, config.backoff_max_s))
        self.bucket = TokenBucket.full(
            max(1.0, config.send_rate_per_s), config.send_rate_per_s, time.monotonic()
        )
        self.auth = AuthState(log, "telegram Bot API accepts the bot again", gauge=metrics.AUTH_OK)
        self._job: Periodic | None = None
        self._stopping = False

    # -- lifecycle ------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        if self.config.mode != "webhook":
            return []
        return [Route("POST", PATH, self.webhook.updates, name="telegram_webhook")]

    async def start(self) -> None:
        self._stopping = False
        metrics.AUTH_OK.set(1)
        if self.config.mode == "polling":
            self._job = Periodic(
                "telegram-poll", self.run_job, self.config.poll_interval_s, run_at_start=True
            )
            self._job.start()

    async def stop(self) -> None:
        """Abandon a long poll still waiting, let an update being committed finish, close."""
        self._stopping = True
        self.poller.cancel_fetch()
        job, self._job = self._job, None
        if job is not None:
            await job.stop(finish_run=True)
        await self.client.close()

    # -- polling --------------------------------------------------------------------------

    async def run_job(self) -> int | None:
        """One poll; never raises. The number of updates handled, or None on failure."""
        if self._stopping:
            return None
        try:
            handled = await self.poller.poll(lambda: self._stopping)
        except Exception as exc:  # a job must never die: every failure is data
            self._schedule(self._failed(exc))
            return None
        self.backoff.reset()
        self.auth.accepted()
        self._schedule(self.config.poll_interval_s)
        return handled

    def _schedule(self, interval_s: float) -> None:
        if self._job is not None and not self._stopping and self._job.interval_s != interval_s:
            self._job.reschedule(interval_s)

    def _failed(self, exc: Exception) -> float:
        """Seconds until the next poll after *exc*."""
        wait = self.backoff.next()
        if isinstance(exc, RateLimitedError):
            wait, kind = exc.retry_after, "rate_limited"
        elif isinstance(exc, AuthError):
            kind = "auth"
            self.auth.refused(f"the Bot API refuses the token ({exc.status})")
        elif isinstance(exc, ConflictError):
            kind = "conflict"
            self.auth.refused(
                'getUpdates conflicts: a webhook is set (deleteWebhook, or mode = "webhook") '
                "or another instance polls with this token"
            )
        elif isinstance(exc, TransientError):
            kind = "transient"
        elif isinstance(exc, BotApiError):
            kind = "client"
        elif isinstance(exc, StoreUnavailableError):
            kind = "store"
        else:
            kind = "bug"
            log.exception("telegram poll failed unexpectedly", exc_info=exc)
        metrics.API_ERRORS.labels("getUpdates", kind).inc()
        log.warning("telegram poll failed (%s): %s; next try in %.1f s", kind, exc, wait)
        return wait

    # -- outbound -------------------------------------------------------------------------

    async def send(self, message: OutboundMessage) -> SendResult:
        chat = message.reply_to.address
        if not chat.lstrip("-").isdigit():
            raise SendError("telegram reply address is not a chat id", retryable=False)
        if await self.ctx.intake.get_checkpoint(BLOCKED_PREFIX + chat):
            metrics.SENT.labels("blocked").inc()
            raise SendError("the chat has blocked the bot; not sent", retryable=False)
        text = self.config.help_text if message.kind == "help" else message.text
        delay = self.bucket.reserve(time.monotonic())
        if delay > self.config.max_send_wait_s:
            self.bucket.give_back()
            raise SendError("telegram send rate reached", retryable=True, retry_after=delay)
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            sent = await self.client.send_message(
                chat, text[:MAX_TEXT], reply_to=message.reply_to.in_reply_to
            )
        except BotApiError as exc:
            raise await self._send_error(chat, exc) from None
        metrics.SENT.labels("ok").inc()
        message_id = sent.get("message_id")
        return SendResult(message_id=str(message_id) if message_id is not None else None)

    async def _send_error(self, chat: str, exc: BotApiError) -> SendError:
        if isinstance(exc, RateLimitedError):
            metrics.SENT.labels("rate_limited").inc()
            self.bucket.block_for(exc.retry_after, time.monotonic())
            return SendError(str(exc), retryable=True, retry_after=exc.retry_after, throttled=True)
        if isinstance(exc, BlockedError):
            await self._blocked(chat, exc)
            return SendError(f"{exc} (chat {mask_id(chat)})", retryable=False)
        metrics.SENT.labels("error").inc()
        if isinstance(exc, AuthError):
            self.auth.refused(f"the Bot API refuses the token ({exc.status})")
            return SendError(str(exc), retryable=True, retry_after=self.config.backoff_floor_s)
        if isinstance(exc, TransientError):
            return SendError(str(exc), retryable=True)
        return SendError(str(exc), retryable=False)

    async def _blocked(self, chat: str, exc: BotApiError) -> None:
        """Record durably that *chat* cannot be written to, and show it."""
        metrics.SENT.labels("blocked").inc()
        metrics.BLOCKED.inc()
        log.warning(
            "telegram chat %s cannot be reached (%s): no further messages are sent to it",
            mask_id(chat),
            exc.description or exc,
        )
        try:
            await self.ctx.intake.set_checkpoint(
                BLOCKED_PREFIX + chat, datetime.now(UTC).isoformat()
            )
        except StoreUnavailableError:
            log.warning("telegram block of chat %s not recorded (store)", mask_id(chat))

    # -- health ---------------------------------------------------------------------------

    def health(self) -> Health:
        extra: dict[str, Any] = {"mode": self.config.mode}
        if self.config.mode == "polling":
            extra["backoff_failures"] = self.backoff.failures
            if self.poller.last_poll_at is not None:
                extra["last_poll_at"] = self.poller.last_poll_at.isoformat()
        return self.auth.health(extra)

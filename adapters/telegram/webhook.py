"""``POST /v1/telegram/webhook``: updates pushed by Telegram (``mode = "webhook"``).

Telegram sends the ``secret_token`` given to ``setWebhook`` in
``X-Telegram-Bot-Api-Secret-Token`` with every call. It is compared in constant time before
the body is read further than its size; a missing or wrong one is 401 and nothing is parsed
or stored. One update per request:

* 200 only after the update is committed (report, answer, or nothing to do);
* 503 when the store could not commit or a photo could not be fetched for now: Telegram
  retries the delivery, and the inbound key absorbs the repeat;
* an authenticated update that is not a private message is answered 200 and counted, so
  Telegram does not retry it forever; a body that is not JSON is 400.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable

from aiohttp import web

from adapters.http import HttpError, check_capacity, parse_json_object, read_body
from adapters.telegram import metrics
from adapters.telegram.config import TelegramConfig
from adapters.telegram.conversation import Conversation
from adapters.telegram.errors import BotApiError
from adapters.telegram.inbound import TgMessage, parse_update
from gateway.adapter import StoreUnavailableError

log = logging.getLogger(__name__)

PATH = "/v1/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


def secret_valid(expected: str, given: str | None) -> bool:
    """Constant-time comparison of the secret header with the configured one."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


class WebhookHandler:
    def __init__(
        self,
        conversation: Conversation,
        config: TelegramConfig,
        max_body_bytes: int,
        *,
        overloaded: Callable[[], float | None] = lambda: None,
    ) -> None:
        self.conversation = conversation
        self.secret = config.webhook_secret.get_secret_value()
        self.max_body_bytes = max_body_bytes
        self.overloaded = overloaded

    async def updates(self, request: web.Request) -> web.Response:
        if not secret_valid(self.secret, request.headers.get(SECRET_HEADER)):
            metrics.WEBHOOK.labels("bad_secret").inc()
            raise HttpError(401, "bad_secret", f"missing or wrong {SECRET_HEADER}")
        check_capacity(self.overloaded())
        body = await read_body(request, self.max_body_bytes)
        update = parse_json_object(body)
        parsed = parse_update(update)
        if not isinstance(parsed, TgMessage):
            reason = parsed.reason if parsed is not None else "no update_id"
            metrics.WEBHOOK.labels("skipped").inc()
            metrics.INBOUND.labels("webhook", "skipped").inc()
            return web.json_response({"handled": 0, "skipped": reason})
        try:
            outcome = await self.conversation.handle(parsed, source="webhook")
        except StoreUnavailableError:
            metrics.WEBHOOK.labels("store_unavailable").inc()
            raise HttpError(503, "store_unavailable", "could not commit; retry later") from None
        except BotApiError as exc:
            metrics.WEBHOOK.labels("api_error").inc()
            log.warning("telegram webhook update deferred: %s", exc)
            raise HttpError(503, "bot_api_unavailable", "could not fetch the photo") from None
        metrics.WEBHOOK.labels("ok").inc()
        return web.json_response(
            {"handled": 1, "outcome": outcome.action, "repeat": outcome.repeat}
        )

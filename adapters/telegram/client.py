"""The Bot API client: the four methods the adapter uses, over the gateway's aiohttp.

``POST <api_base_url>/bot<token>/<method>`` with a JSON body; the answer is ``{"ok": true,
"result": ...}`` or an error (:mod:`.errors`). Files come from
``<api_base_url>/file/bot<token>/<file_path>``. The token is part of every URL, so no URL
is ever logged or put in an exception message.

Why no library: see the README ("Libraries and why"); the poller, the commit-before-offset
rule and the outbox's ``send`` need exactly these calls and nothing of a bot framework.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp

from adapters.telegram.config import TelegramConfig
from adapters.telegram.errors import (
    AuthError,
    BlockedError,
    BotApiError,
    ClientError,
    ConflictError,
    RateLimitedError,
    TransientError,
)
from gateway.resilience.errors import TRANSPORT_ERRORS, retryable_status, transport_failure

log = logging.getLogger(__name__)


def _error(method: str, status: int, doc: dict[str, Any]) -> BotApiError:
    """The :mod:`.errors` class for an error answer (HTTP *status*, API document *doc*)."""
    given = doc.get("error_code")
    code = given if isinstance(given, int) and not isinstance(given, bool) else status
    description = str(doc.get("description") or "")[:300]
    message = f"Bot API {method} {code}: {description or 'no description'}"
    if code == 429:
        params = doc.get("parameters") if isinstance(doc.get("parameters"), dict) else {}
        raw = params.get("retry_after") if params else None
        retry_after = float(raw) if isinstance(raw, int | float) and raw >= 0 else 1.0
        return RateLimitedError(message, retry_after=retry_after, description=description)
    if code == 403:
        return BlockedError(message, status=code, description=description)
    if code in (401, 404):
        return AuthError(message, status=code, description=description)
    if code == 409:
        return ConflictError(message, status=code, description=description)
    if retryable_status(code):
        return TransientError(message, status=code, description=description)
    return ClientError(message, status=code, description=description)


class BotClient:
    """One aiohttp session per adapter, opened on first use, closed by :meth:`close`."""

    def __init__(self, config: TelegramConfig) -> None:
        self._config = config
        token = config.bot_token.get_secret_value()
        self._api = f"{config.api_base_url}/bot{token}/"
        self._files = f"{config.api_base_url}/file/bot{token}/"
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
            self._session = aiohttp.ClientSession(timeout=timeout)
        return self._session

    async def call(self, method: str, params: dict[str, Any], *, timeout_s: float = 0.0) -> Any:
        """``result`` of *method*; raises :class:`~.errors.BotApiError`. *timeout_s* is added
        to ``request_timeout_s`` (the long poll's own wait)."""
        total = self._config.request_timeout_s + timeout_s
        try:
            async with self._client().post(
                self._api + method, json=params, timeout=aiohttp.ClientTimeout(total=total)
            ) as response:
                status = response.status
                body = await response.read()
        except TRANSPORT_ERRORS as exc:
            raise TransientError(f"Bot API {method} {transport_failure(exc)}") from None
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            doc = None
        if not isinstance(doc, dict):
            if 200 <= status < 300:
                raise TransientError(f"Bot API {method} answered {status} without JSON")
            raise _error(method, status, {})
        if status == 200 and doc.get("ok") is True and "result" in doc:
            return doc["result"]
        raise _error(method, status, doc)

    async def get_updates(self, offset: int | None) -> list[dict[str, Any]]:
        """Updates from *offset* on (Telegram forgets those below it), oldest first."""
        params: dict[str, Any] = {
            "timeout": self._config.poll_timeout_s,
            "limit": self._config.batch_size,
            "allowed_updates": self._config.allowed_updates,
        }
        if offset is not None:
            params["offset"] = offset
        result = await self.call("getUpdates", params, timeout_s=self._config.poll_timeout_s)
        if not isinstance(result, list):
            raise TransientError("Bot API getUpdates result is not a list")
        return [u for u in result if isinstance(u, dict)]

    async def send_message(
        self, chat_id: str, text: str, *, reply_to: str | None = None
    ) -> dict[str, Any]:
        """Send *text* to *chat_id*, quoting message *reply_to* when it still exists."""
        params: dict[str, Any] = {
            "chat_id": int(chat_id),
            "text": text,
            "link_preview_options": {"is_disabled": True},
        }
        if reply_to and reply_to.isdigit():
            params["reply_parameters"] = {
                "message_id": int(reply_to),
                "allow_sending_without_reply": True,
            }
        result = await self.call("sendMessage", params)
        return result if isinstance(result, dict) else {}

    async def get_file(self, file_id: str) -> dict[str, Any]:
        """The File object (``file_path``, ``file_size``) of *file_id*."""
        result = await self.call("getFile", {"file_id": file_id})
        if not isinstance(result, dict):
            raise TransientError("Bot API getFile result is not an object")
        return result

    async def download(self, file_path: str, max_bytes: int) -> bytes:
        """The bytes of *file_path*; :class:`~.errors.ClientError` when larger than
        *max_bytes* (read no further than that)."""
        try:
            async with self._client().get(
                self._files + file_path,
                timeout=aiohttp.ClientTimeout(total=self._config.request_timeout_s),
            ) as response:
                if response.status != 200:
                    body = await response.read()
                    try:
                        doc = json.loads(body)
                    except (ValueError, UnicodeDecodeError):
                        doc = {}
                    raise _error("file", response.status, doc if isinstance(doc, dict) else {})
                data = await response.content.read(max_bytes + 1)
        except TRANSPORT_ERRORS as exc:
            raise TransientError(f"Bot API file download {transport_failure(exc)}") from None
        if len(data) > max_bytes:
            raise ClientError(f"file larger than {max_bytes} bytes", status=200)
        return data

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

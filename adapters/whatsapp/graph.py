"""The Graph API calls of the WhatsApp door: send a message, download a media file.

Every request carries ``Authorization: Bearer <access_token>`` (never logged) and goes to
``{api_base_url}/{api_version}/...``. Failures become one :class:`GraphError` carrying the
HTTP status, the Cloud API error ``code`` (``error.code`` of the JSON body) and the verdict of
the shared classifier (:mod:`gateway.resilience.errors`): the adapter decides what a code
means for a send (re-engagement, rate limit, bad token).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

from adapters.whatsapp import metrics
from adapters.whatsapp.config import WhatsAppConfig
from gateway.resilience.errors import TRANSPORT_ERRORS, classify_status, transport_failure

log = logging.getLogger(__name__)


class GraphError(Exception):
    """A failed Graph API call. ``code`` is the Cloud API error code (0 when none)."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: int = 0,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True)
class Media:
    data: bytes
    mime_type: str | None


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


class GraphClient:
    """One aiohttp session to the Graph API, opened on first use, closed by :meth:`close`."""

    def __init__(self, config: WhatsAppConfig) -> None:
        self.config = config
        self._session: aiohttp.ClientSession | None = None
        self._auth = {"Authorization": f"Bearer {config.access_token.get_secret_value()}"}

    def _url(self, path: str) -> str:
        return f"{self.config.api_base_url}/{self.config.api_version}/{path}"

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=self.config.request_timeout_s)
            self._session = aiohttp.ClientSession(timeout=timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send_message(self, phone_number_id: str, body: dict[str, Any]) -> str:
        """POST ``/{phone_number_id}/messages``; returns the new message's ``wamid``."""
        doc = await self._call("send", "POST", self._url(f"{phone_number_id}/messages"), body)
        messages = doc.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            return str(messages[0].get("id") or "")
        return ""

    async def media(self, media_id: str, max_bytes: int) -> Media:
        """GET ``/{media_id}`` for the file's URL, then the file itself (both with the token).
        Raises :class:`GraphError` (``code`` -1) when the file exceeds *max_bytes*."""
        meta = await self._call("media", "GET", self._url(media_id), None)
        url = meta.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise GraphError("media lookup returned no url")
        size = meta.get("file_size")
        if isinstance(size, int) and size > max_bytes:
            raise GraphError(f"media larger than {max_bytes} bytes", code=-1)
        try:
            async with self.session().get(url, headers=self._auth) as resp:
                if resp.status >= 400:
                    verdict = classify_status(resp.status, resp.headers.get("Retry-After"))
                    metrics.API_ERRORS.labels("media_download", str(resp.status)).inc()
                    raise GraphError(
                        f"media download answered {resp.status}",
                        status=resp.status,
                        retryable=verdict.retryable,
                    )
                data = await resp.content.read(max_bytes + 1)
                mime = resp.headers.get("Content-Type")
        except TRANSPORT_ERRORS as exc:
            metrics.API_ERRORS.labels("media_download", "transport").inc()
            raise GraphError(f"media download {transport_failure(exc)}", retryable=True) from None
        if len(data) > max_bytes:
            raise GraphError(f"media larger than {max_bytes} bytes", code=-1)
        mime_type = meta.get("mime_type")
        return Media(data, mime_type if isinstance(mime_type, str) else mime)

    async def _call(
        self, call: str, method: str, url: str, body: dict[str, Any] | None
    ) -> dict[str, Any]:
        try:
            async with self.session().request(method, url, json=body, headers=self._auth) as resp:
                raw = await resp.read()
                if resp.status < 400:
                    return _json(raw)
                error = _json(raw).get("error")
                error = error if isinstance(error, dict) else {}
                code = error.get("code") if isinstance(error.get("code"), int) else 0
                verdict = classify_status(resp.status, resp.headers.get("Retry-After"))
        except TRANSPORT_ERRORS as exc:
            metrics.API_ERRORS.labels(call, "transport").inc()
            raise GraphError(f"{call} {transport_failure(exc)}", retryable=True) from None
        metrics.API_ERRORS.labels(call, str(code or resp.status)).inc()
        title = str(error.get("message") or error.get("title") or "")[:200]
        raise GraphError(
            f"{call} answered {resp.status} code {code}: {title}",
            status=resp.status,
            code=int(code or 0),
            retryable=verdict.retryable,
            retry_after=verdict.retry_after,
        )

"""Signed JSON callbacks: how web and mobile clients hear acks and status updates.

``POST callback_url`` with the same signing scheme as inbound requests (the adapter's own
secret), so the receiving backend verifies us exactly as we verify it.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

import aiohttp
from pydantic import SecretStr

from adapters import signing
from gateway.adapter import Adapter, AdapterContext, OutboundMessage, SendError, SendResult
from gateway.resilience.errors import TRANSPORT_ERRORS, classify_status, transport_failure

log = logging.getLogger(__name__)


class SignedDoorConfig(Protocol):
    """What :class:`SignedWebhookAdapter` needs from a door's config model."""

    @property
    def secret(self) -> SecretStr: ...

    @property
    def require_signature(self) -> bool: ...


def valid_callback_url(url: str) -> bool:
    return url.startswith(("https://", "http://")) and len(url) <= 2000


class CallbackSender:
    def __init__(self, secret: bytes, *, timeout_s: float = 10.0) -> None:
        self._secret = secret
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(self, url: str, document: dict[str, Any]) -> SendResult:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        body = json.dumps(document, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", **signing.signed_headers(self._secret, body)}
        try:
            async with self._session.post(url, data=body, headers=headers) as resp:
                status = resp.status
                retry_after = resp.headers.get("Retry-After")
        except TRANSPORT_ERRORS as exc:
            raise SendError(f"callback {transport_failure(exc)}", retryable=True) from None
        if 200 <= status < 300:
            return SendResult()
        verdict = classify_status(status, retry_after)
        raise SendError(
            f"callback answered {status}",
            retryable=verdict.retryable,
            retry_after=verdict.retry_after,
        )


class SignedWebhookAdapter(Adapter):
    """Base of the doors that take signed requests and answer by signed callback (web form,
    mobile app): one secret for both directions, a loud warning when signatures are off,
    and acks/status updates POSTed to the report's ``callback_url``."""

    def __init__(self, ctx: AdapterContext, config: SignedDoorConfig) -> None:
        super().__init__(ctx)
        self.door_config = config
        self._secret = config.secret.get_secret_value().encode()
        self._callbacks = CallbackSender(self._secret)

    async def start(self) -> None:
        if not self.door_config.require_signature:
            log.warning(
                "SECURITY: adapters.%s.require_signature is false; anyone can file reports",
                self.name,
            )

    async def stop(self) -> None:
        await self._callbacks.close()

    async def send(self, message: OutboundMessage) -> SendResult:
        document: dict[str, Any] = {
            "tracking_id": message.tracking_id,
            "kind": message.kind,
            "message": message.text,
            **message.payload,
        }
        return await self._callbacks.post(message.reply_to.address, document)

"""Signed JSON callbacks: how web and mobile clients hear acks and status updates.

``POST callback_url`` with the same signing scheme as inbound requests (the adapter's own
secret), so the receiving backend verifies us exactly as we verify it.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from adapters import signing
from gateway.adapter import SendError, SendResult


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
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise SendError(f"callback unreachable: {type(exc).__name__}", retryable=True) from None
        if 200 <= status < 300:
            return SendResult()
        retryable = status in (408, 425, 429) or status >= 500
        raise SendError(f"callback answered {status}", retryable=retryable)

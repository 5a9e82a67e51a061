"""Forwarding reports to the core case store over HTTP.

Protocol (README, "Core case store"): ``POST {core.url}`` with the report as JSON,
``Authorization: Bearer <token>`` and ``Idempotency-Key: <tracking_id>``. A repeat or an
addendum for an existing case goes to ``POST {core.url}/{original_tracking_id}/addenda``
with the new report's tracking ID as idempotency key.

Classification (errors are data, see :class:`outbox.jobs.SendError`):
2xx and 409 (already have it) are done; the rest is classified by the resilience kit
(:mod:`gateway.resilience.errors`): 408, 425, 429, 5xx, timeouts and connection errors are
retryable (``Retry-After`` honoured); any other 4xx is permanent and goes to dead letters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from gateway.resilience.errors import TRANSPORT_ERRORS, classify_status, transport_failure
from outbox.jobs import SendError


@dataclass(frozen=True)
class Delivered:
    message_id: str | None = None
    core_case_id: str | None = None
    #: level-3 links that went with a forwarded report (see ``OutboxOutcome.similar_to``)
    similar_to: list[dict[str, Any]] | None = None


class CoreClient:
    """HTTP client of the core case store. One aiohttp session, reused."""

    def __init__(
        self, url: str, token: str, *, connect_timeout_s: float = 5.0, timeout_s: float = 15.0
    ) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_s, sock_connect=connect_timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=self._timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> CoreClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def forward(self, tracking_id: str, document: dict[str, Any]) -> Delivered:
        return await self._post(self.url, tracking_id, document)

    async def addendum(
        self, original: str, tracking_id: str, document: dict[str, Any]
    ) -> Delivered:
        return await self._post(f"{self.url}/{original}/addenda", tracking_id, document)

    async def _post(self, url: str, key: str, document: dict[str, Any]) -> Delivered:
        if self._session is None:
            await self.start()
        assert self._session is not None
        headers = {"Idempotency-Key": key}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            async with self._session.post(url, json=document, headers=headers) as resp:
                status = resp.status
                retry_after = resp.headers.get("Retry-After")
                body: Any = None
                if 200 <= status < 300:
                    try:
                        body = await resp.json(content_type=None)
                    except (ValueError, aiohttp.ContentTypeError):
                        body = None
        except TRANSPORT_ERRORS as exc:
            raise SendError(f"core case store {transport_failure(exc)}", retryable=True) from None
        if 200 <= status < 300:
            case_id = None
            if isinstance(body, dict):
                raw = body.get("case_id") or body.get("id")
                case_id = str(raw) if raw is not None else None
            return Delivered(core_case_id=case_id)
        if status == 409:
            return Delivered()
        verdict = classify_status(status, retry_after)
        if verdict.retryable:
            raise SendError(
                f"core answered {status}", retryable=True, retry_after=verdict.retry_after
            )
        raise SendError(f"core rejected the report with {status}", retryable=False)

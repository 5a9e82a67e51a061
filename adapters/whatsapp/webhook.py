"""The Cloud API webhook: ``GET|POST /v1/whatsapp/webhook``.

* ``GET``: Meta's verification request. ``hub.mode=subscribe`` and ``hub.verify_token`` equal
  to ours (constant-time): answer ``hub.challenge`` as plain text; anything else is 403.
* ``POST``: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app_secret, raw body)>`` is
  checked in constant time before anything is parsed (401 when missing or wrong; nothing is
  read further). Then 413 for a body over the gateway's limit, 400 for a body that is not a
  JSON object, 422 when ``object`` is not ``whatsapp_business_account``.
* Every message and status of the document is handled, in order per citizen and citizens
  concurrently (their commits share the store's group commit); 200 only after all are
  committed. When the store cannot commit: 503, so Meta redelivers the whole POST, and what
  was already committed is absorbed then by the inbound keys (``wa:<wamid>``).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web

from adapters.http import HttpError, check_capacity, parse_json_object, read_body
from adapters.whatsapp import metrics
from adapters.whatsapp.config import WhatsAppConfig
from adapters.whatsapp.payload import OBJECT, Parsed, WaMessage, WaStatus, parse
from gateway.adapter import StoreUnavailableError

PATH = "/v1/whatsapp/webhook"
SIGNATURE_HEADER = "X-Hub-Signature-256"


def signature(app_secret: bytes, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends for *body*."""
    return "sha256=" + hmac.new(app_secret, body, hashlib.sha256).hexdigest()


def signature_valid(app_secret: bytes, header: str | None, body: bytes) -> bool:
    if not app_secret or not header:
        return False
    return hmac.compare_digest(signature(app_secret, body).encode(), header.strip().encode())


class WebhookHandler:
    def __init__(
        self,
        config: WhatsAppConfig,
        max_body_bytes: int,
        handle_message: Callable[[WaMessage], Awaitable[str]],
        handle_status: Callable[[WaStatus], Awaitable[str]],
        overloaded: Callable[[], float | None] = lambda: None,
    ) -> None:
        self.config = config
        self.max_body_bytes = max_body_bytes
        self.handle_message = handle_message
        self.handle_status = handle_status
        self.overloaded = overloaded
        self._secret = config.app_secret.get_secret_value().encode()
        self._verify = config.verify_token.get_secret_value().encode()
        self._numbers = frozenset(config.phone_number_ids)

    async def verify(self, request: web.Request) -> web.Response:
        mode = request.query.get("hub.mode", "")
        token = request.query.get("hub.verify_token", "").encode()
        challenge = request.query.get("hub.challenge", "")
        if mode != "subscribe" or not self._verify or not hmac.compare_digest(token, self._verify):
            metrics.WEBHOOK.labels("verify_refused").inc()
            raise HttpError(403, "forbidden", "hub.mode or hub.verify_token is wrong")
        metrics.WEBHOOK.labels("verified").inc()
        return web.Response(text=challenge[:1000], content_type="text/plain")

    async def events(self, request: web.Request) -> web.Response:
        try:
            body = await read_body(request, self.max_body_bytes)
        except HttpError:
            metrics.WEBHOOK.labels("too_large").inc()
            raise
        if not signature_valid(self._secret, request.headers.get(SIGNATURE_HEADER), body):
            metrics.WEBHOOK.labels("bad_signature").inc()
            raise HttpError(401, "bad_signature", f"missing or invalid {SIGNATURE_HEADER}")
        check_capacity(self.overloaded())
        try:
            doc = parse_json_object(body)
        except HttpError:
            metrics.WEBHOOK.labels("bad_json").inc()
            raise
        if doc.get("object") != OBJECT:
            metrics.WEBHOOK.labels("bad_object").inc()
            raise HttpError(422, "invalid_field", f"object must be {OBJECT}", "object")
        parsed = parse(doc, self._numbers)
        try:
            outcomes = await self._handle_all(parsed)
        except StoreUnavailableError:
            metrics.WEBHOOK.labels("store_unavailable").inc()
            raise HttpError(
                503,
                "store_unavailable",
                "could not commit; retry later",
                headers={"Retry-After": "5"},
            ) from None
        metrics.WEBHOOK.labels("ok").inc()
        return web.json_response(
            {"handled": len(outcomes), "outcomes": outcomes, "skipped": parsed.skipped}
        )

    async def _handle_all(self, parsed: Parsed) -> list[str]:
        """Every item of the POST, in order per citizen, citizens side by side (their commits
        share the store's group commit). Outcomes come back in document order: messages,
        then statuses. Any commit failure fails the whole POST (Meta redelivers it)."""
        jobs: list[Callable[[], Awaitable[str]]] = []
        jobs.extend(functools.partial(self.handle_message, m) for m in parsed.messages)
        jobs.extend(functools.partial(self.handle_status, st) for st in parsed.statuses)
        keys = [f"m:{m.wa_id}" for m in parsed.messages] + [
            f"s:{st.recipient_id}" for st in parsed.statuses
        ]
        groups: dict[str, list[int]] = {}
        for index, key in enumerate(keys):
            groups.setdefault(key, []).append(index)
        outcomes = [""] * len(jobs)

        async def run(indices: list[int]) -> None:
            for index in indices:
                outcomes[index] = await jobs[index]()

        results = await asyncio.gather(
            *(run(indices) for indices in groups.values()), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        for error in errors:
            if isinstance(error, StoreUnavailableError):
                raise error
        if errors:
            raise errors[0]
        return outcomes

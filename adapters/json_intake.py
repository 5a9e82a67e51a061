"""The signed-JSON report intake shared by the web form and the mobile app.

Both doors accept the same body (the mobile app adds device fields) and behave the same:
size -> signature -> Content-Type (415 unless JSON) -> JSON -> schema -> Report -> pipeline
commit -> 201/200/409. Keeping it in one place means a fix to, say, idempotency handling
lands on both doors at once.

Level-1 keys: an ``Idempotency-Key`` names a logical request across retries (a repeat is
``200``); without one, the verified signature names the exact bytes sent at one timestamp,
so a verbatim replay inside the skew window is absorbed and answered as the first time
(``201``, same body); anything else is a new request.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from adapters.callbacks import valid_callback_url
from adapters.http import HttpError, check_capacity, validation_error
from gateway.adapter import AdapterContext, IntakeResult
from normalizer import (
    Attachment,
    Channel,
    EmptyTextError,
    Location,
    ReplyAddress,
    Report,
    Reporter,
)

IDEMPOTENCY_HEADER = "Idempotency-Key"

#: the request headers of a signed JSON intake, as OpenAPI parameters (web and mobile paths)
OPENAPI_INTAKE_HEADERS: list[dict[str, Any]] = [
    {"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
    for h in ("X-Lapor-Timestamp", "X-Lapor-Signature")
] + [
    {
        "name": IDEMPOTENCY_HEADER,
        "in": "header",
        "required": False,
        "schema": {"type": "string", "maxLength": 200},
    }
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class BodyLocation(_Strict):
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    address: str | None = Field(default=None, max_length=500)


class BodyAttachment(_Strict):
    url: str = Field(max_length=2000)
    content_type: str | None = Field(default=None, max_length=100)

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value


class BodyReporter(_Strict):
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    user_id: str | None = Field(default=None, max_length=200)


class ReportBody(_Strict):
    """``POST /v1/web/reports`` body (see README and ``/openapi.json``)."""

    text: str = Field(max_length=20_000)
    title: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, max_length=100)
    location: BodyLocation | None = None
    attachments: list[BodyAttachment] = Field(default_factory=list, max_length=20)
    reporter: BodyReporter = Field(default_factory=BodyReporter)
    anonymous: bool = False
    confidential: bool = False
    callback_url: str | None = None

    @field_validator("callback_url")
    @classmethod
    def _callback(cls, value: str | None) -> str | None:
        if value is not None and not valid_callback_url(value):
            raise ValueError("must be an http(s) URL")
        return value


def build_report(
    body: ReportBody,
    *,
    channel: Channel,
    adapter: str,
    raw: dict[str, Any],
    extra_reporter: dict[str, Any] | None = None,
    extra_attachments: list[Attachment] | None = None,
) -> Report:
    """Turn a validated body into a :class:`Report`; 422 naming the field on bad values."""
    try:
        reporter = Reporter(**body.reporter.model_dump(exclude_none=True), **(extra_reporter or {}))
    except ValidationError as exc:
        raise validation_error(exc, "reporter") from None
    try:
        return Report(
            channel=channel,
            transport="http",
            reporter=reporter,
            text=body.text,
            title=body.title,
            category=body.category,
            location=Location(**body.location.model_dump()) if body.location else None,
            attachments=[Attachment(**a.model_dump()) for a in body.attachments]
            + (extra_attachments or []),
            anonymous=body.anonymous,
            confidential=body.confidential,
            reply_to=ReplyAddress(adapter=adapter, address=body.callback_url)
            if body.callback_url
            else None,
            raw=raw,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        if isinstance(err.get("ctx", {}).get("error"), EmptyTextError):
            raise HttpError(422, "empty_text", "text is empty after clean-up", "text") from None
        raise validation_error(exc) from None


def inbound_key(request: web.Request, channel: Channel, *, signature: str | None = None) -> str:
    """The request's level-1 key: its ``Idempotency-Key``; else its verified signature, which
    names this exact request (a replay of the same timestamp and body is the same request);
    else a key that never repeats."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is not None:
        key = key.strip()
        if not key or len(key) > 200:
            raise HttpError(400, "bad_idempotency_key", "Idempotency-Key must be 1-200 characters")
        return f"{channel.value}:idem:{key}"
    if signature is not None:
        return f"{channel.value}:sig:{hashlib.sha256(signature.encode()).hexdigest()}"
    return f"{channel.value}:req:{_REQ_PREFIX}-{next(_req_counter)}"


#: inbound keys of requests without an Idempotency-Key must never repeat: a random 128-bit
#: prefix per process plus a counter (cheaper than a uuid4 per request on the hot path)
_REQ_PREFIX = secrets.token_hex(16)
_req_counter = itertools.count()


async def file(
    ctx: AdapterContext,
    request: web.Request,
    report: Report,
    raw_body: bytes,
    *,
    signature: str | None = None,
) -> web.Response:
    """Commit *report* and answer: 201 new, 200 repeat, 409 key reused for another body.

    Without an ``Idempotency-Key``, a signed request replayed verbatim (same timestamp and
    signature, so inside the skew window) is absorbed by its signature, durably, in the
    report's own transaction, and answered exactly as the first time: 201 and the same body.
    """
    check_capacity(ctx.overloaded())
    explicit = IDEMPOTENCY_HEADER in request.headers
    key = inbound_key(request, report.channel, signature=signature)
    body_hash = hashlib.sha256(raw_body).hexdigest()
    result: IntakeResult = await ctx.intake.submit(report, inbound_key=key, body_hash=body_hash)
    if result.conflict:
        raise HttpError(
            409, "idempotency_conflict", "Idempotency-Key was already used with a different body"
        )
    document = {
        "tracking_id": result.tracking_id,
        "status": result.status,
        "duplicate_of": result.duplicate_of,
    }
    return web.json_response(document, status=200 if result.repeat and explicit else 201)

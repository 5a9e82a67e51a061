"""HTTP helpers shared by the webhook adapters (web, mobile, Open311, X webhook).

One place for body limits, signature checks and the JSON error shape
``{"error": {"code", "message", "field"?}}``, so every door rejects bad input the same way.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from adapters import signing


class HttpError(Exception):
    """An error answer for one request; the gateway's middleware renders it as JSON."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}

    def response(self) -> web.Response:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return web.json_response({"error": body}, status=self.status, headers=self.headers)


async def read_body(request: web.Request, max_bytes: int) -> bytes:
    """The raw body, or 413 as soon as it is known to exceed *max_bytes*."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise HttpError(413, "body_too_large", f"body exceeds {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise HttpError(413, "body_too_large", f"body exceeds {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def check_signature(
    request: web.Request, body: bytes, secret: bytes, *, required: bool, max_skew_s: int
) -> str | None:
    """401 unless the request carries a fresh valid ``X-Lapor-Signature``.

    Returns the verified signature (``None`` when signing is not required): it names this
    exact request (timestamp and body), so the intake uses it to absorb a verbatim replay.
    """
    if not required:
        return None
    try:
        signing.verify(secret, request.headers, body, max_skew_s=max_skew_s)
    except signing.SignatureError as exc:
        raise HttpError(401, "bad_signature", str(exc)) from None
    return request.headers[signing.SIGNATURE_HEADER].strip()


def is_json_type(request: web.Request) -> bool:
    """True when the body is declared JSON: ``application/json`` or ``application/*+json``
    (charset UTF-8 or none, as RFC 8259 requires), or when no Content-Type is sent at all
    (the body is then read as JSON)."""
    if "Content-Type" not in request.headers:
        return True
    ctype = request.content_type
    json_type = ctype == "application/json" or (
        ctype.startswith("application/") and ctype.endswith("+json")
    )
    charset = (request.charset or "utf-8").lower()
    return json_type and charset in ("utf-8", "utf8")


def require_json_type(request: web.Request) -> None:
    """415 (in the JSON error shape) unless :func:`is_json_type`."""
    if not is_json_type(request):
        raise HttpError(
            415,
            "unsupported_media_type",
            "send Content-Type: application/json (UTF-8)",
            headers={"Accept-Post": "application/json"},
        )


def parse_json_object(body: bytes) -> dict[str, Any]:
    """400 unless *body* is a UTF-8 JSON object."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise HttpError(400, "bad_encoding", "body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise HttpError(
            400, "bad_json", f"body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(data, dict):
        raise HttpError(400, "bad_json", "body must be a JSON object")
    return data


def validation_error(exc: ValidationError, prefix: str = "") -> HttpError:
    """422 naming the first offending field."""
    err = exc.errors(include_url=False, include_input=False)[0]
    field = ".".join(str(p) for p in err["loc"] if p != "__root__")
    if prefix and field:
        field = f"{prefix}.{field}"
    msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
    return HttpError(422, "invalid_field", f"{field or 'body'}: {msg}", field or None)


def check_capacity(overloaded: float | None) -> None:
    """503 with Retry-After when the gateway sheds load (global back-pressure)."""
    if overloaded is not None:
        raise HttpError(
            503,
            "overloaded",
            "the gateway is catching up; retry later",
            headers={"Retry-After": str(max(1, round(overloaded)))},
        )

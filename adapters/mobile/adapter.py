"""The mobile app door: ``POST /v1/mobile/reports`` (signed JSON or multipart with photos).

Same contract as the web form (:mod:`adapters.json_intake`) with the app's own secret, plus
``device_id`` and ``app_version``. Photos come as ``multipart/form-data``: one JSON part
named ``report`` (the body as for JSON) and any number of image parts (up to
``max_uploads``, each up to ``max_upload_bytes``). Order of checks, so that nothing is
interpreted before it is authenticated and nothing is stored before it is valid:

1. size of the whole body (413), 2. signature over the raw bytes, exactly as for JSON (401),
3. Content-Type: multipart or JSON, else 415; multipart structure (400) and part
counts/sizes (413), 4. the JSON part (400/422),
5. every image by magic bytes (415), 6. photos written under their sha256 name,
7. the report committed; only then the 201/200 answer. The signed callback (ack and status
updates) goes through the outbox, as for the web form.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

from aiohttp import web
from pydantic import Field, ValidationError

from adapters import json_intake, uploads
from adapters.callbacks import SignedWebhookAdapter
from adapters.http import (
    HttpError,
    check_signature,
    is_json_type,
    parse_json_object,
    read_body,
    validation_error,
)
from adapters.mobile import multipart
from adapters.mobile.config import MobileConfig
from gateway.adapter import AdapterContext, Route
from normalizer import Attachment, Channel

log = logging.getLogger(__name__)

REPORT_PART = "report"
#: room for part headers and boundaries around each upload
_PART_OVERHEAD = 4096


class MobileReportBody(json_intake.ReportBody):
    """The web body plus the app's identity (``device_id`` lands in ``reporter.device_id``;
    ``app_version`` stays in the raw payload for support)."""

    device_id: str = Field(min_length=1, max_length=200)
    app_version: str = Field(min_length=1, max_length=50)


class MobileAdapter(SignedWebhookAdapter):
    name = "mobile"

    def __init__(self, ctx: AdapterContext, config: MobileConfig) -> None:
        super().__init__(ctx, config)
        self.config = config
        self._attachments = ctx.data_dir / "attachments"

    @property
    def max_request_bytes(self) -> int:
        """The JSON part and every allowed upload, with their multipart framing."""
        uploads_room = self.config.max_uploads * (self.config.max_upload_bytes + _PART_OVERHEAD)
        return self.ctx.max_body_bytes + _PART_OVERHEAD + uploads_room

    def routes(self) -> list[Route]:
        return [Route("POST", "/v1/mobile/reports", self.handle_report, "mobile_reports")]

    async def handle_report(self, request: web.Request) -> web.Response:
        raw = await read_body(request, self.max_request_bytes)
        signature = check_signature(
            request,
            raw,
            self._secret,
            required=self.config.require_signature,
            max_skew_s=self.config.max_skew_s,
        )
        if request.content_type == "multipart/form-data":
            json_bytes, images = self._split_multipart(request, raw)
        elif is_json_type(request):
            if len(raw) > self.ctx.max_body_bytes:
                limit = self.ctx.max_body_bytes
                raise HttpError(413, "body_too_large", f"body exceeds {limit} bytes")
            json_bytes, images = raw, []
        else:
            raise HttpError(
                415,
                "unsupported_media_type",
                "send application/json or multipart/form-data",
            )
        data = parse_json_object(json_bytes)
        try:
            body = MobileReportBody.model_validate(data)
        except ValidationError as exc:
            raise validation_error(exc) from None
        kinds = [self._check_image(part) for part in images]
        stored = await asyncio.gather(
            *(
                asyncio.to_thread(uploads.store, self._attachments, part.data, kind)
                for part, kind in zip(images, kinds, strict=True)
            )
        )
        report = json_intake.build_report(
            body,
            channel=Channel.MOBILE,
            adapter=self.name,
            raw=data,
            extra_reporter={"device_id": body.device_id},
            extra_attachments=list(stored),
        )
        return await json_intake.file(
            self.ctx, request, report, _fingerprint(json_bytes, stored), signature=signature
        )

    def _split_multipart(
        self, request: web.Request, raw: bytes
    ) -> tuple[bytes, list[multipart.Part]]:
        try:
            boundary = multipart.boundary_of(request.headers.get("Content-Type", ""))
            parts = multipart.parse(raw, boundary, max_parts=self.config.max_uploads + 1)
        except multipart.MultipartError as exc:
            if str(exc).startswith("more than"):
                raise HttpError(
                    413, "too_many_uploads", f"at most {self.config.max_uploads} photos"
                ) from None
            raise HttpError(400, "bad_multipart", str(exc)) from None
        reports = [p for p in parts if p.name == REPORT_PART]
        if len(reports) != 1:
            raise HttpError(
                400, "bad_multipart", f"exactly one part named {REPORT_PART!r} is required"
            )
        if len(reports[0].data) > self.ctx.max_body_bytes:
            raise HttpError(
                413, "body_too_large", f"the report part exceeds {self.ctx.max_body_bytes} bytes"
            )
        images = [p for p in parts if p.name != REPORT_PART]
        for part in images:
            if len(part.data) > self.config.max_upload_bytes:
                raise HttpError(
                    413,
                    "upload_too_large",
                    f"part {part.name!r} exceeds {self.config.max_upload_bytes} bytes",
                    part.name,
                )
        return reports[0].data, images

    @staticmethod
    def _check_image(part: multipart.Part) -> uploads.ImageKind:
        kind = uploads.sniff(part.data)
        if kind is None:
            raise HttpError(
                415,
                "unsupported_media_type",
                f"part {part.name!r} is not a JPEG, PNG, WebP or HEIC image",
                part.name,
            )
        return kind

    def openapi_paths(self) -> dict[str, Any]:
        """``POST /v1/mobile/reports`` for ``/openapi.json`` (JSON and multipart bodies)."""
        # the model's own schema: an allOf of ReportBody (additionalProperties false) and the
        # device fields would be unsatisfiable (found by schemathesis); nested models are
        # referenced from the components the gateway publishes for ReportBody
        mobile_body = MobileReportBody.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        mobile_body.pop("$defs", None)
        error = {"description": "Error {error: {code, message, field?}}"}
        return {
            "/v1/mobile/reports": {
                "post": {
                    "summary": "File a report from the mobile app (optionally with photos)",
                    "parameters": [
                        {"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
                        for h in ("X-Lapor-Timestamp", "X-Lapor-Signature")
                    ]
                    + [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string", "maxLength": 200},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": mobile_body,
                                "example": {
                                    "text": "Lampu jalan mati di Gg. Mawar RT 05 RW 03 sejak Senin",
                                    "device_id": "android-7f3a",
                                    "app_version": "4.2.0",
                                },
                            },
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": [REPORT_PART],
                                    "properties": {
                                        REPORT_PART: mobile_body,
                                        "photo": {
                                            "type": "array",
                                            "maxItems": self.config.max_uploads,
                                            "items": {"type": "string", "format": "binary"},
                                        },
                                    },
                                },
                                "encoding": {REPORT_PART: {"contentType": "application/json"}},
                            },
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "New report {tracking_id, status, duplicate_of}; "
                            "a verbatim replay of the same signed request without "
                            "Idempotency-Key gets this same answer, no new report"
                        },
                        "200": {"description": "Repeat of the same Idempotency-Key and body"},
                        "400": error,
                        "401": error,
                        "409": error,
                        "413": error,
                        "415": {
                            "description": "Error {error: {code, message}}: Content-Type is "
                            "neither JSON (application/json, UTF-8) nor multipart/form-data, "
                            "or a photo is not a JPEG, PNG, WebP or HEIC image"
                        },
                        "422": error,
                        "503": error,
                    },
                }
            }
        }


def _fingerprint(json_bytes: bytes, stored: list[Attachment]) -> bytes:
    """What an Idempotency-Key is bound to: the JSON part and the photos' hashes, not the raw
    multipart bytes, because a client retrying the same upload picks a new boundary."""
    digest = hashlib.sha256(json_bytes)
    for attachment in stored:
        digest.update(b"\0" + (attachment.sha256 or "").encode())
    return digest.hexdigest().encode()

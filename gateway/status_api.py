"""Gateway-owned HTTP endpoints: public status view and core status events.

``GET /v1/reports/{tracking_id}`` shows status and history only: never the reporter's
identity, never the text, whatever the flags (the public view has no need for either, so
there is nothing to leak). A malformed ID or a wrong check digit is a 400 that says so,
so a typo is not mistaken for "not found".

``POST /v1/core/events`` (signed with ``[core] events_secret``) moves a report along; see
:meth:`gateway.pipeline.Pipeline.apply_core_event`.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from adapters.http import (
    HttpError,
    check_signature,
    parse_json_object,
    read_body,
    require_json_type,
    validation_error,
)
from gateway.adapter import StatusView
from gateway.pipeline import EVENT_STATUSES, Pipeline
from gateway.resilience.bucket import MAX_CLIENTS, KeyedBuckets
from gateway.store import CoreEvent
from normalizer import tracking


class CoreEventBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tracking_id: str
    status: str
    at: datetime
    note: str | None = Field(default=None, max_length=1000)
    agency: str | None = Field(default=None, max_length=200)
    event_id: str | None = Field(default=None, max_length=200)

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        if value not in EVENT_STATUSES:
            raise ValueError("one of " + ", ".join(sorted(EVENT_STATUSES)))
        return value

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must carry a timezone")
        return value


def parse_tracking_id(raw: str) -> str:
    try:
        return tracking.parse(raw)
    except tracking.InvalidTrackingIdError as exc:
        code = (
            "bad_check_digit"
            if exc.problem is tracking.TrackingIdProblem.BAD_CHECK
            else "malformed_tracking_id"
        )
        raise HttpError(400, code, str(exc), "tracking_id") from None


def status_document(view: StatusView) -> dict[str, Any]:
    return {
        "tracking_id": tracking.display(view.tracking_id),
        "status": view.status,
        "channel": view.channel,
        "received_at": view.received_at.isoformat(),
        "agency": view.agency,
        "history": [
            {"at": h.at.isoformat(), "status": h.status, "note": h.note} for h in view.history
        ],
    }


def lookup_limiter(per_min: int) -> KeyedBuckets:
    """A token bucket per client address (status lookups are cheap to abuse for guessing)."""
    return KeyedBuckets(float(max(1, per_min)), per_min / 60.0, max_keys=MAX_CLIENTS)


class StatusApi:
    def __init__(
        self, pipeline: Pipeline, *, events_secret: bytes, max_body: int, rate_per_min: int
    ) -> None:
        self.pipeline = pipeline
        self.events_secret = events_secret
        self.max_body = max_body
        self.limiter = lookup_limiter(rate_per_min)

    async def get_status(self, request: web.Request) -> web.Response:
        if not self.limiter.try_take(request.remote or "?", time.monotonic()):
            raise HttpError(
                429, "rate_limited", "too many status lookups", headers={"Retry-After": "60"}
            )
        tid = parse_tracking_id(request.match_info["tracking_id"])
        view = await self.pipeline.status(tid)
        if view is None:
            raise HttpError(404, "not_found", "no report with this tracking ID")
        return web.json_response(status_document(view))

    async def post_event(self, request: web.Request) -> web.Response:
        raw = await read_body(request, self.max_body)
        check_signature(request, raw, self.events_secret, required=True, max_skew_s=300)
        require_json_type(request)
        data = parse_json_object(raw)
        try:
            body = CoreEventBody.model_validate(data)
        except ValidationError as exc:
            raise validation_error(exc) from None
        tid = parse_tracking_id(body.tracking_id)
        result = await self.pipeline.apply_core_event(
            CoreEvent(
                tracking_id=tid,
                status=body.status,
                at=body.at,
                note=body.note,
                agency=body.agency,
                event_key=body.event_id,
            )
        )
        if not result.known:
            raise HttpError(404, "not_found", "no report with this tracking ID", "tracking_id")
        return web.json_response({"applied": result.applied, "current": result.current})

"""Open311 GeoReport v2 under ``/open311/v2/`` (spec: wiki.open311.org/GeoReport_v2).

Methods, each in ``.xml`` and ``.json``:

* ``GET services`` / ``GET services/{service_code}``: the service list and definitions from
  ``[adapters.open311]``. Every definition also carries our two flags, ``anonymous`` and
  ``confidential`` (``attribute[anonymous]=true``), so a generic client can offer them.
* ``POST requests``: ``application/x-www-form-urlencoded`` (the spec) or JSON with the same
  names; ``api_key`` (form field or query) must be one of the configured keys, else 403.
  ``service_request_id`` is our tracking ID (12 digits, canonical form); a ``batch``
  service answers a ``token`` instead, which is the same ID (``GET tokens/{token}``).
  The answer comes after the durable commit, 201 for a new report, 200 for a repeat of the
  same ``Idempotency-Key``.
* ``GET requests/{id}`` and ``GET requests?service_request_id=a,b``: status ``open`` /
  ``closed`` (``closed`` and ``rejected`` are closed, every other status open), with
  ``status_notes`` (the latest public note), ``agency_responsible`` and the dates.

Decisions where the spec leaves room, made for privacy: lookups answer from the public
status view only, so ``description``, ``address``, ``lat``/``long`` and ``media_url`` are
always empty (a location can identify a reporter's home; the text may be confidential).
``GET requests`` without ``service_request_id`` is a 400: listing recent requests by date
would hand out tracking IDs that are meant to be unguessable. Lookups are rate-limited per
client address, one token per ID looked up (429). Errors use the spec's body
(``[{"code", "description"}]`` / ``<errors><error>``) and its statuses: 404 unknown
resource, 403 api_key, 400 the rest, including "the store is down" (the spec's "General
Service Error", with Retry-After).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from adapters import json_intake
from adapters.http import HttpError, check_capacity, read_body
from adapters.open311 import request as req
from adapters.open311.config import Open311Config, Open311Service
from adapters.open311.format import Open311Error, respond
from gateway.adapter import Adapter, AdapterContext, Route, StatusView, StoreUnavailableError
from gateway.resilience.bucket import MAX_CLIENTS, KeyedBuckets
from normalizer import Channel, tracking

log = logging.getLogger(__name__)

PREFIX = "/open311/v2"
_FMT = "{fmt:(?:json|xml)}"
CLOSED_STATUSES = frozenset({"closed", "rejected"})

Open311Handler = Callable[[web.Request, str], Awaitable[web.Response]]

#: our flags, offered on every service definition after the service's own attributes
FLAG_DEFINITIONS: list[dict[str, Any]] = [
    {
        "code": "anonymous",
        "description": "Sembunyikan identitas pelapor (anonim)",
        "datatype_description": "true atau false",
    },
    {
        "code": "confidential",
        "description": "Rahasiakan isi laporan (hanya petugas yang dapat membaca)",
        "datatype_description": "true atau false",
    },
]


def open311_status(status: str) -> str:
    return "closed" if status in CLOSED_STATUSES else "open"


class Open311Adapter(Adapter):
    name = "open311"

    def __init__(self, ctx: AdapterContext, config: Open311Config) -> None:
        super().__init__(ctx)
        self.config = config
        self._keys = [k.get_secret_value().encode() for k in config.api_keys]
        #: lookups per client address, as the status view limits them
        per_min = config.lookup_rate_per_min
        self._lookups = KeyedBuckets(float(per_min), per_min / 60.0, max_keys=MAX_CLIENTS)

    # -- wiring ----------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        w = self._wrap
        return [
            Route("GET", f"{PREFIX}/services.{_FMT}", w(self.services), "open311_services"),
            Route("GET", f"{PREFIX}/services/{{code}}.{_FMT}", w(self.definition), None),
            Route("POST", f"{PREFIX}/requests.{_FMT}", w(self.create), "open311_create"),
            Route("GET", f"{PREFIX}/requests.{_FMT}", w(self.lookup_many), None),
            Route("GET", f"{PREFIX}/requests/{{id}}.{_FMT}", w(self.lookup_one), None),
            Route("GET", f"{PREFIX}/tokens/{{token}}.{_FMT}", w(self.token), None),
            Route("*", f"{PREFIX}/{{tail:.*}}", w(self.unknown), None),
        ]

    async def start(self) -> None:
        if not self._keys:
            log.warning("adapters.open311 has no api_keys: every POST requests is refused (403)")
        elif any(k.startswith(b"dev-") for k in self._keys):
            log.warning("SECURITY: adapters.open311 uses a development api_key; set your own")

    def _wrap(self, handler: Open311Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def wrapped(request: web.Request) -> web.Response:
            fmt = request.match_info.get("fmt") or (
                "json" if request.path.endswith(".json") else "xml"
            )
            try:
                return await handler(request, fmt)
            except Open311Error as exc:
                return exc.response(fmt)
            except HttpError as exc:
                status = exc.status if exc.status in (403, 404, 413, 429) else 400
                return Open311Error(status, exc.message, exc.headers).response(fmt)
            except StoreUnavailableError:
                log.error("store unavailable; answered Open311 general service error")
                error = Open311Error(
                    400, "the report could not be stored; retry later", {"Retry-After": "5"}
                )
                return error.response(fmt)

        return wrapped

    # -- services --------------------------------------------------------------------------

    async def services(self, request: web.Request, fmt: str) -> web.Response:
        req.check_jurisdiction(self.config, request.query.get("jurisdiction_id"))
        items = [
            {
                "service_code": s.service_code,
                "service_name": s.service_name,
                "description": s.description,
                "metadata": True,
                "type": s.type,
                "keywords": s.keywords,
                "group": s.group,
            }
            for s in self.config.services
        ]
        return respond(fmt, "services", items)

    async def definition(self, request: web.Request, fmt: str) -> web.Response:
        req.check_jurisdiction(self.config, request.query.get("jurisdiction_id"))
        code = request.match_info["code"]
        service = req.service_for(self.config, code)
        if service is None:
            raise Open311Error(404, f"service_code {code!r} not found")
        return respond(fmt, "service_definition", service_definition(service))

    # -- POST requests ---------------------------------------------------------------------

    def _check_key(self, supplied: str | None) -> None:
        given = (supplied or "").encode()
        ok = False
        for key in self._keys:  # compare with every key: time does not tell which matched
            ok |= bool(given) and hmac.compare_digest(given, key)
        if not ok:
            raise Open311Error(
                403, "Invalid api_key received -- can't proceed with create_request."
            )

    async def create(self, request: web.Request, fmt: str) -> web.Response:
        raw = await read_body(request, self.ctx.max_body_bytes)
        if request.content_type == "application/x-www-form-urlencoded":
            pairs = req.form_pairs(raw)
        elif request.content_type == "application/json":
            pairs = req.json_pairs(raw)
        else:
            raise Open311Error(400, "send application/x-www-form-urlencoded (or application/json)")
        form_key = next((v for k, v in pairs if k == "api_key"), None)
        self._check_key(form_key or request.query.get("api_key"))
        report = req.build_report(pairs, self.config, adapter=self.name)
        service = req.service_for(self.config, report.category or "")
        assert service is not None
        check_capacity(self.ctx.overloaded())
        key = json_intake.inbound_key(request, Channel.OPEN311)
        canonical = "&".join(f"{k}={v}" for k, v in sorted(pairs) if k != "api_key")
        result = await self.ctx.intake.submit(
            report,
            inbound_key=key,
            body_hash=hashlib.sha256(canonical.encode()).hexdigest(),
        )
        if result.conflict:
            raise Open311Error(400, "Idempotency-Key was already used with a different request")
        account = next((v for k, v in pairs if k == "account_id" and v.strip()), None)
        item: dict[str, Any] = {}
        if service.type == "realtime":
            item["service_request_id"] = result.tracking_id
        elif service.type == "batch":
            item["token"] = result.tracking_id
        item["service_notice"] = _notice(result.tracking_id, result.duplicate_of)
        item["account_id"] = account
        return respond(fmt, "service_requests", [item], status=200 if result.repeat else 201)

    # -- lookups ---------------------------------------------------------------------------

    def _limit(self, request: web.Request, ids: int = 1) -> None:
        cost = min(ids, self._lookups.capacity)  # one token per ID looked up, at most a burst
        if not self._lookups.try_take(request.remote or "?", time.monotonic(), cost):
            raise Open311Error(429, "too many lookups; retry later", {"Retry-After": "60"})

    async def _view(self, raw_id: str, what: str = "service_request_id") -> StatusView | None:
        try:
            tid = tracking.parse(raw_id)
        except tracking.InvalidTrackingIdError as exc:
            if exc.problem is tracking.TrackingIdProblem.BAD_CHECK:
                raise Open311Error(
                    400, f"{what} {raw_id!r} has a wrong check digit (a typo?)"
                ) from None
            raise Open311Error(400, f"{what} {raw_id!r} is not a tracking ID") from None
        return await self.ctx.intake.status(tid)

    async def lookup_one(self, request: web.Request, fmt: str) -> web.Response:
        self._limit(request)
        req.check_jurisdiction(self.config, request.query.get("jurisdiction_id"))
        view = await self._view(request.match_info["id"])
        if view is None:
            raise Open311Error(404, "service_request_id not found")
        return respond(fmt, "service_requests", [self._request_doc(view)])

    async def lookup_many(self, request: web.Request, fmt: str) -> web.Response:
        req.check_jurisdiction(self.config, request.query.get("jurisdiction_id"))
        ids = [i.strip() for i in request.query.get("service_request_id", "").split(",")]
        ids = [i for i in ids if i]
        if not ids:
            raise Open311Error(
                400, "service_request_id is required (comma-delimited); listing is not offered"
            )
        if len(ids) > self.config.max_ids_per_lookup:
            raise Open311Error(
                400, f"at most {self.config.max_ids_per_lookup} service_request_id values"
            )
        self._limit(request, len(ids))  # every ID is a guess: a list costs what single lookups do
        docs = []
        seen: set[str] = set()
        for raw_id in ids:
            view = await self._view(raw_id)
            if view is not None and view.tracking_id not in seen:
                seen.add(view.tracking_id)
                docs.append(self._request_doc(view))
        return respond(fmt, "service_requests", docs)

    async def token(self, request: web.Request, fmt: str) -> web.Response:
        self._limit(request)
        req.check_jurisdiction(self.config, request.query.get("jurisdiction_id"))
        token = request.match_info["token"]
        view = await self._view(token, "token")
        if view is None:
            raise Open311Error(404, "token not found")
        return respond(
            fmt, "service_requests", [{"service_request_id": view.tracking_id, "token": token}]
        )

    async def unknown(self, request: web.Request, fmt: str) -> web.Response:
        raise Open311Error(404, f"no such GeoReport v2 resource: {request.method} {request.path}")

    def _request_doc(self, view: StatusView) -> dict[str, Any]:
        service = req.service_for(self.config, view.category) if view.category else None
        latest = view.history[-1] if view.history else None
        return {
            "service_request_id": view.tracking_id,
            "status": open311_status(view.status),
            "status_notes": latest.note if latest else None,
            "service_name": service.service_name if service else None,
            "service_code": service.service_code if service else None,
            "description": None,
            "agency_responsible": view.agency,
            "service_notice": None,
            "requested_datetime": view.received_at,
            "updated_datetime": latest.at if latest else view.received_at,
            "expected_datetime": None,
            "address": None,
            "address_id": None,
            "zipcode": None,
            "lat": None,
            "long": None,
            "media_url": None,
        }

def service_definition(service: Open311Service) -> dict[str, Any]:
    attributes: list[dict[str, Any]] = [
        {
            "variable": a.variable,
            "code": a.code,
            "datatype": a.datatype,
            "required": a.required,
            "datatype_description": a.datatype_description or None,
            "order": a.order,
            "description": a.description,
            "values": [{"key": v.get("key"), "name": v.get("name")} for v in a.values],
        }
        for a in sorted(service.attributes, key=lambda a: a.order)
    ]
    last = max((a.order for a in service.attributes), default=0)
    for offset, flag in enumerate(FLAG_DEFINITIONS, start=1):
        attributes.append(
            {
                "variable": True,
                "code": flag["code"],
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": flag["datatype_description"],
                "order": last + offset,
                "description": flag["description"],
                "values": [{"key": "true", "name": "Ya"}, {"key": "false", "name": "Tidak"}],
            }
        )
    return {"service_code": service.service_code, "attributes": attributes}


def _notice(tracking_id: str, duplicate_of: str | None) -> str:
    if duplicate_of:
        return (
            "Laporan ini sudah kami terima sebelumnya dengan nomor "
            f"{tracking.display(duplicate_of)}."
        )
    return f"Laporan diterima. Nomor laporan: {tracking.display(tracking_id)}."

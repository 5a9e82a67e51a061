"""Assembly of the single aiohttp listener: ops endpoints, gateway endpoints, adapter routes.

Adapters never see the server; they hand over :class:`gateway.adapter.Route` rows and the
app mounts them. One error middleware turns every failure into the JSON error shape
``{"error": {"code", "message", "field"?}}`` without stack traces.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from adapters.http import HttpError
from gateway import metrics
from gateway.adapter import Adapter, StoreUnavailableError
from gateway.console import PREFIX as CONSOLE_PREFIX
from gateway.console import ConsoleHost, build_console
from gateway.openapi import openapi_document
from gateway.sections import GatewayConfig
from gateway.status_api import StatusApi

log = logging.getLogger(__name__)


class AppHost(ConsoleHost, Protocol):
    """What the app serves from the running gateway (:class:`gateway.service.Gateway`,
    which builds the app: so the app needs no import of the service); the console's
    needs (:class:`gateway.console.ConsoleHost`) included."""

    @property
    def config(self) -> GatewayConfig: ...

    @property
    def adapters(self) -> Mapping[str, Adapter]: ...

    @property
    def status_api(self) -> StatusApi: ...

    async def readiness(self) -> dict[str, Any]: ...

    def openapi_paths(self) -> dict[str, Any]:
        """The running doors' paths for ``/openapi.json``."""
        ...

    async def refresh_gauges(self) -> None: ...


_STATUS_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


@web.middleware
async def error_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    channel = request.path.split("/")[2] if request.path.startswith("/v1/") else "http"
    try:
        return await handler(request)
    except HttpError as exc:
        metrics.REJECTED.labels(channel, exc.code).inc()
        return exc.response()
    except StoreUnavailableError:
        metrics.REJECTED.labels(channel, "store_unavailable").inc()
        log.error("store unavailable; answered 503")
        return HttpError(
            503,
            "store_unavailable",
            "the report could not be stored; retry later",
            headers={"Retry-After": "5"},
        ).response()
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _STATUS_CODES.get(exc.status, "http_error")
        metrics.REJECTED.labels(channel, code).inc()
        return HttpError(exc.status, code, exc.reason).response()
    except Exception:
        log.exception("unhandled error in request handler", extra={"path": request.path})
        return HttpError(500, "internal", "internal error").response()


async def _to_console(_: web.Request) -> web.Response:
    return web.Response(status=308, headers={"Location": CONSOLE_PREFIX + "/"})


def build_app(gw: AppHost) -> web.Application:
    request_timeout_s = gw.config.http.request_timeout_s

    @web.middleware
    async def timeout_middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Cut off a request not answered in time (a body trickled in slowly holds a
        connection and a handler otherwise). Nothing was acknowledged, so the client's retry
        is safe; a commit already queued completes and the retry is absorbed as a repeat."""
        deadline = asyncio.timeout(request_timeout_s)
        try:
            async with deadline:
                return await handler(request)
        except TimeoutError:
            if not deadline.expired():
                raise
            metrics.REJECTED.labels("http", "request_timeout").inc()
            resp = HttpError(408, "request_timeout", "request not completed in time").response()
            resp.force_close()
            return resp

    app = web.Application(
        middlewares=[error_middleware, timeout_middleware],
        client_max_size=gw.config.gateway.max_body_bytes,
    )

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        report = await gw.readiness()
        return web.json_response(report, status=200 if report["ready"] else 503)

    async def metrics_view(_: web.Request) -> web.Response:
        try:
            await gw.refresh_gauges()
        except StoreUnavailableError:
            # still answer: the gauges read before the store failed (lapor_ready among
            # them) are what an alert needs now
            log.warning("store unavailable; /metrics shows the gauges it could refresh")
        resp = web.Response(body=generate_latest())
        resp.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        return resp

    async def openapi(_: web.Request) -> web.Response:
        return web.json_response(openapi_document(gw.openapi_paths()))

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_view)
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/v1/reports/{tracking_id}", gw.status_api.get_status)
    app.router.add_post("/v1/core/events", gw.status_api.post_event)
    if gw.config.console.enabled:
        # disabled: nothing is mounted and /console is a plain 404
        app.router.add_get(CONSOLE_PREFIX, _to_console)
        app.add_subapp(CONSOLE_PREFIX, build_console(gw))
    for adapter in gw.adapters.values():
        for route in adapter.routes():
            app.router.add_route(route.method, route.path, route.handler, name=route.name)
    return app

"""A local stand-in for the Graph API endpoints the WhatsApp door uses, on 127.0.0.1.

* ``POST /{version}/{phone_number_id}/messages``: checks the bearer token and the request
  shape (``messaging_product``, ``to``, ``type`` text or template), records the body, answers
  like the Cloud API (``{"messaging_product", "contacts", "messages": [{"id": "wamid..."}]}``);
* ``GET /{version}/{media_id}``: the media's metadata with a download ``url`` on this server;
* ``GET /download/{media_id}``: the file (bearer token required, like lookaside.fbsbx.com).

Faults are scripted (:meth:`FakeGraph.fail`): an HTTP status with a Cloud API error body
(``{"error": {"message", "type", "code", "fbtrace_id"}}``), for the next N matching calls.
A wrong token gets 401 with code 190, as the real API answers.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "wa-test-access-token"
VERSION = "v21.0"


@dataclass
class Fault:
    call: str  # "text", "template", "media", "download"
    status: int
    code: int
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)


def error_body(code: int, message: str) -> dict[str, Any]:
    return {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": message},
            "fbtrace_id": "AbCdEf",
        }
    }


class FakeGraph:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.calls: list[tuple[str, str]] = []
        self.media: dict[str, tuple[bytes, str]] = {}
        self.faults: list[Fault] = []
        self.token = TOKEN
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.changed = asyncio.Event()

    # -- scripting ------------------------------------------------------------------------

    def fail(self, call: str, status: int, code: int, times: int = 1, **headers: str) -> None:
        self.faults.append(Fault(call, status, code, times, dict(headers)))

    def add_media(self, media_id: str, data: bytes, mime: str) -> None:
        self.media[media_id] = (data, mime)

    def texts(self) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["type"] == "text"]

    def templates(self) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["type"] == "template"]

    # -- server ---------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{version}/{number}/messages", self._messages)
        app.router.add_get("/download/{media_id}", self._download)
        app.router.add_get("/{version}/{media_id}", self._media)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    def _fault(self, call: str) -> web.Response | None:
        for fault in self.faults:
            if fault.call == call and fault.times > 0:
                fault.times -= 1
                return web.json_response(
                    error_body(fault.code, f"injected {fault.code}"),
                    status=fault.status,
                    headers=fault.headers,
                )
        return None

    async def _messages(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response(error_body(190, "Invalid OAuth access token."), status=401)
        if request.match_info["version"] != VERSION:
            return web.json_response(error_body(2500, "unknown version"), status=400)
        body = await request.json()
        kind = body.get("type")
        if body.get("messaging_product") != "whatsapp" or kind not in {"text", "template"}:
            return web.json_response(error_body(100, "Invalid parameter"), status=400)
        if not str(body.get("to", "")).isdigit():
            return web.json_response(error_body(100, "Invalid parameter: to"), status=400)
        self.calls.append((kind, request.match_info["number"]))
        fault = self._fault(kind)
        if fault is not None:
            self.changed.set()
            return fault
        wamid = f"wamid.OUT{next(self._ids):06d}"
        self.sent.append({**body, "_number": request.match_info["number"], "_id": wamid})
        self.changed.set()
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": wamid}],
            }
        )

    async def _media(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response(error_body(190, "Invalid OAuth access token."), status=401)
        fault = self._fault("media")
        if fault is not None:
            return fault
        media_id = request.match_info["media_id"]
        if media_id not in self.media:
            return web.json_response(error_body(100, "Unsupported get request"), status=400)
        data, mime = self.media[media_id]
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "url": f"{self.base_url}/download/{media_id}",
                "mime_type": mime,
                "sha256": "x",
                "file_size": len(data),
                "id": media_id,
            }
        )

    async def _download(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.Response(status=401)
        fault = self._fault("download")
        if fault is not None:
            return fault
        data, mime = self.media[request.match_info["media_id"]]
        return web.Response(body=data, content_type=mime)

"""A local stand-in for the Telegram Bot API, on 127.0.0.1 (a real aiohttp server).

Real shapes (``{"ok", "result"}`` / ``{"ok": false, "error_code", "description",
"parameters"}``), the token checked on every path (``/bot<token>/<method>``,
``/file/bot<token>/<path>``: 401 / 404 otherwise, as the real API answers), long polling
(``getUpdates`` waits up to ``timeout`` for an update), ``offset`` semantics (updates below
the highest offset asked for are forgotten, as Telegram confirms them) and a script of
faults: 429 with ``retry_after``, 5xx, 409, and chats that blocked the bot (403).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456789:AAH-test_token_for_the_fake_bot_api_x"
BOT_ID = 123456789


@dataclass
class Fault:
    method: str
    status: int
    times: int = 1
    description: str = "fault"
    retry_after: int | None = None
    hit: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float


class FakeBotApi:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self.confirmed = 0  # highest offset a getUpdates asked for
        self.files: dict[str, bytes] = {}  # file_path -> bytes
        self.file_ids: dict[str, str] = {}  # file_id -> file_path
        self.sent: list[dict[str, Any]] = []
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.blocked: set[int] = set()
        self.ignore_offset = False
        self._update_ids = itertools.count(700_000_001)
        self._message_ids = itertools.count(1)
        self._out_ids = itertools.count(9_000_001)
        self._new = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # -- server ---------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        self._new.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- scripting ------------------------------------------------------------------------

    def message(
        self,
        user_id: int,
        text: str | None = None,
        *,
        username: str | None = "budi_s",
        chat_type: str = "private",
        **extra: Any,
    ) -> dict[str, Any]:
        """Queue an update with a message from *user_id* in its private chat; returns it."""
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": {"id": user_id, "is_bot": False, "first_name": "Budi", "username": username},
            "chat": {"id": user_id, "type": chat_type, "first_name": "Budi"},
            "date": int(time.time()),
        }
        if text is not None:
            msg["text"] = text
        msg.update(extra)
        return self.push({"message": msg})

    def photo(self, user_id: int, data: bytes, caption: str | None = None, **kw: Any) -> Any:
        """A photo message in two sizes: a small preview and *data* as the full size."""
        n = len(self.files)
        sizes = []
        for i, (blob, width) in enumerate(((data[: max(1, len(data) // 4)], 90), (data, 1280))):
            file_id, path = f"AgAC-{n}-{i}", f"photos/file_{n}_{i}.jpg"
            self.files[path] = blob
            self.file_ids[file_id] = path
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": f"u{n}{i}",
                    "width": width,
                    "height": width * 3 // 4,
                    "file_size": kw.pop(f"size{i}", len(blob)),
                }
            )
        extra: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            extra["caption"] = caption
        return self.message(user_id, None, **extra)

    def location(self, user_id: int, lat: float, lon: float) -> dict[str, Any]:
        return self.message(user_id, None, location={"latitude": lat, "longitude": lon})

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **update}
        self.updates.append(update)
        self._new.set()
        return update

    def fail(self, method: str, status: int, **kw: Any) -> Fault:
        fault = Fault(method, status, **kw)
        self.faults.append(fault)
        return fault

    def method_calls(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    # -- handlers -------------------------------------------------------------------------

    @staticmethod
    def _error(status: int, description: str, **params: Any) -> web.Response:
        doc: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if params:
            doc["parameters"] = params
        return web.json_response(doc, status=status)

    def _fault(self, method: str) -> web.Response | None:
        for fault in self.faults:
            if fault.method == method and fault.times > 0:
                fault.times -= 1
                fault.hit.set()
                if fault.status == 429:
                    return self._error(
                        429,
                        f"Too Many Requests: retry after {fault.retry_after}",
                        retry_after=fault.retry_after,
                    )
                if fault.status >= 500:
                    return web.Response(status=fault.status, text="<html>Bad Gateway</html>")
                return self._error(fault.status, fault.description)
        return None

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        try:
            params = await request.json()
        except ValueError:
            params = {}
        self.calls.append(Call(method, params, time.monotonic()))
        faulty = self._fault(method)
        if faulty is not None:
            return faulty
        handler = {
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "getFile": self._get_file,
        }.get(method)
        if handler is None:
            return self._error(404, "Not Found: method not found")
        return await handler(params)

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        offset = params.get("offset")
        if isinstance(offset, int) and not self.ignore_offset:
            self.confirmed = max(self.confirmed, offset)
            self.updates = [u for u in self.updates if u["update_id"] >= self.confirmed]
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 5.0)
        while True:
            ready = [
                u for u in self.updates if self.ignore_offset or u["update_id"] >= self.confirmed
            ]
            if ready or time.monotonic() >= deadline:
                return web.json_response({"ok": True, "result": ready[:limit]})
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), deadline - time.monotonic())
            except TimeoutError:
                pass

    async def _send_message(self, params: dict[str, Any]) -> web.Response:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int) or not isinstance(params.get("text"), str):
            return self._error(400, "Bad Request: chat_id and text are required")
        if chat_id in self.blocked:
            return self._error(403, "Forbidden: bot was blocked by the user")
        message_id = next(self._out_ids)
        self.sent.append({**params, "message_id": message_id})
        return web.json_response(
            {
                "ok": True,
                "result": {
                    "message_id": message_id,
                    "chat": {"id": chat_id, "type": "private"},
                    "date": int(time.time()),
                    "text": params["text"],
                },
            }
        )

    async def _get_file(self, params: dict[str, Any]) -> web.Response:
        path = self.file_ids.get(str(params.get("file_id")))
        if path is None:
            return self._error(400, "Bad Request: invalid file_id")
        return web.json_response(
            {
                "ok": True,
                "result": {
                    "file_id": params["file_id"],
                    "file_unique_id": "u",
                    "file_size": len(self.files[path]),
                    "file_path": path,
                },
            }
        )

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        self.calls.append(Call("file", {"path": request.match_info["path"]}, time.monotonic()))
        data = self.files.get(request.match_info["path"])
        if data is None:
            return self._error(404, "Not Found")
        return web.Response(body=data, content_type="application/octet-stream")

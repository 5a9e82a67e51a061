"""A real local HTTP server standing in for the core case store.

It records every request (with its Idempotency-Key), absorbs repeats like a real core
would, and can be told to fail: ``mode`` "ok", "fail503", "fail429", "reject400", "slow".
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class CoreState:
    mode: str = "ok"
    retry_after: str | None = None
    delay_s: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    addenda: list[tuple[str, str]] = field(default_factory=list)
    token_seen: list[str | None] = field(default_factory=list)


class FakeCore:
    def __init__(self) -> None:
        self.state = CoreState()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/cases", self._post)
        app.router.add_post("/cases/{original}/addenda", self._addendum)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/cases"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _fail(self) -> web.Response | None:
        s = self.state
        if s.delay_s:
            await asyncio.sleep(s.delay_s)
        if s.mode == "fail503":
            headers = {"Retry-After": s.retry_after} if s.retry_after else {}
            return web.json_response({"error": "down"}, status=503, headers=headers)
        if s.mode == "fail429":
            return web.json_response(
                {"error": "slow down"}, status=429, headers={"Retry-After": s.retry_after or "1"}
            )
        if s.mode == "reject400":
            return web.json_response({"error": "bad"}, status=400)
        return None

    async def _post(self, request: web.Request) -> web.Response:
        key = request.headers.get("Idempotency-Key", "")
        self.state.token_seen.append(request.headers.get("Authorization"))
        body = await request.json()
        self.state.requests.append({"key": key, "body": body})
        failed = await self._fail()
        if failed is not None:
            return failed
        if key in self.state.cases:
            return web.json_response({"error": "exists"}, status=409)
        self.state.cases[key] = body
        return web.json_response({"case_id": f"C-{len(self.state.cases)}"}, status=201)

    async def _addendum(self, request: web.Request) -> web.Response:
        failed = await self._fail()
        if failed is not None:
            return failed
        self.state.addenda.append(
            (request.match_info["original"], request.headers.get("Idempotency-Key", ""))
        )
        return web.json_response({}, status=201)

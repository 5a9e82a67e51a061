"""A commit that fails mid-POST: 503 (Meta redelivers), and the redelivery files what was
missing without doubling what was already committed. The adapter's own routes on a real
aiohttp server on 127.0.0.1 with the gateway's error middleware, over the real pipeline."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from fake_graph import FakeGraph
from wa_harness import CITIZEN, CITIZEN2, Db, envelope, text_msg, wa_section

from adapters.whatsapp.adapter import WhatsAppAdapter
from adapters.whatsapp.config import WhatsAppConfig
from adapters.whatsapp.webhook import PATH, signature
from gateway.adapter import AdapterContext, StoreUnavailableError
from gateway.app import error_middleware
from gateway.pipeline import Pipeline


class FailingOnce:
    """The real pipeline, except that the submit of one ``wamid`` fails once."""

    def __init__(self, inner: Pipeline, wamid: str) -> None:
        self.inner = inner
        self.inbound_key = f"wa:{wamid}"
        self.failed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def submit(self, report: Any, **kwargs: Any) -> Any:
        if kwargs["inbound_key"] == self.inbound_key and not self.failed:
            self.failed = True
            raise StoreUnavailableError("disk full")
        return await self.inner.submit(report, **kwargs)


@pytest.fixture
async def served(pipeline: Pipeline, tmp_path: Path, graph: FakeGraph) -> AsyncIterator[Any]:
    intake = FailingOnce(pipeline, "wamid.F2")
    section = wa_section(graph)["adapters"]["whatsapp"]
    ctx = AdapterContext(
        intake=intake,  # type: ignore[arg-type]
        data_dir=tmp_path,
        country="ID",
        max_body_bytes=65536,
    )
    adapter = WhatsAppAdapter(ctx, WhatsAppConfig.model_validate(section))
    app = web.Application(middlewares=[error_middleware])
    for route in adapter.routes():
        app.router.add_route(route.method, route.path, route.handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}{PATH}"
    await adapter.stop()
    await runner.cleanup()


async def test_failed_commit_is_503_and_the_redelivery_completes(served: str, db: Db) -> None:
    body = envelope(
        [
            text_msg("wamid.F1", "Jalan desa rusak parah tidak bisa dilewati mobil"),
            text_msg("wamid.F2", "Lampu penerangan jalan mati sebulan di RT 02", CITIZEN2),
        ]
    )
    raw = json.dumps(body).encode()
    headers = {"X-Hub-Signature-256": signature(b"wa-test-app-secret", raw)}
    async with aiohttp.ClientSession() as session:
        async with session.post(served, data=raw, headers=headers) as resp:
            assert resp.status == 503
            assert (await resp.json())["error"]["code"] == "store_unavailable"
            assert resp.headers["Retry-After"] == "5"
        assert [r["external_id"] for r in db.reports()] == ["wamid.F1"]
        async with session.post(served, data=raw, headers=headers) as resp:
            assert resp.status == 200
            assert sorted((await resp.json())["outcomes"]) == ["repeat", "report"]
    reports = db.reports()
    assert sorted(r["external_id"] for r in reports) == ["wamid.F1", "wamid.F2"]
    assert CITIZEN in reports[0]["body"]

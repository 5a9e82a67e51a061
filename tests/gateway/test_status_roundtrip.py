"""Status on every channel, end to end against the running gateway.

A report comes in (web, mobile), moves along through ``lapor-gateway case set-status`` (the
embedded case store; the real CLI in a subprocess on the same database) or through a signed
``POST /v1/core/events`` (an external core: the local fake core receives the forward), and
the citizen hears about it on the original channel: a signed callback to a local HTTP
server on 127.0.0.1. Then the public status view: history ordered by ``at`` (whatever the
timezone of the event), stale events never win, repeats are idempotent, typos are told apart
from unknown IDs, nothing personal leaks, lookups are rate-limited, and a citizen who opted
out is not notified.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from adapters import signing
from gateway.config import Config, load_config
from tests.conftest import CORE_EVENTS_SECRET, MOBILE_SECRET, WEB_SECRET, GatewayHarness
from tests.fakes.core import FakeCore

ROOT = Path(__file__).resolve().parents[2]
REPORT = {
    "text": "Jembatan penyeberangan di Jl. Magelang retak parah",
    "reporter": {"name": "Siti Aminah", "phone": "081298765432", "email": "siti@example.id"},
}
MOBILE_EXTRA = {"device_id": "ios-1234", "app_version": "3.0.0"}


@dataclass
class CallbackServer:
    """A citizen's backend: records every signed callback it receives."""

    url: str = ""
    received: asyncio.Queue[tuple[dict[str, str], bytes]] = field(default_factory=asyncio.Queue)

    async def next(self, secret: str, wait_s: float = 10.0) -> dict[str, Any]:
        headers, raw = await asyncio.wait_for(self.received.get(), wait_s)
        signing.verify(secret.encode(), headers, raw)
        doc: dict[str, Any] = json.loads(raw)
        return doc


@pytest.fixture
async def callbacks() -> AsyncIterator[CallbackServer]:
    server = CallbackServer()

    async def handler(request: web.Request) -> web.Response:
        await server.received.put((dict(request.headers), await request.read()))
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/cb", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    server.url = f"http://127.0.0.1:{runner.addresses[0][1]}/cb"
    yield server
    await runner.cleanup()


def write_config(tmp_path: Path, *, core_url: str = "", rate: int = 1000) -> Path:
    """A real config file, so the CLI subprocess and the gateway share one database."""
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[gateway]
data_dir = "{tmp_path / "data"}"
database = "sqlite:///{tmp_path / "lapor.db"}"

[http]
host = "127.0.0.1"
port = 0
status_rate_per_min = {rate}

[core]
url = "{core_url}"
events_secret = "{CORE_EVENTS_SECRET}"

[outbox]
poll_interval_s = 0.05

[adapters.web]
secret = "{WEB_SECRET}"

[adapters.mobile]
secret = "{MOBILE_SECRET}"
""",
        encoding="utf-8",
    )
    return path


async def start(gateway_factory: Any, path: Path) -> GatewayHarness:
    config: Config = load_config(path)
    h: GatewayHarness = await gateway_factory(config)
    return h


async def cli(path: Path, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway.cli",
        "--config",
        str(path),
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def core_event(h: GatewayHarness, **doc: Any) -> tuple[int, Any]:
    return await h.post_signed("/v1/core/events", doc, secret=CORE_EVENTS_SECRET)


# -- round trips ------------------------------------------------------------------------------


async def test_web_report_through_case_set_status_to_callback(
    gateway_factory: Any, tmp_path: Path, callbacks: CallbackServer
) -> None:
    path = write_config(tmp_path)
    h = await start(gateway_factory, path)
    status, body = await h.post_signed("/v1/web/reports", {**REPORT, "callback_url": callbacks.url})
    assert status == 201
    tid = body["tracking_id"]
    ack = await callbacks.next(WEB_SECRET)
    assert (ack["tracking_id"], ack["kind"]) == (tid, "received")

    code, out, err = await cli(
        path, "case", "set-status", tid, "closed", "--note", "Jembatan sudah diperbaiki"
    )
    assert code == 0, err
    update = await callbacks.next(WEB_SECRET)
    assert (update["tracking_id"], update["kind"]) == (tid, "status_update")
    assert update["status"] == "closed" and update["note"] == "Jembatan sudah diperbaiki"
    assert "Jembatan sudah diperbaiki" in update["message"]

    status, view = await h.get(f"/v1/reports/{tid}")
    assert status == 200 and view["status"] == "closed" and view["channel"] == "web"
    assert [e["status"] for e in view["history"]] == ["received", "closed"]

    code, out, _ = await cli(path, "case", "list", "--status", "closed", "--json")
    assert code == 0 and [r["tracking_id"] for r in json.loads(out)] == [tid]
    code, _, err = await cli(path, "case", "set-status", tid[:-1] + "x", "closed")
    assert code != 0
    assert callbacks.received.empty()


async def test_mobile_report_through_core_event_to_callback(
    gateway_factory: Any, tmp_path: Path, callbacks: CallbackServer, fake_core: FakeCore
) -> None:
    h = await start(gateway_factory, write_config(tmp_path, core_url=fake_core.url))
    status, body = await h.post_signed(
        "/v1/mobile/reports",
        {**REPORT, **MOBILE_EXTRA, "callback_url": callbacks.url},
        secret=MOBILE_SECRET,
    )
    assert status == 201
    tid = body["tracking_id"]
    ack = await callbacks.next(MOBILE_SECRET)
    assert (ack["tracking_id"], ack["kind"]) == (tid, "received")
    for _ in range(200):  # the external core received the forward through the outbox
        if fake_core.state.cases:
            break
        await asyncio.sleep(0.05)
    [forwarded] = fake_core.state.cases.values()
    assert forwarded["tracking_id"] == tid

    status, result = await core_event(
        h,
        tracking_id=tid,
        status="forwarded",
        at="2030-02-03T10:00:00+07:00",
        note="Diteruskan ke Dinas PU",
        agency="Dinas PU Kota Yogyakarta",
    )
    assert (status, result) == (200, {"applied": True, "current": True})
    update = await callbacks.next(MOBILE_SECRET)
    assert (update["tracking_id"], update["kind"], update["status"]) == (
        tid,
        "status_update",
        "forwarded",
    )
    assert update["agency"] == "Dinas PU Kota Yogyakarta"
    status, view = await h.get(f"/v1/reports/{tid}")
    assert view["channel"] == "mobile" and view["agency"] == "Dinas PU Kota Yogyakarta"


# -- the status view and the event path -------------------------------------------------------


async def test_history_order_stale_and_repeats(
    gateway_factory: Any, tmp_path: Path, callbacks: CallbackServer
) -> None:
    h = await start(gateway_factory, write_config(tmp_path))
    _, body = await h.post_signed("/v1/web/reports", {**REPORT, "callback_url": callbacks.url})
    tid = body["tracking_id"]
    await callbacks.next(WEB_SECRET)

    # 03:00Z written with a +07:00 offset, then 04:00Z: chronological order is by instant
    verified = {"tracking_id": tid, "status": "verified", "at": "2030-01-01T10:00:00+07:00"}
    responded = {
        "tracking_id": tid,
        "status": "responded",
        "at": "2030-01-01T04:00:00Z",
        "note": "Sudah ditanggapi",
    }
    assert (await core_event(h, **responded))[1] == {"applied": True, "current": True}
    assert (await core_event(h, **verified))[1] == {"applied": True, "current": False}
    # a repeat changes nothing and notifies nobody
    assert (await core_event(h, **responded))[1] == {"applied": False, "current": False}
    # older than the current status: recorded in history, never current, no notification
    stale = {"tracking_id": tid, "status": "closed", "at": "2029-12-31T00:00:00Z"}
    assert (await core_event(h, **stale))[1] == {"applied": True, "current": False}

    status, view = await h.get(f"/v1/reports/{tid}")
    assert status == 200 and view["status"] == "responded"
    history = view["history"]
    assert [e["status"] for e in history] == ["received", "closed", "verified", "responded"]
    assert [e["note"] for e in history] == [None, None, None, "Sudah ditanggapi"]
    assert history[2]["at"].startswith("2030-01-01T03:00:00")

    update = await callbacks.next(WEB_SECRET)
    assert update["status"] == "responded"
    await asyncio.sleep(0.5)  # the relay polls every 50 ms: give a wrong one time to show
    assert callbacks.received.empty()


async def test_status_view_errors_and_event_errors(gateway: GatewayHarness) -> None:
    _, body = await gateway.post_signed("/v1/web/reports", REPORT)
    tid = body["tracking_id"]
    typo = tid[:5] + str((int(tid[5]) + 1) % 10) + tid[6:]
    swapped = tid[:2] + tid[3] + tid[2] + tid[4:]
    unknown = "000000000000"

    assert (await gateway.get(f"/v1/reports/{unknown}"))[0] == 404
    for bad in (typo, swapped if swapped != tid else typo):
        status, doc = await gateway.get(f"/v1/reports/{bad}")
        assert (status, doc["error"]["code"]) == (400, "bad_check_digit")
    status, doc = await gateway.get("/v1/reports/12ab")
    assert (status, doc["error"]["code"]) == (400, "malformed_tracking_id")
    status, doc = await gateway.get(f"/v1/reports/{tid[:4]}-{tid[4:8]} {tid[8:]}")
    assert status == 200 and doc["tracking_id"].replace("-", "") == tid

    before = (await gateway.get(f"/v1/reports/{tid}"))[1]
    event = {"tracking_id": tid, "status": "closed", "at": "2031-01-01T00:00:00Z"}
    assert (await core_event(gateway, **{**event, "tracking_id": unknown}))[0] == 404
    assert (await core_event(gateway, **{**event, "tracking_id": typo}))[0] == 400
    assert (await core_event(gateway, **{**event, "status": "done"}))[0] == 422
    assert (await core_event(gateway, **{**event, "at": "2031-01-01T00:00:00"}))[0] == 422
    status, _ = await gateway.post_signed("/v1/core/events", event, secret="wrong-secret")
    assert status == 401
    status, _ = await gateway.post_signed("/v1/core/events", event, secret=WEB_SECRET)
    assert status == 401
    assert (await gateway.get(f"/v1/reports/{tid}"))[1] == before


async def test_anonymous_and_confidential_never_in_status_view(gateway: GatewayHarness) -> None:
    doc = {**REPORT, "title": "Pungli di kantor kelurahan", "anonymous": True, "confidential": True}
    _, body = await gateway.post_signed("/v1/web/reports", doc)
    tid = body["tracking_id"]
    await core_event(
        gateway, tracking_id=tid, status="verified", at="2031-01-01T00:00:00Z", note="Diverifikasi"
    )
    async with gateway.session.get(f"{gateway.base}/v1/reports/{tid}") as resp:
        assert resp.status == 200
        text = await resp.text()
    for secret in (
        "Siti",
        "Aminah",
        "siti@example.id",
        "81298765432",
        "Jembatan",
        "retak",
        "Pungli",
    ):
        assert secret not in text, secret
    assert "Diverifikasi" in text  # the public note is shown


async def test_status_lookups_are_rate_limited(gateway_factory: Any, tmp_path: Path) -> None:
    h = await start(gateway_factory, write_config(tmp_path, rate=3))
    _, body = await h.post_signed("/v1/web/reports", REPORT)
    statuses = [(await h.get(f"/v1/reports/{body['tracking_id']}"))[0] for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    status, doc = await h.get("/v1/reports/000000000000")
    assert status == 429 and doc["error"]["code"] == "rate_limited"


async def test_opted_out_citizen_is_not_notified(
    gateway_factory: Any, tmp_path: Path, callbacks: CallbackServer
) -> None:
    h = await start(gateway_factory, write_config(tmp_path))
    other = {**REPORT, "reporter": {"phone": "081311112222"}, "text": "Lampu taman mati"}
    _, quiet = await h.post_signed("/v1/web/reports", {**REPORT, "callback_url": callbacks.url})
    _, loud = await h.post_signed("/v1/web/reports", {**other, "callback_url": callbacks.url})
    acks = {(await callbacks.next(WEB_SECRET))["tracking_id"] for _ in range(2)}
    assert acks == {quiet["tracking_id"], loud["tracking_id"]}

    opted = await h.gw.pipeline.set_opt_out("phone:+6281298765432", True, inbound_key="optout-1")
    assert opted
    for tid in (quiet["tracking_id"], loud["tracking_id"]):
        status, result = await core_event(
            h, tracking_id=tid, status="closed", at="2031-01-01T00:00:00Z", note="Selesai"
        )
        assert (status, result["current"]) == (200, True)
    update = await callbacks.next(WEB_SECRET)
    assert (update["tracking_id"], update["kind"]) == (loud["tracking_id"], "status_update")
    await asyncio.sleep(0.5)
    assert callbacks.received.empty()
    rows = await h.gw.store.outbox_rows(quiet["tracking_id"])
    assert [json.loads(r["payload"])["kind"] for r in rows if r["kind"] == "ack"] == ["received"]
    # the status itself still moved: opting out stops messages, not the case
    status, view = await h.get(f"/v1/reports/{quiet['tracking_id']}")
    assert view["status"] == "closed"


async def test_statuses_without_template_notify_nobody(
    gateway_factory: Any, tmp_path: Path, callbacks: CallbackServer
) -> None:
    h = await start(gateway_factory, write_config(tmp_path))
    _, body = await h.post_signed("/v1/web/reports", {**REPORT, "callback_url": callbacks.url})
    await callbacks.next(WEB_SECRET)
    status, result = await core_event(
        h, tracking_id=body["tracking_id"], status="in_progress", at="2031-01-01T00:00:00Z"
    )
    assert (status, result) == (200, {"applied": True, "current": True})
    await asyncio.sleep(0.5)
    assert callbacks.received.empty()

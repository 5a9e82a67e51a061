"""Signed web intake against the real gateway over HTTP: the happy path and every bad input."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from aiohttp import web

from adapters import signing
from tests.conftest import WEB_SECRET, GatewayHarness

GOOD = {"text": "Jalan berlubang di depan SDN 3 Sleman", "reporter": {"phone": "081234567890"}}


async def test_new_report_gets_201_and_tracking_id(gateway: GatewayHarness) -> None:
    status, body = await gateway.post_signed("/v1/web/reports", GOOD)
    assert status == 201
    assert body["status"] == "received" and body["duplicate_of"] is None
    assert len(body["tracking_id"]) == 12
    found = await gateway.gw.store.get_report(body["tracking_id"])
    assert found is not None and found[0].reporter.phone == "+6281234567890"


async def test_idempotency_key_repeat_and_conflict(gateway: GatewayHarness) -> None:
    h = {"Idempotency-Key": "abc-1"}
    s1, b1 = await gateway.post_signed("/v1/web/reports", GOOD, headers=h)
    s2, b2 = await gateway.post_signed("/v1/web/reports", GOOD, headers=h)
    assert (s1, s2) == (201, 200) and b1["tracking_id"] == b2["tracking_id"]
    s3, b3 = await gateway.post_signed("/v1/web/reports", {**GOOD, "text": "lain"}, headers=h)
    assert s3 == 409 and b3["error"]["code"] == "idempotency_conflict"
    assert len(await gateway.gw.store.list_reports(None, 10)) == 1


def _stale_headers(body: bytes) -> dict[str, str]:
    return signing.signed_headers(WEB_SECRET.encode(), body, now=time.time() - 301)


@pytest.mark.parametrize(
    ("raw", "headers", "status", "code", "field"),
    [
        pytest.param(b"not json", None, 400, "bad_json", None, id="not-json"),
        pytest.param(b"[1,2]", None, 400, "bad_json", None, id="not-object"),
        pytest.param(b"\xff\xfe", None, 400, "bad_encoding", None, id="not-utf8"),
        pytest.param(
            json.dumps({"title": "x"}).encode(),
            None,
            422,
            "invalid_field",
            "text",
            id="missing-text",
        ),
        pytest.param(
            json.dumps({"text": 5}).encode(), None, 422, "invalid_field", "text", id="wrong-type"
        ),
        pytest.param(
            json.dumps({"text": "x", "anonymous": "yes"}).encode(),
            None,
            422,
            "invalid_field",
            "anonymous",
            id="bool-as-string",
        ),
        pytest.param(
            json.dumps({"text": "x", "colour": "red"}).encode(),
            None,
            422,
            "invalid_field",
            "colour",
            id="unknown-field",
        ),
        pytest.param(
            json.dumps({"text": " \u200b "}).encode(),
            None,
            422,
            "empty_text",
            "text",
            id="empty-after-cleanup",
        ),
        pytest.param(
            json.dumps({"text": "x", "reporter": {"phone": "12"}}).encode(),
            None,
            422,
            "invalid_field",
            "reporter.phone",
            id="bad-phone",
        ),
        pytest.param(
            json.dumps({"text": "x", "location": {"lat": 91}}).encode(),
            None,
            422,
            "invalid_field",
            "location.lat",
            id="bad-lat",
        ),
        pytest.param(
            json.dumps({"text": "x", "callback_url": "ftp://x"}).encode(),
            None,
            422,
            "invalid_field",
            "callback_url",
            id="bad-callback",
        ),
        pytest.param(
            b'{"text":"x"}',
            {"X-Lapor-Signature": "sha256=00"},
            401,
            "bad_signature",
            None,
            id="bad-signature",
        ),
        pytest.param(b'{"text":"x"}', "stale", 401, "bad_signature", None, id="stale-signature"),
        pytest.param(
            b'{"text":"x"}',
            {"X-Lapor-Timestamp": "soon"},
            401,
            "bad_signature",
            None,
            id="bad-timestamp",
        ),
    ],
)
async def test_bad_input_is_rejected_precisely(
    gateway: GatewayHarness, raw: bytes, headers: Any, status: int, code: str, field: str | None
) -> None:
    extra = _stale_headers(raw) if headers == "stale" else headers
    got_status, body = await gateway.post_signed("/v1/web/reports", None, raw=raw, headers=extra)
    assert got_status == status, body
    assert body["error"]["code"] == code
    assert body["error"].get("field") == field
    assert "Traceback" not in json.dumps(body)
    assert await gateway.gw.store.list_reports(None, 10) == []


async def test_missing_signature_is_401(gateway: GatewayHarness) -> None:
    async with gateway.session.post(gateway.base + "/v1/web/reports", json=GOOD) as resp:
        assert resp.status == 401
        assert (await resp.json())["error"]["code"] == "bad_signature"


async def test_oversized_body_is_413_and_others_still_served(gateway: GatewayHarness) -> None:
    big = json.dumps({"text": "x" * 70_000}).encode()
    results = await asyncio.gather(
        gateway.post_signed("/v1/web/reports", None, raw=big),
        gateway.post_signed("/v1/web/reports", GOOD),
    )
    assert results[0][0] == 413 and results[0][1]["error"]["code"] == "body_too_large"
    assert results[1][0] == 201


async def test_unknown_route_is_json_404(gateway: GatewayHarness) -> None:
    status, body = await gateway.get("/v1/nothing")
    assert status == 404 and body["error"]["code"] == "not_found"


async def test_callback_receives_signed_ack(gateway_factory: Any, config_factory: Any) -> None:
    received: list[tuple[dict[str, str], bytes]] = []
    got = asyncio.Event()

    async def callback(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        got.set()
        return web.json_response({}, status=200)

    app = web.Application()
    app.router.add_post("/cb", callback)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        h = await gateway_factory(config_factory())
        status, body = await h.post_signed(
            "/v1/web/reports", {**GOOD, "callback_url": f"http://127.0.0.1:{port}/cb"}
        )
        assert status == 201
        await asyncio.wait_for(got.wait(), 10)
        headers, raw = received[0]
        signing.verify(WEB_SECRET.encode(), headers, raw)
        doc = json.loads(raw)
        assert doc["tracking_id"] == body["tracking_id"] and doc["kind"] == "received"
        assert "diterima" in doc["message"]
    finally:
        await runner.cleanup()


async def test_ops_endpoints(gateway: GatewayHarness) -> None:
    assert (await gateway.get("/healthz"))[0] == 200
    status, ready = await gateway.get("/readyz")
    assert status == 200 and ready["store"]["ok"] and ready["relay"]["ok"]
    await gateway.post_signed("/v1/web/reports", GOOD)
    status, text = await gateway.get("/metrics")
    assert status == 200 and 'lapor_reports_received_total{channel="web"}' in text
    status, spec = await gateway.get("/openapi.json")
    assert (
        status == 200
        and "/v1/web/reports" in spec["paths"]
        and "ReportBody" in spec["components"]["schemas"]
    )


async def test_documented_example_is_accepted(gateway: GatewayHarness) -> None:
    """The request example in /openapi.json is a body the gateway accepts as it stands."""
    _, spec = await gateway.get("/openapi.json")
    media = spec["paths"]["/v1/web/reports"]["post"]["requestBody"]["content"]
    status, body = await gateway.post_signed(
        "/v1/web/reports", media["application/json"]["example"]
    )
    assert status == 201 and body["tracking_id"]

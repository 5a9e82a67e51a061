"""The signed-JSON intake (adapters/json_intake.py) against the running gateway over real
HTTP: a verbatim replay is the same request, only JSON is accepted (415 otherwise),
citizen text is stored as written, and /metrics tells a 409 conflict from a repeat."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from adapters import signing
from gateway.service import Gateway
from gateway.store import CoreEvent
from tests.conftest import CORE_EVENTS_SECRET, WEB_SECRET, GatewayHarness

PATH = "/v1/web/reports"
#: no phone, e-mail or user id: level-2 dedup has no identity to merge a resend by
NO_IDENTITY = {"text": "Lampu jalan mati di Gg. Mawar RT 05 RW 03 sejak Senin"}


async def post_raw(
    h: GatewayHarness, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, str, Any]:
    async with h.session.post(
        h.base + path, data=body, headers=headers, skip_auto_headers=["Content-Type"]
    ) as resp:
        return resp.status, resp.content_type, await resp.json(content_type=None)


def signed(body: bytes, secret: str = WEB_SECRET, **extra: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        **signing.signed_headers(secret.encode(), body),
        **extra,
    }


# -- item 15: a verbatim replay is the same request --------------------------------------------


async def test_verbatim_replay_is_answered_as_the_first_time(gateway: GatewayHarness) -> None:
    body = json.dumps(NO_IDENTITY).encode()
    headers = signed(body)
    first = await post_raw(gateway, PATH, body, headers)
    assert first[0] == 201 and first[2]["status"] == "received"
    tid = first[2]["tracking_id"]
    # the core moves the case along; a replay still gets the first answer, byte for byte
    await gateway.gw.pipeline.apply_core_event(CoreEvent(tid, "verified", datetime.now(UTC)))
    for _ in range(2):
        assert await post_raw(gateway, PATH, body, headers) == first
    assert [r["tracking_id"] for r in await gateway.gw.store.list_reports(None, 10)] == [tid]


async def test_same_body_newly_signed_is_a_new_request(gateway: GatewayHarness) -> None:
    body = json.dumps(NO_IDENTITY).encode()
    first = await post_raw(gateway, PATH, body, signed(body))
    now = int(datetime.now(UTC).timestamp())
    later = {
        "Content-Type": "application/json",
        **signing.signed_headers(WEB_SECRET.encode(), body, now=now + 1),
    }
    second = await post_raw(gateway, PATH, body, later)
    assert (first[0], second[0]) == (201, 201)
    assert first[2]["tracking_id"] != second[2]["tracking_id"]
    assert len(await gateway.gw.store.list_reports(None, 10)) == 2


async def test_replay_is_absorbed_across_a_restart(config_factory: Any) -> None:
    """The replay key is committed with the report: a restarted gateway still knows it."""
    config = config_factory()
    body = json.dumps(NO_IDENTITY).encode()
    headers = signed(body)
    answers = []
    for _ in range(2):
        gw = Gateway(config)
        await gw.start()
        try:
            async with aiohttp.ClientSession() as session:
                h = GatewayHarness(gw, session)
                answers.append(await post_raw(h, PATH, body, headers))
                reports = await gw.store.list_reports(None, 10)
        finally:
            await gw.stop()
    assert answers[0] == answers[1] and answers[0][0] == 201
    assert len(reports) == 1


async def test_idempotency_key_still_wins_over_the_signature(gateway: GatewayHarness) -> None:
    body = json.dumps(NO_IDENTITY).encode()
    headers = signed(body, **{"Idempotency-Key": "form-7"})
    s1 = (await post_raw(gateway, PATH, body, headers))[0]
    s2 = (await post_raw(gateway, PATH, body, headers))[0]
    assert (s1, s2) == (201, 200)


# -- item 16: JSON endpoints take JSON --------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        pytest.param("text/plain", 415, id="text-plain"),
        pytest.param("text/plain; charset=utf-8", 415, id="text-plain-utf8"),
        pytest.param("application/x-www-form-urlencoded", 415, id="form"),
        pytest.param("application/xml", 415, id="xml"),
        pytest.param("application/json; charset=iso-8859-1", 415, id="json-latin1"),
        pytest.param("application/json", 201, id="json"),
        pytest.param("application/json; charset=UTF-8", 201, id="json-utf8"),
        pytest.param("application/vnd.lapor.report+json", 201, id="vendor-json"),
        pytest.param(None, 201, id="no-content-type"),
    ],
)
async def test_web_reports_accept_only_json(
    gateway: GatewayHarness, content_type: str | None, status: int
) -> None:
    body = json.dumps(NO_IDENTITY).encode()
    headers = signing.signed_headers(WEB_SECRET.encode(), body)
    if content_type is not None:
        headers["Content-Type"] = content_type
    got, ctype, doc = await post_raw(gateway, PATH, body, headers)
    assert got == status, doc
    assert ctype == "application/json"
    if status == 415:
        assert doc == {
            "error": {
                "code": "unsupported_media_type",
                "message": "send Content-Type: application/json (UTF-8)",
            }
        }
        assert await gateway.gw.store.list_reports(None, 10) == []


async def test_core_events_accept_only_json(gateway: GatewayHarness) -> None:
    _, _, filed = await post_raw(gateway, PATH, *_signed_body(NO_IDENTITY))
    event = json.dumps(
        {"tracking_id": filed["tracking_id"], "status": "closed", "at": "2031-01-01T00:00:00Z"}
    ).encode()
    headers = signed(event, CORE_EVENTS_SECRET)
    status, _, doc = await post_raw(
        gateway, "/v1/core/events", event, {**headers, "Content-Type": "text/plain"}
    )
    assert (status, doc["error"]["code"]) == (415, "unsupported_media_type")
    view = await gateway.gw.store.status_view(filed["tracking_id"])
    assert view is not None and view.status == "received"
    assert (await post_raw(gateway, "/v1/core/events", event, headers))[0] == 200


def _signed_body(document: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(document).encode()
    return body, signed(body)


async def test_openapi_documents_the_415(gateway_factory: Any, config_factory: Any) -> None:
    h = await gateway_factory(
        config_factory({"adapters": {"mobile": {"enabled": True, "secret": "m"}}})
    )
    _, spec = await h.get("/openapi.json")
    for path in ("/v1/web/reports", "/v1/mobile/reports", "/v1/core/events"):
        assert "JSON" in spec["paths"][path]["post"]["responses"]["415"]["description"], path


# -- item 14: citizen text is stored as written ----------------------------------------------

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
HEALTH_WORKER = "\U0001f469\u200d\u2695\ufe0f"
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # with ZWNJ
HINDI = "\u0915\u094d\u200d\u0937"  # ka + virama + ZWJ + ssa


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"Keluarga {FAMILY} kami terjebak banjir di Kampung Pulo", id="family-emoji"),
        pytest.param(f"Puskesmas tutup, {HEALTH_WORKER} tidak ada sejak pagi", id="health-worker"),
        pytest.param(f"{PERSIAN}: jalan di depan kedutaan rusak", id="persian-zwnj"),
        pytest.param(f"Papan nama {HINDI} di kuil roboh", id="devanagari-zwj"),
    ],
)
async def test_citizen_text_survives_storage(gateway: GatewayHarness, text: str) -> None:
    status, _, doc = await post_raw(gateway, PATH, *_signed_body({"text": text}))
    assert status == 201, doc
    found = await gateway.gw.store.get_report(doc["tracking_id"])
    assert found is not None and found[0].text == text


# -- item 18: /metrics tells a conflict from a repeat ----------------------------------------


def _sample(text: str, name: str, labels: str) -> float:
    match = re.search(rf"^{name}\{{{re.escape(labels)}\}} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


async def test_idempotency_conflict_is_not_counted_as_a_repeat(gateway: GatewayHarness) -> None:
    repeats = ("lapor_inbound_repeats_total", 'channel="web"')
    conflicts = (
        "lapor_requests_rejected_total",
        'channel="web",reason="idempotency_conflict"',
    )
    key = {"Idempotency-Key": "metrics-1"}
    assert (await post_raw(gateway, PATH, *_signed_body(NO_IDENTITY)))[0] == 201
    body = json.dumps(NO_IDENTITY).encode()
    assert (await post_raw(gateway, PATH, body, signed(body, **key)))[0] == 201
    _, before = await gateway.get("/metrics")
    other = json.dumps({"text": "Sampah menumpuk di pasar"}).encode()
    status, _, doc = await post_raw(gateway, PATH, other, signed(other, **key))
    assert (status, doc["error"]["code"]) == (409, "idempotency_conflict")
    _, after = await gateway.get("/metrics")
    assert _sample(after, *repeats) == _sample(before, *repeats)
    assert _sample(after, *conflicts) == _sample(before, *conflicts) + 1
    # a true repeat still counts as one
    assert (await post_raw(gateway, PATH, body, signed(body, **key)))[0] == 200
    _, last = await gateway.get("/metrics")
    assert _sample(last, *repeats) == _sample(after, *repeats) + 1

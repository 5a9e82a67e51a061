"""Open311 GeoReport v2 against the running gateway over HTTP: service discovery, posting
in both encodings (form, JSON) and formats (XML, JSON), and the spec's error bodies with
proof that no bad request changes a stored report. Lookups: test_open311_lookups.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from gateway.store import CoreEvent
from normalizer import tracking
from tests.adapters.open311.open311_support import (
    API_KEY,
    GOOD,
    call,
    create,
    spec_error,
    xml_items,
    xml_root,
)
from tests.conftest import GatewayHarness

# -- services ---------------------------------------------------------------------------------


async def test_service_list_xml_and_json(o311: GatewayHarness) -> None:
    status, ctype, text = await call(o311, "GET", "services.xml")
    assert (status, ctype) == (200, "text/xml")
    services = xml_items(text, "services", "service")
    assert [s["service_code"] for s in services] == ["JALAN", "SAMPAH", "BATCH"]
    assert services[0] == {
        "service_code": "JALAN",
        "service_name": "Jalan rusak",
        "description": "Jalan berlubang",
        "metadata": "true",
        "type": "realtime",
        "keywords": "jalan, lubang",
        "group": "infrastruktur",
    }
    status, ctype, text = await call(o311, "GET", "services.json?jurisdiction_id=lapor.go.id")
    assert (status, ctype) == (200, "application/json")
    doc = json.loads(text)
    assert doc[0]["metadata"] is True and doc[2]["type"] == "batch"


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_service_definition(o311: GatewayHarness, fmt: str) -> None:
    status, _, text = await call(o311, "GET", f"services/SAMPAH.{fmt}")
    assert status == 200
    if fmt == "xml":
        root = xml_root(text)
        assert root.tag == "service_definition"
        assert root.findtext("service_code") == "SAMPAH"
        attrs = root.findall("attributes/attribute")
        codes = [a.findtext("code") for a in attrs]
        assert codes == ["JENIS", "anonymous", "confidential"]
        assert attrs[0].findtext("required") == "true"
        assert attrs[0].findtext("datatype") == "singlevaluelist"
        keys = [v.findtext("key") for v in attrs[0].findall("values/value")]
        assert keys == ["rumah", "liar"]
        assert [a.findtext("order") for a in attrs] == ["1", "2", "3"]
    else:
        doc = json.loads(text)
        assert doc["service_code"] == "SAMPAH"
        first = doc["attributes"][0]
        assert first["variable"] is True and first["required"] is True and first["order"] == 1
        assert first["values"][1] == {"key": "liar", "name": "Pembuangan liar"}
        assert {a["code"] for a in doc["attributes"]} == {"JENIS", "anonymous", "confidential"}


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_unknown_service_and_jurisdiction_are_404(o311: GatewayHarness, fmt: str) -> None:
    status, _, text = await call(o311, "GET", f"services/NOPE.{fmt}")
    assert status == 404 and spec_error(fmt, text)[0] == 404
    status, _, text = await call(o311, "GET", f"services.{fmt}?jurisdiction_id=other.go.id")
    assert status == 404 and "jurisdiction_id" in spec_error(fmt, text)[1]


# -- POST requests ----------------------------------------------------------------------------


async def test_form_post_xml_answer_and_stored_report(o311: GatewayHarness) -> None:
    status, ctype, text = await call(o311, "POST", "requests.xml", form=GOOD)
    assert (status, ctype) == (201, "text/xml")
    [item] = xml_items(text, "service_requests", "request")
    assert set(item) == {"service_request_id", "service_notice", "account_id"}
    tid = item["service_request_id"]
    assert tracking.parse(tid) == tid and len(tid) == 12
    assert tracking.display(tid) in item["service_notice"]
    found = await o311.gw.store.get_report(tid)
    assert found is not None
    report = found[0]
    assert report.channel.value == "open311" and report.category == "JALAN"
    assert report.title == "Jalan rusak" and report.text.startswith("Jalan berlubang")
    assert report.location is not None and report.location.lat == pytest.approx(-7.7956)
    assert report.reporter.phone == "+6281234567890" and report.reporter.name == "Budi Santoso"
    assert report.reply_to is None
    assert API_KEY not in json.dumps(report.raw)


async def test_json_post_json_answer(o311: GatewayHarness) -> None:
    body = {
        **GOOD,
        "service_code": "SAMPAH",
        "lat": -7.8,
        "long": 110.4,
        "account_id": "acc-9",
        "attribute": {"JENIS": "liar", "confidential": True},
    }
    status, ctype, text = await call(o311, "POST", "requests.json", json_body=body)
    assert (status, ctype) == (201, "application/json")
    [item] = json.loads(text)
    assert item["account_id"] == "acc-9" and isinstance(item["service_request_id"], str)
    report = await o311.gw.store.get_report(item["service_request_id"])
    assert report is not None and report[0].confidential and not report[0].anonymous
    assert report[0].raw["attributes"] == {"JENIS": ["liar"]}
    assert report[0].reporter.user_id == "open311:acc-9"


async def test_form_attributes_and_address_only(o311: GatewayHarness) -> None:
    form = [
        ("api_key", API_KEY),
        ("service_code", "SAMPAH"),
        ("address_string", "Jl. Malioboro 1, Yogyakarta"),
        ("attribute[JENIS]", "rumah"),
        ("attribute[Anonymous]", "true"),
        ("attribute[confidential]", "false"),
        ("attribute[report_url]", "https://fixmystreet.example/report/42"),
    ]
    status, _, text = await call(o311, "POST", "requests.json", form=form)
    assert status == 201, text
    tid = json.loads(text)[0]["service_request_id"]
    found = await o311.gw.store.get_report(tid)
    assert found is not None
    report = found[0]
    assert report.anonymous and not report.confidential
    assert report.raw["attributes"] == {
        "JENIS": ["rumah"],
        "report_url": ["https://fixmystreet.example/report/42"],
    }
    assert report.text == "Sampah tidak diangkut"  # no description: the service name
    assert report.location is not None and report.location.address == "Jl. Malioboro 1, Yogyakarta"


async def test_idempotency_key_repeat(o311: GatewayHarness) -> None:
    h = {"Idempotency-Key": "o311-1"}
    s1, _, t1 = await call(o311, "POST", "requests.json", form=GOOD, headers=h)
    s2, _, t2 = await call(o311, "POST", "requests.json", form=GOOD, headers=h)
    assert (s1, s2) == (201, 200)
    assert json.loads(t1)[0]["service_request_id"] == json.loads(t2)[0]["service_request_id"]
    s3, _, t3 = await call(
        o311, "POST", "requests.json", form={**GOOD, "description": "lain"}, headers=h
    )
    assert s3 == 400 and "Idempotency-Key" in spec_error("json", t3)[1]
    assert len(await o311.gw.store.list_reports(None, 10)) == 1


async def test_batch_service_answers_token_that_resolves(o311: GatewayHarness) -> None:
    status, _, text = await call(
        o311, "POST", "requests.xml", form={**GOOD, "service_code": "BATCH"}
    )
    assert status == 201
    [item] = xml_items(text, "service_requests", "request")
    assert "service_request_id" not in item and item["token"]
    status, _, text = await call(o311, "GET", f"tokens/{item['token']}.xml")
    assert status == 200
    [resolved] = xml_items(text, "service_requests", "request")
    assert resolved == {"service_request_id": item["token"], "token": item["token"]}
    status, _, text = await call(o311, "GET", "tokens/000000000000.json")
    assert status == 404 and spec_error("json", text)[0] == 404


# -- bad input: spec errors, nothing stored or changed ----------------------------------------

BAD_POSTS = [
    pytest.param({**GOOD, "api_key": ""}, 403, "api_key", id="no-api-key"),
    pytest.param({**GOOD, "api_key": "wrong"}, 403, "api_key", id="wrong-api-key"),
    pytest.param(
        {k: v for k, v in GOOD.items() if k != "service_code"},
        400,
        "service_code",
        id="no-service-code",
    ),
    pytest.param({**GOOD, "service_code": "NOPE"}, 404, "service_code", id="unknown-service"),
    pytest.param(
        {**GOOD, "jurisdiction_id": "other.go.id"}, 404, "jurisdiction_id", id="wrong-jurisdiction"
    ),
    pytest.param(
        {k: v for k, v in GOOD.items() if k not in ("lat", "long")},
        400,
        "location",
        id="no-location",
    ),
    pytest.param({k: v for k, v in GOOD.items() if k != "long"}, 400, "together", id="lat-only"),
    pytest.param({**GOOD, "lat": "95"}, 400, "lat", id="lat-out-of-range"),
    pytest.param({**GOOD, "long": "east"}, 400, "long", id="long-not-number"),
    pytest.param({**GOOD, "description": "x" * 4001}, 400, "4000", id="description-too-long"),
    pytest.param({**GOOD, "email": "not-an-email"}, 400, "email", id="bad-email"),
    pytest.param({**GOOD, "media_url": "ftp://x/y.jpg"}, 400, "media_url", id="bad-media-url"),
    pytest.param({**GOOD, "attribute[anonymous]": "maybe"}, 400, "anonymous", id="bad-flag"),
    pytest.param(
        {**GOOD, "attribute[x]": "y" * 70_000}, 413, "body exceeds", id="attr-beyond-body-limit"
    ),
    pytest.param({**GOOD, "service_code": "SAMPAH"}, 400, "JENIS", id="required-attr-missing"),
    pytest.param(
        {**GOOD, "service_code": "SAMPAH", "attribute[JENIS]": "batu"},
        400,
        "JENIS",
        id="attr-not-in-list",
    ),
]


async def _reports(h: GatewayHarness) -> list[Any]:
    """Every stored report with its status (not the relay's core_case_id, which the
    embedded core sets asynchronously)."""
    rows = await h.gw.store.list_reports(None, 100)
    out = []
    for row in rows:
        found = await h.gw.store.get_report(row["tracking_id"])
        assert found is not None
        out.append((found[0].model_dump(), found[1], {**row, "core_case_id": None}))
    return out


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_bad_posts_get_spec_errors_and_change_nothing(o311: GatewayHarness, fmt: str) -> None:
    tid = await create(o311)
    await o311.gw.pipeline.apply_core_event(
        CoreEvent(tid, "verified", datetime.now(UTC), note="cek lapangan")
    )
    before_reports = await _reports(o311)
    before_view = await o311.gw.store.status_view(tid)
    assert before_view is not None and before_view.status == "verified"
    for case in BAD_POSTS:
        form, expected_status, needle = cast(tuple[dict[str, str], int, str], case.values)
        status, ctype, text = await call(o311, "POST", f"requests.{fmt}", form=form)
        assert status == expected_status, (case.id, text)
        assert ctype == ("text/xml" if fmt == "xml" else "application/json")
        code, description = spec_error(fmt, text)
        assert code == expected_status and needle in description, (case.id, description)
    for raw, ctype in [
        (b"service_code=JALAN&%%%", "application/x-www-form-urlencoded"),
        (b"\xff\xfe", "application/x-www-form-urlencoded"),
        (b"[1]", "application/json"),
        (b"{not json", "application/json"),
        (b"<request/>", "text/xml"),
    ]:
        async with o311.session.post(
            f"{o311.base}/open311/v2/requests.{fmt}", data=raw, headers={"Content-Type": ctype}
        ) as resp:
            assert resp.status == 400, raw
            spec_error(fmt, await resp.text())
    assert await _reports(o311) == before_reports
    assert await o311.gw.store.status_view(tid) == before_view

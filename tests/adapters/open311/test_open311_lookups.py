"""Open311 GeoReport v2 lookups over HTTP: by ID and ID list in both formats, status
mapping, privacy of anonymous and confidential reports, errors and rate limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from gateway.store import CoreEvent
from normalizer import tracking
from tests.adapters.open311.open311_support import OPEN311, W3C, call, create, spec_error, xml_items
from tests.conftest import GatewayHarness

# -- lookups ----------------------------------------------------------------------------------


async def test_get_request_by_id_both_formats_follows_status(o311: GatewayHarness) -> None:
    tid = await create(o311, "xml")
    status, _, text = await call(o311, "GET", f"requests/{tid}.xml")
    assert status == 200
    [item] = xml_items(text, "service_requests", "request")
    assert item["service_request_id"] == tid and item["status"] == "open"
    assert item["service_code"] == "JALAN" and item["service_name"] == "Jalan rusak"
    assert W3C.match(item["requested_datetime"]) and W3C.match(item["updated_datetime"])
    for field in ("description", "address", "lat", "long", "media_url", "status_notes"):
        assert item[field] == "", field  # public lookup: no text, no location
    expected_keys = [
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ]
    assert list(item) == expected_keys
    closed_at = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    await o311.gw.pipeline.apply_core_event(
        CoreEvent(tid, "closed", closed_at, note="Sudah diperbaiki", agency="DPU Sleman")
    )
    # dashes and spaces in the ID are tolerated, as everywhere
    status, _, text = await call(o311, "GET", f"requests/{tracking.display(tid)}.json")
    assert status == 200
    [doc] = json.loads(text)
    assert doc["status"] == "closed" and doc["status_notes"] == "Sudah diperbaiki"
    assert doc["agency_responsible"] == "DPU Sleman"
    assert doc["updated_datetime"] == "2031-05-06T07:08:09Z"
    assert doc["description"] is None and doc["lat"] is None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param("rejected", "closed", id="rejected-is-closed"),
        pytest.param("in_progress", "open", id="in-progress-is-open"),
        pytest.param("responded", "open", id="responded-is-open"),
    ],
)
async def test_status_mapping(o311: GatewayHarness, status: str, expected: str) -> None:
    tid = await create(o311)
    await o311.gw.pipeline.apply_core_event(CoreEvent(tid, status, datetime.now(UTC)))
    _, _, text = await call(o311, "GET", f"requests/{tid}.json")
    assert json.loads(text)[0]["status"] == expected


async def test_anonymous_confidential_never_in_lookup(o311: GatewayHarness) -> None:
    tid = await create(
        o311,
        **{"attribute[anonymous]": "true", "attribute[confidential]": "true"},
    )
    for fmt in ("xml", "json"):
        _, _, text = await call(o311, "GET", f"requests/{tid}.{fmt}")
        for secret in (
            "Budi",
            "Santoso",
            "budi@example.id",
            "6281234567890",
            "berlubang",
            "-7.79",
            "110.36",
        ):
            assert secret not in text, (fmt, secret)


async def test_get_requests_by_id_list(o311: GatewayHarness) -> None:
    a, b = await create(o311), await create(o311, description="Lampu jalan mati total")
    unknown = tracking.new_tracking_id()
    ids = f"{a},{tracking.display(b)}, {unknown}"
    status, _, text = await call(o311, "GET", f"requests.xml?service_request_id={ids}")
    assert status == 200
    items = xml_items(text, "service_requests", "request")
    assert [i["service_request_id"] for i in items] == [a, b]
    status, _, text = await call(o311, "GET", f"requests.json?service_request_id={a},{a}")
    assert [d["service_request_id"] for d in json.loads(text)] == [a]


def _typo(tid: str) -> str:
    digit = str((int(tid[3]) + 1) % 10)
    return tid[:3] + digit + tid[4:]


@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_lookup_errors(o311: GatewayHarness, fmt: str) -> None:
    tid = await create(o311)
    cases = [
        (f"requests/{tracking.new_tracking_id()}.{fmt}", 404, "not found"),
        (f"requests/{_typo(tid)}.{fmt}", 400, "check digit"),
        (f"requests/abc.{fmt}", 400, "not a tracking ID"),
        (f"requests.{fmt}", 400, "service_request_id is required"),
        (f"requests.{fmt}?service_request_id={tid},{_typo(tid)}", 400, "check digit"),
        (f"requests.{fmt}?service_request_id=" + ",".join([tid] * 51), 400, "at most"),
        (f"requests/{tid}.{fmt}?jurisdiction_id=x.go.id", 404, "jurisdiction_id"),
        (f"nothing/here.{fmt}", 404, "no such"),
    ]
    for path, expected, needle in cases:
        status, _, text = await call(o311, "GET", path)
        assert status == expected, (path, text)
        code, description = spec_error(fmt, text)
        assert code == expected and needle in description, (path, description)


async def test_lookups_are_rate_limited(gateway_factory: Any, config_factory: Any) -> None:
    h = await gateway_factory(
        config_factory({"adapters": {"open311": {**OPEN311, "lookup_rate_per_min": 3}}})
    )
    tid = await create(h)
    statuses = [(await call(h, "GET", f"requests/{tid}.xml"))[0] for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    status, _, text = await call(h, "GET", f"requests/{tid}.xml")
    assert status == 429 and spec_error("xml", text)[0] == 429


async def test_id_lists_cost_one_lookup_per_id(gateway_factory: Any, config_factory: Any) -> None:
    h = await gateway_factory(
        config_factory({"adapters": {"open311": {**OPEN311, "lookup_rate_per_min": 3}}})
    )
    tid = await create(h)
    others = [tracking.new_tracking_id() for _ in range(2)]
    ids = ",".join([tid, *others])
    assert (await call(h, "GET", f"requests.json?service_request_id={ids}"))[0] == 200
    assert (await call(h, "GET", f"requests.json?service_request_id={tid}"))[0] == 429


async def test_openapi_lists_open311_and_mobile(o311: GatewayHarness) -> None:
    status, spec = await o311.get("/openapi.json")
    assert status == 200
    assert "/open311/v2/requests.{format}" in spec["paths"]
    assert "post" in spec["paths"]["/open311/v2/requests.{format}"]
    mobile = spec["paths"]["/v1/mobile/reports"]["post"]["requestBody"]["content"]
    assert set(mobile) == {"application/json", "multipart/form-data"}

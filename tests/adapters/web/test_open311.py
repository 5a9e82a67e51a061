"""Open311 GeoReport v2 against the running gateway over HTTP: both encodings (form, JSON),
both formats (XML parsed with xml.etree, JSON), the spec's error bodies, and proof that no
bad request changes a stored report."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlencode

import pytest

from adapters.web.open311_config import Open311Config
from adapters.web.open311_format import to_json, to_xml, w3c_datetime
from gateway.store import CoreEvent
from normalizer import tracking
from tests.conftest import GatewayHarness

API_KEY = "test-open311-key"
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")

OPEN311 = {
    "enabled": True,
    "api_keys": [API_KEY],
    "jurisdiction_id": "lapor.go.id",
    "lookup_rate_per_min": 1000,
    "services": [
        {
            "service_code": "JALAN",
            "service_name": "Jalan rusak",
            "description": "Jalan berlubang",
            "group": "infrastruktur",
            "keywords": "jalan, lubang",
        },
        {
            "service_code": "SAMPAH",
            "service_name": "Sampah tidak diangkut",
            "attributes": [
                {
                    "code": "JENIS",
                    "datatype": "singlevaluelist",
                    "required": True,
                    "order": 1,
                    "description": "Jenis sampah",
                    "values": [
                        {"key": "rumah", "name": "Rumah tangga"},
                        {"key": "liar", "name": "Pembuangan liar"},
                    ],
                }
            ],
        },
        {"service_code": "BATCH", "service_name": "Layanan batch", "type": "batch"},
    ],
}

GOOD = {
    "api_key": API_KEY,
    "service_code": "JALAN",
    "lat": "-7.7956",
    "long": "110.3695",
    "description": "Jalan berlubang besar di depan SDN 3 Sleman",
    "first_name": "Budi",
    "last_name": "Santoso",
    "email": "budi@example.id",
    "phone": "081234567890",
}


@pytest.fixture
async def o311(gateway_factory: Any, config_factory: Any) -> GatewayHarness:
    h: GatewayHarness = await gateway_factory(config_factory({"adapters": {"open311": OPEN311}}))
    return h


async def call(
    h: GatewayHarness,
    method: str,
    path: str,
    *,
    form: dict[str, str] | list[tuple[str, str]] | None = None,
    json_body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str, str]:
    """(status, content type, text) of one request to /open311/v2/<path>."""
    kwargs: dict[str, Any] = {"headers": dict(headers or {})}
    if form is not None:
        kwargs["data"] = urlencode(form)
        kwargs["headers"]["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    elif json_body is not None:
        kwargs["data"] = json.dumps(json_body)
        kwargs["headers"]["Content-Type"] = "application/json"
    async with h.session.request(method, f"{h.base}/open311/v2/{path}", **kwargs) as resp:
        return resp.status, resp.content_type, await resp.text()


def xml_root(text: str) -> ET.Element:
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(text.encode("utf-8"))


def xml_items(text: str, root: str, item: str) -> list[dict[str, str]]:
    element = xml_root(text)
    assert element.tag == root
    assert all(child.tag == item for child in element)
    return [{c.tag: (c.text or "") for c in child} for child in element]


def spec_error(fmt: str, text: str) -> tuple[int, str]:
    """The (code, description) of a spec error body, checking its shape."""
    if fmt == "xml":
        errors = xml_items(text, "errors", "error")
        assert len(errors) == 1 and set(errors[0]) == {"code", "description"}
        return int(errors[0]["code"]), errors[0]["description"]
    doc = json.loads(text)
    assert isinstance(doc, list) and len(doc) == 1 and set(doc[0]) == {"code", "description"}
    return int(doc[0]["code"]), str(doc[0]["description"])


async def create(h: GatewayHarness, fmt: str = "json", **changes: str) -> str:
    status, _, text = await call(h, "POST", f"requests.{fmt}", form={**GOOD, **changes})
    assert status == 201, text
    if fmt == "xml":
        return xml_items(text, "service_requests", "request")[0]["service_request_id"]
    return str(json.loads(text)[0]["service_request_id"])


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
    pytest.param({**GOOD, "attribute[x]": "y" * 1001}, 400, "attribute[x]", id="long-attr"),
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


# -- pure parts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(datetime(2010, 1, 1, tzinfo=UTC), "2010-01-01T00:00:00Z", id="utc"),
        pytest.param(
            datetime.fromisoformat("1994-11-05T08:15:30-05:00"),
            "1994-11-05T13:15:30Z",
            id="offset-to-utc",
        ),
        pytest.param(
            datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC), "2026-03-04T05:06:07Z", id="micros"
        ),
    ],
)
def test_w3c_datetime(value: datetime, expected: str) -> None:
    assert w3c_datetime(value) == expected


def test_xml_and_json_from_one_description() -> None:
    doc = [{"code": 400, "description": "bad <input> & \x00\x1b more", "ok": True, "x": None}]
    root = ET.fromstring(to_xml("errors", doc))
    assert root.tag == "errors" and [c.tag for c in root] == ["error"]
    error = root[0]
    assert error.findtext("code") == "400" and error.findtext("ok") == "true"
    assert error.findtext("description") == "bad <input> &  more"
    assert error.find("x") is not None and error.findtext("x") == ""
    assert json.loads(to_json(doc)) == doc


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        pytest.param({"enabled": True}, "without any", id="enabled-without-services"),
        pytest.param(
            {"services": [{"service_code": "A", "service_name": "a"}] * 2},
            "unique",
            id="duplicate-service",
        ),
        pytest.param(
            {"services": [{"service_code": "A", "service_name": "a", "type": "async"}]},
            "type",
            id="bad-type",
        ),
        pytest.param(
            {
                "services": [
                    {
                        "service_code": "A",
                        "service_name": "a",
                        "attributes": [{"code": "anonymous"}],
                    }
                ]
            },
            "reserved",
            id="reserved-attribute",
        ),
        pytest.param(
            {
                "services": [
                    {
                        "service_code": "A",
                        "service_name": "a",
                        "attributes": [{"code": "K", "datatype": "singlevaluelist"}],
                    }
                ]
            },
            "needs values",
            id="list-without-values",
        ),
        pytest.param(
            {
                "services": [
                    {
                        "service_code": "A",
                        "service_name": "a",
                        "attributes": [{"code": "K"}, {"code": "K"}],
                    }
                ]
            },
            "duplicate attribute",
            id="duplicate-attribute",
        ),
    ],
)
def test_config_problems(section: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Open311Config.model_validate(section)

"""Shared pieces of the Open311 tests: the adapter's test config, a valid request, and
helpers that send requests and parse both answer formats (XML with xml.etree, JSON)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

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

"""GeoReport v2 documents in both formats, from one plain-data description.

The spec defines XML first and JSON as its "Spark convention" mapping: a collection is a
JSON array of objects; in XML the same collection is a root element (``services``,
``service_requests``, ``errors``, ``attributes``, ``values``) holding one child per item
(``service``, ``request``, ``error``, ``attribute``, ``value``). Building both from the same
dicts keeps them from drifting. XML is UTF-8 with the declaration the spec asks for,
no namespace; ``None`` is an empty element (as in the spec's examples) and booleans are
``true``/``false``. Dates are ISO 8601 in UTC with ``Z`` (the spec requires a timezone).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

#: collection element -> item element
ITEM_TAG = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
}

XML_CONTENT_TYPE = "text/xml"
JSON_CONTENT_TYPE = "application/json"


def w3c_datetime(value: datetime) -> str:
    """``2010-01-01T00:00:00Z``: the w3 profile of ISO 8601 with the zone, as the spec shows."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


#: characters XML 1.0 cannot carry at all (ElementTree would write them, and break parsers)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3c_datetime(value)
    return _NOT_XML.sub("", str(value))


def _append(parent: ET.Element, tag: str, value: Any) -> None:
    element = ET.SubElement(parent, tag)
    _fill(element, tag, value)


def _fill(element: ET.Element, tag: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _append(element, key, child)
    elif isinstance(value, list):
        item_tag = ITEM_TAG[tag]
        for item in value:
            _append(element, item_tag, item)
    else:
        element.text = _text(value)


def to_xml(root: str, value: list[Any] | dict[str, Any]) -> bytes:
    """The document ``<root>`` for *value* (a collection for list roots, fields for dicts)."""
    element = ET.Element(root)
    _fill(element, root, value)
    body = ET.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return w3c_datetime(value)
    return value


def to_json(value: list[Any] | dict[str, Any]) -> bytes:
    return json.dumps(_jsonable(value), ensure_ascii=False).encode("utf-8")


def respond(
    fmt: str,
    root: str,
    value: list[Any] | dict[str, Any],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """A response in *fmt* (``json`` or ``xml``), UTF-8 with the spec's content types."""
    if fmt == "xml":
        body, content_type = to_xml(root, value), XML_CONTENT_TYPE
    else:
        body, content_type = to_json(value), JSON_CONTENT_TYPE
    return web.Response(
        body=body, status=status, content_type=content_type, charset="utf-8", headers=headers
    )


class Open311Error(Exception):
    """An error answered in the spec's shape: ``[{"code", "description"}]`` /
    ``<errors><error><code/><description/></error></errors>``.

    HTTP status per the spec: 404 for resources that do not exist, 403 for a missing or
    invalid api_key, 400 for everything else. ``code`` in the body repeats the HTTP status
    (the spec's example does the same; clients match on it).
    """

    def __init__(self, status: int, description: str, headers: dict[str, str] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.headers = headers or {}

    def response(self, fmt: str) -> web.Response:
        errors = [{"code": self.status, "description": self.description}]
        return respond(fmt, "errors", errors, status=self.status, headers=self.headers)

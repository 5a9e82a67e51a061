"""Open311 formatting and configuration without a server: W3C datetimes, XML and JSON
from one description, config problems."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.open311.config import Open311Config
from adapters.open311.format import to_json, to_xml, w3c_datetime

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

"""A FixMyStreet server as the Open311 client, against the running gateway over HTTP.

The requests are shaped as FixMyStreet's ``perllib/Open311.pm`` builds them
(``_populate_service_request_params`` and ``_generate_service_request_description``, sent
by LWP as ``application/x-www-form-urlencoded`` to ``requests.xml``, its default endpoint):
``jurisdiction_id`` and ``api_key`` first, then ``service_code``, ``first_name``/
``last_name``, ``email``, ``lat``/``long`` truncated to 6 decimals, a ``description`` of
``title:``/``detail:``/``url:`` blocks, and every extra field of the report as an attribute
the service does not define: ``attribute[title]``, ``attribute[description]`` (the whole
report detail), ``attribute[report_url]``, ``attribute[easting]``/``[northing]``,
``attribute[fixmystreet_id]``, ``attribute[category]``, ``attribute[asset_resource_id]``.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from tests.adapters.open311.open311_support import API_KEY, OPEN311, xml_items
from tests.conftest import GatewayHarness

TITLE = "Jalan berlubang di depan SDN 3 Sleman"
URL = "https://fixmystreet.example.id/report/1001"


def detail_of(length: int) -> str:
    """A report detail of exactly *length* characters (sentences, as a citizen writes)."""
    sentence = "Lubangnya makin lebar setiap hujan dan sudah ada pengendara motor yang jatuh. "
    return (sentence * (length // len(sentence) + 1))[:length].rstrip() + "."


def fixmystreet_form(detail: str, newline: str) -> list[tuple[str, str]]:
    description = newline.join(
        [
            f"title: {TITLE}",
            "",
            f"detail: {detail}",
            "",
            f"url: {URL}",
            "",
            "Submitted via FixMyStreet",
            "",
        ]
    )
    return [
        ("jurisdiction_id", str(OPEN311["jurisdiction_id"])),
        ("api_key", API_KEY),
        ("service_code", "JALAN"),
        ("first_name", "Budi"),
        ("last_name", "Santoso"),
        ("email", "budi@example.id"),
        ("description", description),
        ("lat", "-7.795612"),
        ("long", "110.369521"),
        ("attribute[title]", TITLE),
        ("attribute[description]", detail),
        ("attribute[report_url]", URL),
        ("attribute[easting]", "431234"),
        ("attribute[northing]", "9138765"),
        ("attribute[fixmystreet_id]", "1001"),
        ("attribute[category]", "Jalan rusak"),
        ("attribute[asset_resource_id]", ""),
    ]


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize(
    ("length", "newline"),
    [
        pytest.param(900, "\n", id="detail-900"),
        pytest.param(1499, "\n", id="detail-1499"),
        pytest.param(1499, "\r\n", id="detail-1499-crlf"),
        pytest.param(3800, "\n", id="detail-3800"),
    ],
)
async def test_fixmystreet_report_with_long_detail_is_filed(
    o311: GatewayHarness, fmt: str, length: int, newline: str
) -> None:
    detail = detail_of(length)
    body = urlencode(fixmystreet_form(detail, newline)).encode()
    async with o311.session.post(
        f"{o311.base}/open311/v2/requests.{fmt}",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ) as resp:
        status, text = resp.status, await resp.text()
    assert status == 201, text
    if fmt == "xml":
        tid = xml_items(text, "service_requests", "request")[0]["service_request_id"]
    else:
        tid = str(json.loads(text)[0]["service_request_id"])
    found = await o311.gw.store.get_report(tid)
    assert found is not None
    report = found[0]
    assert detail in report.text and report.text.startswith(f"title: {TITLE}\n\ndetail: ")
    assert report.raw["attributes"]["description"] == [detail]
    assert report.raw["attributes"]["report_url"] == [URL]
    assert report.raw["attributes"]["fixmystreet_id"] == ["1001"]
    assert "asset_resource_id" not in report.raw["attributes"]  # empty equals absent
    assert report.reporter.name == "Budi Santoso" and report.reporter.email == "budi@example.id"
    assert API_KEY not in json.dumps(report.raw)

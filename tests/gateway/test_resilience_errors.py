"""The resilience kit's HTTP/transport classifier: status verdicts, Retry-After, no answer."""

from __future__ import annotations

import aiohttp
import pytest

from gateway.resilience.errors import (
    TRANSPORT_ERRORS,
    Verdict,
    classify_status,
    parse_retry_after,
    transport_failure,
)


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [
        pytest.param(400, None, Verdict(False), id="bad-request-permanent"),
        pytest.param(404, "30", Verdict(False), id="permanent-ignores-retry-after"),
        pytest.param(410, None, Verdict(False), id="gone-permanent"),
        pytest.param(408, None, Verdict(True), id="request-timeout"),
        pytest.param(425, None, Verdict(True), id="too-early"),
        pytest.param(429, "120", Verdict(True, 120.0), id="throttled-with-delay"),
        pytest.param(500, None, Verdict(True), id="server-error"),
        pytest.param(503, " 7 ", Verdict(True, 7.0), id="unavailable-padded-delay"),
        pytest.param(503, "soon", Verdict(True), id="garbage-delay-ignored"),
    ],
)
def test_classify_status(status: int, retry_after: str | None, expected: Verdict) -> None:
    assert classify_status(status, retry_after) == expected


@pytest.mark.parametrize(
    ("value", "now", "expected"),
    [
        pytest.param(None, 0.0, None, id="absent"),
        pytest.param("", 0.0, None, id="empty"),
        pytest.param("0", 0.0, 0.0, id="zero"),
        pytest.param("-5", 0.0, None, id="negative"),
        pytest.param("garbage", 0.0, None, id="garbage"),
        pytest.param("Wed, 21 Oct 2015 07:28:00 GMT", 1445412450.0, 30.0, id="http-date"),
        pytest.param("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490.0, 0.0, id="date-in-past"),
    ],
)
def test_parse_retry_after(value: str | None, now: float, expected: float | None) -> None:
    assert parse_retry_after(value, now=now) == expected


@pytest.mark.parametrize(
    ("exc", "text"),
    [
        pytest.param(TimeoutError(), "timed out", id="asyncio-timeout"),
        pytest.param(aiohttp.ServerTimeoutError(), "timed out", id="aiohttp-timeout"),
        pytest.param(
            aiohttp.ServerDisconnectedError(), "unreachable: ServerDisconnectedError", id="drop"
        ),
        pytest.param(aiohttp.ClientPayloadError("x"), "unreachable: ClientPayloadError", id="body"),
    ],
)
def test_transport_failures(exc: BaseException, text: str) -> None:
    assert isinstance(exc, TRANSPORT_ERRORS)
    assert transport_failure(exc) == text


def test_other_exceptions_are_not_transport() -> None:
    assert not isinstance(ValueError("x"), TRANSPORT_ERRORS)

"""Table tests for UDH parsing and building (adapters/sms/udh.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.sms import udh
from adapters.sms.udh import Concat, UdhError


@pytest.mark.parametrize(
    ("payload", "concat", "body"),
    [
        pytest.param(
            b"\x05\x00\x03\x2a\x03\x01hello", Concat(0x2A, 3, 1, 8), b"hello", id="iei00-8bit"
        ),
        pytest.param(
            b"\x06\x08\x04\x12\x34\x02\x02rest", Concat(0x1234, 2, 2, 16), b"rest", id="iei08-16bit"
        ),
        pytest.param(
            b"\x0b\x05\x04\x0b\x84\x23\xf0\x00\x03\x07\x02\x02xy",
            Concat(7, 2, 2, 8),
            b"xy",
            id="ports-then-concat",
        ),
        pytest.param(b"\x04\x05\x02\x0b\x84body", None, b"body", id="no-concat"),
        pytest.param(b"\x00abc", None, b"abc", id="empty-udh"),
        pytest.param(b"\x05\x00\x03\x01\x01\x01", Concat(1, 1, 1, 8), b"", id="header-only"),
    ],
)
def test_parse(payload: bytes, concat: Concat | None, body: bytes) -> None:
    header, rest = udh.parse(payload)
    assert header.concat == concat
    assert rest == body
    assert header.length == payload[0] + 1


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        pytest.param(b"", "empty", id="empty"),
        pytest.param(b"\x09\x00\x03\x01\x02\x01", "udh_overrun", id="udhl-overruns-message"),
        pytest.param(b"\xff", "udh_overrun", id="udhl-only"),
        pytest.param(b"\x03\x00\x03\x01", "element_overrun", id="element-overruns-udh"),
        pytest.param(b"\x01\x00", "element_overrun", id="truncated-element-header"),
        pytest.param(b"\x05\x00\x03\x01\x00\x01x", "zero_total", id="zero-total"),
        pytest.param(b"\x05\x00\x03\x01\x02\x00x", "zero_part", id="zero-part"),
        pytest.param(b"\x05\x00\x03\x01\x02\x03x", "part_gt_total", id="part-greater-than-total"),
        pytest.param(b"\x04\x00\x02\x01\x02x", "bad_concat_length", id="iei00-short"),
        pytest.param(b"\x05\x08\x03\x01\x02\x01x", "bad_concat_length", id="iei08-short"),
    ],
)
def test_parse_errors(payload: bytes, reason: str) -> None:
    with pytest.raises(UdhError) as err:
        udh.parse(payload)
    assert err.value.reason == reason


@pytest.mark.parametrize("ref16", [pytest.param(False, id="8bit"), pytest.param(True, id="16bit")])
def test_build_roundtrip(ref16: bool) -> None:
    header = udh.build_concat(300 if ref16 else 44, 4, 3, ref16=ref16)
    parsed, body = udh.parse(header + b"data")
    assert parsed.concat == Concat(300 if ref16 else 44, 4, 3, 16 if ref16 else 8)
    assert body == b"data"


@given(st.binary(max_size=64))
def test_parse_never_raises_anything_but_udherror(payload: bytes) -> None:
    try:
        udh.parse(payload)
    except UdhError:
        pass

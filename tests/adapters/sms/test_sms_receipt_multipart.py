"""Table tests for delivery-receipt parsing and multipart reassembly (pure parts)."""

from __future__ import annotations

import pytest

from adapters.sms.multipart import assemble
from adapters.sms.receipt import Receipt, ReceiptError, is_receipt, parse_receipt
from gateway.adapter import Fragment


@pytest.mark.parametrize(
    ("esm_class", "expected"),
    [
        pytest.param(0x00, False, id="mo-default"),
        pytest.param(0x40, False, id="mo-udhi"),
        pytest.param(0x04, True, id="smsc-receipt"),
        pytest.param(0x44, True, id="receipt-with-udhi"),
        pytest.param(0x08, True, id="sme-ack"),
        pytest.param(0x10, True, id="user-ack"),
        pytest.param(0x20, True, id="intermediate"),
        pytest.param(0x03, False, id="mode-bits-only"),
    ],
)
def test_is_receipt(esm_class: int, expected: bool) -> None:
    assert is_receipt(esm_class) is expected


@pytest.mark.parametrize(
    ("text", "tlv_id", "tlv_state", "expected"),
    [
        pytest.param(
            b"id:0123abc sub:001 dlvrd:001 submit date:2611251200 done date:2611251201 "
            b"stat:DELIVRD err:000 text:LAPOR!",
            None,
            None,
            Receipt("0123abc", "delivered"),
            id="appendix-b-text",
        ),
        pytest.param(
            b"id:77 stat:UNDELIV", None, None, Receipt("77", "undeliverable"), id="undeliv"
        ),
        pytest.param(b"ID:77 STAT:expired", None, None, Receipt("77", "expired"), id="case"),
        pytest.param(b"id:77 stat:WEIRD", None, None, Receipt("77", "weird"), id="unknown-stat"),
        pytest.param(b"id:77", None, None, Receipt("77", "unknown"), id="no-stat"),
        pytest.param(b"", b"abc\x00", 2, Receipt("abc", "delivered"), id="tlvs"),
        pytest.param(b"id:text stat:DELIVRD", "tlv", 8, Receipt("tlv", "rejected"), id="tlv-wins"),
        pytest.param(
            b"id:fromtext stat:ACCEPTD", b" ", None, Receipt("fromtext", "accepted"), id="blank-tlv"
        ),
    ],
)
def test_parse_receipt(
    text: bytes, tlv_id: bytes | str | None, tlv_state: int | None, expected: Receipt
) -> None:
    assert parse_receipt(text, tlv_id, tlv_state) == expected


@pytest.mark.parametrize(
    "text", [pytest.param(b"stat:DELIVRD", id="no-id"), pytest.param(b"", id="empty")]
)
def test_receipt_without_id(text: bytes) -> None:
    with pytest.raises(ReceiptError):
        parse_receipt(text, None, None)


def frag(part: int, data: bytes, dc: int = 0) -> Fragment:
    return Fragment(part, data, {"dc": dc, "dc0": "gsm0338"})


@pytest.mark.parametrize(
    ("fragments", "total", "text", "missing"),
    [
        pytest.param([frag(1, b"ab"), frag(2, b"cd")], 2, "abcd", [], id="complete"),
        pytest.param(
            [frag(1, b"ab"), frag(3, b"ef")],
            3,
            "ab [...bagian 2/3 tidak diterima...] ef",
            [2],
            id="middle-missing",
        ),
        pytest.param(
            [frag(2, b"cd")], 2, " [...bagian 1/2 tidak diterima...] cd", [1], id="first-missing"
        ),
        pytest.param(
            [frag(1, b"x\x1b"), frag(2, b"\x65y")], 2, "x€y", [], id="gsm-escape-split-across-parts"
        ),
        pytest.param(
            [frag(1, b"\x00a\xd8\x3d", 8), frag(2, b"\xde\x00", 8)],
            2,
            "a😀",
            [],
            id="surrogate-split-across-parts",
        ),
        pytest.param(
            [frag(1, b"ab"), frag(2, "é".encode("utf-16-be"), 8)],
            2,
            "abé",
            [],
            id="mixed-data-coding",
        ),
    ],
)
def test_assemble(fragments: list[Fragment], total: int, text: str, missing: list[int]) -> None:
    assert assemble(fragments, total) == (text, missing)

"""Property tests for the pure SMS parsers: GSM 03.38 codec, septet packing, UDH, reply
segmentation, keyword parsing, delivery receipts; plus a bounded fuzz of the deliver_sm
framing check. Every property runs a bounded number of examples so the suite stays fast.

What "hostile input" means here: any byte string an SMSC or handset can hand us must decode
(never raise), and any parser either returns a consistent result or raises its own
documented error, never something else (an IndexError is a 500 or a lost SMS).
"""

from __future__ import annotations

import struct

import pytest
import smpp34
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adapters.sms import codec, receipt, udh
from adapters.sms.conversation import Intent, parse_sms
from adapters.sms.segment import SegmentationError, segment
from adapters.sms.smpp.pdu import check_deliver_sm
from normalizer import tracking
from normalizer.gsm import BASIC, ESCAPE, EXTENSION

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# every character of the basic table (but the escape code itself) and of the extension
gsm_chars = st.sampled_from(sorted((set(BASIC) - {BASIC[ESCAPE]}) | set(EXTENSION.values())))
gsm_text = st.text(alphabet=gsm_chars, max_size=400)
# any text a citizen can type: no lone surrogates (they cannot be encoded by anyone)
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=400)
septets = st.binary(max_size=300).map(lambda b: bytes(x & 0x7F for x in b))


# -- GSM 03.38 codec ----------------------------------------------------------------------


@FAST
@given(gsm_text)
def test_gsm7_round_trip(text: str) -> None:
    assert codec.decode_gsm7(codec.encode_gsm7(text)) == (text, 0)


@FAST
@given(any_text)
def test_encode_then_decode_is_identity_for_any_text(text: str) -> None:
    data, data_coding = codec.encode(text)
    assert data_coding in (0x00, 0x08)
    decoded = codec.decode(data, data_coding)
    assert decoded.text == text
    assert decoded.replaced == 0


@FAST
@given(septets)
def test_pack_unpack_round_trip(values: bytes) -> None:
    assert codec.unpack_septets(codec.pack_septets(values), count=len(values)) == values


@FAST
@given(septets, st.integers(min_value=0, max_value=6))
def test_pack_unpack_with_udh_fill_bits(values: bytes, fill: int) -> None:
    packed = codec.pack_septets(values, fill_bits=fill)
    assert codec.unpack_septets(packed, count=len(values), fill_bits=fill) == values


@FAST
@given(
    st.binary(max_size=400),
    st.integers(0, 255),
    st.booleans(),
    st.sampled_from(["gsm0338", "latin1"]),
)
@example(b"\x1b", 0, False, "gsm0338")
@example(b"\xd8\x3d", 8, False, "gsm0338")  # a lone high surrogate
@example(b"\x00", 8, False, "gsm0338")  # odd UCS-2 length
def test_decode_never_raises_on_any_bytes(data: bytes, dc: int, packed: bool, dc0: str) -> None:
    result = codec.decode(data, dc, dc0=dc0, packed=packed)
    assert isinstance(result.text, str)
    assert result.replaced >= 0


# -- UDH ----------------------------------------------------------------------------------


@FAST
@given(
    st.integers(0, 0xFFFF),
    st.integers(1, 255).flatmap(lambda total: st.tuples(st.just(total), st.integers(1, total))),
    st.booleans(),
    st.binary(max_size=140),
)
def test_udh_build_parse_round_trip(
    ref: int, tp: tuple[int, int], ref16: bool, body: bytes
) -> None:
    total, part = tp
    header, rest = udh.parse(udh.build_concat(ref, total, part, ref16=ref16) + body)
    assert rest == body
    assert header.concat is not None
    assert (header.concat.total, header.concat.part) == (total, part)
    assert header.concat.ref == (ref & 0xFFFF if ref16 else ref & 0xFF)


@FAST
@given(st.binary(max_size=300))
@example(b"")
@example(b"\x05\x00\x03\x01\x00\x01")
@example(b"\x06\x08\x04\x00\x01\x02\x03")
def test_udh_parse_hostile_bytes(payload: bytes) -> None:
    """Only UdhError, and a parsed header accounts for every octet."""
    try:
        header, body = udh.parse(payload)
    except udh.UdhError as exc:
        assert exc.reason in {
            "empty",
            "udh_overrun",
            "element_overrun",
            "bad_concat_length",
            "zero_total",
            "zero_part",
            "part_gt_total",
        }
        return
    assert header.length + len(body) == len(payload)
    assert sum(2 + len(data) for _, data in header.elements) == header.length - 1
    if header.concat is not None:
        assert 1 <= header.concat.part <= header.concat.total


# -- reply segmentation -------------------------------------------------------------------


@FAST
@given(any_text.filter(bool), st.integers(0, 255))
def test_segments_decode_back_to_the_reply(text: str, ref: int) -> None:
    try:
        seg = segment(text, ref=ref)
    except SegmentationError:
        assert len(text) > 153 * 2  # only a very long text may not fit
        return
    out = []
    for part in seg.parts:
        body = udh.parse(part)[1] if seg.esm_class & 0x40 else part
        limit = 140 if seg.data_coding == 0x08 else 160
        assert len(part) <= limit, "a part longer than one SMS"
        out.append(codec.decode(body, seg.data_coding).text)
    assert "".join(out) == text


# -- keyword parsing ----------------------------------------------------------------------


@FAST
@given(any_text)
def test_parse_sms_never_raises(text: str) -> None:
    parsed = parse_sms(text, regional_prefixes={"PAPUA": "Papua"}, min_chars=10)
    assert parsed.intent in set(Intent)
    if parsed.intent is Intent.REPORT:
        assert len(parsed.text) >= 10


@FAST
@given(
    st.from_regex(r"[0-9]{11}", fullmatch=True), st.sampled_from(["CEK", "cek", "#Status", "Cek:"])
)
def test_status_query_finds_the_tracking_id(data: str, word: str) -> None:
    tid = data + tracking.check_digit(data)
    parsed = parse_sms(f"{word} {tracking.display(tid)}", regional_prefixes={}, min_chars=10)
    assert parsed.intent is Intent.STATUS
    assert parsed.tracking_raw is not None
    assert tracking.parse(parsed.tracking_raw) == tid


@FAST
@given(
    st.permutations(["ANONIM", "RAHASIA"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=12, max_size=80).filter(
        lambda t: (
            len(t.strip()) >= 10
            and t.split()[0].upper()
            not in {
                "ANONIM",
                "RAHASIA",
                "LAPOR",
                "CEK",
                "STATUS",
                "BANTUAN",
                "INFO",
                "HELP",
                "STOP",
                "BERHENTI",
            }
        )
    ),
)
def test_flags_in_any_order(flags: list[str], body: str) -> None:
    parsed = parse_sms(" ".join(flags) + " " + body, regional_prefixes={}, min_chars=10)
    assert parsed.intent is Intent.REPORT
    assert parsed.anonymous and parsed.confidential
    assert parsed.text.split() == body.split()


# -- delivery receipts and deliver_sm framing -------------------------------------------


@FAST
@given(
    st.binary(max_size=200),
    st.one_of(st.none(), st.binary(max_size=70)),
    st.one_of(st.none(), st.integers(0, 255)),
)
def test_parse_receipt_hostile(sm: bytes, rid: bytes | None, state: int | None) -> None:
    try:
        rec = receipt.parse_receipt(sm, rid, state)
    except receipt.ReceiptError:
        return
    assert rec.message_id and isinstance(rec.state, str)


@FAST
@given(st.binary(max_size=300))
def test_check_deliver_sm_never_raises(body: bytes) -> None:
    assert check_deliver_sm(body) is None or isinstance(check_deliver_sm(body), str)


_addr = st.text(alphabet="0123456789", min_size=1, max_size=20)


@FAST
@given(_addr, _addr, st.binary(min_size=1, max_size=254), st.integers(0, 255))
def test_check_deliver_sm_accepts_real_pdus_and_refuses_their_truncations(
    source: str, dest: str, message: bytes, data_coding: int
) -> None:
    raw = bytes(smpp34.DeliverSm(source, dest, message, data_coding=data_coding).encode())
    length = struct.unpack(">L", raw[:4])[0]
    assert length == len(raw)
    body = raw[16:]
    assert check_deliver_sm(body) is None
    for cut in {1, len(body) // 2, len(body) - 1}:
        if 0 < cut < len(body):
            assert check_deliver_sm(body[:cut]) is not None, cut


@pytest.mark.parametrize("total", [0, 256])
def test_build_concat_refuses_impossible_totals(total: int) -> None:
    with pytest.raises(ValueError):
        udh.build_concat(1, total, 1)

"""The session's PDU codec (adapters.sms.smpp.pdu): each codec's output checked against the
other's, and the framing checks that refuse malformed bodies."""

from __future__ import annotations

import pytest
import smpp34
import smpplib.smpp

from adapters.sms.smpp.pdu import (
    CMD_DATA_SM_RESP,
    CMD_DELIVER_SM_RESP,
    check_data_sm,
    check_deliver_sm,
    decode_deliver_sm,
    encode_submit_sm,
    response,
)
from tests.adapters.sms.smsc_sim import deliver_sm_bytes


class _Seq:
    sequence = 0

    def next_sequence(self) -> int:
        return 0


@pytest.mark.parametrize(
    ("message", "dc", "esm", "reg"),
    [
        pytest.param(b"LAPOR! diterima", 0, 0, 1, id="gsm"),
        pytest.param("Status 😀".encode("utf-16-be"), 8, 0, 0, id="ucs2"),
        pytest.param(b"\x05\x00\x03\x07\x02\x01" + b"a" * 153, 0, 0x40, 1, id="udh-part"),
        pytest.param(b"", 0, 0, 0, id="empty"),
    ],
)
def test_submit_sm_matches_smpplib_and_smpp34(message: bytes, dc: int, esm: int, reg: int) -> None:
    fields = {
        "source_addr": "1708",
        "source_addr_ton": 3,
        "source_addr_npi": 0,
        "destination_addr": "6281234567890",
        "dest_addr_ton": 1,
        "dest_addr_npi": 1,
        "esm_class": esm,
        "data_coding": dc,
        "registered_delivery": reg,
    }
    ours = encode_submit_sm(42, short_message=message, **fields)
    theirs = smpplib.smpp.make_pdu(
        "submit_sm", client=_Seq(), service_type="", short_message=message, **fields
    )
    theirs.sequence = 42
    assert ours == theirs.generate()
    decoded = smpp34.decode(ours)
    assert isinstance(decoded, smpp34.SubmitSm)
    assert (decoded.sequence_number, decoded.destination_addr, decoded.short_message) == (
        42,
        "6281234567890",
        message,
    )
    assert (decoded.data_coding, decoded.esm_class, decoded.dest_addr_ton) == (dc, esm, 1)


def test_responses_echo_the_sequence_and_parse() -> None:
    for cmd, name in ((CMD_DELIVER_SM_RESP, "deliver_sm_resp"), (CMD_DATA_SM_RESP, "data_sm_resp")):
        for seq in (9, 0x7FFFFFFF):
            pdu = smpplib.smpp.parse_pdu(response(cmd, seq, 0x64), client=_Seq())
            assert (pdu.command, pdu.status, pdu.sequence) == (name, 0x64, seq)
    nack = smpplib.smpp.parse_pdu(response("generic_nack", 5, 0x03), client=_Seq())
    assert (nack.command, nack.status, nack.sequence) == ("generic_nack", 0x03, 5)


def test_deliver_sm_decodes_fields_and_tlvs_like_smpplib() -> None:
    tlvs = [
        smpp34.Tlv(0x020C, b"\x01\x2c"),  # sar_msg_ref_num 300
        smpp34.Tlv(0x020E, b"\x03"),
        smpp34.Tlv(0x020F, b"\x02"),
        smpp34.Tlv(0x001E, b"abc123\x00"),
        smpp34.Tlv(0x0427, b"\x02"),
        smpp34.Tlv(0x0424, "Jalan 😀".encode("utf-16-be")),
        smpp34.Tlv(0x1403, b"vendor"),
    ]
    raw = deliver_sm_bytes(
        77, b"", source_addr="6281234567890", esm_class=0x04, data_coding=8, tlvs=tlvs
    )
    ours = decode_deliver_sm(raw)
    theirs = smpplib.smpp.parse_pdu(raw, client=_Seq(), allow_unknown_opt_params=True)
    assert ours.sequence == theirs.sequence == 77
    assert ours.source_addr == theirs.source_addr.decode() == "6281234567890"
    assert (ours.esm_class, ours.data_coding, ours.source_addr_ton) == (0x04, 8, 1)
    assert ours.message_payload == theirs.message_payload
    assert (ours.sar_msg_ref_num, ours.sar_total_segments, ours.sar_segment_seqnum) == (
        theirs.sar_msg_ref_num,
        theirs.sar_total_segments,
        theirs.sar_segment_seqnum,
    )
    assert ours.sar_msg_ref_num == 300
    assert ours.message_state == theirs.message_state == 2
    assert ours.receipted_message_id is not None
    assert ours.receipted_message_id.rstrip(b"\x00") == b"abc123"


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        pytest.param(deliver_sm_bytes(1, b"halo")[16:], True, id="valid"),
        pytest.param(
            deliver_sm_bytes(1, b"", tlvs=[smpp34.Tlv(0x0424, b"x" * 300)])[16:], True, id="payload"
        ),
        pytest.param(deliver_sm_bytes(1, b"halo")[16:-1], False, id="short-message-cut"),
        pytest.param(deliver_sm_bytes(1, b"halo")[16:20], False, id="cut-in-address"),
        pytest.param(deliver_sm_bytes(1, b"halo")[16:] + b"\x04", False, id="tlv-header-cut"),
        pytest.param(b"", False, id="empty"),
    ],
)
def test_check_deliver_sm(body: bytes, ok: bool) -> None:
    assert (check_deliver_sm(body) is None) is ok


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        pytest.param(b"\x00\x01\x01628\x00\x00\x001708\x00\x00\x00\x00", True, id="no-tlvs"),
        pytest.param(b"\x00\x01\x01628\x00\x00\x001708\x00\x00\x00", False, id="cut"),
        pytest.param(
            b"\x00\x01\x01628\x00\x00\x001708\x00\x00\x00\x00\x04\x24\x00\x09abc",
            False,
            id="tlv-overrun",
        ),
    ],
)
def test_check_data_sm(body: bytes, ok: bool) -> None:
    assert (check_data_sm(body) is None) is ok

"""The hand-packed SMPP PDUs (hot path) against smpplib's and smpp34's own codecs."""

from __future__ import annotations

import pytest
import smpp34
import smpplib.smpp

from adapters.sms.smpp.session import (
    CMD_DATA_SM_RESP,
    CMD_DELIVER_SM_RESP,
    SmppLink,
    check_data_sm,
    check_deliver_sm,
    encode_submit_sm,
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


def test_resp_bodies_parse() -> None:
    import struct

    for cmd, name in ((CMD_DELIVER_SM_RESP, "deliver_sm_resp"), (CMD_DATA_SM_RESP, "data_sm_resp")):
        raw = struct.pack(">LLLLB", 17, cmd, 0x64, 9, 0)
        pdu = smpplib.smpp.parse_pdu(raw, client=_Seq())
        assert (pdu.command, pdu.status, pdu.sequence) == (name, 0x64, 9)
    assert SmppLink  # the module's public surface is importable


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

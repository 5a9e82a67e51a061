"""SMPP 3.4 PDUs as the session reads and writes them; no I/O here.

Two codecs, each where it is the right tool (figures in ``bench/RESULTS.md``):

* ``smpp34`` (compiled) decodes ``deliver_sm`` and encodes ``submit_sm``, the two PDUs that
  every citizen message and every reply cost; ``smpplib``'s pure-Python field-by-field
  parser would spend most of a core on them at the rates the gateway is sized for;
* ``smpplib`` encodes and decodes the rest (binds, ``enquire_link``, ``unbind``, every
  response, ``generic_nack``, ``data_sm``). A response PDU is encoded by ``smpplib`` once
  per (command, status); each use then only sets the header's sequence number.

Both codecs accept some truncated bodies, so a ``deliver_sm``/``data_sm`` body is first
checked against the SMPP 3.4 layout (:func:`check_deliver_sm`, :func:`check_data_sm`): a
malformed one is refused with ``generic_nack`` instead of being filed as a guess.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass
from typing import Any

import smpp34
import smpplib.smpp

MAX_PDU = 64 * 1024
HEADER = struct.Struct(">LLLL")

ESME_ROK = 0x00
ESME_RINVCMDLEN = 0x02
ESME_RINVCMDID = 0x03
ESME_RSYSERR = 0x08
ESME_RMSGQFUL = 0x14
ESME_RTHROTTLED = 0x58
ESME_RX_T_APPN = 0x64

RESPONSE_BIT = 0x80000000
CMD_GENERIC_NACK = 0x80000000
CMD_DELIVER_SM = 0x00000005
CMD_DELIVER_SM_RESP = 0x80000005
CMD_UNBIND = 0x00000006
CMD_ENQUIRE_LINK = 0x00000015
CMD_DATA_SM = 0x00000103
CMD_DATA_SM_RESP = 0x80000103

TLV_MESSAGE_PAYLOAD = 0x0424
TLV_SAR_MSG_REF_NUM = 0x020C
TLV_SAR_TOTAL_SEGMENTS = 0x020E
TLV_SAR_SEGMENT_SEQNUM = 0x020F
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_STATE = 0x0427

_RESPONSE_NAMES = {CMD_DELIVER_SM_RESP: "deliver_sm_resp", CMD_DATA_SM_RESP: "data_sm_resp"}


class _NoSequence:
    """smpplib wants a client that numbers PDUs; we set each PDU's sequence ourselves."""

    sequence = 0

    def next_sequence(self) -> int:
        return 0


_CLIENT = _NoSequence()


@dataclass(frozen=True, slots=True)
class Inbound:
    """A ``deliver_sm`` or ``data_sm`` from the SMSC: the fields the adapter reads."""

    command: str
    sequence: int
    source_addr: str
    source_addr_ton: int
    destination_addr: str
    esm_class: int
    data_coding: int
    short_message: bytes
    message_payload: bytes | None = None
    sar_msg_ref_num: int | None = None
    sar_total_segments: int | None = None
    sar_segment_seqnum: int | None = None
    receipted_message_id: bytes | None = None
    message_state: int | None = None

    @property
    def resp_command_id(self) -> int:
        return CMD_DATA_SM_RESP if self.command == "data_sm" else CMD_DELIVER_SM_RESP


def _int(value: bytes) -> int:
    return int.from_bytes(value, "big")


def decode_deliver_sm(raw: bytes) -> Inbound:
    """A checked deliver_sm PDU (see :func:`check_deliver_sm`). Raises ``smpp34.SmppError``."""
    pdu = smpp34.decode(raw)
    if not isinstance(pdu, smpp34.DeliverSm):
        raise smpp34.SmppError(f"not a deliver_sm: {type(pdu).__name__}")
    tlvs = {tlv.tag: tlv.value for tlv in pdu.tlvs}
    ints = {
        tag: _int(tlvs[tag])
        for tag in (
            TLV_SAR_MSG_REF_NUM,
            TLV_SAR_TOTAL_SEGMENTS,
            TLV_SAR_SEGMENT_SEQNUM,
            TLV_MESSAGE_STATE,
        )
        if tag in tlvs
    }
    return Inbound(
        command="deliver_sm",
        sequence=pdu.sequence_number,
        source_addr=pdu.source_addr,
        source_addr_ton=pdu.source_addr_ton,
        destination_addr=pdu.destination_addr,
        esm_class=pdu.esm_class,
        data_coding=pdu.data_coding,
        short_message=pdu.short_message,
        message_payload=tlvs.get(TLV_MESSAGE_PAYLOAD),
        sar_msg_ref_num=ints.get(TLV_SAR_MSG_REF_NUM),
        sar_total_segments=ints.get(TLV_SAR_TOTAL_SEGMENTS),
        sar_segment_seqnum=ints.get(TLV_SAR_SEGMENT_SEQNUM),
        receipted_message_id=tlvs.get(TLV_RECEIPTED_MESSAGE_ID),
        message_state=ints.get(TLV_MESSAGE_STATE),
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.rstrip(b"\x00").decode("latin-1")
    return str(value)


def _opt_bytes(value: Any) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    return str(value).encode("latin-1", errors="replace")


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def decode_data_sm(raw: bytes) -> Inbound:
    """A checked data_sm PDU (see :func:`check_data_sm`); smpplib's parser."""
    pdu = parse(raw)
    return Inbound(
        command="data_sm",
        sequence=int(pdu.sequence),
        source_addr=_text(getattr(pdu, "source_addr", None)),
        source_addr_ton=int(getattr(pdu, "source_addr_ton", 0) or 0),
        destination_addr=_text(getattr(pdu, "destination_addr", None)),
        esm_class=int(getattr(pdu, "esm_class", 0) or 0),
        data_coding=int(getattr(pdu, "data_coding", 0) or 0),
        short_message=b"",
        message_payload=_opt_bytes(getattr(pdu, "message_payload", None)),
        sar_msg_ref_num=_opt_int(getattr(pdu, "sar_msg_ref_num", None)),
        sar_total_segments=_opt_int(getattr(pdu, "sar_total_segments", None)),
        sar_segment_seqnum=_opt_int(getattr(pdu, "sar_segment_seqnum", None)),
        receipted_message_id=_opt_bytes(getattr(pdu, "receipted_message_id", None)),
        message_state=_opt_int(getattr(pdu, "message_state", None)),
    )


def parse(raw: bytes) -> Any:
    """Any PDU, by smpplib (vendor TLVs are skipped). Raises smpplib's errors."""
    return smpplib.smpp.parse_pdu(raw, client=_CLIENT, allow_unknown_opt_params=True)


def encode(command: str, sequence: int, **fields: Any) -> bytes:
    """A request PDU (``bind_transceiver``, ``enquire_link``, ``unbind``...) by smpplib."""
    pdu = smpplib.smpp.make_pdu(command, client=_CLIENT, **fields)
    pdu.sequence = sequence
    return bytes(pdu.generate())


@functools.lru_cache(maxsize=64)
def _response_template(command: str, status: int) -> bytes:
    pdu = smpplib.smpp.make_pdu(command, client=_CLIENT, status=status)
    pdu.sequence = 0
    return bytes(pdu.generate())


def response(command: str | int, sequence: int, status: int = ESME_ROK) -> bytes:
    """A response PDU without a body of its own (``deliver_sm_resp``, ``data_sm_resp``,
    ``enquire_link_resp``, ``unbind_resp``, ``generic_nack``) echoing *sequence*."""
    name = _RESPONSE_NAMES[command] if isinstance(command, int) else command
    template = _response_template(name, status)
    return template[:12] + sequence.to_bytes(4, "big") + template[16:]


def generic_nack(sequence: int, status: int) -> bytes:
    return response("generic_nack", sequence, status)


def encode_submit_sm(
    sequence: int,
    *,
    source_addr: str,
    source_addr_ton: int,
    source_addr_npi: int,
    destination_addr: str,
    dest_addr_ton: int,
    dest_addr_npi: int,
    esm_class: int,
    data_coding: int,
    registered_delivery: int,
    short_message: bytes,
) -> bytes:
    """A submit_sm (SMPP 3.4 4.4.1) by smpp34's encoder."""
    return bytes(
        smpp34.SubmitSm(
            source_addr,
            destination_addr,
            short_message,
            source_addr_ton=source_addr_ton,
            source_addr_npi=source_addr_npi,
            dest_addr_ton=dest_addr_ton,
            dest_addr_npi=dest_addr_npi,
            esm_class=esm_class,
            data_coding=data_coding,
            registered_delivery=registered_delivery,
            sequence_number=sequence,
        ).encode()
    )


_LAX = 65


def _cstring(body: bytes, pos: int, max_len: int) -> int:
    end = body.find(b"\x00", pos, pos + max_len)
    if end < 0:
        raise ValueError("C-string unterminated or too long")
    return end + 1


def check_deliver_sm(body: bytes) -> str | None:
    """Why a deliver_sm body is malformed (SMPP 3.4 4.6.1), or None when it is well formed:
    every mandatory field present, short_message within the body, TLVs within bounds."""
    try:
        # C-string limits are generous (spec: 6/21/21/17/17): an over-long sender from a
        # sloppy SMSC is still a citizen's message; we only refuse what cannot be framed
        pos = _cstring(body, 0, _LAX)  # service_type
        pos = _cstring(body, pos + 2, _LAX)  # source_addr_ton, _npi, source_addr
        pos = _cstring(body, pos + 2, _LAX)  # dest_addr_ton, _npi, destination_addr
        pos += 3  # esm_class, protocol_id, priority_flag
        pos = _cstring(body, pos, _LAX)  # schedule_delivery_time
        pos = _cstring(body, pos, _LAX)  # validity_period
        pos += 4  # registered_delivery, replace_if_present_flag, data_coding, sm_default_msg_id
        if pos >= len(body):
            return "body ends before sm_length"
        sm_length = body[pos]
        pos += 1 + sm_length
        if pos > len(body):
            return f"sm_length {sm_length} overruns the PDU"
    except ValueError as exc:
        return str(exc)
    return _check_tlvs(body, pos)


def check_data_sm(body: bytes) -> str | None:
    """Like :func:`check_deliver_sm` for data_sm (SMPP 3.4 4.7.1), whose text is a TLV."""
    try:
        pos = _cstring(body, 0, _LAX)  # service_type
        pos = _cstring(body, pos + 2, _LAX)  # source_addr_ton, _npi, source_addr
        pos = _cstring(body, pos + 2, _LAX)  # dest_addr_ton, _npi, destination_addr
    except ValueError as exc:
        return str(exc)
    pos += 3  # esm_class, registered_delivery, data_coding
    if pos > len(body):
        return "body ends before data_coding"
    return _check_tlvs(body, pos)


def _check_tlvs(body: bytes, pos: int) -> str | None:
    while pos < len(body):
        if pos + 4 > len(body):
            return "truncated TLV header"
        length = struct.unpack_from(">H", body, pos + 2)[0]
        pos += 4 + length
        if pos > len(body):
            return "TLV overruns the PDU"
    return None

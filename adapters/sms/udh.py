"""User Data Header (3GPP TS 23.040 9.2.3.24): parsing and building concatenation headers.

A long SMS travels as parts, each starting with a UDH whose concatenation element says
"part *n* of *total*, reference *ref*". IEI 0x00 carries an 8-bit reference, IEI 0x08 a
16-bit one. Other elements (ports, national language shift tables...) are kept but not
interpreted.

Broken headers are common in the wild (truncated by an SMSC, written by buggy handsets).
They raise :class:`UdhError` with a machine-readable ``reason`` so the caller can log why and
still keep the citizen's text: the transports fall back to treating the payload as one
standalone message rather than dropping it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

IEI_CONCAT_8 = 0x00
IEI_CONCAT_16 = 0x08


class UdhError(ValueError):
    """The UDH is malformed. ``reason`` is one of: ``empty``, ``udh_overrun``,
    ``element_overrun``, ``bad_concat_length``, ``zero_total``, ``zero_part``,
    ``part_gt_total``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


@dataclass(frozen=True)
class Concat:
    """Concatenation info: part ``part`` (1-based) of ``total``, reference ``ref``."""

    ref: int
    total: int
    part: int
    ref_bits: int = 8


@dataclass(frozen=True)
class Udh:
    """A parsed header: every (IEI, data) element in order, and the concatenation if any."""

    elements: list[tuple[int, bytes]] = field(default_factory=list)
    concat: Concat | None = None
    #: octets the header took, including the UDHL byte itself
    length: int = 0


def check_concat(ref: int, total: int, part: int, ref_bits: int = 8) -> Concat:
    """Validate concatenation numbers (shared by UDH and the SMPP SAR TLVs)."""
    if total == 0:
        raise UdhError("zero_total", "concatenation total is 0")
    if part == 0:
        raise UdhError("zero_part", "concatenation part number is 0")
    if part > total:
        raise UdhError("part_gt_total", f"part {part} greater than total {total}")
    return Concat(ref=ref, total=total, part=part, ref_bits=ref_bits)


def parse(payload: bytes) -> tuple[Udh, bytes]:
    """Split *payload* (UDHI set) into its header and the remaining user data.

    Raises :class:`UdhError` when the header length overruns the payload, an element
    overruns the header, or a concatenation element is inconsistent.
    """
    if not payload:
        raise UdhError("empty", "UDHI set but the message is empty")
    udhl = payload[0]
    if 1 + udhl > len(payload):
        raise UdhError("udh_overrun", f"UDH length {udhl} overruns a {len(payload)}-octet message")
    header = payload[1 : 1 + udhl]
    body = payload[1 + udhl :]
    elements: list[tuple[int, bytes]] = []
    concat: Concat | None = None
    pos = 0
    while pos < len(header):
        if pos + 2 > len(header):
            raise UdhError("element_overrun", "truncated information element header")
        iei, iedl = header[pos], header[pos + 1]
        data = header[pos + 2 : pos + 2 + iedl]
        if len(data) != iedl:
            raise UdhError("element_overrun", f"element 0x{iei:02X} length {iedl} overruns the UDH")
        pos += 2 + iedl
        elements.append((iei, data))
        if iei == IEI_CONCAT_8:
            if iedl != 3:
                raise UdhError("bad_concat_length", f"IEI 0x00 length {iedl}, expected 3")
            concat = check_concat(data[0], data[1], data[2], 8)
        elif iei == IEI_CONCAT_16:
            if iedl != 4:
                raise UdhError("bad_concat_length", f"IEI 0x08 length {iedl}, expected 4")
            concat = check_concat(int.from_bytes(data[0:2], "big"), data[2], data[3], 16)
    return Udh(elements=elements, concat=concat, length=1 + udhl), body


def build_concat(ref: int, total: int, part: int, *, ref16: bool = False) -> bytes:
    """The UDH (with its UDHL byte) for part *part* of *total*."""
    check_concat(ref, total, part)
    if total > 255:
        raise ValueError("at most 255 parts")
    if ref16:
        ref_bytes = (ref & 0xFFFF).to_bytes(2, "big")
        return bytes((6, IEI_CONCAT_16, 4)) + ref_bytes + bytes((total, part))
    return bytes((5, IEI_CONCAT_8, 3, ref & 0xFF, total, part))

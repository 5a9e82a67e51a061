"""SMS byte codec: the bytes an SMSC or modem hands us, per ``data_coding``, to text and back.

Shared by every SMS transport (SMPP, GSM modem). Built on the GSM 03.38 tables in
:mod:`normalizer.gsm`. Two rules drive the design:

* **Never crash on citizen input.** Operators, handsets and SMSCs send every kind of broken
  byte string. Anything that cannot be decoded becomes U+FFFD (the replacement character)
  and decoding carries on, so one bad byte never costs us the rest of a complaint.
* **Follow the data_coding scheme (DCS) as SMPP 3.4 and 3GPP TS 23.038 define it.**

``data_coding`` values handled:

===========  =========================================================================
0x00         SMSC default alphabet: GSM 03.38 (or Latin-1 where an operator means that)
0x01         IA5 / ASCII (bytes >= 0x80 become U+FFFD)
0x02, 0x04   8-bit binary: not text; decoded as Latin-1 so nothing is lost, ``binary``
0x03         Latin-1 (ISO-8859-1)
0x05         JIS (shift_jis), 0x06 Cyrillic (ISO-8859-5), 0x07 Hebrew (ISO-8859-8),
             0x0A ISO-2022-JP, 0x0D extended Kanji (JIS X 0212 via euc_jis_2004),
             0x0E KS C 5601 (euc_kr)
0x08         UCS-2, read as UTF-16BE so surrogate pairs (emoji) survive
0x10-0x3F    TS 23.038 general data coding groups (bits 3-2 pick the alphabet)
0xC0-0xDF    message waiting groups, GSM-7 text; 0xE0-0xEF the UCS-2 variant
0xF0-0xF7    data coding/message class group: bit 2 = 8-bit data, bits 1-0 = class
===========  =========================================================================

SMPP carries GSM-7 *unpacked* (one septet per octet); GSM modems and some SMSCs use the
packed form (8 septets in 7 octets), handled by :func:`pack_septets` / :func:`unpack_septets`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from normalizer.gsm import BASIC, BASIC_INDEX, ESCAPE, EXTENSION, EXTENSION_INDEX

REPLACEMENT = "\ufffd"


class Alphabet(StrEnum):
    """How the payload of one message is to be read."""

    GSM7 = "gsm7"
    LATIN1 = "latin1"
    IA5 = "ia5"
    UCS2 = "ucs2"
    BINARY = "binary"
    #: one of Python's codecs, named in :attr:`DataCoding.codec`
    OTHER = "other"


@dataclass(frozen=True)
class DataCoding:
    """What a ``data_coding`` byte means: the alphabet and, if any, the message class."""

    alphabet: Alphabet
    message_class: int | None = None
    codec: str | None = None


@dataclass(frozen=True)
class DecodedText:
    """Decoded payload. ``replaced`` counts bytes that could not be decoded."""

    text: str
    alphabet: Alphabet
    message_class: int | None = None
    replaced: int = 0


_SMPP_OTHER_CODECS = {
    0x05: "shift_jis",
    0x06: "iso8859_5",
    0x07: "iso8859_8",
    0x0A: "iso2022_jp",
    0x0D: "euc_jis_2004",
    0x0E: "euc_kr",
}


def classify(data_coding: int, *, dc0: str = "gsm0338") -> DataCoding:
    """Interpret an SMPP ``data_coding`` value.

    *dc0* is what 0x00 means on this SMSC: ``"gsm0338"`` (the standard) or ``"latin1"``
    (some operators). Unknown or reserved values fall back to Latin-1, which decodes every
    byte, so the citizen's message is still stored for a human to read.
    """
    dc = data_coding & 0xFF
    if dc == 0x00:
        return DataCoding(Alphabet.LATIN1 if dc0 == "latin1" else Alphabet.GSM7)
    if dc == 0x01:
        return DataCoding(Alphabet.IA5)
    if dc in (0x02, 0x04):
        return DataCoding(Alphabet.BINARY)
    if dc == 0x03:
        return DataCoding(Alphabet.LATIN1)
    if dc == 0x08:
        return DataCoding(Alphabet.UCS2)
    if dc in _SMPP_OTHER_CODECS:
        return DataCoding(Alphabet.OTHER, codec=_SMPP_OTHER_CODECS[dc])
    if 0x10 <= dc <= 0x3F:
        # TS 23.038 general data coding: bit 4 says bits 1-0 are a message class,
        # bits 3-2 the alphabet (00 GSM-7, 01 8-bit, 10 UCS-2, 11 reserved).
        # Bit 5 (compressed) we cannot undo; the bytes are kept as Latin-1.
        klass = dc & 0x03 if dc & 0x10 else None
        if dc & 0x20:
            return DataCoding(Alphabet.BINARY, klass)
        alpha = (dc >> 2) & 0x03
        return DataCoding(
            (Alphabet.GSM7, Alphabet.BINARY, Alphabet.UCS2, Alphabet.LATIN1)[alpha], klass
        )
    if 0xC0 <= dc <= 0xDF:
        return DataCoding(Alphabet.GSM7)
    if 0xE0 <= dc <= 0xEF:
        return DataCoding(Alphabet.UCS2)
    if 0xF0 <= dc <= 0xFF:
        return DataCoding(Alphabet.BINARY if dc & 0x04 else Alphabet.GSM7, dc & 0x03)
    return DataCoding(Alphabet.LATIN1)


def decode_gsm7(septets: bytes) -> tuple[str, int]:
    """Unpacked GSM 03.38 (one septet per octet) to text; returns (text, replaced count).

    Octets above 0x7F are not septets and become U+FFFD. An escape followed by a code the
    extension table does not define shows the basic-table character, as TS 23.038 6.2.1.1
    tells a handset to do; a trailing lone escape becomes U+FFFD.
    """
    out: list[str] = []
    replaced = 0
    i = 0
    n = len(septets)
    while i < n:
        code = septets[i]
        i += 1
        if code > 0x7F:
            out.append(REPLACEMENT)
            replaced += 1
            continue
        if code != ESCAPE:
            out.append(BASIC[code])
            continue
        if i >= n:
            out.append(REPLACEMENT)
            replaced += 1
            break
        ext = septets[i]
        i += 1
        if ext > 0x7F:
            out.append(REPLACEMENT)
            replaced += 1
        elif ext in EXTENSION:
            out.append(EXTENSION[ext])
        elif ext == ESCAPE:
            # 0x1B 0x1B is reserved for a further extension table; nothing to show
            out.append(REPLACEMENT)
            replaced += 1
        else:
            out.append(BASIC[ext])
    return "".join(out), replaced


class NotGsm7Error(ValueError):
    """The text has a character outside the GSM 03.38 default alphabet and extension."""


def _translation() -> dict[int, str]:
    # every ASCII code point not in GSM 03.38 maps to a non-ASCII sentinel, so after
    # translation "all ASCII" means "all GSM-7" (non-ASCII characters stay non-ASCII)
    table = {cp: "\x80" for cp in range(128)}
    table.update({ord(ch): chr(code) for ch, code in BASIC_INDEX.items()})
    table.update({ord(ch): chr(ESCAPE) + chr(code) for ch, code in EXTENSION_INDEX.items()})
    return table


_GSM7_TABLE = _translation()


def encode_gsm7(text: str) -> bytes:
    """Text to unpacked septets (extension characters as ESC + code).

    One ``str.translate`` pass (C speed): replies go through this for every ack."""
    septets = text.translate(_GSM7_TABLE)
    if not septets.isascii():
        bad = next(ch for ch in text if ch not in BASIC_INDEX and ch not in EXTENSION_INDEX)
        raise NotGsm7Error(f"character U+{ord(bad):04X} is not in GSM 03.38")
    return septets.encode("ascii")


def pack_septets(septets: bytes, fill_bits: int = 0) -> bytes:
    """Pack septets 8-into-7 octets, after *fill_bits* zero bits (UDH alignment)."""
    acc = 0
    bits = fill_bits
    out = bytearray()
    for s in septets:
        acc |= (s & 0x7F) << bits
        bits += 7
        while bits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            bits -= 8
    if bits:
        out.append(acc & 0xFF)
    return bytes(out)


def unpack_septets(data: bytes, count: int | None = None, fill_bits: int = 0) -> bytes:
    """Unpack octets into septets. *count* limits the number of septets (from the TP-UDL);
    without it, a trailing all-zero septet made of padding bits is dropped."""
    acc = 0
    bits = 0
    out = bytearray()
    skip = fill_bits
    for octet in data:
        acc |= octet << bits
        bits += 8
        if skip:
            acc >>= skip
            bits -= skip
            skip = 0
        while bits >= 7:
            out.append(acc & 0x7F)
            acc >>= 7
            bits -= 7
    if count is not None:
        return bytes(out[:count])
    if out and out[-1] == 0 and (len(data) * 8 - fill_bits) % 7 == 0:
        # 7 septets fill 7 octets with 7 spare bits that read as a final '@' (0x00):
        # without a length we take it as padding (TS 23.038 6.1.2.3.1)
        out.pop()
    return bytes(out)


def _decode_ucs2(data: bytes) -> tuple[str, int]:
    """UTF-16BE, so surrogate pairs (emoji) decode; lone surrogates and an odd byte -> U+FFFD."""
    text = data.decode("utf-16-be", errors="replace")
    return text, text.count(REPLACEMENT) - _count_real_replacements(data)


def _count_real_replacements(data: bytes) -> int:
    # U+FFFD actually sent by the peer must not be counted as a decoding failure
    return sum(1 for i in range(0, len(data) - 1, 2) if data[i] == 0xFF and data[i + 1] == 0xFD)


def decode(
    data: bytes, data_coding: int, *, dc0: str = "gsm0338", packed: bool = False
) -> DecodedText:
    """Decode a message body (UDH already removed). Never raises on any byte string.

    *packed* is for GSM-7 sources that pack septets (modems); SMPP uses unpacked.
    """
    dcs = classify(data_coding, dc0=dc0)
    replaced = 0
    if dcs.alphabet is Alphabet.GSM7:
        text, replaced = decode_gsm7(unpack_septets(data) if packed else data)
    elif dcs.alphabet is Alphabet.UCS2:
        text, replaced = _decode_ucs2(data)
    elif dcs.alphabet is Alphabet.IA5:
        text = data.decode("ascii", errors="replace")
        replaced = sum(1 for b in data if b > 0x7F)
    elif dcs.alphabet is Alphabet.OTHER and dcs.codec:
        text = data.decode(dcs.codec, errors="replace")
        replaced = text.count(REPLACEMENT)
    else:  # LATIN1, BINARY: every byte maps to a character, nothing is lost
        text = data.decode("latin-1")
    return DecodedText(text, dcs.alphabet, dcs.message_class, max(replaced, 0))


def encode(text: str) -> tuple[bytes, int]:
    """Encode for sending: GSM-7 (data_coding 0, unpacked) when possible, else UCS-2 (8)."""
    try:
        return encode_gsm7(text), 0x00
    except NotGsm7Error:
        return text.encode("utf-16-be"), 0x08

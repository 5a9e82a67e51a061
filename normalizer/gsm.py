"""The GSM 03.38 default alphabet: which text fits a GSM-7 SMS, and how long it is.

Lives in ``normalizer`` (not ``adapters/sms``) because the gateway also needs it, to warn an
operator whose ack template would not fit one SMS. The byte codec, UDH and segmentation
are in ``adapters/sms``, built on these tables.
"""

from __future__ import annotations

# Basic character set, indexed by septet value (3GPP TS 23.038 6.2.1). 0x1B is the escape.
BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table (after 0x1B escape): septet value -> character.
EXTENSION = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}
ESCAPE = 0x1B

BASIC_INDEX: dict[str, int] = {ch: i for i, ch in enumerate(BASIC) if i != ESCAPE}
EXTENSION_INDEX: dict[str, int] = {ch: code for code, ch in EXTENSION.items()}

SINGLE_SEGMENT_SEPTETS = 160
MULTI_SEGMENT_SEPTETS = 153
SINGLE_SEGMENT_UCS2 = 70
MULTI_SEGMENT_UCS2 = 67


def is_gsm7(text: str) -> bool:
    """True when every character is in the basic set or the extension table."""
    return all(ch in BASIC_INDEX or ch in EXTENSION_INDEX for ch in text)


def gsm7_length(text: str) -> int:
    """Septets needed for *text* (extension characters take two). Text must be GSM-7."""
    return sum(2 if ch in EXTENSION_INDEX else 1 for ch in text)


def fits_one_segment(text: str) -> bool:
    """True when *text* goes out as a single SMS (160 GSM-7 septets, else 70 UCS-2 units)."""
    if is_gsm7(text):
        return gsm7_length(text) <= SINGLE_SEGMENT_SEPTETS
    return len(text.encode("utf-16-be")) // 2 <= SINGLE_SEGMENT_UCS2

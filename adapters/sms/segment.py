"""Split an outgoing reply into SMS segments with concatenation UDHs.

Why not ``smpplib.gsm.make_parts``: it cuts the *encoded bytes* every N octets, which can
separate a GSM escape (0x1B) from the character it escapes, or the two halves of a UTF-16
surrogate pair (an emoji), and the handset then shows garbage. Here we cut at *character*
boundaries, measuring each character's cost in septets (GSM-7: 1, extension characters 2)
or UTF-16 code units (UCS-2: 1, astral characters 2).

GSM-7 is used whenever every character is in GSM 03.38 (160 septets in one SMS, 153 per
part); otherwise UCS-2 (70 / 67 units). SMPP carries GSM-7 unpacked, one septet per octet,
so a GSM-7 part is its UDH followed by at most 153 septet octets.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from adapters.sms import codec, udh
from normalizer.gsm import (
    EXTENSION_INDEX,
    MULTI_SEGMENT_SEPTETS,
    MULTI_SEGMENT_UCS2,
    SINGLE_SEGMENT_SEPTETS,
    SINGLE_SEGMENT_UCS2,
)

MAX_PARTS = 255
ESM_CLASS_UDHI = 0x40


class SegmentationError(ValueError):
    """The text does not fit in 255 parts (or is empty)."""


@dataclass(frozen=True)
class Segments:
    """Ready-to-send parts: ``data_coding`` and ``esm_class`` apply to every part."""

    parts: list[bytes]
    data_coding: int
    esm_class: int
    texts: list[str]


def _cost(ch: str, gsm: bool) -> int:
    if gsm:
        return 2 if ch in EXTENSION_INDEX else 1
    return 2 if ord(ch) > 0xFFFF else 1


def split_text(text: str, *, gsm: bool, limit: int) -> list[str]:
    """Cut *text* into chunks of at most *limit* units without splitting a character.

    A character is the unit that cannot be split: an escaped GSM pair or a surrogate pair
    is one Python character with cost 2, so it is always whole in one chunk.
    """
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        cost = _cost(ch, gsm)
        if used + cost > limit:
            chunks.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += cost
    if current:
        chunks.append("".join(current))
    return chunks


def segment(text: str, *, ref: int, ref16: bool = False, force_ucs2: bool = False) -> Segments:
    """Encode *text* into SMS parts; concatenation reference *ref* is used when it needs more
    than one part (choose it per destination, e.g. a counter)."""
    if not text:
        raise SegmentationError("nothing to send")
    # fast path, the common case (every ack): one encoding pass, one part
    single_gsm: bytes | None = None
    if not force_ucs2:
        with contextlib.suppress(codec.NotGsm7Error):
            single_gsm = codec.encode_gsm7(text)
        if single_gsm is not None and len(single_gsm) <= SINGLE_SEGMENT_SEPTETS:
            return Segments([single_gsm], 0x00, 0x00, [text])
    if single_gsm is None and len(text) <= SINGLE_SEGMENT_UCS2 // 2:
        return Segments([text.encode("utf-16-be")], 0x08, 0x00, [text])
    gsm = single_gsm is not None
    single, multi = (
        (SINGLE_SEGMENT_SEPTETS, MULTI_SEGMENT_SEPTETS)
        if gsm
        else (SINGLE_SEGMENT_UCS2, MULTI_SEGMENT_UCS2)
    )
    if ref16:
        multi -= 1  # one more header octet: 152 septets / 66 UCS-2 units
    total_cost = sum(_cost(ch, gsm) for ch in text)
    chunks = [text] if total_cost <= single else split_text(text, gsm=gsm, limit=multi)
    if len(chunks) > MAX_PARTS:
        raise SegmentationError(f"text needs {len(chunks)} parts, more than {MAX_PARTS}")

    def enc(chunk: str) -> bytes:
        return codec.encode_gsm7(chunk) if gsm else chunk.encode("utf-16-be")

    data_coding = 0x00 if gsm else 0x08
    if len(chunks) == 1:
        return Segments([enc(chunks[0])], data_coding, 0x00, chunks)
    total = len(chunks)
    parts = [
        udh.build_concat(ref, total, i, ref16=ref16) + enc(chunk)
        for i, chunk in enumerate(chunks, start=1)
    ]
    return Segments(parts, data_coding, ESM_CLASS_UDHI, chunks)

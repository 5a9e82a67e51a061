"""Pure functions over what libgammu reads from a modem's inbox.

``GetSMS``/``GetNextSMS`` return python-gammu dicts. :func:`parse_part` turns one into an
:class:`InboxPart`; the rest of this module decides identity:

* **Which stored message is "the same" after a crash.** The modem location is *not* stable
  identity: a modem reuses a location as soon as the message in it is deleted, and SIM and
  phone memory number differently. What a message keeps for as long as it exists is its
  sender, its SMSC timestamp (``DateTime``, second resolution, set by the network), its
  concatenation reference and part numbers, and its text. :func:`single_id` and
  :func:`multipart_id` hash exactly those (plus the modem name), so a message read again
  because we crashed between the commit and ``DeleteSMS`` maps to the same inbound key and
  the pipeline absorbs it.
* **Which parts belong together.** :func:`group_name` names a concatenation set in the
  pipeline's fragment store: modem, sender, reference (8 or 16 bit) and part count.

libgammu hands us each part already decoded. Part texts are stored as UTF-16 code units
(``surrogatepass``) and joined by the shared ``adapters.sms.multipart.assemble`` (the same
missing-part marks as SMPP), because a phone may cut a UCS-2 message between the two halves
of an emoji; only the joined units are decoded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

GROUP_PREFIX = "sms.gammu"
_CONCAT_TYPES = {"ConcatenatedMessages": 8, "ConcatenatedMessages16bit": 16}


class PartKind(StrEnum):
    DELIVER = "deliver"
    STATUS_REPORT = "status_report"
    OTHER = "other"


@dataclass(frozen=True)
class Concat:
    """Concatenation header of one part: reference, 1-based part number, part count."""

    ref: int
    part: int
    total: int
    bits: int


@dataclass(frozen=True)
class InboxPart:
    """One message stored in the modem, as much as we need of it."""

    modem: str
    location: int
    folder: int
    kind: PartKind
    inbox: bool
    sender: str
    sent_at: datetime | None
    text: str
    concat: Concat | None
    reference: int
    delivery_status: int
    coding: str


def _as_utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        # modems without a timezone in the SCTS: libgammu gives local-less time; treat as UTC
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def concat_info(udh: Mapping[str, Any] | None) -> Concat | None:
    """The concatenation header, or None for a single (or non-concatenated) message."""
    if not udh:
        return None
    bits = _CONCAT_TYPES.get(str(udh.get("Type", "")))
    if bits is None:
        return None
    ref = int(udh.get("ID16bit" if bits == 16 else "ID8bit", -1))
    part = int(udh.get("PartNumber", -1))
    total = int(udh.get("AllParts", -1))
    if total <= 1 or not 1 <= part <= total or ref < 0:
        return None
    return Concat(ref=ref, part=part, total=total, bits=bits)


def parse_part(modem: str, raw: Mapping[str, Any]) -> InboxPart:
    """Turn one python-gammu SMS dict into an :class:`InboxPart`."""
    pdu = str(raw.get("Type", ""))
    kind = {"Deliver": PartKind.DELIVER, "Status_Report": PartKind.STATUS_REPORT}.get(
        pdu, PartKind.OTHER
    )
    text = raw.get("Text")
    return InboxPart(
        modem=modem,
        location=int(raw.get("Location", 0)),
        folder=int(raw.get("Folder", 0)),
        kind=kind,
        inbox=bool(raw.get("InboxFolder", 1)),
        sender=str(raw.get("Number") or ""),
        sent_at=_as_utc(raw.get("DateTime")),
        text=text if isinstance(text, str) else "",
        concat=concat_info(raw.get("UDH")),
        reference=int(raw.get("MessageReference", 0) or 0),
        delivery_status=int(raw.get("DeliveryStatus", 0) or 0),
        coding=str(raw.get("Coding", "")),
    )


def _digest(*fields: str) -> str:
    return hashlib.sha256("\x1f".join(fields).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _ts(value: datetime | None) -> str:
    return value.isoformat() if value else "-"


def single_id(part: InboxPart) -> str:
    """Stable id of a single-part message (see module docstring)."""
    return _digest("single", part.modem, part.sender, _ts(part.sent_at), part.text)


def group_name(part: InboxPart) -> str:
    """Fragment-store group of a concatenated part; namespaced per adapter and modem."""
    assert part.concat is not None
    c = part.concat
    return f"{GROUP_PREFIX}:{part.modem}:{c.bits}:{c.ref}:{c.total}:{part.sender}"


def group_prefix(modem: str) -> str:
    return f"{GROUP_PREFIX}:{modem}:"


def encode_part_text(text: str) -> bytes:
    """UTF-16 code units of one part's text (lone surrogates kept for the join)."""
    return text.encode("utf-16-be", "surrogatepass")


def part_meta(part: InboxPart) -> dict[str, Any]:
    """What the fragment store keeps beside a part's text (no location: it is not identity).

    ``dc`` 8 (UCS-2) tells the shared ``multipart.assemble`` how to decode the stored
    UTF-16 units, whatever alphabet the part had on the air (``coding`` keeps that)."""
    assert part.concat is not None
    return {
        "sender": part.sender,
        "sent_at": _ts(part.sent_at),
        "coding": part.coding,
        "dc": 8,
        "total": part.concat.total,
    }


def multipart_id(group: str, parts: Iterable[tuple[int, bytes, Mapping[str, Any]]]) -> str:
    """Stable id of a (possibly incomplete) concatenated message from its stored parts."""
    fields = [group]
    for number, data, meta in sorted(parts, key=lambda p: p[0]):
        fields += [str(number), str(meta.get("sent_at", "-")), data.hex()]
    return _digest("multi", *fields)


def delivery_state(status: int) -> str:
    """TP-Status (3GPP TS 23.040 9.2.3.15) of a status report -> our receipt state."""
    if status < 0x20:
        return "delivered"
    if status < 0x40 or 0x60 <= status < 0x80:
        return "pending"
    return "failed"


def receipt_id(modem: str, reference: int, recipient: str) -> str:
    """Transport id of one sent SMS, matched by its status report.

    The TP message reference is only 8 bits, so it is qualified by modem and recipient: a
    receipt then hits an older ack only after 256 sends to the same number on one modem.
    """
    return f"{modem}:{reference}:{recipient}"

"""SMPP delivery receipts: which of our acks reached the citizen's phone.

A receipt is a ``deliver_sm`` with esm_class message type 0x04 (SMSC delivery receipt) or
0x20 (intermediate notification). The id and state come from the ``receipted_message_id``
and ``message_state`` TLVs when present (SMPP 3.4 5.3.2.35 / 5.3.2.12), else from the
de-facto text format of SMPP 3.4 Appendix B: ``id:IIII sub:001 dlvrd:001 ... stat:DELIVRD``.
States are normalized to lower-case words stored on the ack's outbox row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ESM_TYPE_MASK = 0x3C
ESM_DELIVERY_RECEIPT = 0x04
ESM_SME_ACK = 0x08
ESM_USER_ACK = 0x10
ESM_INTERMEDIATE = 0x20

MESSAGE_STATES = {
    1: "enroute",
    2: "delivered",
    3: "expired",
    4: "deleted",
    5: "undeliverable",
    6: "accepted",
    7: "unknown",
    8: "rejected",
}
TEXT_STATES = {
    "ENROUTE": "enroute",
    "DELIVRD": "delivered",
    "EXPIRED": "expired",
    "DELETED": "deleted",
    "UNDELIV": "undeliverable",
    "ACCEPTD": "accepted",
    "UNKNOWN": "unknown",
    "REJECTD": "rejected",
}
_ID = re.compile(rb"\bid:\s*([^\s]+)", re.IGNORECASE)
_STAT = re.compile(rb"\bstat:\s*([A-Za-z]+)", re.IGNORECASE)


class ReceiptError(ValueError):
    """A receipt without a usable message id."""


@dataclass(frozen=True)
class Receipt:
    message_id: str
    state: str


def is_receipt(esm_class: int) -> bool:
    """True for every esm_class message type that is not a citizen's message."""
    return (esm_class & ESM_TYPE_MASK) in (
        ESM_DELIVERY_RECEIPT,
        ESM_SME_ACK,
        ESM_USER_ACK,
        ESM_INTERMEDIATE,
    )


def parse_receipt(
    short_message: bytes, receipted_message_id: bytes | str | None, message_state: int | None
) -> Receipt:
    """Message id and normalized state; TLVs win over the text."""
    msg_id = receipted_message_id
    if isinstance(msg_id, bytes):
        msg_id = msg_id.rstrip(b"\x00").decode("ascii", errors="replace")
    msg_id = msg_id.strip() if msg_id else msg_id  # a blank TLV is no id (then try the text)
    if not msg_id:
        match = _ID.search(short_message or b"")
        if match:
            msg_id = match.group(1).decode("ascii", errors="replace")
    if not msg_id:
        raise ReceiptError("receipt without message id")
    state: str | None = MESSAGE_STATES.get(message_state) if message_state else None
    if state is None:
        match = _STAT.search(short_message or b"")
        word = match.group(1).decode("ascii").upper() if match else ""
        state = TEXT_STATES.get(word, word.lower() or "unknown")
    return Receipt(msg_id.strip(), state)

"""Durable per-citizen state of the WhatsApp door, in checkpoints keyed by phone number.

* ``whatsapp:window:<E.164>``: unix time of the citizen's last inbound message. The 24-hour
  customer service window runs from it (free-form text inside, an approved template
  outside). It is committed *with* the report (the submit's checkpoint) or *before* the
  answer, never after: the outbox may send the ack the moment the report commits, and must
  then find the window open.
* ``whatsapp:citizen:<E.164>``: JSON with ``tid``/``tid_at`` (the citizen's last report and
  when it was filed, so a location or photo sent right after joins it as a follow-up),
  ``loc`` (a location shared before any complaint, waiting for the next report) and
  ``atts`` (photos or documents sent without a caption, likewise). Written after the
  message is handled; a crash before that write also means no 200 was sent, so Meta
  redelivers and the write happens then.

Checkpoints survive restarts and are shared by every gateway instance on one database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from gateway.adapter import CheckpointStore

WINDOW_PREFIX = "whatsapp:window:"
CITIZEN_PREFIX = "whatsapp:citizen:"


def window_name(phone: str) -> str:
    return WINDOW_PREFIX + phone


async def window_opened_at(store: CheckpointStore, phone: str) -> float:
    """Unix time of the citizen's last inbound message (0 when never)."""
    raw = await store.get_checkpoint(window_name(phone))
    try:
        return float(raw) if raw else 0.0
    except ValueError:
        return 0.0


def window_open(opened_at: float, now: float, window_s: float) -> bool:
    return opened_at > 0 and now - opened_at < window_s


@dataclass
class CitizenState:
    tid: str | None = None
    tid_at: float | None = None
    loc: dict[str, Any] | None = None
    #: photos/documents sent before any complaint (stored attachments, newest last)
    atts: list[dict[str, Any]] = field(default_factory=list)
    atts_at: float = 0.0

    def recent_report(self, now: float, within_s: float) -> str | None:
        if self.tid and self.tid_at is not None and now - self.tid_at <= within_s:
            return self.tid
        return None

    def pending_location(self, now: float, within_s: float) -> dict[str, Any] | None:
        if self.loc and now - float(self.loc.get("at", 0)) <= within_s:
            return self.loc
        return None

    def pending_attachments(self, now: float, within_s: float) -> list[dict[str, Any]]:
        return self.atts if self.atts and now - self.atts_at <= within_s else []


def decode(raw: str | None) -> CitizenState:
    if not raw:
        return CitizenState()
    try:
        data = json.loads(raw)
        return CitizenState(
            tid=data.get("tid") or None,
            tid_at=float(data["tid_at"]) if data.get("tid_at") is not None else None,
            loc=data.get("loc") if isinstance(data.get("loc"), dict) else None,
            atts=[a for a in data.get("atts") or [] if isinstance(a, dict)],
            atts_at=float(data.get("atts_at") or 0),
        )
    except (ValueError, TypeError, AttributeError):
        return CitizenState()


def encode(citizen: CitizenState) -> str:
    """The checkpoint value of *citizen* (also how a change is noticed)."""
    doc = {
        "tid": citizen.tid,
        "tid_at": citizen.tid_at,
        "loc": citizen.loc,
        "atts": citizen.atts,
        "atts_at": citizen.atts_at,
    }
    return json.dumps(doc, separators=(",", ":"))


async def load(store: CheckpointStore, phone: str) -> CitizenState:
    return decode(await store.get_checkpoint(CITIZEN_PREFIX + phone))


async def save(store: CheckpointStore, phone: str, state: CitizenState) -> None:
    await store.set_checkpoint(CITIZEN_PREFIX + phone, encode(state))

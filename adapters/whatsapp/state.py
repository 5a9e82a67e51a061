"""Durable per-citizen state of the WhatsApp door, one checkpoint per phone number.

``whatsapp:window:<E.164>`` holds JSON with:

* ``at``: unix time of the citizen's last inbound message: the 24-hour customer service
  window runs from it (free-form text inside, an approved template outside);
* ``tid`` / ``tid_at``: the citizen's last report and when it was filed, so a location or a
  photo sent right after a complaint joins it as a follow-up;
* ``loc``: a location shared before any complaint, waiting to become the next report's location;
* ``atts``: photos or documents sent without a caption before any complaint, likewise.

A checkpoint survives restarts and is shared by every gateway instance on one database. It
is written after each handled message; a crash before that write also means no 200 was
sent, so Meta redelivers and the write happens then.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from gateway.adapter import CheckpointStore

PREFIX = "whatsapp:window:"


@dataclass
class CitizenState:
    at: float = 0.0
    tid: str | None = None
    tid_at: float | None = None
    loc: dict[str, Any] | None = None
    #: photos/documents sent before any complaint (stored attachments, newest last)
    atts: list[dict[str, Any]] = field(default_factory=list)
    atts_at: float = 0.0

    def window_open(self, now: float, window_s: float) -> bool:
        return self.at > 0 and now - self.at < window_s

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


def name(phone: str) -> str:
    return PREFIX + phone


def decode(raw: str | None) -> CitizenState:
    if not raw:
        return CitizenState()
    try:
        data = json.loads(raw)
        return CitizenState(
            at=float(data.get("at") or 0),
            tid=data.get("tid") or None,
            tid_at=float(data["tid_at"]) if data.get("tid_at") is not None else None,
            loc=data.get("loc") if isinstance(data.get("loc"), dict) else None,
            atts=[a for a in data.get("atts") or [] if isinstance(a, dict)],
            atts_at=float(data.get("atts_at") or 0),
        )
    except (ValueError, TypeError, AttributeError):
        return CitizenState()


async def load(store: CheckpointStore, phone: str) -> CitizenState:
    return decode(await store.get_checkpoint(name(phone)))


async def save(store: CheckpointStore, phone: str, state: CitizenState) -> None:
    await store.set_checkpoint(name(phone), json.dumps(asdict(state), separators=(",", ":")))

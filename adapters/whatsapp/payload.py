"""The Cloud API webhook document, read into typed items (pure; no I/O).

Shape (``object: whatsapp_business_account``)::

    {"entry": [{"id": WABA_ID, "changes": [{"field": "messages", "value": {
        "metadata": {"display_phone_number": ..., "phone_number_id": ...},
        "contacts": [{"wa_id": ..., "profile": {"name": ...}}],
        "messages": [{"from", "id": "wamid...", "timestamp", "type", <type>: {...}}],
        "statuses": [{"id": "wamid...", "status", "timestamp", "recipient_id",
                      "errors": [{"code", "title"}], "biz_opaque_callback_data"}]}}]}]}

One POST may carry several entries, changes, messages and statuses, for several business
phone numbers. Each message becomes a :class:`WaMessage`, each status a :class:`WaStatus`;
anything malformed, or for a phone number id we do not serve, is skipped with a reason while
the rest still counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

OBJECT = "whatsapp_business_account"
#: message types that carry media we download
MEDIA_TYPES = frozenset({"image", "document"})


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any, limit: int = 20_000) -> str | None:
    return value[:limit] if isinstance(value, str) and value.strip() else None


@dataclass(frozen=True)
class WaLocation:
    lat: float
    lon: float
    name: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class WaMessage:
    """One inbound message. ``text`` is the body, caption or the chosen reply's title."""

    phone_number_id: str
    wamid: str
    wa_id: str
    type: str
    sent_at: datetime
    profile_name: str | None = None
    text: str | None = None
    media_id: str | None = None
    media_mime: str | None = None
    filename: str | None = None
    location: WaLocation | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WaStatus:
    """One delivery status of a message we sent."""

    phone_number_id: str
    wamid: str
    status: str
    recipient_id: str
    error_codes: tuple[int, ...] = ()
    opaque: str | None = None


@dataclass
class Parsed:
    messages: list[WaMessage] = field(default_factory=list)
    statuses: list[WaStatus] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _time(raw: Any) -> datetime:
    if isinstance(raw, str | int) and str(raw).isdigit():
        return datetime.fromtimestamp(int(raw), UTC)
    return datetime.now(UTC)


def _location(obj: dict[str, Any]) -> WaLocation | None:
    lat, lon = obj.get("latitude"), obj.get("longitude")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return WaLocation(
        float(lat), float(lon), _text(obj.get("name"), 200), _text(obj.get("address"), 290)
    )


def message(obj: dict[str, Any], phone_number_id: str, names: dict[str, str]) -> WaMessage | str:
    """One ``messages[]`` item, or why it is skipped."""
    wamid, sender, kind = obj.get("id"), obj.get("from"), obj.get("type")
    if not isinstance(wamid, str) or not wamid or len(wamid) > 200:
        return "message without id"
    if not isinstance(sender, str) or not sender.isdigit():
        return "message without a numeric from"
    if not isinstance(kind, str):
        return "message without type"
    body = as_dict(obj.get(kind))
    text: str | None = None
    media_id = media_mime = filename = None
    location = None
    if kind == "text":
        text = _text(body.get("body"))
    elif kind == "interactive":
        reply = as_dict(body.get("button_reply") or body.get("list_reply"))
        text = _text(reply.get("title"))
    elif kind == "button":
        text = _text(body.get("text")) or _text(body.get("payload"))
    elif kind in MEDIA_TYPES:
        text = _text(body.get("caption"))
        media_id = str(body["id"])[:200] if body.get("id") else None
        media_mime = _text(body.get("mime_type"), 100)
        filename = _text(body.get("filename"), 200)
    elif kind == "location":
        location = _location(body)
        if location is None:
            return "location without valid latitude/longitude"
    return WaMessage(
        phone_number_id=phone_number_id,
        wamid=wamid,
        wa_id=sender,
        type=kind,
        sent_at=_time(obj.get("timestamp")),
        profile_name=names.get(sender),
        text=text,
        media_id=media_id,
        media_mime=media_mime,
        filename=filename,
        location=location,
        raw=obj,
    )


def status(obj: dict[str, Any], phone_number_id: str) -> WaStatus | str:
    """One ``statuses[]`` item, or why it is skipped."""
    wamid, state = obj.get("id"), obj.get("status")
    if not isinstance(wamid, str) or not wamid or not isinstance(state, str):
        return "status without id or status"
    codes = tuple(
        int(err["code"])
        for err in map(as_dict, as_list(obj.get("errors")))
        if isinstance(err.get("code"), int)
    )
    opaque = obj.get("biz_opaque_callback_data")
    return WaStatus(
        phone_number_id=phone_number_id,
        wamid=wamid,
        status=state[:20],
        recipient_id=str(obj.get("recipient_id") or ""),
        error_codes=codes,
        opaque=opaque if isinstance(opaque, str) else None,
    )


def parse(doc: dict[str, Any], phone_number_ids: frozenset[str]) -> Parsed:
    """Every message and status of a webhook document addressed to one of our numbers."""
    out = Parsed()
    for entry in map(as_dict, as_list(doc.get("entry"))):
        for change in map(as_dict, as_list(entry.get("changes"))):
            if change.get("field") != "messages":
                out.skipped.append(f"change field {str(change.get('field'))[:40]}")
                continue
            value = as_dict(change.get("value"))
            number = str(as_dict(value.get("metadata")).get("phone_number_id") or "")
            if number not in phone_number_ids:
                out.skipped.append("phone_number_id is not one of ours")
                continue
            names = {
                str(c.get("wa_id")): str(as_dict(c.get("profile")).get("name"))[:200]
                for c in map(as_dict, as_list(value.get("contacts")))
                if c.get("wa_id") and as_dict(c.get("profile")).get("name")
            }
            for item in as_list(value.get("messages")):
                got = message(as_dict(item), number, names)
                if isinstance(got, WaMessage):
                    out.messages.append(got)
                else:
                    out.skipped.append(got)
            for item in as_list(value.get("statuses")):
                got_status = status(as_dict(item), number)
                if isinstance(got_status, WaStatus):
                    out.statuses.append(got_status)
                else:
                    out.skipped.append(got_status)
    return out

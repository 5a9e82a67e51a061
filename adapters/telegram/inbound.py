"""One Telegram update in a transport-neutral shape, and what its text asks for.

Pure functions only (tested with tables): :func:`parse_update` reads an ``Update`` object,
:func:`parse_command` the keywords (the prank/greeting rule is :mod:`.classify`).

Parsing is lenient about what it does not need (Telegram adds fields without notice) and
strict about ``update_id``, ``chat.id``, ``from.id`` and ``message_id``. Only messages in
private chats are taken: a bot added to a group would otherwise file every group chatter
as a complaint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from normalizer.keywords import Intent, ParsedKeywords
from normalizer.text import clean_text


@dataclass(frozen=True)
class PhotoSize:
    file_id: str
    file_unique_id: str
    width: int
    height: int
    file_size: int | None


@dataclass(frozen=True)
class TgMessage:
    """A private message to the bot (text, caption, photo sizes, location)."""

    update_id: int
    chat_id: str
    message_id: str
    user_id: str
    text: str
    date: datetime
    username: str | None = None
    name: str | None = None
    #: ascending by size, as Telegram sends them
    photos: tuple[PhotoSize, ...] = ()
    lat: float | None = None
    lon: float | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def inbound_key(self) -> str:
        """Level-1 dedup: a chat's message ids are unique, whichever path brought it."""
        return f"telegram:{self.chat_id}:{self.message_id}"

    @property
    def identity(self) -> str:
        return f"telegram:{self.user_id}"


@dataclass(frozen=True)
class Unhandled:
    """An update that is not a private message to the bot, and why (it only moves the offset)."""

    update_id: int
    reason: str


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int_id(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return str(value)


def update_id_of(update: dict[str, Any]) -> int | None:
    value = update.get("update_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_update(update: dict[str, Any]) -> TgMessage | Unhandled | None:
    """*update* as a :class:`TgMessage`, an :class:`Unhandled` with the reason, or None when
    it has no usable ``update_id`` at all."""
    update_id = update_id_of(update)
    if update_id is None:
        return None
    if "message" not in update:
        kinds = sorted(k for k in update if k != "update_id")
        return Unhandled(update_id, f"not a new message ({', '.join(kinds) or 'empty'})")
    msg = _obj(update.get("message"))
    chat = _obj(msg.get("chat"))
    sender = _obj(msg.get("from"))
    chat_id, user_id = _int_id(chat.get("id")), _int_id(sender.get("id"))
    message_id = _int_id(msg.get("message_id"))
    if chat_id is None or user_id is None or message_id is None:
        return Unhandled(update_id, "message without chat, sender or message id")
    if chat.get("type") != "private":
        return Unhandled(update_id, f"{chat.get('type') or 'unknown'} chat")
    if sender.get("is_bot") is True:
        return Unhandled(update_id, "sent by a bot")
    text = msg.get("text") if isinstance(msg.get("text"), str) else msg.get("caption")
    date = msg.get("date")
    names = [sender.get("first_name"), sender.get("last_name")]
    name = " ".join(n for n in names if isinstance(n, str) and n).strip()[:200] or None
    lat, lon = _coordinates(_obj(msg.get("location")))
    username = sender.get("username")
    return TgMessage(
        update_id=update_id,
        chat_id=chat_id,
        message_id=message_id,
        user_id=user_id,
        text=text if isinstance(text, str) else "",
        date=(
            datetime.fromtimestamp(date, UTC)
            if isinstance(date, int) and date > 0
            else datetime.now(UTC)
        ),
        username=username[:40] if isinstance(username, str) and username else None,
        name=name,
        photos=_photos(msg.get("photo")),
        lat=lat,
        lon=lon,
        raw=msg,
    )


def _coordinates(location: dict[str, Any]) -> tuple[float | None, float | None]:
    """(lat, lon) of a Location object when both are numbers in range, else (None, None)."""
    lat, lon = location.get("latitude"), location.get("longitude")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    return float(lat), float(lon)


def _photos(value: Any) -> tuple[PhotoSize, ...]:
    if not isinstance(value, list):
        return ()
    sizes = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("file_id"), str):
            continue
        size = item.get("file_size")
        sizes.append(
            PhotoSize(
                file_id=item["file_id"],
                file_unique_id=str(item.get("file_unique_id") or ""),
                width=int(item.get("width") or 0),
                height=int(item.get("height") or 0),
                file_size=size if isinstance(size, int) else None,
            )
        )
    return tuple(sorted(sizes, key=lambda s: (s.file_size or 0, s.width * s.height)))


_HELP = {"START", "BANTUAN", "HELP", "INFO"}
_STATUS = {"CEK", "STATUS"}
_STOP = {"STOP", "BERHENTI"}
# a leading word: "/cek", "/cek@lapor1708bot", "CEK", "#rahasia", with trailing ':' or ','
_LEAD = re.compile(r"^\s*[/#]?(?P<word>[A-Za-z]+)(?:@\w+)?[\s:,.!]*", re.UNICODE)


def parse_command(text: str, *, min_chars: int) -> ParsedKeywords:
    """The intent of *text* from its leading keywords (with or without ``/``, any case).

    ``/start``, ``/bantuan`` (``/help``, ``INFO``) without a complaint after them: help.
    ``/cek <id>`` / ``CEK <id>``: status (bare ``/cek``: help). ``STOP``/``BERHENTI``
    alone: opt out ("stop pungli di kelurahan" is a complaint). ``/rahasia`` and
    ``/anonim`` (either order, also as plain words) flag the complaint that follows.
    Anything else is a complaint, or help when shorter than *min_chars*.

    The answer is the text doors' :class:`~normalizer.keywords.ParsedKeywords` (no region:
    a bot has no regional prefixes), but the reading is the bot's own, not
    :func:`~normalizer.keywords.parse_keywords`: slash commands with a bot name
    (``/cek@lapor1708bot``), ``/start`` before a complaint, ``CEK`` only as the first word,
    and the flags kept on a help answer."""
    rest = clean_text(text)
    anonymous = confidential = False
    first = True
    while True:
        match = _LEAD.match(rest)
        word = match.group("word").upper() if match else ""
        after = rest[match.end() :] if match else rest
        if word in _STATUS and first:
            raw_id = after.strip()
            if not raw_id:
                return ParsedKeywords(Intent.HELP)
            return ParsedKeywords(Intent.STATUS, tracking_raw=raw_id[:40])
        if word in _STOP and first and not after.strip(" .!"):
            return ParsedKeywords(Intent.STOP)
        if word in _HELP and len(after.strip()) < min_chars:
            return ParsedKeywords(Intent.HELP, anonymous=anonymous, confidential=confidential)
        if word == "RAHASIA":
            confidential, rest = True, after
        elif word in {"ANONIM", "ANONYMOUS"}:
            anonymous, rest = True, after
        elif word in {"LAPOR", "START"}:
            rest = after
        else:
            break
        first = False
    body = rest.strip()
    if len(body) < min_chars:
        return ParsedKeywords(Intent.HELP, anonymous=anonymous, confidential=confidential)
    return ParsedKeywords(Intent.REPORT, text=body, anonymous=anonymous, confidential=confidential)

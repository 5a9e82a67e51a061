"""One inbound X message (a mention or a DM) in a transport-neutral shape, and the parsing of
X API v2 tweet pages into it.

X answers with ``data`` (the tweets) plus ``includes`` (users, media, places, referenced
tweets) joined by ids. Any part may be missing (``includes`` is omitted when nothing was
expanded; a deleted author leaves a dangling id) and new fields appear without notice, so
parsing is lenient about what it does not need and strict only about ``id``/``author_id``.
A tweet that cannot be parsed is returned as a :class:`Skipped` with the reason, never
raised, so one odd tweet does not stop the poll.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from normalizer import Attachment, Location

#: X snowflake ids carry their creation time: milliseconds since this epoch, shifted by 22
TWITTER_EPOCH_MS = 1288834974657

_LEADING_MENTIONS = re.compile(r"^(?:\s*@[A-Za-z0-9_]{1,15})+\s*")
_CEK = re.compile(r"^(?:CEK|STATUS)\b[\s:#]*(?P<id>\S.*)?$", re.IGNORECASE | re.DOTALL)
_ID_LIKE = re.compile(r"^\d[\d \-.]{6,30}\d")


@dataclass(frozen=True)
class Inbound:
    """A mention or DM, ready for :mod:`.processor`."""

    kind: str  # "tweet" | "dm"
    id: str
    author_id: str
    text: str
    author_handle: str | None = None
    author_name: str | None = None
    created_at: datetime | None = None
    conversation_id: str | None = None
    in_reply_to_id: str | None = None
    hashtags: frozenset[str] = frozenset()
    retweet: bool = False
    attachments: list[Attachment] = field(default_factory=list)
    location: Location | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def inbound_key(self) -> str:
        return f"x:{self.kind}:{self.id}"


@dataclass(frozen=True)
class Skipped:
    """An item of an API page we could not turn into an :class:`Inbound`, and why."""

    id: str | None
    reason: str


def snowflake_ms(snowflake: str | int) -> int:
    """Creation time (unix ms) encoded in an X id."""
    return (int(snowflake) >> 22) + TWITTER_EPOCH_MS


def snowflake_at(unix_ms: int) -> int:
    """The smallest X id created at *unix_ms* (for ``since_id`` arithmetic)."""
    return max(unix_ms - TWITTER_EPOCH_MS, 0) << 22


def id_int(value: str) -> int:
    """Numeric order of X ids (they are decimal strings; compare as integers)."""
    return int(value)


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def strip_leading_mentions(text: str) -> str:
    """``@lapor1708 @pemkot jalan rusak`` -> ``jalan rusak`` (reply prefixes carry no content)."""
    return _LEADING_MENTIONS.sub("", text, count=1).strip()


def status_query(text: str, hashtag: str = "") -> str | None:
    """The raw tracking-ID argument when *text* is a status query (``CEK <id>``), else None.

    Only a message that *starts* with ``CEK``/``STATUS`` followed by something number-like is
    a query: "cek" is an everyday Indonesian word ("tolong cek jalan ini"). Returns ``""``
    for a bare ``CEK``.
    """
    body = strip_leading_mentions(text)
    if hashtag:
        body = re.sub(rf"(?i)(^|\s)#{re.escape(hashtag)}\b", " ", body).strip()
    match = _CEK.match(body)
    if not match:
        return None
    arg = (match.group("id") or "").strip()
    if not arg:
        return ""
    id_match = _ID_LIKE.match(arg)
    if not id_match:
        return None
    return id_match.group(0)


def as_dict(value: Any) -> dict[str, Any]:
    """*value* when it is a JSON object, else ``{}`` (unknown or broken shapes)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _index(items: Any, key: str) -> dict[str, dict[str, Any]]:
    return {
        str(item[key]): item
        for item in as_list(items)
        if isinstance(item, dict) and item.get(key) is not None
    }


def _media_attachments(media: list[dict[str, Any]]) -> list[Attachment]:
    out = []
    for item in media[:20]:
        url = item.get("url") or item.get("preview_image_url")
        if not isinstance(url, str) or not url:
            continue
        kind = str(item.get("type") or "")
        content_type = {"photo": "image/jpeg", "video": "video/mp4", "animated_gif": "image/gif"}
        out.append(Attachment(url=url[:2000], content_type=content_type.get(kind)))
    return out


def place_location(place: dict[str, Any] | None, geo: Any) -> Location | None:
    """Exact coordinates when the tweet has them, else the centre of the place's bbox."""
    lat = lon = None
    if isinstance(geo, dict):
        coords = (geo.get("coordinates") or {}) if isinstance(geo.get("coordinates"), dict) else {}
        pair = coords.get("coordinates")
        if isinstance(pair, list) and len(pair) == 2:
            lon, lat = _floats(pair)
    address = None
    if place:
        address = str(place.get("full_name") or place.get("name") or "")[:500] or None
        bbox = (place.get("geo") or {}).get("bbox") if isinstance(place.get("geo"), dict) else None
        if lat is None and isinstance(bbox, list) and len(bbox) == 4:
            west, south = _floats(bbox[:2])
            east, north = _floats(bbox[2:])
            if None not in (west, south, east, north):
                lon = (west + east) / 2  # type: ignore[operator]
                lat = (south + north) / 2  # type: ignore[operator]
    if lat is None and address is None:
        return None
    if lat is not None and not (-90 <= lat <= 90 and -180 <= (lon or 0) <= 180):
        lat = lon = None
    return Location(lat=lat, lon=lon, address=address)


def _floats(values: list[Any]) -> tuple[float | None, float | None]:
    try:
        return float(values[0]), float(values[1])
    except (TypeError, ValueError):
        return None, None


def parse_tweet_page(doc: dict[str, Any]) -> tuple[list[Inbound], list[Skipped]]:
    """Tweets of one v2 page (as returned, newest first) joined with their ``includes``."""
    data = doc.get("data")
    if data is None:
        return [], []
    if not isinstance(data, list):
        return [], [Skipped(None, "page 'data' is not a list")]
    includes = as_dict(doc.get("includes"))
    users = _index(includes.get("users"), "id")
    media = _index(includes.get("media"), "media_key")
    places = _index(includes.get("places"), "id")
    tweets: list[Inbound] = []
    skipped: list[Skipped] = []
    for item in data:
        try:
            tweets.append(parse_tweet(item, users=users, media=media, places=places))
        except (KeyError, TypeError, ValueError) as exc:
            tid = str(item.get("id")) if isinstance(item, dict) and item.get("id") else None
            skipped.append(Skipped(tid, f"unparsable tweet: {exc}"))
    return tweets, skipped


def parse_tweet(
    item: Any,
    *,
    users: dict[str, dict[str, Any]],
    media: dict[str, dict[str, Any]],
    places: dict[str, dict[str, Any]],
) -> Inbound:
    """One v2 tweet object; raises ValueError/KeyError/TypeError when it is not one."""
    if not isinstance(item, dict):
        raise TypeError("tweet is not an object")
    tweet_id = str(item["id"])
    author_id = str(item["author_id"])
    if not tweet_id.isdigit() or not author_id.isdigit():
        raise ValueError("tweet id and author_id must be numeric")
    note = item.get("note_tweet")
    text = note.get("text") if isinstance(note, dict) and note.get("text") else item.get("text")
    if not isinstance(text, str):
        raise ValueError("tweet has no text")
    refs = as_list(item.get("referenced_tweets"))
    ref_types = {str(r.get("type")): str(r.get("id")) for r in refs if isinstance(r, dict)}
    tags = as_list(as_dict(item.get("entities")).get("hashtags"))
    hashtags = {str(t.get("tag", "")).lower() for t in tags if isinstance(t, dict)}
    hashtags |= {m.lower() for m in re.findall(r"#(\w+)", text)}
    keys = as_list(as_dict(item.get("attachments")).get("media_keys"))
    geo = item.get("geo") if isinstance(item.get("geo"), dict) else None
    place = places.get(str(geo.get("place_id"))) if geo else None
    author = users.get(author_id, {})
    return Inbound(
        kind="tweet",
        id=tweet_id,
        author_id=author_id,
        text=text,
        author_handle=str(author["username"])[:40] if author.get("username") else None,
        author_name=str(author["name"])[:200] if author.get("name") else None,
        created_at=parse_time(item.get("created_at")),
        conversation_id=str(item["conversation_id"]) if item.get("conversation_id") else None,
        in_reply_to_id=ref_types.get("replied_to"),
        hashtags=frozenset(hashtags),
        retweet="retweeted" in ref_types,
        attachments=_media_attachments([media[str(k)] for k in keys if str(k) in media]),
        location=place_location(place, geo),
        raw=item,
    )

"""Account Activity API webhook: ``GET|POST /v1/twitter/webhook``.

* ``GET ?crc_token=...``: the challenge-response check X runs when the webhook is registered
  and then hourly: answer ``{"response_token": "sha256=" + base64(HMAC-SHA256(consumer_secret,
  crc_token))}``. Without a token: 400.
* ``POST``: X signs the raw body: ``x-twitter-webhooks-signature: sha256=<base64
  HMAC-SHA256(consumer_secret, body)>``, compared in constant time before anything is parsed
  (401 when missing or wrong). ``tweet_create_events`` and ``direct_message_events`` (v1.1
  shapes) are converted to :class:`~.inbound.Inbound` and go through the same
  :class:`~.processor.Processor` as polled ones, with the same inbound keys: X delivers
  events at least once, and a tweet seen by both the webhook and the poller is one report.
  The webhook never moves the poll cursors (events arrive out of order).
* 200 only after every event is committed; 503 when the store could not commit, so X
  retries the delivery. A malformed event is skipped with its reason; the others still count.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from adapters.twitter import metrics
from adapters.twitter.config import TwitterConfig
from adapters.twitter.inbound import Inbound, as_dict, as_list, place_location
from adapters.twitter.processor import Processor
from gateway.adapter import StoreUnavailableError
from normalizer import Attachment

log = logging.getLogger(__name__)

PATH = "/v1/twitter/webhook"
SIGNATURE_HEADER = "x-twitter-webhooks-signature"


def crc_response_token(consumer_secret: bytes, crc_token: str) -> str:
    mac = hmac.new(consumer_secret, crc_token.encode(), hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(mac).decode()


def signature(consumer_secret: bytes, body: bytes) -> str:
    """The ``x-twitter-webhooks-signature`` value X sends for *body*."""
    mac = hmac.new(consumer_secret, body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(mac).decode()


def signature_valid(consumer_secret: bytes, header: str | None, body: bytes) -> bool:
    if not consumer_secret or not header:
        return False
    return hmac.compare_digest(signature(consumer_secret, body).encode(), header.strip().encode())


def _v1_time(obj: dict[str, Any]) -> datetime | None:
    for key in ("timestamp_ms", "created_timestamp"):
        raw = obj.get(key)
        if isinstance(raw, str | int) and str(raw).isdigit():
            return datetime.fromtimestamp(int(raw) / 1000, UTC)
    raw = obj.get("created_at")
    if isinstance(raw, str):
        try:
            return datetime.strptime(raw, "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)
        except ValueError:
            return None
    return None


def tweet_from_v1(obj: dict[str, Any], own_id: str) -> Inbound | str:
    """A v1.1 tweet object as :class:`Inbound`, or the reason it is not a mention of us."""
    tweet_id = str(obj.get("id_str") or "")
    user = as_dict(obj.get("user"))
    author_id = str(user.get("id_str") or "")
    if not tweet_id.isdigit() or not author_id.isdigit():
        return "tweet without id_str or user.id_str"
    extended = as_dict(obj.get("extended_tweet"))
    text = extended.get("full_text") or obj.get("full_text") or obj.get("text")
    if not isinstance(text, str):
        return "tweet without text"
    entities = as_dict(extended.get("entities") or obj.get("entities"))
    mentioned = {str(as_dict(m).get("id_str")) for m in as_list(entities.get("user_mentions"))}
    if own_id not in mentioned and str(obj.get("in_reply_to_user_id_str")) != own_id:
        if author_id != own_id:
            return "not a mention"
    tags = {str(as_dict(t).get("text", "")).lower() for t in as_list(entities.get("hashtags"))}
    media = as_list(as_dict(extended.get("extended_entities") or obj.get("extended_entities"))
                    .get("media"))
    attachments = [
        Attachment(url=str(as_dict(m).get("media_url_https"))[:2000])
        for m in media[:20]
        if as_dict(m).get("media_url_https")
    ]
    place = as_dict(obj.get("place"))
    geo_place: dict[str, Any] | None = None
    if place:
        ring = as_list(as_list(as_dict(place.get("bounding_box")).get("coordinates"))[:1])
        points = as_list(ring[0]) if ring else []
        lons = [p[0] for p in points if isinstance(p, list) and len(p) == 2]
        lats = [p[1] for p in points if isinstance(p, list) and len(p) == 2]
        bbox = [min(lons), min(lats), max(lons), max(lats)] if lons and lats else None
        geo_place = {"full_name": place.get("full_name"), "geo": {"bbox": bbox}}
    coords = as_dict(obj.get("coordinates"))
    geo = {"coordinates": coords} if coords else None
    return Inbound(
        kind="tweet",
        id=tweet_id,
        author_id=author_id,
        text=text,
        author_handle=str(user["screen_name"])[:40] if user.get("screen_name") else None,
        author_name=str(user["name"])[:200] if user.get("name") else None,
        created_at=_v1_time(obj),
        conversation_id=None,
        in_reply_to_id=str(obj.get("in_reply_to_status_id_str") or "") or None,
        hashtags=frozenset(tags),
        retweet="retweeted_status" in obj,
        attachments=attachments,
        location=place_location(geo_place, geo),
        raw=obj,
    )


def dm_from_v1(event: dict[str, Any], users: dict[str, Any]) -> Inbound | str:
    """A v1.1 ``message_create`` DM event as :class:`Inbound`, or why it is not one."""
    if event.get("type") != "message_create":
        return f"DM event type {event.get('type')}"
    event_id = str(event.get("id") or "")
    create = as_dict(event.get("message_create"))
    sender = str(create.get("sender_id") or "")
    data = as_dict(create.get("message_data"))
    text = data.get("text")
    if not event_id.isdigit() or not sender.isdigit() or not isinstance(text, str):
        return "DM event without id, sender_id or text"
    media = as_dict(as_dict(data.get("attachment")).get("media"))
    attachments = (
        [Attachment(url=str(media["media_url_https"])[:2000])]
        if media.get("media_url_https")
        else []
    )
    user = as_dict(users.get(sender))
    return Inbound(
        kind="dm",
        id=event_id,
        author_id=sender,
        text=text,
        author_handle=str(user["screen_name"])[:40] if user.get("screen_name") else None,
        author_name=str(user["name"])[:200] if user.get("name") else None,
        created_at=_v1_time(event),
        attachments=attachments,
        raw=event,
    )


def _error(status: int, code: str, message: str, field: str | None = None) -> web.Response:
    err: dict[str, str] = {"code": code, "message": message}
    if field:
        err["field"] = field
    return web.json_response({"error": err}, status=status)


class WebhookHandler:
    def __init__(
        self,
        processor: Processor,
        config: TwitterConfig,
        max_body_bytes: int,
        overloaded: Callable[[], float | None] = lambda: None,
    ) -> None:
        self.processor = processor
        self.config = config
        self.max_body_bytes = max_body_bytes
        self.overloaded = overloaded
        self._secret = config.consumer_secret.get_secret_value().encode()

    async def crc(self, request: web.Request) -> web.Response:
        token = request.query.get("crc_token", "")
        if not token:
            metrics.WEBHOOK.labels("crc_missing_token").inc()
            return _error(400, "missing_crc_token", "crc_token query parameter is required",
                          "crc_token")
        if not self._secret:
            return _error(503, "not_configured", "consumer_secret is not configured")
        metrics.WEBHOOK.labels("crc").inc()
        return web.json_response({"response_token": crc_response_token(self._secret, token)})

    async def events(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > self.max_body_bytes:
            metrics.WEBHOOK.labels("too_large").inc()
            return _error(413, "too_large", f"body larger than {self.max_body_bytes} bytes")
        body = await request.content.read(self.max_body_bytes + 1)
        if len(body) > self.max_body_bytes:
            metrics.WEBHOOK.labels("too_large").inc()
            return _error(413, "too_large", f"body larger than {self.max_body_bytes} bytes")
        if not signature_valid(self._secret, request.headers.get(SIGNATURE_HEADER), body):
            metrics.WEBHOOK.labels("bad_signature").inc()
            return _error(401, "bad_signature", f"missing or invalid {SIGNATURE_HEADER}")
        wait = self.overloaded()
        if wait is not None:
            metrics.WEBHOOK.labels("overloaded").inc()
            response = _error(503, "overloaded", "gateway is catching up; retry later")
            response.headers["Retry-After"] = str(max(int(wait), 1))
            return response
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            metrics.WEBHOOK.labels("bad_json").inc()
            return _error(400, "bad_json", "body is not JSON")
        if not isinstance(doc, dict):
            metrics.WEBHOOK.labels("bad_json").inc()
            return _error(400, "bad_json", "body is not a JSON object")
        for_user = str(doc.get("for_user_id") or "")
        if for_user and for_user != self.config.user_id:
            metrics.WEBHOOK.labels("other_user").inc()
            return web.json_response({"handled": 0, "skipped": ["for_user_id is not ours"]})
        items: list[Inbound] = []
        skipped: list[str] = []
        users = as_dict(doc.get("users"))
        parsed = [
            tweet_from_v1(as_dict(t), self.config.user_id)
            for t in as_list(doc.get("tweet_create_events"))
        ] + [dm_from_v1(as_dict(e), users) for e in as_list(doc.get("direct_message_events"))]
        for entry in parsed:
            if isinstance(entry, Inbound):
                items.append(entry)
            else:
                skipped.append(entry)
        outcomes: list[str] = []
        try:
            for item in items:
                outcomes.append(await self.processor.handle(item, source="webhook"))
        except StoreUnavailableError:
            metrics.WEBHOOK.labels("store_unavailable").inc()
            return _error(503, "store_unavailable", "could not commit; retry later")
        metrics.WEBHOOK.labels("ok").inc()
        return web.json_response({"handled": len(outcomes), "outcomes": outcomes,
                                  "skipped": skipped})

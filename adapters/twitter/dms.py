"""The DM poller: ``GET /2/dm_events``, checkpointing the last event id.

That endpoint has no ``since_id``: it lists the account's DM events newest first. We page
until a page reaches an event at or below the checkpoint ``x.dm.last_event_id`` (event ids
are snowflakes, ordered by time), then handle the newer ones oldest first, each report's
submit carrying the checkpoint in its transaction, exactly like the mentions poller. The
first start uses a stored floor from ``start_time`` (or now), so old conversations are not
filed as new reports.

DMs are confidential reports by default (``dm_confidential``); acks go back by DM.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from adapters.twitter.client import XClient
from adapters.twitter.config import TwitterConfig
from adapters.twitter.inbound import (
    Inbound,
    Skipped,
    as_dict,
    as_list,
    parse_time,
)
from adapters.twitter.mentions import start_floor
from adapters.twitter.processor import Processor
from gateway.adapter import CheckpointStore
from normalizer import Attachment

log = logging.getLogger(__name__)

CURSOR = "x.dm.last_event_id"
FLOOR = "x.dm.start_id"
_URL_IN_TEXT = re.compile(r"\s*https://t\.co/\S+$")


def parse_dm_page(doc: dict[str, Any]) -> tuple[list[Inbound], list[Skipped]]:
    """``MessageCreate`` events of one ``/2/dm_events`` page; other event types are skipped."""
    users = {
        str(u["id"]): u
        for u in as_list(as_dict(doc.get("includes")).get("users"))
        if isinstance(u, dict) and u.get("id")
    }
    media = {
        str(m["media_key"]): m
        for m in as_list(as_dict(doc.get("includes")).get("media"))
        if isinstance(m, dict) and m.get("media_key")
    }
    events: list[Inbound] = []
    skipped: list[Skipped] = []
    for raw in as_list(doc.get("data")):
        event = as_dict(raw)
        event_id = str(event.get("id") or "")
        if not event_id.isdigit():
            skipped.append(Skipped(None, "DM event without a numeric id"))
            continue
        if event.get("event_type", "MessageCreate") != "MessageCreate":
            skipped.append(Skipped(event_id, f"event type {event.get('event_type')}"))
            continue
        sender = str(event.get("sender_id") or "")
        text = event.get("text")
        if not sender.isdigit() or not isinstance(text, str):
            skipped.append(Skipped(event_id, "DM event without sender_id or text"))
            continue
        keys = as_list(as_dict(event.get("attachments")).get("media_keys"))
        attachments = [
            Attachment(url=str(media[str(k)].get("url"))[:2000])
            for k in keys
            if str(k) in media and media[str(k)].get("url")
        ]
        if attachments:  # X appends the media's t.co link to the text
            text = _URL_IN_TEXT.sub("", text)
        user = users.get(sender, {})
        events.append(
            Inbound(
                kind="dm",
                id=event_id,
                author_id=sender,
                text=text,
                author_handle=str(user["username"]) if user.get("username") else None,
                author_name=str(user["name"])[:200] if user.get("name") else None,
                created_at=parse_time(event.get("created_at")),
                conversation_id=str(event.get("dm_conversation_id") or "") or None,
                attachments=attachments[:20],
                raw=event,
            )
        )
    return events, skipped


class DmPoller:
    def __init__(
        self,
        client: XClient,
        processor: Processor,
        checkpoints: CheckpointStore,
        config: TwitterConfig,
    ) -> None:
        self.client = client
        self.processor = processor
        self.checkpoints = checkpoints
        self.config = config

    async def poll(self, should_stop: Callable[[], bool] = lambda: False) -> int:
        """One poll; returns how many events newer than the checkpoint were handled."""
        floor = await start_floor(self.checkpoints, FLOOR, self.config)
        stored = await self.checkpoints.get_checkpoint(CURSOR)
        cursor = int(stored) if stored and stored.isdigit() else floor
        found: dict[int, Inbound | Skipped] = {}
        token: str | None = None
        for _ in range(self.config.max_pages):
            if should_stop():
                return 0
            doc = await self.client.dm_events(
                pagination_token=token, max_results=self.config.page_size
            )
            events, skipped = parse_dm_page(doc)
            reached = False
            page_items: list[Inbound | Skipped] = [*events, *skipped]
            for item in page_items:
                if item.id is None:
                    continue
                event_id = int(item.id)
                if event_id <= cursor:
                    reached = True
                else:
                    found.setdefault(event_id, item)
            token = as_dict(doc.get("meta")).get("next_token")
            if reached or not token:
                break
        fresh = 0
        for event_id in sorted(found):
            if should_stop():
                break
            item = found[event_id]
            checkpoint = (CURSOR, str(event_id))
            if isinstance(item, Skipped):
                await self.checkpoints.set_checkpoint(*checkpoint)
            else:
                await self.processor.handle(item, source="dm", checkpoint=checkpoint)
            fresh += 1
        return fresh

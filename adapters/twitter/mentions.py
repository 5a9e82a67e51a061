"""The mentions poller: ``GET /2/users/:id/mentions``, every page, oldest first, once.

Cursor and correctness:

* The cursor ``x.mentions.since_id`` is the newest mention handled. Each report's submit
  carries ``checkpoint=("x.mentions.since_id", <id>)``, so the report and the cursor commit in
  one transaction; other outcomes set the checkpoint right after their own commit.
* X returns pages newest first. All pages are fetched *before* anything is handled, then the
  mentions are handled in ascending id order. A crash or stop at any point leaves the cursor
  at the last mention fully handled: nothing newer was marked read, nothing older is lost.
* Re-polls start ``overlap_s`` behind the cursor (ids are snowflakes, so a time offset is an
  id offset): X indexes some mentions late, with an id older than ones already seen. The
  inbound key ``x:tweet:<id>`` absorbs the repeats, and items at or below the cursor never
  move it backwards.
* First start (no cursor): the floor ``x.mentions.start_id`` is computed from
  ``start_time`` (or now) and stored, so the first poll reads from there, not the last 800
  mentions, and a restart before the first mention keeps the same floor.
* The mentions timeline only reaches the newest 800 mentions. When a poll gets that many
  (a storm, or a long outage), the gap between the cursor and the oldest one fetched is
  filled from ``GET /2/tweets/search/recent`` (``@screen_name``, ``since_id``/``until_id``),
  which reaches back 7 days. If the account's API tier refuses search, the gap is logged
  and counted (``lapor_twitter_inbound_total{outcome="gap_unrecoverable"}``): the operator
  sees it instead of losing mentions silently. ``max_pages`` caps each of the two walks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from adapters.twitter import metrics
from adapters.twitter.client import XClient
from adapters.twitter.config import TwitterConfig, parse_start_time
from adapters.twitter.errors import AuthError, ClientError, ForbiddenError
from adapters.twitter.inbound import (
    Inbound,
    Skipped,
    as_dict,
    parse_tweet_page,
    snowflake_at,
    snowflake_ms,
)
from adapters.twitter.processor import Processor
from gateway.adapter import CheckpointStore

log = logging.getLogger(__name__)

CURSOR = "x.mentions.since_id"
FLOOR = "x.mentions.start_id"
#: how deep X's mentions timeline reaches
TIMELINE_DEPTH = 800


async def start_floor(
    checkpoints: CheckpointStore,
    name: str,
    config: TwitterConfig,
    now: Callable[[], float] = time.time,
) -> int:
    """The stored first-start floor id, created from ``start_time`` (or now) when missing."""
    stored = await checkpoints.get_checkpoint(name)
    if stored is not None and stored.isdigit():
        return int(stored)
    start = parse_start_time(config.start_time) if config.start_time else None
    start_ms = int((start.timestamp() if start else now()) * 1000)
    floor = snowflake_at(start_ms)
    await checkpoints.set_checkpoint(name, str(floor))
    return floor


class MentionsPoller:
    def __init__(
        self,
        client: XClient,
        processor: Processor,
        checkpoints: CheckpointStore,
        config: TwitterConfig,
        *,
        source: str = "mentions",
    ) -> None:
        self.client = client
        self.processor = processor
        self.checkpoints = checkpoints
        self.config = config
        self.source = source
        self.last_poll_at: datetime | None = None

    async def since_id(self) -> tuple[int, int]:
        """(cursor, since_id to ask for): the cursor minus the overlap, never below the floor."""
        floor = await start_floor(self.checkpoints, FLOOR, self.config)
        stored = await self.checkpoints.get_checkpoint(CURSOR)
        cursor = int(stored) if stored and stored.isdigit() else floor
        overlap_ms = int(self.config.overlap_s * 1000)
        since = snowflake_at(snowflake_ms(cursor) - overlap_ms) if cursor > floor else floor
        return cursor, max(since, floor)

    async def fetch(self, since: int, should_stop: Callable[[], bool]) -> list[Inbound | Skipped]:
        """Every mention newer than *since*; raises :class:`~.errors.XApiError` on failure."""
        items = await self._walk(since, None, should_stop)
        tweet_ids = [int(i.id) for i in items if isinstance(i, Inbound)]
        if len(tweet_ids) >= TIMELINE_DEPTH and min(tweet_ids) > since + 1:
            try:
                items += await self._walk(since, str(min(tweet_ids)), should_stop)
            except (AuthError, ForbiddenError, ClientError) as exc:
                metrics.INBOUND.labels(self.source, "gap_unrecoverable").inc()
                log.error(
                    "more than %d mentions since the cursor and search refused (%s): "
                    "mentions between ids %d and %d may be missing",
                    TIMELINE_DEPTH,
                    exc,
                    since,
                    min(tweet_ids),
                )
        return items

    async def _walk(
        self, since: int, until: str | None, should_stop: Callable[[], bool]
    ) -> list[Inbound | Skipped]:
        """Pages of the timeline (*until* None) or of search (below *until*), newest first."""
        items: list[Inbound | Skipped] = []
        token: str | None = None
        for page in range(self.config.max_pages):
            if should_stop():
                return []
            if until is None:
                doc = await self.client.mentions(
                    self.config.user_id,
                    since_id=str(since),
                    pagination_token=token,
                    max_results=self.config.page_size,
                )
            else:
                doc = await self.client.search_mentions(
                    self.config.screen_name,
                    since_id=str(since),
                    until_id=until,
                    next_token=token,
                    max_results=self.config.page_size,
                )
            tweets, skipped = parse_tweet_page(doc)
            items.extend(tweets)
            items.extend(skipped)
            for skip in skipped:
                log.warning("mention %s skipped: %s", skip.id or "?", skip.reason)
            token = as_dict(doc.get("meta")).get("next_token")
            if not token:
                break
            if page == self.config.max_pages - 1:
                log.error(
                    "mentions backlog exceeds max_pages=%d; older mentions not fetched",
                    self.config.max_pages,
                )
        return items

    async def poll(self, should_stop: Callable[[], bool] = lambda: False) -> int:
        """One poll; returns how many mentions newer than the cursor were handled."""
        cursor, since = await self.since_id()
        items = await self.fetch(since, should_stop)
        self.last_poll_at = datetime.now(UTC)
        by_id: dict[int, Inbound | Skipped] = {}
        for item in items:
            if item.id is not None and item.id.isdigit():
                by_id.setdefault(int(item.id), item)
        fresh = 0
        for tweet_id in sorted(by_id):
            if should_stop():
                break
            item = by_id[tweet_id]
            checkpoint = (CURSOR, str(tweet_id)) if tweet_id > cursor else None
            if isinstance(item, Skipped):
                if checkpoint is not None:
                    await self.checkpoints.set_checkpoint(*checkpoint)
            else:
                await self.processor.handle(item, source=self.source, checkpoint=checkpoint)
            if checkpoint is not None:
                cursor = tweet_id
                fresh += 1
        return fresh

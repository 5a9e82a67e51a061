"""What one mention or DM becomes: a report, a follow-up, a status answer, or nothing.

Shared by the mentions poller, the DM poller and the webhook, so a tweet is treated the
same whichever path brings it (and the same inbound key ``x:tweet:<id>`` makes the second
path a repeat).

Decisions, in order:

1. our own tweets/DMs and plain retweets: ignored;
2. ``CEK <id>`` (first word): status answer via ``intake.answer`` (once per message);
3. a reply in the thread of a report by the *same* author (``conversation_id`` mapped to the
   report by the checkpoint ``x.conv.<conversation_id>``): follow-up. Someone else replying
   in that thread files their own report; their text never lands in a stranger's case;
4. ``require_hashtag`` without the hashtag, or no text left once the mentions are removed:
   ignored with a reason;
5. otherwise a report. The cursor checkpoint travels in the same transaction.

The cursor (when given) advances after every item whatever the outcome, so an ignored tweet
is not fetched again forever; for reports it is part of the submit itself.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

from pydantic import ValidationError

from adapters.twitter import metrics
from adapters.twitter.config import TwitterConfig
from adapters.twitter.inbound import Inbound, status_query, strip_leading_mentions
from adapters.twitter.replies import asks_for_secrecy
from gateway.adapter import Intake
from normalizer import Channel, ReplyAddress, Report, Reporter
from normalizer.privacy import mask_handle
from normalizer.tracking import InvalidTrackingIdError, parse

log = logging.getLogger(__name__)

ADAPTER_NAME = "twitter"
CONV_PREFIX = "x.conv."
#: ``ReplyAddress.route`` value asking ``send`` to invite the citizen to continue by DM
ROUTE_DM_INVITE = "dm_invite"


class Outcome:
    OWN = "own"
    RETWEET = "retweet"
    STATUS = "status"
    FOLLOWUP = "followup"
    NO_HASHTAG = "no_hashtag"
    EMPTY = "empty"
    INVALID = "invalid"
    REPORT = "report"
    REPEAT = "repeat"


class Processor:
    """Turns :class:`Inbound` items into Intake calls (each returns after the commit)."""

    def __init__(self, intake: Intake, config: TwitterConfig) -> None:
        self.intake = intake
        self.config = config

    async def handle(
        self, item: Inbound, *, source: str, checkpoint: tuple[str, str] | None = None
    ) -> str:
        """Process *item*; *checkpoint* is written with (or right after) its outcome."""
        outcome = await self._decide(item, source, checkpoint)
        metrics.INBOUND.labels(source, outcome).inc()
        log.info(
            "x %s %s from %s: %s", item.kind, item.id, mask_handle(item.author_handle), outcome
        )
        return outcome

    async def _decide(self, item: Inbound, source: str, checkpoint: tuple[str, str] | None) -> str:
        if item.author_id == self.config.user_id:
            return await self._skip(Outcome.OWN, checkpoint)
        if item.retweet:
            return await self._skip(Outcome.RETWEET, checkpoint)
        query = status_query(item.text, self.config.hashtag)
        if query is not None:
            await self._answer_status(item, query)
            return await self._skip(Outcome.STATUS, checkpoint)
        text = strip_leading_mentions(item.text)
        content = re.sub(rf"(?i)#{re.escape(self.config.hashtag)}\b", "", text).strip()
        if item.kind == "tweet" and await self._followup(item, text if content else ""):
            return await self._skip(Outcome.FOLLOWUP, checkpoint)
        if (
            item.kind == "tweet"
            and self.config.require_hashtag
            and self.config.hashtag not in item.hashtags
        ):
            return await self._skip(Outcome.NO_HASHTAG, checkpoint)
        if not content:
            return await self._skip(Outcome.EMPTY, checkpoint)
        try:
            report = self._report(item, text, source)
        except ValidationError as exc:
            log.warning("x %s %s not a valid report: %s", item.kind, item.id, exc.error_count())
            return await self._skip(Outcome.INVALID, checkpoint)
        result = await self.intake.submit(
            report, inbound_key=item.inbound_key, checkpoint=checkpoint
        )
        if result.repeat and checkpoint is not None:
            # first filed by the other path (webhook): the submit did not move the cursor
            await self.intake.set_checkpoint(*checkpoint)
        if item.kind == "tweet":
            await self._map_conversation(item, result.tracking_id, fresh=not result.repeat)
        return Outcome.REPEAT if result.repeat else Outcome.REPORT

    async def _skip(self, outcome: str, checkpoint: tuple[str, str] | None) -> str:
        if checkpoint is not None:
            await self.intake.set_checkpoint(*checkpoint)
        return outcome

    def _reply_to(self, item: Inbound, *, invite_dm: bool = False) -> ReplyAddress:
        if item.kind == "dm":
            return ReplyAddress(adapter=ADAPTER_NAME, address=item.author_id, mode="dm")
        return ReplyAddress(
            adapter=ADAPTER_NAME,
            address=item.author_id,
            in_reply_to=item.id,
            mode="tweet",
            route=ROUTE_DM_INVITE if invite_dm else None,
        )

    def _report(self, item: Inbound, text: str, source: str) -> Report:
        confidential, anonymous = asks_for_secrecy(text)
        if item.kind == "dm" and self.config.dm_confidential:
            confidential = True
        invite = confidential or anonymous or self.config.always_invite_dm
        return Report(
            channel=Channel.TWITTER,
            transport=f"x:{source}",
            external_id=item.id,
            received_at=item.created_at or datetime.now(UTC),
            reporter=Reporter(
                x_user_id=item.author_id,
                x_handle=item.author_handle,
                name=item.author_name,
            ),
            text=text,
            location=item.location,
            attachments=item.attachments,
            anonymous=anonymous,
            confidential=confidential,
            reply_to=self._reply_to(item, invite_dm=invite),
            raw=item.raw,
        )

    async def _answer_status(self, item: Inbound, raw_id: str) -> None:
        reply_to = self._reply_to(item)
        try:
            tracking_id = parse(raw_id) if raw_id else None
        except InvalidTrackingIdError:
            tracking_id = None
        if tracking_id is None:
            template = "invalid_tracking_id" if raw_id else "help"
            await self.intake.answer(
                inbound_key=item.inbound_key,
                reply_to=reply_to,
                template=template,
                params={"tracking_id": raw_id},
            )
            return
        view = await self.intake.status(tracking_id)
        if view is None:
            await self.intake.answer(
                inbound_key=item.inbound_key,
                reply_to=reply_to,
                template="not_found",
                tracking_id=tracking_id,
            )
            return
        await self.intake.answer(
            inbound_key=item.inbound_key,
            reply_to=reply_to,
            template="status",
            params={"status": view.status, "agency": view.agency or ""},
            tracking_id=tracking_id,
        )

    async def _followup(self, item: Inbound, text: str) -> bool:
        """File *item* as a follow-up when it replies in the thread of the author's report."""
        conv = item.conversation_id or item.in_reply_to_id
        if not conv:
            return False
        mapped = await self.intake.get_checkpoint(CONV_PREFIX + conv)
        if not mapped:
            return False
        parts = mapped.split(" ")
        if len(parts) != 3:
            return False
        tracking_id, author_id, root_id = parts
        if root_id == item.id or author_id != item.author_id or not text:
            return False
        try:
            await self.intake.add_followup(tracking_id, inbound_key=item.inbound_key, text=text)
        except KeyError:
            return False
        return True

    async def _map_conversation(self, item: Inbound, tracking_id: str, *, fresh: bool) -> None:
        """Remember which report a thread belongs to (first report in the thread wins).

        Keys: the conversation id (polled tweets) and the tweet's own id (the webhook's v1.1
        tweets only know what they reply to). A separate commit after the submit: if the
        process dies in between, the overlap re-poll sees the tweet again as a repeat and
        writes the mapping then.
        """
        value = f"{tracking_id} {item.author_id} {item.id}"
        for conv in {item.conversation_id or item.id, item.id}:
            key = CONV_PREFIX + conv
            # a fresh report owns its own id (a late root takes its thread over): no read
            if (fresh and conv == item.id) or await self.intake.get_checkpoint(key) is None:
                await self.intake.set_checkpoint(key, value)

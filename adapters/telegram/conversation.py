"""What one private message to the bot becomes: a report, an answer, or a held location.

Shared by the poller and the webhook, so a message is treated the same whichever path
brings it; the inbound key ``telegram:<chat id>:<message id>`` makes a redelivery a repeat.

Decisions, in order (every one commits before it returns):

1. a chat recorded as having blocked the bot writes again: the block is lifted;
2. a location alone: held for the chat's next complaint (``location_hold_s``), help text;
3. a photo without caption: the help text (it asks for a caption), not filed;
4. a greeting, "tes", thanks, emoji (:func:`~.classify.non_complaint`): help text, counted
   (``outcome="non_complaint"``), not filed, so prank floods do not bury complaints;
5. ``/cek <id>``: status; ``/start``, ``/bantuan``, too short: help; ``STOP`` alone: opt out
   of status updates (identity ``telegram:<user id>``);
6. otherwise a report (``/rahasia``, ``/anonim`` flags), with the photo and any held
   location. With a *checkpoint* (the polling offset) the report and the offset commit in
   one transaction; other outcomes set it right after their own commit.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from adapters.telegram import metrics
from adapters.telegram.client import BotClient
from adapters.telegram.config import TelegramConfig
from adapters.telegram.inbound import TgMessage, parse_command
from adapters.telegram.photos import fetch_photo
from gateway.adapter import Intake
from normalizer import tracking
from normalizer.keywords import Intent, ParsedKeywords
from normalizer.non_complaint import text_non_complaint as non_complaint
from normalizer.privacy import mask_handle
from normalizer.report import Channel, Location, ReplyAddress, Report, Reporter

log = logging.getLogger(__name__)

ADAPTER_NAME = "telegram"
#: the polling offset: the ``update_id`` after the last update fully handled
OFFSET = "telegram.offset"
#: ``telegram.blocked.<chat id>``: non-empty while the chat has blocked the bot
BLOCKED_PREFIX = "telegram.blocked."
#: ``telegram.location.<chat id>``: a shared location waiting for the next complaint
LOCATION_PREFIX = "telegram.location."
MAX_TEXT = 20_000


def mask_id(value: str) -> str:
    """A chat or user id for logs: the last three digits, enough to correlate lines."""
    return "*" * max(len(value) - 3, 3) + value[-3:] if len(value) > 3 else "***"


@dataclass(frozen=True)
class Outcome:
    action: str
    tracking_id: str | None = None
    repeat: bool = False


class Conversation:
    """Turns a :class:`~.inbound.TgMessage` into Intake calls (each returns after the commit)."""

    def __init__(
        self, intake: Intake, config: TelegramConfig, client: BotClient, data_dir: Path
    ) -> None:
        self.intake = intake
        self.config = config
        self.client = client
        self.attachments = data_dir / "attachments"

    async def handle(
        self, msg: TgMessage, *, source: str, checkpoint: tuple[str, str] | None = None
    ) -> Outcome:
        """Decide and commit *msg*; *checkpoint* is written with (or right after) it.
        Raises StoreUnavailableError or a transient Bot API error when nothing could be
        committed: the update must then not be confirmed."""
        outcome = await self._decide(msg, checkpoint)
        metrics.INBOUND.labels(source, outcome.action).inc()
        log.info(
            "telegram message %s from %s (%s): %s%s%s",
            msg.message_id,
            mask_id(msg.user_id),
            mask_handle(msg.username),
            outcome.action,
            f" {outcome.tracking_id}" if outcome.tracking_id else "",
            " (repeat)" if outcome.repeat else "",
        )
        return outcome

    def reply_to(self, msg: TgMessage) -> ReplyAddress:
        return ReplyAddress(adapter=ADAPTER_NAME, address=msg.chat_id, in_reply_to=msg.message_id)

    async def _decide(self, msg: TgMessage, checkpoint: tuple[str, str] | None) -> Outcome:
        await self._lift_block(msg.chat_id)
        if msg.lat is not None and msg.lon is not None and not msg.text:
            await self.intake.set_checkpoint(
                LOCATION_PREFIX + msg.chat_id,
                json.dumps({"lat": msg.lat, "lon": msg.lon, "at": msg.date.timestamp()}),
            )
            return await self._answer(msg, "help", "location_held", checkpoint)
        if not msg.text.strip():
            action = "photo_no_caption" if msg.photos else "unsupported"
            return await self._answer(msg, "help", action, checkpoint)
        if non_complaint(msg.text) is not None:
            return await self._answer(msg, "help", "non_complaint", checkpoint)
        command = parse_command(msg.text, min_chars=self.config.min_report_chars)
        if command.intent is Intent.HELP:
            return await self._answer(msg, "help", "help", checkpoint)
        if command.intent is Intent.STATUS:
            outcome = await self._status(msg, command.tracking_raw or "")
            return await self._advance(outcome, checkpoint)
        if command.intent is Intent.STOP:
            await self.intake.set_opt_out(
                msg.identity, True, inbound_key=msg.inbound_key + ":opt_out"
            )
            return await self._answer(msg, "opted_out", "opt_out", checkpoint)
        return await self._report(msg, command.text, command, checkpoint)

    async def _lift_block(self, chat_id: str) -> None:
        """A chat that blocked the bot cannot write to it: a message means it unblocked."""
        key = BLOCKED_PREFIX + chat_id
        if await self.intake.get_checkpoint(key):
            await self.intake.set_checkpoint(key, "")
            log.info("telegram chat %s unblocked the bot", mask_id(chat_id))

    async def _advance(self, outcome: Outcome, checkpoint: tuple[str, str] | None) -> Outcome:
        if checkpoint is not None:
            await self.intake.set_checkpoint(*checkpoint)
        return outcome

    async def _answer(
        self, msg: TgMessage, template: str, action: str, checkpoint: tuple[str, str] | None
    ) -> Outcome:
        fresh = await self.intake.answer(
            inbound_key=msg.inbound_key, reply_to=self.reply_to(msg), template=template
        )
        return await self._advance(Outcome(action, repeat=not fresh), checkpoint)

    async def _status(self, msg: TgMessage, typed: str) -> Outcome:
        reply_to = self.reply_to(msg)
        try:
            canonical = tracking.parse(typed[:20])
        except tracking.InvalidTrackingIdError:
            fresh = await self.intake.answer(
                inbound_key=msg.inbound_key,
                reply_to=reply_to,
                template="invalid_tracking_id",
                params={"tracking_id": typed[:20]},
            )
            return Outcome("status", repeat=not fresh)
        view = await self.intake.status(canonical)
        if view is None:
            fresh = await self.intake.answer(
                inbound_key=msg.inbound_key,
                reply_to=reply_to,
                template="not_found",
                params={"tracking_id": tracking.display(canonical)},
            )
            return Outcome("status", canonical, repeat=not fresh)
        note = next((h.note for h in reversed(view.history) if h.note), None) or ""
        fresh = await self.intake.answer(
            inbound_key=msg.inbound_key,
            reply_to=reply_to,
            template="status",
            params={"status": view.status, "note": note, "agency": view.agency or ""},
            tracking_id=canonical,
        )
        return Outcome("status", canonical, repeat=not fresh)

    async def _held_location(self, chat_id: str) -> Location | None:
        stored = await self.intake.get_checkpoint(LOCATION_PREFIX + chat_id)
        if not stored:
            return None
        try:
            doc = json.loads(stored)
            if time.time() - float(doc["at"]) > self.config.location_hold_s:
                return None
            return Location(lat=float(doc["lat"]), lon=float(doc["lon"]))
        except (ValueError, KeyError, TypeError):
            return None

    async def _report(
        self,
        msg: TgMessage,
        text: str,
        command: ParsedKeywords,
        checkpoint: tuple[str, str] | None,
    ) -> Outcome:
        raw = dict(msg.raw)
        attachments = []
        seen_before = await self.intake.inbound_key_age(msg.inbound_key) is not None
        if msg.photos and not seen_before:
            photo = await fetch_photo(
                self.client, msg.photos, self.attachments, self.config.max_photo_bytes
            )
            if photo.attachment is not None:
                attachments.append(photo.attachment)
            else:
                raw["photo_error"] = photo.error
                log.warning(
                    "telegram photo of message %s not stored: %s", msg.message_id, photo.error
                )
            raw["photo_file_id"] = photo.file_id
        location = (
            Location(lat=msg.lat, lon=msg.lon)
            if msg.lat is not None and msg.lon is not None
            else await self._held_location(msg.chat_id)
        )
        if len(text) > MAX_TEXT:
            text = text[: MAX_TEXT - 20] + " [...dipotong]"
        report = Report(
            channel=Channel.TELEGRAM,
            transport="telegram:bot",
            external_id=f"{msg.chat_id}:{msg.message_id}",
            received_at=msg.date,
            reporter=Reporter(telegram_user_id=msg.user_id, name=msg.name),
            text=text,
            location=location,
            attachments=attachments,
            anonymous=command.anonymous,
            confidential=command.confidential,
            reply_to=self.reply_to(msg),
            raw=raw,
        )
        result = await self.intake.submit(
            report, inbound_key=msg.inbound_key, checkpoint=checkpoint
        )
        if result.repeat and checkpoint is not None:
            await self.intake.set_checkpoint(*checkpoint)
        if location is not None and msg.lat is None:
            await self.intake.set_checkpoint(LOCATION_PREFIX + msg.chat_id, "")
        return Outcome("report", result.tracking_id, repeat=result.repeat)

"""What one inbound WhatsApp message becomes: a report, an answer, a follow-up, or the help
text. Every Intake call returns after the commit, so the webhook may answer 200 afterwards.

Decisions, in order (the inbound key is ``wa:<wamid>``, so a redelivered message is a
level-1 repeat answered as before):

1. a sender whose ``wa_id`` is not a possible phone number: skipped (nothing to answer);
2. an obvious non-complaint (:mod:`.classify`): the help text, counted, not filed;
3. a location: joins the citizen's report filed in the last ``location_attach_s`` as a
   follow-up (answered with the ``addendum`` text); otherwise it is kept, answered with the
   help text, and becomes the location of their next report;
4. a photo or document without a caption: downloaded (:meth:`Processor._download`), then
   handled like a location (follow-up, or attached to the next report);
5. text (a body, a caption, a button or list reply's title): the same keyword rules as SMS
   (:func:`normalizer.keywords.parse_keywords`): ``CEK <id>``, ``BANTUAN``, ``STOP``,
   ``RAHASIA``/``ANONIM``; otherwise a report, with the media downloaded first.

The reporter is ``phone:<E.164>`` (``wa_id`` is the international number without ``+``), so
one person writing by SMS and by WhatsApp is one reporter for level-2 duplicates.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from adapters import uploads
from adapters.whatsapp import metrics, state
from adapters.whatsapp.classify import non_complaint
from adapters.whatsapp.config import WhatsAppConfig
from adapters.whatsapp.graph import GraphClient, GraphError
from adapters.whatsapp.payload import MEDIA_TYPES, WaMessage
from gateway.adapter import Intake
from normalizer import tracking
from normalizer.keywords import Intent, ParsedKeywords, parse_keywords
from normalizer.phone import InvalidPhoneError, to_e164
from normalizer.privacy import mask_phone
from normalizer.report import Attachment, Channel, Location, ReplyAddress, Report, Reporter

log = logging.getLogger(__name__)

ADAPTER_NAME = "whatsapp"
PDF = uploads.ImageKind("application/pdf", "pdf")
MAX_PENDING_ATTACHMENTS = 5


def inbound_key(wamid: str) -> str:
    return f"wa:{wamid}"


@functools.lru_cache(maxsize=4096)
def phone_of(wa_id: str) -> str | None:
    """E.164 of a ``wa_id`` (digits with the country code), or None when impossible.
    Cached: a flood from one number must not cost a parse per message."""
    try:
        return to_e164("+" + wa_id.strip().lstrip("+"))
    except InvalidPhoneError:
        return None


def sniff(data: bytes) -> uploads.ImageKind | None:
    """The image formats the mobile app accepts, plus PDF (WhatsApp documents)."""
    return uploads.sniff(data) or (PDF if data.startswith(b"%PDF-") else None)


@dataclass(frozen=True)
class _Window:
    """The citizen's window checkpoint: as stored (*opened*) and as this message moves it."""

    phone: str
    opened: float
    at: float

    @property
    def checkpoint(self) -> tuple[str, str]:
        return state.window_name(self.phone), repr(self.at)


class Processor:
    """Turns :class:`~.payload.WaMessage` items into Intake calls."""

    def __init__(
        self, intake: Intake, config: WhatsAppConfig, graph: GraphClient, data_dir: Path
    ) -> None:
        self.intake = intake
        self.config = config
        self.graph = graph
        self.attachments_dir = data_dir / "attachments"

    async def handle(self, msg: WaMessage) -> str:
        phone = phone_of(msg.wa_id)
        if phone is None:
            outcome = "bad_sender"
        else:
            outcome = await self._decide(msg, phone)
        metrics.INBOUND.labels(msg.type[:20], outcome).inc()
        log.info("whatsapp %s from %s: %s", msg.type[:20], mask_phone(phone), outcome)
        return outcome

    async def _decide(self, msg: WaMessage, phone: str) -> str:
        key = inbound_key(msg.wamid)
        reply_to = ReplyAddress(
            adapter=ADAPTER_NAME, address=phone, route=msg.phone_number_id, in_reply_to=msg.wamid
        )
        now = time.time()
        opened = await state.window_opened_at(self.intake, phone)
        window = _Window(phone, opened, max(opened, msg.sent_at.timestamp()))
        citizen = await state.load(self.intake, phone)
        before = state.encode(citizen)
        reason = non_complaint(msg.type, msg.text)
        if reason is not None:
            metrics.NON_COMPLAINTS.labels(reason).inc()
            await self._open(window)
            await self._help(key, reply_to)
            outcome = "non_complaint"
        elif msg.type == "location" and msg.location is not None:
            loc = msg.location
            place = ", ".join(p for p in (loc.name, loc.address) if p)
            await self._open(window)
            outcome = await self._extra(
                citizen,
                key,
                reply_to,
                now,
                f"Lokasi: {loc.lat:.6f},{loc.lon:.6f}" + (f" ({place})" if place else ""),
            )
            if outcome == "pending":
                citizen.loc = {"lat": loc.lat, "lon": loc.lon, "address": place or None, "at": now}
            outcome = "location_" + outcome
        elif msg.type in MEDIA_TYPES and not msg.text:
            attachment = await self._download(msg)
            await self._open(window)
            outcome = await self._extra(citizen, key, reply_to, now, f"Lampiran: {attachment.url}")
            if outcome == "pending":
                pending = citizen.pending_attachments(now, self.config.location_attach_s)
                stored = attachment.model_dump(exclude_none=True)
                citizen.atts = [*pending, stored][-MAX_PENDING_ATTACHMENTS:]
                citizen.atts_at = now
            outcome = "media_" + outcome
        else:
            outcome = await self._text(msg, phone, reply_to, citizen, window, now)
        if state.encode(citizen) != before:
            await state.save(self.intake, phone, citizen)
        return outcome

    async def _help(self, key: str, reply_to: ReplyAddress) -> None:
        try:
            await self.intake.answer(
                inbound_key=key, reply_to=reply_to, template=self.config.help_template
            )
        except KeyError:  # not among [acks.templates]: the shared help text
            await self.intake.answer(inbound_key=key, reply_to=reply_to, template="help")

    async def _open(self, window: _Window) -> None:
        """Commit the window before anything that queues a reply (see :mod:`.state`)."""
        if window.at > window.opened:
            await self.intake.set_checkpoint(*window.checkpoint)

    async def _extra(
        self, citizen: state.CitizenState, key: str, reply_to: ReplyAddress, now: float, text: str
    ) -> str:
        """A location or bare photo: a follow-up of a fresh report, else kept for the next."""
        recent = citizen.recent_report(now, self.config.location_attach_s)
        if recent is not None:
            try:
                await self.intake.add_followup(recent, inbound_key=key, text=text)
            except KeyError:
                pass
            else:
                await self.intake.answer(
                    inbound_key=key + ":ack",
                    reply_to=reply_to,
                    template="addendum",
                    tracking_id=recent,
                )
                return "followup"
        await self._help(key, reply_to)
        return "pending"

    async def _text(
        self,
        msg: WaMessage,
        phone: str,
        reply_to: ReplyAddress,
        citizen: state.CitizenState,
        window: _Window,
        now: float,
    ) -> str:
        key = inbound_key(msg.wamid)
        parsed = parse_keywords(
            msg.text or "", regional_prefixes={}, min_chars=self.config.min_report_chars
        )
        if parsed.intent is not Intent.REPORT:
            await self._open(window)
        if parsed.intent is Intent.STATUS:
            await self._status(parsed, key, reply_to)
            return "status"
        if parsed.intent is Intent.STOP:
            await self.intake.set_opt_out(f"phone:{phone}", True, inbound_key=key + ":opt_out")
            await self.intake.answer(inbound_key=key, reply_to=reply_to, template="opted_out")
            return "opt_out"
        if parsed.intent is Intent.HELP:
            await self._help(key, reply_to)
            return "help"
        attachments = [
            Attachment.model_validate(a)
            for a in citizen.pending_attachments(now, self.config.location_attach_s)
        ]
        if msg.type in MEDIA_TYPES:
            attachments.append(await self._download(msg))
        loc = citizen.pending_location(now, self.config.location_attach_s)
        try:
            report = Report(
                channel=Channel.WHATSAPP,
                transport=f"whatsapp:{msg.phone_number_id}",
                external_id=msg.wamid,
                received_at=msg.sent_at,
                reporter=Reporter(phone=phone, name=msg.profile_name),
                text=parsed.text,
                location=Location(lat=loc["lat"], lon=loc["lon"], address=loc.get("address"))
                if loc
                else None,
                attachments=attachments,
                anonymous=parsed.anonymous,
                confidential=parsed.confidential,
                reply_to=reply_to,
                raw={"phone_number_id": msg.phone_number_id, "message": msg.raw},
            )
        except ValidationError as exc:
            log.warning("whatsapp message not a valid report: %s errors", exc.error_count())
            await self._open(window)
            await self._help(key, reply_to)
            return "invalid"
        # the window travels in the report's transaction: its ack may go out at once
        checkpoint = window.checkpoint if window.at > window.opened else None
        result = await self.intake.submit(report, inbound_key=key, checkpoint=checkpoint)
        citizen.tid, citizen.tid_at = result.tracking_id, now
        citizen.loc, citizen.atts = None, []
        return "repeat" if result.repeat else "report"

    async def _status(self, parsed: ParsedKeywords, key: str, reply_to: ReplyAddress) -> None:
        typed = (parsed.tracking_raw or "")[:20]
        try:
            canonical = tracking.parse(typed)
        except tracking.InvalidTrackingIdError:
            await self.intake.answer(
                inbound_key=key,
                reply_to=reply_to,
                template="invalid_tracking_id",
                params={"tracking_id": typed},
            )
            return
        view = await self.intake.status(canonical)
        if view is None:
            await self.intake.answer(
                inbound_key=key,
                reply_to=reply_to,
                template="not_found",
                params={"tracking_id": tracking.display(canonical)},
            )
            return
        note = next((h.note for h in reversed(view.history) if h.note), None) or ""
        await self.intake.answer(
            inbound_key=key,
            reply_to=reply_to,
            template="status",
            params={
                "tracking_id": tracking.display(canonical),
                "status": view.status,
                "note": note,
            },
            tracking_id=canonical,
        )

    async def _download(self, msg: WaMessage) -> Attachment:
        """The message's media stored like a mobile-app photo (sha256 name, fsynced before the
        report commits). When it cannot be fetched or is not an accepted format, the report
        still files, with the media id kept as a ``whatsapp-media:`` attachment (Meta keeps
        media 30 days) so nothing the citizen sent is lost."""
        fallback = Attachment(
            url=f"whatsapp-media:{msg.media_id or 'none'}", content_type=msg.media_mime
        )
        if msg.media_id is None:
            metrics.MEDIA.labels("no_id").inc()
            return fallback
        try:
            media = await self.graph.media(msg.media_id, self.config.max_media_bytes)
        except GraphError as exc:
            metrics.MEDIA.labels("too_large" if exc.code == -1 else "failed").inc()
            log.warning("whatsapp media download failed: %s", exc)
            return fallback
        kind = sniff(media.data)
        if kind is None:
            metrics.MEDIA.labels("unsupported_format").inc()
            return fallback
        stored: Attachment = await asyncio.to_thread(
            uploads.store, self.attachments_dir, media.data, kind
        )
        metrics.MEDIA.labels("stored").inc()
        return stored

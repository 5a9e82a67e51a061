"""The SMS conversation layer, shared by every SMS transport (SMPP binds, GSM modems).

A transport decodes and reassembles an SMS, then calls :meth:`SmsConversation.handle`
with an :class:`InboundSms`. This module decides what the citizen meant and talks to the
:class:`~gateway.adapter.Intake`; it returns only after the durable commit, so the transport
may then acknowledge (``deliver_sm_resp``, delete from the modem).

Keywords (:func:`~normalizer.keywords.parse_keywords`, shared with WhatsApp, imported here
as ``parse_sms``), leading, case-insensitive, tolerant of ``#`` and punctuation:

* ``CEK <id>`` / ``STATUS <id>``: status query, answered, no report. A bad check digit or a
  malformed number gets ``invalid_tracking_id``; an unknown one ``not_found``.
* ``LAPOR`` / ``#LAPOR``: dropped. ``ANONIM`` and ``RAHASIA``: flags (both may be given, any
  order). Regional prefixes from config (``PAPUA``) set ``location.region``.
* ``BANTUAN`` / ``INFO`` / ``HELP`` followed by nothing substantial, and any text shorter
  than ``min_report_chars`` after the keywords: the help text. (``INFO`` followed by a real
  complaint is a complaint: "Info, jalan rusak sejak 3 bulan" must not be lost.)
* ``STOP`` / ``BERHENTI`` *alone*: opt out of status updates. "Stop pungli di kelurahan!"
  is a complaint, so the keyword only counts when nothing else follows.

Senders: MSISDNs become E.164 with ``phonenumbers`` (region = the gateway's country).
Alphanumeric senders, short codes and impossible numbers (e.g. 30 digits) are kept as
received in ``raw.sender`` and are **never answered**. Decision: a text from such a sender
that reads as a complaint is still *stored* as a report (without reply address and without
reporter phone), because dropping it could lose a genuine complaint relayed by a gateway
service; keyword messages from them (status, help, stop) are ignored, since the only
possible effect of those is an answer we must not send.

Redelivery: an SMPP MO ``deliver_sm`` carries no message id (SMPP 3.4 4.6.1;
``receipted_message_id`` exists only on delivery receipts), so the inbound key is a hash of
route, sender and content plus a time bucket (a day for reports, 10 minutes for queries).
Bucket edges fall on the clock (UTC midnight), a redelivery does not, so a message that
arrives early in a bucket also looks up the previous bucket's key: when that key was
claimed less than a bucket length ago, the message is a redelivery and files under it
(:func:`redelivery_key`). The window therefore slides: a repeat within 24 hours (10 minutes
for a query) of the first copy is absorbed by the pipeline, whatever the time of day; the
same complaint sent again later is a level-2 duplicate (linked, and the citizen told so); a
status query repeated after 10 minutes is answered again, as the citizen expects.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adapters.sms.config import SmsConfig
from gateway.adapter import Intake
from normalizer import tracking
from normalizer.keywords import Intent
from normalizer.keywords import ParsedKeywords as ParsedSms
from normalizer.keywords import parse_keywords as parse_sms
from normalizer.phone import InvalidPhoneError, is_short_code, to_e164
from normalizer.privacy import mask_phone
from normalizer.report import Channel, Location, ReplyAddress, Report, Reporter

__all__ = [
    "InboundSms",
    "Intent",
    "Outcome",
    "ParsedSms",
    "SmsConversation",
    "inbound_key",
    "normalize_sender",
    "parse_sms",
    "redelivery_key",
]

log = logging.getLogger(__name__)

MAX_TEXT = 20_000
REPORT_BUCKET_S = 86_400
QUERY_BUCKET_S = 600


@dataclass(frozen=True)
class InboundSms:
    """One complete SMS (reassembled if it was multipart), as a transport received it.

    ``adapter`` is the registry name that will send replies (``sms.smpp``), ``transport``
    the instance (``smpp:telkomsel``), ``route`` the bind or modem name replies go out by.
    ``unique_id``: a transport message id that is really unique, if the transport has one;
    otherwise the inbound key is derived from content (see the module docstring).
    """

    adapter: str
    transport: str
    route: str
    sender: str
    text: str
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    unique_id: str | None = None
    external_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    #: the sender is in international form without '+' (SMPP source_addr_ton = 1)
    international: bool = False


@dataclass(frozen=True)
class Outcome:
    """What happened to one SMS, after the commit. ``action`` is ``report``, ``status``,
    ``help``, ``opt_out`` or ``ignored``."""

    action: str
    tracking_id: str | None = None
    repeat: bool = False
    reason: str = ""


@functools.lru_cache(maxsize=4096)
def normalize_sender(sender: str, country: str, international: bool = False) -> str | None:
    """E.164 for an answerable MSISDN; None for alphanumerics, short codes, impossible numbers.

    *international*: the transport says the number is in international form without ``+``
    (SMPP TON=1), which saves ``phonenumbers`` a failed national parse. Cached: a flood from
    one number must not cost a parse per message."""
    raw = sender.strip()
    if not raw or is_short_code(raw):
        return None
    if international and raw.isdigit() and not raw.startswith("0"):
        # a TON the SMSC sets wrongly (national digits flagged international) must not
        # make every citizen unanswerable: fall back to the plain parse below
        with contextlib.suppress(InvalidPhoneError):
            return to_e164("+" + raw, country)
    try:
        return to_e164(raw, country)
    except InvalidPhoneError:
        return None


def inbound_key(sms: InboundSms, intent: Intent, bucket_offset: int = 0) -> str:
    """Stable key of one transport message for level-1 dedup (see module docstring); with
    *bucket_offset* -1, the key the same message had in the previous time bucket."""
    if sms.unique_id:
        return f"sms:{sms.transport}:{sms.unique_id}"
    bucket_s = REPORT_BUCKET_S if intent is Intent.REPORT else QUERY_BUCKET_S
    bucket = int(sms.received_at.timestamp()) // bucket_s + bucket_offset
    digest = hashlib.sha256(
        "\x1f".join((sms.route, sms.sender, sms.text, str(bucket_s), str(bucket))).encode()
    ).hexdigest()[:32]
    return f"sms:{sms.transport}:{digest}"


async def redelivery_key(intake: Intake, sms: InboundSms, intent: Intent) -> str:
    """The inbound key to file *sms* under: the previous bucket's key when that was claimed
    less than a bucket length ago (a redelivery across a bucket edge such as UTC midnight),
    else this bucket's. A message that has its own unique id needs no look."""
    key = inbound_key(sms, intent)
    if sms.unique_id:
        return key
    window_s = REPORT_BUCKET_S if intent is Intent.REPORT else QUERY_BUCKET_S
    previous = inbound_key(sms, intent, bucket_offset=-1)
    age = await intake.inbound_key_age(previous)
    return previous if age is not None and age < window_s else key


class SmsConversation:
    """Turns an :class:`InboundSms` into a report, an answer or nothing, via the Intake."""

    def __init__(self, intake: Intake, config: SmsConfig, country: str) -> None:
        self.intake = intake
        self.config = config
        self.country = country

    def parse(self, text: str) -> ParsedSms:
        return parse_sms(
            text,
            regional_prefixes=self.config.regional_prefixes,
            min_chars=self.config.min_report_chars,
        )

    async def handle(self, sms: InboundSms) -> Outcome:
        """Decide and commit. Raises StoreUnavailableError (from the Intake) when nothing
        could be committed: the transport must then not acknowledge."""
        parsed = self.parse(sms.text)
        e164 = normalize_sender(sms.sender, self.country, sms.international)
        reply_to = (
            ReplyAddress(adapter=sms.adapter, address=e164, route=sms.route) if e164 else None
        )
        if parsed.intent is not Intent.REPORT and reply_to is None:
            log.info(
                "sms %s from unanswerable sender %s ignored",
                parsed.intent.value,
                mask_phone(sms.sender),
            )
            return Outcome("ignored", reason="unanswerable_sender")
        key = await redelivery_key(self.intake, sms, parsed.intent)
        if parsed.intent is Intent.STATUS:
            assert reply_to is not None
            return await self._status(parsed, key, reply_to)
        if parsed.intent is Intent.HELP:
            assert reply_to is not None
            fresh = await self.intake.answer(inbound_key=key, reply_to=reply_to, template="help")
            return Outcome("help", repeat=not fresh)
        if parsed.intent is Intent.STOP:
            assert e164 is not None and reply_to is not None
            await self.intake.set_opt_out(f"phone:{e164}", True, inbound_key=key + ":opt_out")
            fresh = await self.intake.answer(
                inbound_key=key, reply_to=reply_to, template="opted_out"
            )
            return Outcome("opt_out", repeat=not fresh)
        return await self._report(sms, parsed, e164, reply_to, key)

    async def _status(self, parsed: ParsedSms, key: str, reply_to: ReplyAddress) -> Outcome:
        typed = (parsed.tracking_raw or "")[:20]
        try:
            canonical = tracking.parse(typed)
        except tracking.InvalidTrackingIdError:
            fresh = await self.intake.answer(
                inbound_key=key,
                reply_to=reply_to,
                template="invalid_tracking_id",
                params={"tracking_id": typed},
            )
            return Outcome("status", repeat=not fresh, reason="invalid_tracking_id")
        view = await self.intake.status(canonical)
        shown = tracking.display(canonical)
        if view is None:
            fresh = await self.intake.answer(
                inbound_key=key,
                reply_to=reply_to,
                template="not_found",
                params={"tracking_id": shown},
                tracking_id=None,
            )
            return Outcome("status", canonical, repeat=not fresh, reason="not_found")
        note = next((h.note for h in reversed(view.history) if h.note), None) or ""
        fresh = await self.intake.answer(
            inbound_key=key,
            reply_to=reply_to,
            template="status",
            params={"tracking_id": shown, "status": view.status, "note": note},
            tracking_id=canonical,
        )
        return Outcome("status", canonical, repeat=not fresh)

    async def _report(
        self,
        sms: InboundSms,
        parsed: ParsedSms,
        e164: str | None,
        reply_to: ReplyAddress | None,
        key: str,
    ) -> Outcome:
        text = parsed.text
        if len(text) > MAX_TEXT:
            text = text[: MAX_TEXT - 20] + " [...dipotong]"
        raw = dict(sms.raw)
        raw["sender"] = sms.sender
        raw["route"] = sms.route
        if e164 is None:
            raw["unanswerable_sender"] = True
        report = Report(
            channel=Channel.SMS,
            transport=sms.transport,
            external_id=sms.external_id,
            received_at=sms.received_at,
            reporter=Reporter(phone=e164),
            text=text,
            anonymous=parsed.anonymous,
            confidential=parsed.confidential,
            location=Location(region=parsed.region) if parsed.region else None,
            reply_to=reply_to,
            raw=raw,
        )
        result = await self.intake.submit(report, inbound_key=key)
        log.info(
            "sms report %s from %s via %s%s",
            result.tracking_id,
            mask_phone(e164 or sms.sender),
            sms.transport,
            " (repeat)" if result.repeat else "",
        )
        return Outcome("report", result.tracking_id, repeat=result.repeat)

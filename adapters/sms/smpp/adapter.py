"""``SmppAdapter``: SMS 1708 over SMPP 3.4, one transceiver bind (or several).

Receive path (per ``deliver_sm``), in the event loop:

1. delivery receipts (esm_class 0x04/0x20, also SME acks) -> ``intake.delivery_receipt``;
   they never become reports;
2. citizen messages: payload from ``message_payload`` or ``short_message``; concatenation
   from the UDH (IEI 0x00 / 0x08) or the SAR TLVs; a part is stored with
   ``intake.store_fragment`` and the message is handled when the group is complete;
3. complete messages are decoded (:mod:`adapters.sms.codec`) and handed to the shared
   :class:`~adapters.sms.conversation.SmsConversation`, which commits;
4. only then ``deliver_sm_resp`` ESME_ROK. ``StoreUnavailableError`` -> ESME_RX_T_APPN
   (temporary: the SMSC redelivers, and the redelivery is absorbed if it had committed).

SMSCs that send MO as ``data_sm`` (text in ``message_payload``) get the same treatment,
answered with ``data_sm_resp``.

A broken UDH (length overrunning the message, part > total, total 0) is logged with its
reason and the message is filed as a standalone SMS (header stripped when its length is
sane) rather than dropped. A sender of 30 digits is kept as received and never answered.

Send path: ``send()`` picks the bind named by ``reply_to.route`` (else any bound bind),
segments the text (:mod:`adapters.sms.segment`), and sends each part with ``submit_sm``
through a token bucket (``tps``) and a window of outstanding requests. ESME_RTHROTTLED /
ESME_RMSGQFUL (and a system error or timeout) are retryable; other statuses and
``generic_nack`` are permanent. The SMSC's message id of the first part is returned, and
delivery receipts for it update the ack's delivery state.

Link management: ``enquire_link`` every ``enquire_link_s``; no answer within
``response_timeout_s`` means a dead link. Any end of session (dead link, socket error,
SMSC ``unbind``, malformed stream) leads to reconnect + rebind with exponential backoff
(tenacity), ``reconnect_attempts`` tries per round; after a failed round the bind is
reported unhealthy and a new round starts after ``reconnect_max_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from adapters.sms import multipart, receipt, udh
from adapters.sms.codec import decode
from adapters.sms.config import SmsConfig
from adapters.sms.conversation import InboundSms, SmsConversation
from adapters.sms.segment import SegmentationError, segment
from adapters.sms.smpp import metrics
from adapters.sms.smpp.bind import SmppBind
from adapters.sms.smpp.pdu import ESME_ROK, ESME_RSYSERR, ESME_RX_T_APPN, Inbound
from adapters.sms.smpp.session import SmppSession
from gateway.adapter import (
    Adapter,
    AdapterContext,
    Fragment,
    Health,
    OutboundMessage,
    SendError,
    SendResult,
    StoreUnavailableError,
)
from gateway.resilience.periodic import Periodic
from normalizer.privacy import mask_phone

__all__ = ["SmppAdapter", "SmppBind"]

ESM_UDHI = 0x40

log = logging.getLogger(__name__)


class SmppAdapter(Adapter):
    """SMS over SMPP; see the module docstring."""

    name = "sms.smpp"

    def __init__(self, ctx: AdapterContext, config: SmsConfig) -> None:
        super().__init__(ctx)
        self.sms = config
        self.config = config.smpp
        self.conversation = SmsConversation(ctx.intake, config, ctx.country)
        self.binds = {b.name: SmppBind(b, self._on_deliver) for b in self.config.binds}
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: Periodic | None = None
        self._stopping = False
        self.stats = {"received": 0, "receipts": 0, "temp_errors": 0, "fragments": 0}
        #: when a deliver_sm arrived (UTC); tests set it to stand at a bucket edge
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        for bind in self.binds.values():
            bind.task = asyncio.create_task(bind.run(), name=f"smpp-{bind.config.name}")
        self._sweeper = Periodic("smpp-sweeper", self.sweep, self.config.sweep_interval_s)
        self._sweeper.start()

    async def wait_bound(self, wait_s: float = 5.0) -> None:
        """Until every bind is bound (used by tests and benchmarks)."""
        async with asyncio.timeout(wait_s):
            for bind in self.binds.values():
                await bind.bound_event.wait()

    async def stop(self) -> None:
        """Unbind (the SMSC stops delivering), let in-flight deliver_sm finish (commit +
        resp), then close. Idempotent; bounded by a few seconds per bind."""
        if self._stopping:
            return
        self._stopping = True
        if self._sweeper is not None:
            await self._sweeper.stop()
        for bind in self.binds.values():
            bind.stopping = True
        links = [b.link for b in self.binds.values() if b.link is not None and b.link.is_open]

        async def unbind(link: SmppSession) -> None:
            with contextlib.suppress(Exception):
                await link.call("unbind", 2.0)

        await asyncio.gather(*(unbind(link) for link in links))
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5.0)
        for link in links:
            link.close("local stop", flush=True)
        for bind in self.binds.values():
            if bind.task is not None:
                bind.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await bind.task

    def health(self) -> Health:
        states = {name: b.state for name, b in self.binds.items()}
        ok = any(b.bound for b in self.binds.values())
        return Health(
            ok=ok,
            detail=", ".join(f"{k}: {v}" for k, v in states.items()),
            extra={**self.stats, "binds": {name: b.usage() for name, b in self.binds.items()}},
            transports={name: b.bound for name, b in self.binds.items()},
        )

    # -- receive ---------------------------------------------------------------------------

    def _on_deliver(self, bind: SmppBind, link: SmppSession, pdu: Inbound) -> None:
        task = asyncio.create_task(self._deliver(bind, link, pdu))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, bind: SmppBind, link: SmppSession, pdu: Inbound) -> None:
        status = ESME_ROK
        kind = "message"
        try:
            kind = await self._receive(bind, pdu)
        except StoreUnavailableError:
            self.stats["temp_errors"] += 1
            log.warning("smpp %s: store unavailable, answering ESME_RX_T_APPN", bind.config.name)
            status = ESME_RX_T_APPN
        except Exception:
            log.exception("smpp %s: deliver_sm could not be handled", bind.config.name)
            status = ESME_RSYSERR
        link.respond(pdu.sequence, status, pdu.resp_command_id)
        metrics.DELIVER.labels(bind.config.name, kind, f"0x{status:02X}").inc()

    async def _receive(self, bind: SmppBind, pdu: Inbound) -> str:
        """Commit what one deliver_sm carries; returns its kind (for metrics)."""
        esm_class = pdu.esm_class
        short_message = pdu.short_message
        if receipt.is_receipt(esm_class):
            await self._receipt(bind, pdu, short_message)
            return "receipt"
        payload = pdu.message_payload or short_message
        sender = pdu.source_addr
        meta: dict[str, Any] = {
            "dc": pdu.data_coding,
            "dc0": bind.config.data_coding_0,
            "sender": sender,
            "ton": pdu.source_addr_ton,
            "dest": pdu.destination_addr,
            "at": self.clock().isoformat(),
        }
        body, concat = self._split_concat(bind, pdu, payload, esm_class, meta)
        self.stats["received"] += 1
        if concat is None or concat.total == 1:
            await self._handle(bind, [Fragment(1, body, meta)], 1, None)
            return "message"
        meta["total"] = concat.total
        meta["ref"] = concat.ref
        group = f"smpp:{bind.config.name}:{sender}:{concat.ref_bits}:{concat.ref}:{concat.total}"
        self.stats["fragments"] += 1
        parts = await self.ctx.intake.store_fragment(group, concat.part, concat.total, body, meta)
        if parts is not None:
            # The complete group is filed now but kept until the sweeper's timeout: a part
            # the SMSC redelivers later (its resp was lost) is then absorbed by the stored
            # group and the inbound key, instead of starting a new group that would expire
            # into a spurious partial report. The sweeper re-files it (a repeat) and drops it.
            await self._handle(bind, parts, concat.total, None)
        return "fragment"

    def _split_concat(
        self, bind: SmppBind, pdu: Inbound, payload: bytes, esm_class: int, meta: dict[str, Any]
    ) -> tuple[bytes, udh.Concat | None]:
        """(user data without UDH, concatenation or None); bad headers are logged, not fatal."""
        if esm_class & ESM_UDHI:
            try:
                header, body = udh.parse(payload)
            except udh.UdhError as exc:
                meta["udh_error"] = exc.reason
                log.warning(
                    "smpp %s: bad UDH (%s); filed as a single SMS", bind.config.name, exc.reason
                )
                if exc.reason in ("empty", "udh_overrun"):
                    return payload, None
                return payload[1 + payload[0] :], None
            if header.concat is not None:
                return body, header.concat
            return body, None
        ref, total, seq = pdu.sar_msg_ref_num, pdu.sar_total_segments, pdu.sar_segment_seqnum
        if ref is not None and total is not None and seq is not None:
            try:
                return payload, udh.check_concat(ref, total, seq, 16)
            except udh.UdhError as exc:
                meta["udh_error"] = exc.reason
                log.warning(
                    "smpp %s: bad SAR TLVs (%s); filed as a single SMS",
                    bind.config.name,
                    exc.reason,
                )
        return payload, None

    async def _handle(
        self, bind: SmppBind, parts: list[Fragment], total: int, group: str | None
    ) -> None:
        """Decode a complete (or expired partial) message and file it; with *group*, forget
        the group's parts after the commit. Idempotent: the inbound key derives from the
        stored parts (text, earliest arrival), so filing the same group twice is a repeat."""
        first = parts[0].meta
        if total == 1:
            text = decode(parts[0].data, int(first["dc"]), dc0=str(first["dc0"])).text
            missing: list[int] = []
        else:
            text, missing = multipart.assemble(parts, total)
        raw: dict[str, Any] = {
            "data_coding": first.get("dc"),
            "dest": first.get("dest"),
            "source_addr_ton": first.get("ton"),
        }
        if total > 1:
            raw.update(parts=total, concat_ref=first.get("ref"), missing_parts=missing)
        if "udh_error" in first:
            raw["udh_error"] = first["udh_error"]
        received = min((str(p.meta.get("at", "")) for p in parts), default="")
        sms = InboundSms(
            adapter=self.name,
            transport=f"smpp:{bind.config.name}",
            route=bind.config.name,
            sender=str(first.get("sender", "")),
            text=text,
            received_at=datetime.fromisoformat(received) if received else self.clock(),
            raw=raw,
            international=first.get("ton") == 1,
        )
        outcome = await self.conversation.handle(sms)
        if group is not None:
            await self.ctx.intake.drop_fragments(group)
        log.debug("smpp %s: %s from %s", bind.config.name, outcome.action, mask_phone(sms.sender))

    async def _receipt(self, bind: SmppBind, pdu: Inbound, short_message: bytes) -> None:
        try:
            rec = receipt.parse_receipt(short_message, pdu.receipted_message_id, pdu.message_state)
        except receipt.ReceiptError:
            log.warning("smpp %s: delivery receipt without message id ignored", bind.config.name)
            return
        self.stats["receipts"] += 1
        await self.ctx.intake.delivery_receipt(self.name, rec.message_id, rec.state)

    # -- multipart timeout -----------------------------------------------------------------

    async def sweep(self, older_than_s: float | None = None) -> int:
        """File incomplete multipart messages older than the timeout (missing parts marked)."""
        timeout = self.config.multipart_timeout_s if older_than_s is None else older_than_s

        async def file_group(group: str, fragments: list[Fragment]) -> None:
            bind_name = group.split(":", 2)[1]
            bind = self.binds.get(bind_name)
            if bind is None:
                log.warning("smpp: expired group of unknown bind %s dropped", bind_name)
                await self.ctx.intake.drop_fragments(group)
                return
            total = int(fragments[0].meta.get("total", group.rsplit(":", 1)[1]))
            await self._handle(bind, fragments, total, group)

        return await multipart.sweep_once(
            self.ctx.intake, prefix="smpp:", older_than_s=timeout, handle=file_group
        )

    # -- send ------------------------------------------------------------------------------

    def _pick(self, route: str | None) -> SmppBind:
        if route and route in self.binds and self.binds[route].bound:
            return self.binds[route]
        for bind in self.binds.values():
            if bind.bound:
                return bind
        raise SendError("no SMPP bind is bound", retryable=True, retry_after=5.0)

    async def send(self, message: OutboundMessage) -> SendResult:
        address = message.reply_to.address.strip()
        digits = address.removeprefix("+")
        if not address.startswith("+") or not digits.isdigit() or not 7 <= len(digits) <= 15:
            raise SendError("reply address is not an E.164 MSISDN", retryable=False)
        bind = self._pick(message.reply_to.route)
        try:
            seg = segment(message.text, ref=next(bind.refs) & 0xFF)
        except SegmentationError as exc:
            raise SendError(f"cannot segment reply: {exc}", retryable=False) from None
        ids = [
            await bind.submit(digits, part, seg.data_coding, seg.esm_class) for part in seg.parts
        ]
        return SendResult(message_id=ids[0] or None)

"""SMS through GSM modems driven by libgammu (``python-gammu``): the ``sms.gammu`` adapter.

The adapter owns one :class:`adapters.sms.gammu.worker.ModemWorker` per configured modem
(receive, reconnects and the per-modem thread are described there) and spreads sends over
them.

Send: GSM-7 when possible, UCS-2 otherwise (never degraded), concatenated when long. The
modem the citizen wrote to is preferred; otherwise, or when it is backlogged or down, the
least-busy connected modem, each paced at its configured rate. If every modem fails the
send is a retryable :class:`SendError`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from adapters.sms.config import GammuConfig, SmsConfig
from adapters.sms.conversation import SmsConversation, normalize_sender
from adapters.sms.gammu.device import ensure_dummy_layout, resolve_device
from adapters.sms.gammu.errors import ModemError
from adapters.sms.gammu.inbox import receipt_id
from adapters.sms.gammu.inject import append_sent
from adapters.sms.gammu.worker import ADAPTER_NAME, ModemWorker
from gateway.adapter import (
    Adapter,
    AdapterContext,
    Health,
    OutboundMessage,
    SendError,
    SendResult,
)

#: the receiving modem is preferred for a reply unless its queue is this much longer
ROUTE_PREFERENCE_S = 5.0


class GammuAdapter(Adapter):
    """The ``sms.gammu`` adapter: GSM modems through libgammu."""

    name = ADAPTER_NAME

    def __init__(
        self, ctx: AdapterContext, config: GammuConfig, sms: SmsConfig | None = None
    ) -> None:
        super().__init__(ctx)
        self.config = config
        self.conversation = SmsConversation(ctx.intake, sms or SmsConfig(), ctx.country)
        self.workers = [
            ModemWorker(m, resolve_device(m, ctx.data_dir), config, ctx, self.conversation)
            for m in config.modems
        ]

    async def start(self) -> None:
        for worker in self.workers:
            if worker.modem.is_dummy:
                ensure_dummy_layout(worker.device.device)
            worker.start()

    async def stop(self) -> None:
        await asyncio.gather(*(w.stop() for w in self.workers))

    def _candidates(self, route: str | None) -> list[ModemWorker]:
        def cost(w: ModemWorker) -> float:
            return w.queue_delay() - (ROUTE_PREFERENCE_S if w.name == route else 0.0)

        return sorted((w for w in self.workers if w.up), key=lambda w: (not w.usable, cost(w)))

    async def send(self, message: OutboundMessage) -> SendResult:
        number = normalize_sender(message.reply_to.address, self.ctx.country)
        if number is None:
            raise SendError("recipient is not an answerable phone number", retryable=False)
        if not message.text.strip():
            raise SendError("empty message", retryable=False)
        candidates = self._candidates(message.reply_to.route)
        if not candidates:
            raise SendError(
                "no GSM modem connected", retryable=True, retry_after=self.config.reconnect_min_s
            )
        failures: list[str] = []
        for worker in candidates:
            try:
                refs = await worker.send(number, message.text)
            except ModemError as exc:
                failures.append(f"{worker.name}: {exc.kind.value}")
                continue
            message_id = receipt_id(worker.name, refs[0], number)
            if worker.modem.is_dummy:
                append_sent(
                    worker.device.device,
                    {
                        "at": datetime.now(UTC).isoformat(),
                        "modem": worker.name,
                        "to": number,
                        "text": message.text,
                        "parts": len(refs),
                        "message_id": message_id,
                        "outbox_id": message.outbox_id,
                        "kind": message.kind,
                        "tracking_id": message.tracking_id,
                    },
                )
            return SendResult(message_id=message_id)
        raise SendError("every GSM modem failed: " + ", ".join(failures), retryable=True)

    def health(self) -> Health:
        modems = {w.name: w.status() for w in self.workers}
        ok = any(w.usable for w in self.workers)
        detail = ", ".join(
            f"{w.name}: {'ok' if w.usable else w.status()['state']}"
            + (f" signal {w.signal_percent}%" if w.up and w.signal_percent is not None else "")
            + (" (simulated)" if w.modem.is_dummy else "")
            for w in self.workers
        )
        return Health(
            ok=ok,
            detail=detail or "no modems configured",
            extra={"modems": modems},
            transports={w.name: w.usable for w in self.workers},
        )

"""``WhatsAppAdapter``: the WhatsApp Business Cloud API door, registry name ``whatsapp``.

Inbound: the webhook (:mod:`.webhook`) hands each message to the :class:`~.inbound.Processor`
and each delivery status to :meth:`WhatsAppAdapter.handle_status`.

Outbound (:meth:`WhatsAppAdapter.send`): ``POST /{phone-number-id}/messages`` from the
number the citizen wrote to (``ReplyAddress.route``), quoting their message
(``context.message_id``). Free-form text only inside the 24-hour customer service window
(from the citizen's last inbound message, :mod:`.state`); outside it, or when WhatsApp
answers 131047 (re-engagement required), the configured approved template for the
message's kind goes instead. A 131047 that arrives later in a ``failed`` status webhook
queues that template through the outbox (``intake.answer``, key ``wa:reengage:<wamid>``,
``ReplyAddress.mode = "template"``); the message's kind and tracking ID travel with the
send in ``biz_opaque_callback_data``, which WhatsApp returns in every status webhook.
Rate-limit errors hold the number or the citizen (:mod:`.throttle`) and ask the outbox to
retry later; 190 / 401 (token expired or revoked) marks the door unhealthy on ``/readyz``.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from adapters.auth_state import AuthState
from adapters.whatsapp import metrics, state
from adapters.whatsapp.config import TemplateSpec, WhatsAppConfig
from adapters.whatsapp.graph import GraphClient, GraphError
from adapters.whatsapp.inbound import ADAPTER_NAME, Processor, phone_of
from adapters.whatsapp.openapi import openapi_paths
from adapters.whatsapp.payload import WaStatus
from adapters.whatsapp.throttle import RATE_LIMITS, SendThrottle
from adapters.whatsapp.webhook import PATH, WebhookHandler
from gateway.adapter import (
    Adapter,
    AdapterContext,
    Health,
    OutboundMessage,
    Route,
    SendError,
    SendResult,
)
from gateway.sections import STATUS_LABELS_ID
from normalizer import ReplyAddress
from normalizer.tracking import display

log = logging.getLogger(__name__)

#: "re-engagement message": more than 24 hours since the citizen last wrote
REENGAGE = 131047
#: access token expired, revoked or wrong
AUTH_CODES = frozenset({190})
TEXT_MAX = 4096
TEMPLATE_MODE = "template"


class WhatsAppAdapter(Adapter):
    name = ADAPTER_NAME

    def __init__(
        self, ctx: AdapterContext, config: WhatsAppConfig, *, graph: GraphClient | None = None
    ) -> None:
        super().__init__(ctx)
        self.config = config
        self.graph = graph or GraphClient(config)
        self.processor = Processor(ctx.intake, config, self.graph, ctx.data_dir)
        self.webhook = WebhookHandler(
            config,
            ctx.max_body_bytes,
            self.processor.handle,
            self.handle_status,
            overloaded=ctx.overloaded,
        )
        self.throttle = SendThrottle(config.backoff_floor_s, config.backoff_max_s)
        self.auth = AuthState(
            log,
            "whatsapp access token accepted again",
            detail_prefix="WhatsApp refuses the access token: ",
        )

    def routes(self) -> list[Route]:
        return [
            Route("GET", PATH, self.webhook.verify, name="whatsapp_webhook_verify"),
            Route("POST", PATH, self.webhook.events, name="whatsapp_webhook_events"),
        ]

    async def stop(self) -> None:
        await self.graph.close()

    def openapi_paths(self) -> dict[str, Any]:
        """The webhook's ``/openapi.json`` paths (:func:`.openapi.openapi_paths`)."""
        return openapi_paths(self.config)

    # -- statuses -------------------------------------------------------------------------

    async def handle_status(self, status: WaStatus) -> str:
        """A ``statuses`` item: the receipt on the outbox row; a failed free-form message
        with 131047 queues its template."""
        metrics.STATUSES.labels(status.status).inc()
        await self.ctx.intake.delivery_receipt(ADAPTER_NAME, status.wamid, status.status)
        if status.status != "failed" or REENGAGE not in status.error_codes:
            return f"status_{status.status}"
        sent = _opaque(status.opaque)
        phone = phone_of(status.recipient_id)
        if sent.get("f") != "text" or phone is None:
            return "status_failed"
        kind = str(sent.get("k") or "status_update")
        if self.config.template_for(kind) is None:
            log.warning("whatsapp 131047 for a %s message and no template to re-engage", kind)
            return "status_failed"
        reply_to = ReplyAddress(
            adapter=ADAPTER_NAME, address=phone, route=status.phone_number_id, mode=TEMPLATE_MODE
        )
        params = {"status": str(sent["s"])} if sent.get("s") else None
        tracking_id = str(sent["t"]) if sent.get("t") else None
        key = f"wa:reengage:{status.wamid}"
        try:
            await self.ctx.intake.answer(
                inbound_key=key,
                reply_to=reply_to,
                template=kind,
                params=params,
                tracking_id=tracking_id,
            )
        except KeyError:  # a kind that is no [acks.templates] entry: the status template
            await self.ctx.intake.answer(
                inbound_key=key,
                reply_to=reply_to,
                template="status_update",
                params=params,
                tracking_id=tracking_id,
            )
        return "reengage_queued"

    # -- outbound -------------------------------------------------------------------------

    async def send(self, message: OutboundMessage) -> SendResult:
        reply_to = message.reply_to
        to = reply_to.address.strip().lstrip("+")
        if not to.isdigit():
            raise SendError("WhatsApp address is not a phone number", retryable=False)
        number = reply_to.route if reply_to.route in self.config.phone_number_ids else None
        number = number or self.config.phone_number_ids[0]
        held = self.throttle.remaining_s(number, to)
        if held > 0:
            raise SendError("WhatsApp rate limit", retryable=True, retry_after=held)
        template = reply_to.mode == TEMPLATE_MODE
        if not template:
            opened = await state.window_opened_at(self.ctx.intake, "+" + to)
            closed = not state.window_open(opened, time.time(), self.config.window_s)
            # without a template for this kind, try the text: WhatsApp's 131047 is the
            # authority on the window, and then the row is a dead letter with that reason
            template = closed and self.config.template_for(message.kind) is not None
        try:
            if template:
                wamid = await self._send_template(message, number, to)
            else:
                try:
                    wamid = await self._send_text(message, number, to)
                except GraphError as exc:
                    if exc.code != REENGAGE or self.config.template_for(message.kind) is None:
                        raise
                    metrics.SENT.labels("text", "reengage").inc()
                    wamid = await self._send_template(message, number, to)
        except GraphError as exc:
            raise self._send_error(exc, number, to) from None
        self.throttle.succeeded(number, to)
        self.auth.accepted()
        return SendResult(message_id=wamid or None)

    def _opaque(self, message: OutboundMessage, form: str) -> str:
        tracking_id = message.tracking_id or message.payload.get("tracking_id")
        doc: dict[str, Any] = {"f": form, "k": message.kind}
        if tracking_id:
            doc["t"] = str(tracking_id)
        if isinstance(message.payload.get("status"), str):
            doc["s"] = message.payload["status"][:40]
        return json.dumps(doc, separators=(",", ":"))[:512]

    async def _send_text(self, message: OutboundMessage, number: str, to: str) -> str:
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "text",
            "text": {"preview_url": False, "body": message.text[:TEXT_MAX]},
            "biz_opaque_callback_data": self._opaque(message, "text"),
        }
        if message.reply_to.in_reply_to:
            body["context"] = {"message_id": message.reply_to.in_reply_to}
        wamid = await self.graph.send_message(number, body)
        metrics.SENT.labels("text", "ok").inc()
        return wamid

    async def _send_template(self, message: OutboundMessage, number: str, to: str) -> str:
        spec = self.config.template_for(message.kind)
        if spec is None:
            metrics.SENT.labels("template", "no_template").inc()
            raise SendError(
                f"outside the 24-hour window and no adapters.whatsapp.templates entry for "
                f"{message.kind!r} (or 'default')",
                retryable=False,
            )
        values = await self._template_values(message, spec)
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "template",
            "template": {
                "name": spec.name,
                "language": {"code": spec.language},
                "components": [
                    {
                        "type": "body",
                        "parameters": [
                            {"type": "text", "text": values.get(p) or "-"} for p in spec.params
                        ],
                    }
                ],
            },
            "biz_opaque_callback_data": self._opaque(message, "template"),
        }
        wamid = await self.graph.send_message(number, body)
        metrics.SENT.labels("template", "ok").inc()
        return wamid

    async def _template_values(
        self, message: OutboundMessage, spec: TemplateSpec
    ) -> dict[str, str]:
        """The template's parameters from the message, completed from the public status
        view (a template queued after a failed send knows only the tracking ID)."""
        payload = message.payload
        tracking_id = str(message.tracking_id or payload.get("tracking_id") or "")
        values = {
            "tracking_id": display(tracking_id) if len(tracking_id) == 12 else tracking_id,
            "status": str(payload.get("status") or ""),
            "note": str(payload.get("note") or ""),
            "agency": str(payload.get("agency") or ""),
        }
        needs_view = any(not values[p] for p in spec.params if p != "tracking_id")
        if tracking_id and needs_view:
            view = await self.ctx.intake.status(tracking_id)
            if view is not None:
                values["status"] = values["status"] or view.status
                values["agency"] = values["agency"] or (view.agency or "")
                note = next((h.note for h in reversed(view.history) if h.note), None)
                values["note"] = values["note"] or (note or "")
        if values["status"]:
            values["status"] = STATUS_LABELS_ID.get(values["status"], values["status"])
        return {k: " ".join(v.split())[:1024] for k, v in values.items()}

    def _send_error(self, exc: GraphError, number: str, to: str) -> SendError:
        if exc.code in RATE_LIMITS:
            wait = self.throttle.limited(exc.code, number, to, exc.retry_after)
            metrics.SENT.labels("any", "rate_limited").inc()
            return SendError(str(exc), retryable=True, retry_after=wait)
        metrics.SENT.labels("any", "error").inc()
        if exc.code in AUTH_CODES or exc.status == 401:
            self.auth.refused(str(exc))
            return SendError(str(exc), retryable=True, retry_after=self.config.backoff_max_s)
        return SendError(str(exc), retryable=exc.retryable, retry_after=exc.retry_after)

    # -- health ---------------------------------------------------------------------------

    def health(self) -> Health:
        extra: dict[str, Any] = {
            "phone_numbers": len(self.config.phone_number_ids),
            "held_rate_limits": self.throttle.held(),
            "templates": sorted(self.config.templates),
        }
        return self.auth.health(extra)


def _opaque(raw: str | None) -> dict[str, Any]:
    """What :meth:`WhatsAppAdapter._opaque` put into ``biz_opaque_callback_data``."""
    if not raw:
        return {}
    try:
        doc = json.loads(raw)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}

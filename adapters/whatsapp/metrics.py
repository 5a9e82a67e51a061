"""Prometheus metrics of the WhatsApp door (default registry, exported on ``GET /metrics``).

Label values are outcomes and error kinds, never phone numbers, ids or text.
"""

from __future__ import annotations

from prometheus_client import Counter

WEBHOOK = Counter("lapor_whatsapp_webhook_total", "Webhook requests by result", ["result"])
INBOUND = Counter(
    "lapor_whatsapp_inbound_total",
    "Inbound WhatsApp messages by message type and outcome",
    ["type", "outcome"],
)
NON_COMPLAINTS = Counter(
    "lapor_whatsapp_non_complaints_total",
    "Messages answered with the help text and not filed (greeting, test, sticker, emoji...)",
    ["reason"],
)
SENT = Counter(
    "lapor_whatsapp_sent_total",
    "Outbound messages by form (text, template) and result",
    ["form", "result"],
)
STATUSES = Counter(
    "lapor_whatsapp_statuses_total", "Delivery status webhooks by status", ["status"]
)
API_ERRORS = Counter(
    "lapor_whatsapp_api_errors_total",
    "Failed Graph API calls by call and error code",
    ["call", "code"],
)
MEDIA = Counter("lapor_whatsapp_media_total", "Media downloads by result", ["result"])

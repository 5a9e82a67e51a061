"""Prometheus metrics of the Telegram adapter (default registry, on ``GET /metrics``).

Label values are outcomes and error kinds, never chat ids, usernames or text.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

INBOUND = Counter(
    "lapor_telegram_inbound_total", "Updates read, by source and outcome", ["source", "outcome"]
)
API_ERRORS = Counter(
    "lapor_telegram_api_errors_total", "Failed Bot API calls by method and kind", ["method", "kind"]
)
AUTH_OK = Gauge(
    "lapor_telegram_auth_ok", "0 while the Bot API refuses the token or polling conflicts"
)
SENT = Counter("lapor_telegram_sent_total", "Outbound messages by result", ["result"])
BLOCKED = Counter(
    "lapor_telegram_blocked_chats_total",
    "Chats that blocked the bot (403): no further message is sent to them",
)
WEBHOOK = Counter("lapor_telegram_webhook_total", "Webhook requests by result", ["result"])

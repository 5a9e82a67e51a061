"""Prometheus metrics of the X adapter (default registry, exported on ``GET /metrics``).

Label values are outcomes and error kinds, never ids, handles or text.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

INBOUND = Counter(
    "lapor_twitter_inbound_total",
    "Mentions and DMs read, by source and outcome",
    ["source", "outcome"],
)
API_ERRORS = Counter(
    "lapor_twitter_api_errors_total", "Failed X API calls by endpoint family and kind",
    ["endpoint", "kind"],
)
AUTH_OK = Gauge(
    "lapor_twitter_auth_ok", "0 while X refuses our credentials (401/403): a configuration problem"
)
SENT = Counter("lapor_twitter_sent_total", "Replies by mode and result", ["mode", "result"])
WEBHOOK = Counter("lapor_twitter_webhook_total", "Webhook requests by result", ["result"])

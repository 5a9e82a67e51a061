"""Prometheus metrics (``prometheus-client``), exported on ``GET /metrics``.

Names follow Prometheus conventions; label values are channels, adapters and reasons,
never personal data.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RECEIVED = Counter("lapor_reports_received_total", "New reports filed", ["channel"])
REPEATS = Counter(
    "lapor_inbound_repeats_total",
    "Transport redeliveries absorbed (level-1 duplicates)",
    ["channel"],
)
DUPLICATES = Counter(
    "lapor_reports_duplicate_total", "Same reporter, same complaint (level-2)", ["channel"]
)
THROTTLED = Counter("lapor_reports_throttled_total", "Reports held by flood control", ["channel"])
REJECTED = Counter(
    "lapor_requests_rejected_total", "Inbound requests rejected", ["channel", "reason"]
)
COMMIT_LATENCY = Histogram(
    "lapor_store_commit_seconds",
    "Time from submit to durable commit",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
INSTANCE = Gauge(
    "lapor_instance_info",
    "1 for this instance (host:pid) and its database kind; join on it to tell instances apart",
    ["instance", "database"],
)
LEASE_HELD = Gauge(
    "lapor_lease_held", "1 while this instance holds the leader lease (PostgreSQL)", ["lease"]
)
OUTBOX_DEPTH = Gauge("lapor_outbox_rows", "Outbox rows by state", ["state"])
FORWARD_LATENCY = Histogram(
    "lapor_forward_seconds",
    "Time from report receipt to the core case store accepting it",
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 1800, 3600),
)
DELIVERIES = Counter(
    "lapor_outbox_attempts_total", "Outbox delivery attempts", ["kind", "target", "result"]
)
DEAD_LETTERS = Counter(
    "lapor_outbox_dead_letters_total", "Rows moved to dead letters", ["kind", "target"]
)
CORE_EVENTS = Counter("lapor_core_events_total", "Status events applied", ["status"])
ADAPTER_UP = Gauge("lapor_adapter_up", "1 when the adapter reports healthy", ["adapter"])

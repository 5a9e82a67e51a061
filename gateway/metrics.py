"""Prometheus metrics (``prometheus-client``), exported on ``GET /metrics``.

Names follow Prometheus conventions; label values are channels, adapters and reasons,
never personal data.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

from normalizer import Channel
from outbox.jobs import CORE_TARGET, OutboxKind

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
OUTBOX_TARGET_ROWS = Gauge(
    "lapor_outbox_target_rows",
    "Outbox rows waiting (pending), held by flood control, or dead, by target",
    ["target", "state"],
)
OUTBOX_OLDEST_AGE = Gauge(
    "lapor_outbox_oldest_pending_age_seconds",
    "Age of the oldest pending outbox row of the target (0 when none waits)",
    ["target"],
)
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
ACK_LATENCY = Histogram(
    "lapor_ack_seconds",
    "Time from a report's commit to its acknowledgement accepted by the citizen's transport",
    ["target"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
CORE_EVENTS = Counter("lapor_core_events_total", "Status events applied", ["status"])
ADAPTER_UP = Gauge("lapor_adapter_up", "1 when the adapter reports healthy", ["adapter"])
TRANSPORT_UP = Gauge(
    "lapor_transport_up",
    "1 while the transport is up: each SMPP bind, each modem, or the adapter itself",
    ["adapter", "transport"],
)
READY = Gauge("lapor_ready", "1 while GET /readyz answers ready")


def declare(adapters: Iterable[str]) -> None:
    """Create the series of the enabled adapters at zero: intake per channel and dead
    letters per target. A rate or increase then counts the first event too, and "no SMS
    for half an hour" reads as a zero instead of a series that does not exist."""
    channels = {c.value for c in Channel}
    for name in adapters:
        channel = name.partition(".")[0]
        if channel in channels:
            RECEIVED.labels(channel)
        DEAD_LETTERS.labels(OutboxKind.ACK.value, name)
    for kind in (OutboxKind.FORWARD, OutboxKind.ADDENDUM):
        DEAD_LETTERS.labels(kind.value, CORE_TARGET)

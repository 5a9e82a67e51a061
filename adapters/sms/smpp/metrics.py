"""Prometheus metrics of the SMPP transport (exported on the gateway's ``/metrics``).

Labels are bind names and outcomes only: never numbers or texts.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

BOUND = Gauge("lapor_smpp_bound", "1 while the bind is bound to its SMSC", ["bind"])
RECONNECTS = Counter("lapor_smpp_reconnects_total", "Sessions ended, by reason", ["bind", "reason"])
DELIVER = Counter(
    "lapor_smpp_deliver_sm_total",
    "deliver_sm answered, by kind (message, fragment, receipt) and resp status",
    ["bind", "kind", "status"],
)
SUBMIT = Counter("lapor_smpp_submit_sm_total", "submit_sm sent, by result", ["bind", "result"])

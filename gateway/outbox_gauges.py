"""The outbox gauges per target: rows pending, held or dead, and the age of the oldest
pending row (what the dashboard's outbox panels and the "outbox stuck" alert read).

Both the 2-second monitor loop and every scrape refresh the gauges; the grouped read of
the store runs at most once per ``every_s`` and the ages are recomputed from the cached
creation times each time, so a scrape costs no extra query and an age still grows between
reads.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from gateway import metrics
from gateway.store.interfaces import OpsView
from outbox.jobs import OutboxState

#: the states a row is in while it is not done
WAITING = (OutboxState.PENDING, OutboxState.HELD, OutboxState.DEAD)


class BacklogGauges:
    """Sets ``lapor_outbox_target_rows`` and ``lapor_outbox_oldest_pending_age_seconds``.

    A target once seen keeps its series (at zero when its rows are gone), so an alert on
    them resolves instead of going silent."""

    def __init__(self, every_s: float = 5.0) -> None:
        self.every_s = every_s
        self._read_at: float | None = None
        self._series: set[tuple[str, str]] = set()
        self._oldest: dict[str, float] = {}

    async def refresh(self, store: OpsView, targets: Iterable[str]) -> None:
        """Read the backlog if the last read is older than ``every_s``; set the gauges of
        *targets* (the core and the enabled adapters) and of every target seen before."""
        now = time.monotonic()
        if self._read_at is None or now - self._read_at >= self.every_s:
            rows = await store.outbox_backlog()
            self._read_at = now
            counts: dict[tuple[str, str], int] = {}
            for r in rows:
                counts[(r["target"], OutboxState.PENDING.value)] = r["pending"]
                counts[(r["target"], OutboxState.HELD.value)] = r["held"]
                counts[(r["target"], OutboxState.DEAD.value)] = r["dead"]
            self._oldest = {
                r["target"]: r["oldest_pending_at"]
                for r in rows
                if r["oldest_pending_at"] is not None
            }
            self._series |= set(counts) | {(t, s.value) for t in targets for s in WAITING}
            for target, state in self._series:
                metrics.OUTBOX_TARGET_ROWS.labels(target, state).set(counts.get((target, state), 0))
        wall = time.time()
        for target in {t for t, _ in self._series}:
            oldest = self._oldest.get(target)
            age = max(0.0, wall - oldest) if oldest is not None else 0.0
            metrics.OUTBOX_OLDEST_AGE.labels(target).set(age)

"""Since when each adapter is up or down, and its last problem in plain words.

:meth:`gateway.adapter.Adapter.health` says how an adapter is *now*; the overview also
needs since when, and what went wrong last even after it recovered. :class:`HealthTracker`
samples every adapter (a background loop of the console, and each overview render) and
keeps the time of the last change and the last failing detail. A failure is "the last
problem" only once the adapter had been up: while it is still starting (or never came up)
its current detail already says why it is down.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.adapter import Adapter, Health


@dataclass
class Tracked:
    health: Health
    #: when ``health.ok`` last changed (or when tracking began)
    since: datetime
    #: the detail of the last failing sample and when it was seen
    last_problem: str | None = None
    last_problem_at: datetime | None = None
    ever_ok: bool = False


class HealthTracker:
    def __init__(self) -> None:
        self.state: dict[str, Tracked] = {}

    def sample(self, adapters: Mapping[str, Adapter], now: datetime | None = None) -> None:
        t = now or datetime.now(UTC)
        for name, adapter in adapters.items():
            try:
                health = adapter.health()
            except Exception as exc:
                health = Health(ok=False, detail=f"health check failed: {type(exc).__name__}")
            seen = self.state.get(name)
            if seen is None or seen.health.ok != health.ok:
                seen = Tracked(
                    health=health,
                    since=t,
                    last_problem=seen.last_problem if seen else None,
                    last_problem_at=seen.last_problem_at if seen else None,
                    ever_ok=seen.ever_ok if seen else False,
                )
                self.state[name] = seen
            seen.health = health
            seen.ever_ok = seen.ever_ok or health.ok
            if not health.ok and seen.ever_ok:
                seen.last_problem = health.detail or "down"
                seen.last_problem_at = t

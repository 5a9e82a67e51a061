"""The overview page's content, read from the store, the adapters and the readiness report.

Plain data for the template: every number an operator looks at on one page (is every door
open, is anything stuck). Modems show signal and network as the Gammu adapter reports them
in ``Health.extra["modems"]``, SMPP binds their TPS in use and the throttling seen from
``Health.extra["binds"]``; every adapter shows its ``detail``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.console.health import HealthTracker
from gateway.console.host import ConsoleHost
from gateway.flood import sender_keys
from normalizer.privacy import scrub
from outbox.jobs import CORE_TARGET

#: hours in the intake chart
CHART_HOURS = 24


@dataclass
class AdapterRow:
    name: str
    ok: bool
    detail: str
    since: datetime
    last_problem: str | None
    last_problem_at: datetime | None
    modems: list[dict[str, Any]] = field(default_factory=list)
    binds: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class IntakeRow:
    channel: str
    last_hour: int
    last_day: int
    #: reports per hour, oldest first, CHART_HOURS values (the current hour last)
    hourly: list[int]


@dataclass
class BacklogRow:
    target: str
    pending: int
    retrying: int
    held: int
    dead: int
    oldest_age_s: float | None


@dataclass
class Overview:
    generated_at: datetime
    adapters: list[AdapterRow]
    intake: list[IntakeRow]
    backlog: list[BacklogRow]
    retrying: list[dict[str, Any]]
    dead: int
    held_rows: int
    held_senders: int
    core_embedded: bool
    #: seconds the relay still pauses the core, 0 when it is not paused
    core_paused_s: float
    core_last_error: str | None
    #: forwards to the core waiting for another try (the core failed them)
    core_retrying: int
    store_ok: bool
    relay_ok: bool


def _named(table: Any) -> list[dict[str, Any]]:
    """``{"modem-1": {...}}`` from ``Health.extra`` as rows with a ``name``."""
    if not isinstance(table, dict):
        return []
    return [{"name": k, **v} for k, v in sorted(table.items()) if isinstance(v, dict)]


def _adapters(tracker: HealthTracker, host: ConsoleHost) -> list[AdapterRow]:
    tracker.sample(host.adapters)
    rows = []
    for name in sorted(host.adapters):
        seen = tracker.state[name]
        rows.append(
            AdapterRow(
                name=name,
                ok=seen.health.ok,
                detail=scrub(seen.health.detail),
                since=seen.since,
                last_problem=scrub(seen.last_problem) if seen.last_problem else None,
                last_problem_at=seen.last_problem_at,
                modems=_named(seen.health.extra.get("modems")),
                binds=_named(seen.health.extra.get("binds")),
            )
        )
    return rows


async def _intake(host: ConsoleHost, now: datetime) -> list[IntakeRow]:
    day = await host.store.intake_counts(now - timedelta(hours=CHART_HOURS))
    hour = await host.store.intake_counts(now - timedelta(hours=1))
    current = now.replace(minute=0, second=0, microsecond=0)
    slots = {
        (current - timedelta(hours=CHART_HOURS - 1 - i)).strftime("%Y-%m-%dT%H"): i
        for i in range(CHART_HOURS)
    }
    rows: dict[str, IntakeRow] = {}
    for count in day:
        row = rows.setdefault(
            count["channel"], IntakeRow(count["channel"], 0, 0, [0] * CHART_HOURS)
        )
        row.last_day += count["count"]
        slot = slots.get(count["hour"])
        if slot is not None:
            row.hourly[slot] += count["count"]
    for count in hour:
        if count["channel"] in rows:
            rows[count["channel"]].last_hour += count["count"]
    return [rows[c] for c in sorted(rows)]


async def build_overview(host: ConsoleHost, tracker: HealthTracker) -> Overview:
    now = datetime.now(UTC)
    wall = time.time()
    backlog = [
        BacklogRow(
            target=b["target"],
            pending=b["pending"],
            retrying=b["retrying"],
            held=b["held"],
            dead=b["dead"],
            oldest_age_s=None
            if b["oldest_pending_at"] is None
            else max(0.0, wall - b["oldest_pending_at"]),
        )
        for b in await host.store.outbox_backlog()
    ]
    retrying = [
        {**r, "last_error": scrub(r["last_error"] or "")}
        for r in await host.store.retrying_rows(10)
    ]
    held = await host.store.held_reports(1000)
    senders = {tuple(sender_keys(h.report)) or (h.tracking_id,) for h in held}
    ready = await host.readiness()
    relay = ready.get("relay", {})
    core_errors = [str(r["last_error"]) for r in retrying if r["target"] == CORE_TARGET]
    return Overview(
        generated_at=now,
        adapters=_adapters(tracker, host),
        intake=await _intake(host, now),
        backlog=backlog,
        retrying=retrying,
        dead=sum(b.dead for b in backlog),
        held_rows=sum(b.held for b in backlog),
        held_senders=len(senders),
        core_embedded=not host.config.core.url,
        core_paused_s=float(relay.get("paused_targets", {}).get(CORE_TARGET, 0.0)),
        core_last_error=core_errors[0] if core_errors else None,
        core_retrying=sum(b.retrying for b in backlog if b.target == CORE_TARGET),
        store_ok=bool(ready.get("store", {}).get("ok", False)),
        relay_ok=bool(relay.get("ok", False)),
    )

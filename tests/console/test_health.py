"""Since when an adapter is up or down, and its last problem (gateway/console/health.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.adapter import Adapter, AdapterContext, Health
from gateway.console.health import HealthTracker

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


class Flippable(Adapter):
    name = "sms.test"

    def __init__(self) -> None:
        super().__init__(
            AdapterContext(intake=None, data_dir=Path("."), country="ID", max_body_bytes=1)
        )  # type: ignore[arg-type]
        self.now = Health(ok=False, detail="starting")

    def health(self) -> Health:
        return self.now


class Broken(Adapter):
    name = "broken"

    def health(self) -> Health:
        raise RuntimeError("boom")


def test_since_changes_with_the_state_and_the_last_problem_stays() -> None:
    adapter = Flippable()
    tracker = HealthTracker()
    at = lambda minutes: T0 + timedelta(minutes=minutes)  # noqa: E731
    tracker.sample({"sms": adapter}, at(0))
    seen = tracker.state["sms"]
    assert (seen.health.ok, seen.since, seen.last_problem) == (False, at(0), None)  # starting
    adapter.now = Health(ok=True, detail="tsel: bound")
    tracker.sample({"sms": adapter}, at(1))
    tracker.sample({"sms": adapter}, at(2))
    seen = tracker.state["sms"]
    assert (seen.health.ok, seen.since) == (True, at(1))
    adapter.now = Health(ok=False, detail="tsel: reconnecting (connection reset)")
    tracker.sample({"sms": adapter}, at(3))
    tracker.sample({"sms": adapter}, at(4))
    seen = tracker.state["sms"]
    assert (seen.health.ok, seen.since) == (False, at(3))
    assert (seen.last_problem, seen.last_problem_at) == (
        "tsel: reconnecting (connection reset)",
        at(4),
    )
    adapter.now = Health(ok=True, detail="tsel: bound")
    tracker.sample({"sms": adapter}, at(5))
    seen = tracker.state["sms"]
    assert (seen.health.ok, seen.since) == (True, at(5))
    assert seen.last_problem == "tsel: reconnecting (connection reset)"


def test_a_health_check_that_raises_is_down() -> None:
    tracker = HealthTracker()
    broken = Broken.__new__(Broken)
    tracker.sample({"broken": broken}, T0)
    assert tracker.state["broken"].health == Health(
        ok=False, detail="health check failed: RuntimeError"
    )

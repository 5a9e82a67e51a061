"""The gauges the dashboard and the alerts read, set by the running gateway: outbox rows and
the oldest pending row's age per target, and ``lapor_ready`` still exported (at 0) when the
store fails."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import REGISTRY

from gateway.outbox_gauges import BacklogGauges
from gateway.store.base import FileRequest, OutboxRow, Plan, PriorReport
from gateway.store.sqlite import SqliteStore
from normalizer import Channel, Report, Reporter
from normalizer.tracking import new_tracking_id
from outbox.jobs import ForwardJob, OutboxOutcome
from tests.conftest import GatewayHarness


def gauge(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def file_forward(store: SqliteStore, key: str, *, state: str = "pending") -> None:
    def plan(r: Report, prior: list[PriorReport]) -> Plan:
        return Plan(outbox=[OutboxRow(ForwardJob(), r.tracking_id, state)])

    report = Report(
        channel=Channel.WEB,
        transport="web",
        text=f"Jalan rusak nomor {key}",
        received_at=datetime.now(UTC),
        reporter=Reporter(phone="081234567890"),
    )
    await store.file_report(
        FileRequest(
            report=report,
            inbound_key=key,
            body_hash=None,
            checkpoint=None,
            dedup_since=datetime.now(UTC) - timedelta(hours=1),
            planner=plan,
            new_tracking_id=new_tracking_id,
        )
    )


async def test_backlog_gauges_per_target_and_the_oldest_pending_age(store: SqliteStore) -> None:
    target = "core"
    gauges = BacklogGauges(every_s=0.0)
    await gauges.refresh(store, ["core", "deploy.test"])
    # declared targets exist at zero before any row
    assert gauge("lapor_outbox_target_rows", target="deploy.test", state="dead") == 0
    assert gauge("lapor_outbox_oldest_pending_age_seconds", target="deploy.test") == 0

    written = time.time()
    await file_forward(store, "k1")
    await file_forward(store, "k2")
    await file_forward(store, "k3", state="held")
    await gauges.refresh(store, [target])
    assert gauge("lapor_outbox_target_rows", target=target, state="pending") == 2
    assert gauge("lapor_outbox_target_rows", target=target, state="held") == 1
    first_age = gauge("lapor_outbox_oldest_pending_age_seconds", target=target)
    assert first_age is not None and 0 <= first_age <= time.time() - written + 0.01

    rows = await store.due_outbox(time.time() + 1, 10)
    await store.finish_outbox(
        [OutboxOutcome(rows[0].id, "dead", error="400"), OutboxOutcome(rows[1].id, "done")]
    )
    await gauges.refresh(store, [target])
    assert gauge("lapor_outbox_target_rows", target=target, state="pending") == 0
    assert gauge("lapor_outbox_target_rows", target=target, state="dead") == 1
    # nothing pending: the age is 0, the series still there for the alert to resolve
    assert gauge("lapor_outbox_oldest_pending_age_seconds", target=target) == 0


async def test_backlog_is_read_at_most_every_interval_but_ages_keep_growing(
    store: SqliteStore,
) -> None:
    target = "core"
    gauges = BacklogGauges(every_s=3600.0)
    await file_forward(store, "k1")
    await gauges.refresh(store, [target])
    assert gauge("lapor_outbox_target_rows", target=target, state="pending") == 1
    first_age = gauge("lapor_outbox_oldest_pending_age_seconds", target=target)
    await file_forward(store, "k2")
    await asyncio.sleep(0.05)
    await gauges.refresh(store, [target])
    # not read again: still one row, but the cached oldest row's age moved on
    assert gauge("lapor_outbox_target_rows", target=target, state="pending") == 1
    later_age = gauge("lapor_outbox_oldest_pending_age_seconds", target=target)
    assert first_age is not None and later_age is not None and later_age >= first_age + 0.04


async def test_metrics_still_answer_when_the_store_fails_and_say_not_ready(
    gateway_factory: Callable[..., Any], config_factory: Callable[..., Any]
) -> None:
    h: GatewayHarness = await gateway_factory(config_factory())
    status, _ = await h.get("/metrics")
    assert status == 200 and gauge("lapor_ready") == 1
    assert gauge("lapor_transport_up", adapter="web", transport="web") == 1
    await h.gw.store.close()
    status, text = await h.get("/metrics")
    assert status == 200, text
    assert "lapor_ready 0.0" in text

"""The store contract, read part: the embedded case store, the operators' read model and
console reads, and the level-3 warm-up rows, on every backend of ``conftest.BACKENDS``."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from gateway.store.base import CoreEvent, OutboxRow, Plan, PriorReport
from gateway.store.interfaces import Store
from normalizer import Report
from outbox.jobs import ForwardJob, OutboxOutcome
from tests.store.contract_data import NOW, file, later, report

# -- embedded case store --------------------------------------------------------------------


async def test_embedded_core_is_idempotent_per_tracking_id(store: Store) -> None:
    payload: dict[str, Any] = {"text": "Lampu jalan mati"}
    case = await store.embedded_core_receive("TID1", payload)
    assert await store.embedded_core_receive("TID1", {"text": "lagi"}) == case
    other = await store.embedded_core_receive("TID2", payload)
    assert other != case
    await store.embedded_core_addendum("TID1", {"addendum_to": "TID1"})
    cases = {c["tracking_id"]: c for c in await store.core_cases()}
    assert sorted(cases) == ["TID1", "TID2"] and cases["TID1"]["case_id"] == case


# -- read model ------------------------------------------------------------------------------


async def test_list_reports_newest_first_by_status_with_limit(store: Store) -> None:
    old = (await file(store, report("lama", at=NOW - timedelta(hours=2)), "k1")).tracking_id
    new = (await file(store, report("baru", at=NOW - timedelta(hours=1)), "k2")).tracking_id
    await store.apply_event(CoreEvent(old, "closed", NOW), lambda r, s: [])
    listed = await store.list_reports(None, 10)
    assert [r["tracking_id"] for r in listed] == [new, old]
    assert listed[0]["channel"] == "sms" and listed[0]["status"] == "received"
    assert not listed[0]["anonymous"] and not listed[0]["confidential"]
    assert [r["tracking_id"] for r in await store.list_reports("closed", 10)] == [old]
    assert [r["tracking_id"] for r in await store.list_reports(None, 1)] == [new]


async def test_intake_counts_per_channel_and_hour_since(store: Store) -> None:
    hour = NOW.replace(minute=30, second=0, microsecond=0)
    await file(store, report("lama sekali", at=hour - timedelta(hours=30)), "k0")
    await file(store, report("satu", at=hour - timedelta(hours=2)), "k1")
    await file(store, report("dua", at=hour - timedelta(hours=2, minutes=10)), "k2")
    await file(store, report("tiga", at=hour), "k3")
    counts = await store.intake_counts(hour - timedelta(hours=24))
    h = lambda d: d.strftime("%Y-%m-%dT%H")  # noqa: E731
    assert counts == [
        {"channel": "sms", "hour": h(hour - timedelta(hours=2)), "count": 2},
        {"channel": "sms", "hour": h(hour), "count": 1},
    ]


async def test_outbox_backlog_retrying_rows_and_held_reports(store: Store) -> None:
    def held(r: Report, prior: list[PriorReport]) -> Plan:
        return Plan(outbox=[OutboxRow(ForwardJob(), r.tracking_id, "held")], throttled=True)

    before = time.time()
    a = (await file(store, report("satu"), "k1")).tracking_id  # forward + ack
    b = (await file(store, report("dua", phone="081299998888"), "k2", planner=held)).tracking_id
    rows = {i.target: i for i in await store.due_outbox(later(), 10) if i.tracking_id == a}
    await store.finish_outbox(
        [OutboxOutcome(rows["core"].id, "retry", error="core 503", retry_at=later(60))]
    )
    await store.finish_outbox([OutboxOutcome(rows["sms.test"].id, "dead", error="rejected")])
    backlog = {t["target"]: t for t in await store.outbox_backlog()}
    assert sorted(backlog) == ["core", "sms.test"]
    core = backlog["core"]
    assert (core["pending"], core["retrying"], core["held"], core["dead"]) == (1, 1, 1, 0)
    assert core["oldest_pending_at"] is not None and core["oldest_pending_at"] >= before - 1
    sms = backlog["sms.test"]
    assert (sms["pending"], sms["held"], sms["dead"], sms["oldest_pending_at"]) == (0, 0, 1, None)
    retrying = await store.retrying_rows(10)
    assert [(r["id"], r["attempts"], r["last_error"]) for r in retrying] == [
        (rows["core"].id, 1, "core 503")
    ]
    held_reports = await store.held_reports(10)
    assert [(h.tracking_id, h.held_rows) for h in held_reports] == [(b, 1)]
    assert held_reports[0].report.reporter.phone == "+6281299998888"
    await store.release_held([b])
    assert await store.held_reports(10) == []


async def test_unknown_tracking_id_reads_as_nothing(store: Store) -> None:
    assert await store.get_report("NOPE") is None
    assert await store.status_view("NOPE") is None
    assert await store.outbox_rows("NOPE") == []
    assert await store.followups("NOPE") == []


# -- level-3 warm-up ---------------------------------------------------------------------------


async def test_dedup_rows_hold_forwarded_originals_of_the_window(store: Store) -> None:
    since = NOW - timedelta(days=1)
    await file(store, report("terlalu lama", at=NOW - timedelta(days=2)), "k0")
    first = await file(
        store, report("banjir di pasar", at=NOW - timedelta(hours=3), region="x"), "k1"
    )
    dup = await file(
        store,
        report("banjir di pasar", at=NOW - timedelta(hours=2)),
        "k2",
        planner=lambda r, prior: Plan(duplicate_of=first.tracking_id),
    )
    waiting = await file(store, report("jalan berlubang", at=NOW - timedelta(hours=1)), "k3")
    forwards = {
        i.tracking_id: i.id for i in await store.due_outbox(later(), 10) if i.kind == "forward"
    }
    await store.finish_outbox([OutboxOutcome(forwards[first.tracking_id], "done")])
    rows = await store.dedup_rows(since)
    assert [r[0] for r in rows] == [first.tracking_id]
    _, text, identities, received, region, category, address = rows[0]
    assert text == "banjir di pasar" and received == NOW - timedelta(hours=3)
    assert identities == ["phone:+6281234567890"]
    assert (region, category, address) == ("x", "jalan", "Jl. Merdeka 1")
    assert dup.tracking_id not in forwards and waiting.tracking_id in forwards

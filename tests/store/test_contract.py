"""The store contract: the behaviour behind every method of the store interfaces
(:mod:`gateway.store.interfaces`), run against every backend in ``conftest.BACKENDS``.

The tests use only the interfaces, never SQL, so a backend passes by behaving the same.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from gateway.adapter import IntakeResult, StoreUnavailableError
from gateway.store.base import CoreEvent, FileRequest, OutboxRow, Plan, PriorReport
from gateway.store.interfaces import ForwarderReader, Store
from normalizer import Channel, Location, PossibleDuplicate, ReplyAddress, Report, Reporter
from normalizer.tracking import new_tracking_id
from outbox.jobs import AckJob, ForwardJob, OutboxOutcome, StatusUpdateJob
from tests.store.conftest import Backend

PHONE = "081234567890"
REPLY = ReplyAddress(adapter="sms.test", address="+6281234567890")
NOW = datetime.now(UTC)


def report(
    text: str = "Lampu jalan mati di Jl. Merdeka",
    *,
    phone: str | None = PHONE,
    at: datetime | None = None,
    region: str | None = None,
    reply: bool = True,
) -> Report:
    return Report(
        channel=Channel.SMS,
        transport="test",
        text=text,
        received_at=at or datetime.now(UTC),
        reporter=Reporter(phone=phone),
        location=Location(address="Jl. Merdeka 1", region=region) if region else None,
        category="jalan",
        reply_to=ReplyAddress(adapter="sms.test", address="+6281234567890") if reply else None,
    )


def forward_and_ack(r: Report, prior: list[PriorReport]) -> Plan:
    """A plan like the pipeline's for a new report: forward to the core, ack the citizen."""
    tid = r.tracking_id
    rows = [OutboxRow(ForwardJob(), tid)]
    if r.reply_to is not None:
        rows.append(OutboxRow(AckJob(reply_to=r.reply_to, text=f"Diterima {tid}"), tid))
    return Plan(outbox=rows)


async def file(
    store: Store,
    r: Report,
    key: str,
    *,
    planner: Callable[[Report, list[PriorReport]], Plan] = forward_and_ack,
    body_hash: str | None = None,
    checkpoint: tuple[str, str] | None = None,
    since: datetime | None = None,
    new_id: Callable[[], str] = new_tracking_id,
) -> IntakeResult:
    return await store.file_report(
        FileRequest(
            report=r,
            inbound_key=key,
            body_hash=body_hash,
            checkpoint=checkpoint,
            dedup_since=since or datetime.now(UTC) - timedelta(hours=24),
            planner=planner,
            new_tracking_id=new_id,
        )
    )


def later(seconds: float = 1.0) -> float:
    return time.time() + seconds


# -- intake: filing and level-1 repeats ----------------------------------------------------


async def test_file_report_stores_report_history_and_plan_rows(store: Store) -> None:
    result = await file(store, report(), "sms:1")
    assert not result.repeat and result.status == "received" and result.duplicate_of is None
    found = await store.get_report(result.tracking_id)
    assert found is not None
    stored, status = found
    assert stored.tracking_id == result.tracking_id and stored.text.startswith("Lampu")
    assert status == "received"
    view = await store.status_view(result.tracking_id)
    assert view is not None and [h.status for h in view.history] == ["received"]
    assert view.channel == "sms" and view.category == "jalan"
    rows = await store.outbox_rows(result.tracking_id)
    assert [(r["kind"], r["target"], r["state"]) for r in rows] == [
        ("forward", "core", "pending"),
        ("ack", "sms.test", "pending"),
    ]
    assert result.tracking_id in rows[1]["payload"]


async def test_repeated_inbound_key_answers_as_first_time_and_writes_nothing(
    store: Store,
) -> None:
    first = await file(store, report(), "sms:1")
    await store.apply_event(
        CoreEvent(first.tracking_id, "in_progress", datetime.now(UTC)), lambda r, s: []
    )
    calls: list[str] = []

    def planner(r: Report, prior: list[PriorReport]) -> Plan:
        calls.append("planned")
        return forward_and_ack(r, prior)

    again = await file(store, report("teks lain sama sekali"), "sms:1", planner=planner)
    # the status it was filed with, not where the core has moved it since
    assert (again.repeat, again.tracking_id, again.status) == (True, first.tracking_id, "received")
    assert not again.conflict and calls == []
    assert len(await store.list_reports(None, 10)) == 1
    assert len(await store.outbox_rows(first.tracking_id)) == 2


async def test_body_hash_of_a_repeat_flags_a_conflict_only_when_it_differs(store: Store) -> None:
    await file(store, report(), "web:idem:k", body_hash="a")
    same = await file(store, report(), "web:idem:k", body_hash="a")
    other = await file(store, report(), "web:idem:k", body_hash="b")
    unhashed = await file(store, report(), "web:idem:k")
    assert same.repeat and not same.conflict
    assert other.repeat and other.conflict
    assert unhashed.repeat and not unhashed.conflict


async def test_planner_sees_the_same_reporters_reports_inside_the_window(store: Store) -> None:
    old = await file(store, report("laporan lama", at=NOW - timedelta(days=3)), "k-old")
    a = await file(store, report("laporan satu", at=NOW - timedelta(hours=2)), "k-a")
    b = await file(store, report("laporan dua", at=NOW - timedelta(hours=1)), "k-b")
    await file(store, report("orang lain", phone="081399999999"), "k-other")
    await file(store, report("tanpa identitas", phone=None), "k-anon")
    seen: list[list[PriorReport]] = []

    def planner(r: Report, prior: list[PriorReport]) -> Plan:
        seen.append(prior)
        return Plan()

    await file(store, report("laporan tiga"), "k-c", planner=planner)
    (prior,) = seen
    assert [p.tracking_id for p in prior] == [a.tracking_id, b.tracking_id]
    assert old.tracking_id not in {p.tracking_id for p in prior}
    assert prior[0].text == "laporan satu" and prior[0].duplicate_of is None
    assert prior[0].received_at == NOW - timedelta(hours=2)
    assert not prior[0].anonymous and not prior[0].confidential


async def test_plan_decisions_are_stored_with_the_report(store: Store) -> None:
    first = await file(store, report("jalan rusak parah"), "k1")
    possible = PossibleDuplicate(tracking_id=first.tracking_id, score=0.8, evidence=["text"])

    def duplicate(r: Report, prior: list[PriorReport]) -> Plan:
        return Plan(status="duplicate", duplicate_of=prior[0].tracking_id, throttled=True)

    def maybe(r: Report, prior: list[PriorReport]) -> Plan:
        return Plan(possible_duplicate_of=possible)

    dup = await file(store, report("jalan rusak parah"), "k2", planner=duplicate)
    new = await file(store, report("jalan rusak sekali"), "k3", planner=maybe)
    assert (dup.status, dup.duplicate_of) == ("duplicate", first.tracking_id)
    found = await store.get_report(dup.tracking_id)
    assert found is not None and found[1] == "duplicate"
    assert found[0].duplicate_of == first.tracking_id and found[0].throttled
    found = await store.get_report(new.tracking_id)
    assert found is not None and found[0].possible_duplicate_of == possible
    listed = {r["tracking_id"]: r for r in await store.list_reports(None, 10)}
    assert listed[dup.tracking_id]["duplicate_of"] == first.tracking_id
    assert listed[dup.tracking_id]["throttled"] and not listed[new.tracking_id]["throttled"]


async def test_checkpoint_commits_with_the_report(store: Store) -> None:
    await file(store, report(), "x:1", checkpoint=("x.since_id", "99"))
    assert await store.get_checkpoint("x.since_id") == "99"


async def test_tracking_id_collision_draws_again(store: Store) -> None:
    taken, fresh = new_tracking_id(), new_tracking_id()
    draws = iter([taken, taken, fresh])
    first = await file(store, report(), "a", new_id=lambda: next(draws))
    second = await file(store, report("laporan lain"), "b", new_id=lambda: next(draws))
    assert (first.tracking_id, second.tracking_id) == (taken, fresh)


async def test_concurrent_filings_each_get_their_own_tracking_id(store: Store) -> None:
    results = await asyncio.gather(
        *(file(store, report(f"laporan nomor {i}", phone=None), f"k{i}") for i in range(50))
    )
    assert len({r.tracking_id for r in results}) == 50
    assert len(await store.list_reports(None, 100)) == 50


async def test_inbound_key_age(store: Store) -> None:
    assert await store.inbound_key_age("sms:1") is None
    await file(store, report(), "sms:1")
    age = await store.inbound_key_age("sms:1")
    assert age is not None and 0.0 <= age < 60


# -- intake: answers, follow-ups, opt-outs, receipts ---------------------------------------


async def test_answer_once_queues_rows_once_per_key(store: Store) -> None:
    row = OutboxRow(AckJob(reply_to=REPLY, text="Status: diproses", kind="status"))
    assert await store.answer_once("sms:q1", [row], None)
    assert not await store.answer_once("sms:q1", [row], None)
    due = await store.due_outbox(later(), 10)
    assert [(i.kind, i.target, i.job) for i in due] == [("ack", "sms.test", row.job)]
    assert await store.inbound_key_age("sms:q1") is not None


async def test_opt_out_is_recorded_and_cleared_once_per_key(store: Store) -> None:
    me = "phone:+6281234567890"
    assert not await store.is_opted_out([me])
    assert await store.answer_once("sms:stop", [], (me, True))
    assert await store.is_opted_out(["x:1", me]) and not await store.is_opted_out(["x:1"])
    assert not await store.is_opted_out([])
    assert not await store.answer_once("sms:stop", [], (me, False))  # a repeat: no change
    assert await store.is_opted_out([me])
    assert await store.answer_once("sms:start", [], (me, False))
    assert not await store.is_opted_out([me])


async def test_followups_attach_once_per_key_in_order(store: Store) -> None:
    tid = (await file(store, report(), "k1")).tracking_id
    assert await store.add_followup(tid, "x:r1", "fotonya menyusul")
    assert not await store.add_followup(tid, "x:r1", "fotonya menyusul")
    assert await store.add_followup(tid, "x:r2", "sudah dua hari")
    assert await store.followups(tid) == ["fotonya menyusul", "sudah dua hari"]
    with pytest.raises(KeyError):
        await store.add_followup("UNKNOWN", "x:r3", "?")
    assert await store.inbound_key_age("x:r3") is None  # nothing claimed


async def test_delivery_receipt_marks_the_ack_sent_under_that_message_id(store: Store) -> None:
    tid = (await file(store, report(), "k1")).tracking_id
    ack = next(i for i in await store.due_outbox(later(), 10) if i.kind == "ack")
    await store.finish_outbox([OutboxOutcome(ack.id, "done", message_id="smsc-7")])
    assert not await store.delivery_receipt("sms.other", "smsc-7", "DELIVRD")
    assert not await store.delivery_receipt("sms.test", "smsc-8", "DELIVRD")
    assert await store.delivery_receipt("sms.test", "smsc-7", "DELIVRD")
    row = next(r for r in await store.outbox_rows(tid) if r["id"] == ack.id)
    assert (row["message_id"], row["delivery_state"]) == ("smsc-7", "DELIVRD")


# -- status events from the core -----------------------------------------------------------


async def test_status_events_apply_once_and_only_the_newest_is_current(store: Store) -> None:
    r = report(at=NOW - timedelta(hours=3))
    tid = (await file(store, r, "k1")).tracking_id
    notified: list[str] = []

    def rows(rep: Report, status: str) -> list[OutboxRow]:
        notified.append(status)
        update = StatusUpdateJob(reply_to=REPLY, text=status, data={"status": status})
        return [OutboxRow(update, rep.tracking_id)]

    unknown = await store.apply_event(CoreEvent("NOPE", "closed", NOW), rows)
    assert (unknown.known, unknown.applied, unknown.current) == (False, False, False)
    newest = await store.apply_event(
        CoreEvent(tid, "in_progress", NOW - timedelta(hours=1), note="ke dinas", agency="PU"),
        rows,
    )
    assert (newest.known, newest.applied, newest.current) == (True, True, True)
    repeat = await store.apply_event(CoreEvent(tid, "in_progress", NOW - timedelta(hours=1)), rows)
    assert (repeat.applied, repeat.current) == (False, False)
    # an older event in +07:00 (its local time reads later than the newest's UTC): it
    # still sorts before it in the history
    wib = NOW.astimezone(timezone(timedelta(hours=7)))
    older = await store.apply_event(CoreEvent(tid, "verified", wib - timedelta(hours=2)), rows)
    assert (older.applied, older.current) == (True, False)
    assert notified == ["in_progress"]
    found = await store.get_report(tid)
    assert found is not None and found[1] == "in_progress"
    view = await store.status_view(tid)
    assert view is not None and view.agency == "PU" and view.status == "in_progress"
    assert [(h.status, h.note) for h in view.history] == [
        ("received", None),
        ("verified", None),
        ("in_progress", "ke dinas"),
    ]
    assert [r["kind"] for r in await store.outbox_rows(tid)] == ["forward", "ack", "ack"]


async def test_events_with_their_own_keys_are_distinct(store: Store) -> None:
    tid = (await file(store, report(), "k1")).tracking_id
    at = datetime.now(UTC)
    one = await store.apply_event(CoreEvent(tid, "closed", at, event_key="e1"), lambda r, s: [])
    two = await store.apply_event(CoreEvent(tid, "closed", at, event_key="e2"), lambda r, s: [])
    again = await store.apply_event(CoreEvent(tid, "closed", at, event_key="e1"), lambda r, s: [])
    assert one.applied and two.applied and not again.applied


# -- per-adapter state ---------------------------------------------------------------------


async def test_fragments_complete_in_any_order_and_absorb_repeats(store: Store) -> None:
    assert await store.store_fragment("g", 2, 3, b"b", {"n": 2}) is None
    assert await store.store_fragment("g", 2, 3, b"b", {"n": 2}) is None
    assert await store.store_fragment("g", 3, 3, b"c", {}) is None
    parts = await store.store_fragment("g", 1, 3, b"a", {"from": "+62"})
    assert parts is not None
    assert [(p.part, p.data, p.meta) for p in parts] == [
        (1, b"a", {"from": "+62"}),
        (2, b"b", {"n": 2}),
        (3, b"c", {}),
    ]


async def test_expired_fragment_groups_and_drop(store: Store) -> None:
    await store.store_fragment("g1", 1, 2, b"\x00\xff", {"k": "v"})
    await store.store_fragment("g2", 2, 3, b"y", {})
    assert await store.expired_fragment_groups(3600) == {}
    await asyncio.sleep(0.01)
    groups = await store.expired_fragment_groups(0.001)
    assert sorted(groups) == ["g1", "g2"]
    assert [(p.part, p.data, p.meta) for p in groups["g1"]] == [(1, b"\x00\xff", {"k": "v"})]
    await store.drop_fragments("g1")
    assert sorted(await store.expired_fragment_groups(0.001)) == ["g2"]
    await store.drop_fragments("never-stored")


async def test_checkpoints_set_and_overwrite(store: Store) -> None:
    assert await store.get_checkpoint("x.mentions.since_id") is None
    await store.set_checkpoint("x.mentions.since_id", "10")
    await store.set_checkpoint("x.mentions.since_id", "12")
    await store.set_checkpoint("x.dms.since_id", "3")
    assert await store.get_checkpoint("x.mentions.since_id") == "12"
    assert await store.get_checkpoint("x.dms.since_id") == "3"


# -- outbox ---------------------------------------------------------------------------------


async def test_due_rows_oldest_first_with_limit_and_target_filters(store: Store) -> None:
    a = (await file(store, report("satu"), "k1")).tracking_id
    b = (await file(store, report("dua", reply=False), "k2")).tracking_id
    due = await store.due_outbox(later(), 10)
    assert [(i.kind, i.tracking_id) for i in due] == [("forward", a), ("ack", a), ("forward", b)]
    assert [i.id for i in due] == sorted(i.id for i in due)
    assert all(i.attempts == 0 and i.created_at <= time.time() for i in due)
    assert len(await store.due_outbox(later(), 2)) == 2
    assert {i.kind for i in await store.due_outbox(later(), 10, frozenset({"core"}))} == {"ack"}
    only = await store.due_outbox(later(), 10, only_targets=frozenset({"core"}))
    assert [i.tracking_id for i in only] == [a, b]
    assert await store.due_outbox(later(), 10, only_targets=frozenset()) == []


async def test_rows_bound_for_the_core_carry_the_report(store: Store) -> None:
    tid = (await file(store, report(), "k1")).tracking_id
    due = {i.kind: i for i in await store.due_outbox(later(), 10)}
    assert due["forward"].report_json is not None and due["ack"].report_json is None
    carried = Report.model_validate_json(due["forward"].report_json)
    assert carried.tracking_id == tid and carried.reporter.phone == "+6281234567890"


async def test_retry_defer_done_and_dead(store: Store) -> None:
    for n in range(4):
        await file(store, report(f"laporan {n}", reply=False), f"k{n}")
    rows = await store.due_outbox(later(), 10)
    retry, defer, done, dead = (i.id for i in rows)
    soon = time.time() + 30
    await store.finish_outbox(
        [
            OutboxOutcome(retry, "retry", error="503", retry_at=soon),
            OutboxOutcome(defer, "deferred", error="throttled", retry_at=soon),
            OutboxOutcome(done, "done", core_case_id="CASE-9"),
            OutboxOutcome(dead, "dead", error="400 bad report"),
        ]
    )
    assert await store.due_outbox(time.time(), 10) == []
    again = {i.id: i for i in await store.due_outbox(soon, 10)}
    assert sorted(again) == sorted([retry, defer])
    assert (again[retry].attempts, again[defer].attempts) == (1, 0)  # a deferral is free
    assert await store.outbox_depth() == {"pending": 2, "done": 1, "dead": 1}
    (letter,) = await store.dead_letters(10)
    assert (letter["id"], letter["kind"], letter["target"]) == (dead, "forward", "core")
    assert (letter["attempts"], letter["last_error"]) == (1, "400 bad report")
    listed = {r["core_case_id"] for r in await store.list_reports(None, 10)}
    assert "CASE-9" in listed
    await store.finish_outbox([])


async def test_backlog_counts_waiting_rows_by_target_and_state_with_the_oldest(
    store: Store,
) -> None:
    before = time.time()
    for n in range(3):
        await file(store, report(f"laporan {n}"), f"k{n}")
    after = time.time()
    rows = await store.due_outbox(later(), 10)
    forwards = [i.id for i in rows if i.target == "core"]
    acks = [i.id for i in rows if i.target == "sms.test"]
    await store.finish_outbox(
        [OutboxOutcome(forwards[0], "dead", error="400"), OutboxOutcome(acks[0], "done")]
    )
    backlog = {b["target"]: b for b in await store.outbox_backlog()}
    assert {t: (b["pending"], b["held"], b["dead"]) for t, b in backlog.items()} == {
        "core": (2, 0, 1),
        "sms.test": (2, 0, 0),
    }
    assert all(
        b["oldest_pending_at"] is not None and before <= b["oldest_pending_at"] <= after
        for b in backlog.values()
    )
    await store.finish_outbox([OutboxOutcome(i, "done") for i in forwards[1:] + acks[1:]])
    left = await store.outbox_backlog()
    assert [(b["target"], b["pending"], b["dead"], b["oldest_pending_at"]) for b in left] == [
        ("core", 0, 1, None)
    ]


async def test_done_forward_stores_level3_links_with_the_report(store: Store) -> None:
    other = (await file(store, report("lampu mati"), "k0")).tracking_id
    tid = (await file(store, report("lampu padam", phone="081311111111"), "k1")).tracking_id
    fwd = next(i for i in await store.due_outbox(later(), 10) if i.tracking_id == tid)
    links = [{"tracking_id": other, "score": 0.9}]
    await store.finish_outbox([OutboxOutcome(fwd.id, "done", similar_to=links)])
    found = await store.get_report(tid)
    assert found is not None
    assert [(s.tracking_id, s.score) for s in found[0].similar_to] == [(other, 0.9)]


async def test_replay_brings_dead_letters_back_fresh(store: Store) -> None:
    for n in range(3):
        await file(store, report(f"laporan {n}", reply=False), f"k{n}")
    ids = [i.id for i in await store.due_outbox(later(), 10)]
    await store.finish_outbox([OutboxOutcome(i, "dead", error="x") for i in ids])
    assert await store.outbox_states([ids[0], 999_999]) == {ids[0]: "dead"}
    assert await store.outbox_states([]) == {}
    assert await store.replay([ids[0], 999_999]) == 1
    assert [(i.id, i.attempts) for i in await store.due_outbox(later(), 10)] == [(ids[0], 0)]
    assert await store.replay([ids[0]]) == 0  # not dead any more
    assert await store.outbox_states([ids[0]]) == {ids[0]: "pending"}
    assert await store.replay(None) == 2
    assert await store.dead_letters(10) == []
    assert len(await store.due_outbox(later(), 10)) == 3


async def test_held_rows_wait_until_released(store: Store) -> None:
    def held(r: Report, prior: list[PriorReport]) -> Plan:
        tid = r.tracking_id
        return Plan(outbox=[OutboxRow(ForwardJob(), tid, "held")], throttled=True)

    a = (await file(store, report("satu"), "k1", planner=held)).tracking_id
    b = (await file(store, report("dua"), "k2", planner=held)).tracking_id
    c = (await file(store, report("tiga"), "k3", planner=held)).tracking_id
    assert await store.due_outbox(later(), 10) == []
    assert await store.outbox_depth() == {"held": 3}
    assert await store.release_held([a]) == 1
    assert [i.tracking_id for i in await store.due_outbox(later(), 10)] == [a]
    throttled = {r["tracking_id"]: r["throttled"] for r in await store.list_reports(None, 10)}
    assert not throttled[a] and throttled[b] and throttled[c]
    assert await store.release_held(None) == 2
    assert [i.tracking_id for i in await store.due_outbox(later(), 10)] == [a, b, c]
    assert not any(r["throttled"] for r in await store.list_reports(None, 10))
    assert await store.release_held(None) == 0


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


# -- lifecycle and the forwarder's reader ------------------------------------------------------


async def test_committed_data_survives_a_restart(backend: Backend, store: Store) -> None:
    tid = (await file(store, report(), "k1")).tracking_id
    await store.set_checkpoint("x.since_id", "5")
    await store.close()
    again = backend.new_store()
    await again.open()
    try:
        assert await again.get_report(tid) is not None
        assert await again.get_checkpoint("x.since_id") == "5"
        assert (await file(again, report(), "k1")).repeat
        assert await again.healthy()
    finally:
        await again.close()


async def test_closed_store_raises_store_unavailable(store: Store) -> None:
    assert await store.healthy()
    await store.close()
    with pytest.raises(StoreUnavailableError):
        await store.set_checkpoint("a", "b")
    with pytest.raises(StoreUnavailableError):
        await store.get_checkpoint("a")
    await store.close()  # idempotent


async def test_forwarder_reader_sees_what_the_store_committed(
    store: Store, reader: ForwarderReader
) -> None:
    tid = (await file(store, report("pohon tumbang"), "k1")).tracking_id
    due = await reader.due_outbox(later(), 10, only_targets=frozenset({"core"}))
    assert [(i.kind, i.tracking_id) for i in due] == [("forward", tid)]
    assert due[0].report_json is not None
    found = await reader.get_report(tid)
    assert found is not None and found[0].text == "pohon tumbang"
    assert await reader.status_view(tid) is not None
    await store.finish_outbox([OutboxOutcome(due[0].id, "done")])
    assert [r[0] for r in await reader.dedup_rows(NOW - timedelta(days=1))] == [tid]


# -- outbox claims (several instances on one database) ----------------------------------------


async def test_two_claimers_never_get_the_same_row(backend: Backend, store: Store) -> None:
    for n in range(30):
        await file(store, report(f"laporan {n}", phone=None), f"k{n}")  # 60 rows
    other = backend.new_store()  # a second instance: its own connections
    await other.open()
    try:
        now = later()
        got: dict[str, list[int]] = {"a": [], "b": []}

        async def claim(name: str, s: Store) -> None:
            while batch := await s.claim_outbox(name, now, 4, lease_s=60):
                got[name] += [i.id for i in batch]

        await asyncio.gather(claim("a", store), claim("b", other), claim("a", store))
    finally:
        await other.close()
    every = got["a"] + got["b"]
    assert len(every) == len(set(every)) == 60
    assert await store.claim_outbox("c", now, 10, lease_s=60) == []  # all held


async def test_claimed_rows_carry_what_due_rows_carry_and_honour_filters(store: Store) -> None:
    tid = (await file(store, report(), "k1")).tracking_id
    acks = await store.claim_outbox("a", later(), 10, 60, exclude_targets=frozenset({"core"}))
    assert [(i.kind, i.tracking_id, i.report_json) for i in acks] == [("ack", tid, None)]
    (fwd,) = await store.claim_outbox("b", later(), 10, 60, only_targets=frozenset({"core"}))
    assert fwd.kind == "forward" and fwd.report_json is not None and fwd.attempts == 0
    assert await store.claim_outbox("c", later(), 10, 60, only_targets=frozenset()) == []


async def test_an_expired_lease_is_taken_over(store: Store) -> None:
    await file(store, report(reply=False), "k1")
    now = later()
    (first,) = await store.claim_outbox("dead-instance", now, 10, lease_s=30)
    assert await store.claim_outbox("b", now + 29, 10, lease_s=30) == []
    (taken,) = await store.claim_outbox("b", now + 30, 10, lease_s=30)
    assert taken.id == first.id
    assert await store.claim_outbox("a", now + 31, 10, lease_s=30) == []  # b holds it now


async def test_an_outcome_ends_the_claim(store: Store) -> None:
    await file(store, report(reply=False), "k1")
    now = later()
    (item,) = await store.claim_outbox("a", now, 10, lease_s=3600)
    retry_at = now + 5
    await store.finish_outbox([OutboxOutcome(item.id, "retry", error="503", retry_at=retry_at)])
    (again,) = await store.claim_outbox("b", retry_at, 10, lease_s=3600)  # not held an hour
    assert again.id == item.id and again.attempts == 1
    await store.finish_outbox([OutboxOutcome(item.id, "done")])
    assert await store.claim_outbox("c", retry_at + 7200, 10, lease_s=60) == []


async def test_unclaimed_rows_are_due_again_at_once_for_anyone(store: Store) -> None:
    for n in range(3):
        await file(store, report(f"laporan {n}", reply=False), f"k{n}")
    now = later()
    a, b, c = await store.claim_outbox("a", now, 10, lease_s=3600)
    await store.unclaim_outbox("a", [a.id, b.id])
    await store.unclaim_outbox("b", [c.id])  # not b's claim: left alone
    again = await store.claim_outbox("b", now, 10, lease_s=3600)
    assert [i.id for i in again] == [a.id, b.id] and again[0].attempts == 0


# -- leader leases ---------------------------------------------------------------------------


async def test_a_lease_is_acquired_renewed_and_released_by_its_holder(store: Store) -> None:
    assert await store.acquire_lease("x-pollers", "a", ttl_s=10)
    assert await store.acquire_lease("x-pollers", "a", ttl_s=10)  # its own: extended
    assert await store.renew_lease("x-pollers", "a", ttl_s=10)
    await store.release_lease("x-pollers", "a")
    assert await store.acquire_lease("x-pollers", "b", ttl_s=10)  # free again at once
    await store.release_lease("x-pollers", "nobody")  # not the holder: nothing happens
    await store.release_lease("never-held", "a")


async def test_parts_filed_at_once_through_two_handles_complete_once(
    backend: Backend, store: Store
) -> None:
    """The last two parts of a message arrive on two instances at the same moment: exactly
    one of them completes the message."""
    other = backend.new_store()
    await other.open()
    try:
        groups = [f"g{n}" for n in range(20)]
        done = await asyncio.gather(
            *(
                s.store_fragment(g, part, 2, b"x", {})
                for g in groups
                for s, part in ((store, 1), (other, 2))
            )
        )
    finally:
        await other.close()
    completed = [parts is not None for parts in done]
    assert [sum(completed[2 * n : 2 * n + 2]) for n in range(len(groups))] == [1] * len(groups)


async def test_nul_characters_from_a_transport_never_block_a_filing(store: Store) -> None:
    """A NUL in what a transport sent (a raw payload, a follow-up, a core's note) is stored
    like any other character or as U+FFFD: the message is filed, never refused for ever."""
    r = report("lampu mati").model_copy(update={"raw": {"pdu": "ab\x00cd", "ok": "\\u0000"}})
    tid = (await file(store, r, "sms:\x00nul")).tracking_id
    found = await store.get_report(tid)
    assert found is not None
    assert found[0].raw["pdu"] in ("ab\x00cd", "ab\ufffdcd") and found[0].raw["ok"] == "\\u0000"
    assert (await file(store, r, "sms:\x00nul")).repeat
    assert await store.add_followup(tid, "sms:f\x00", "foto\x00nya")
    assert [t.replace("\ufffd", "\x00") for t in await store.followups(tid)] == ["foto\x00nya"]
    event = CoreEvent(tid, "in_progress", datetime.now(UTC), note="ke\x00dinas")
    assert (await store.apply_event(event, lambda rep, s: [])).applied
    await store.set_checkpoint("x.since_id", "1\x002")
    assert await store.get_checkpoint("x.since_id") in ("1\x002", "1\ufffd2")

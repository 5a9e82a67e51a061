"""The store contract: the behaviour behind every method of the store interfaces
(:mod:`gateway.store.interfaces`), run against every backend in ``conftest.BACKENDS``.

The tests use only the interfaces, never SQL, so a backend passes by behaving the same.
This file: intake, answers, status events, per-adapter state, lifecycle. The outbox is in
``test_contract_outbox.py``, the operators' and the core's reads in ``test_contract_reads.py``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from gateway.adapter import StoreUnavailableError
from gateway.store.base import CoreEvent, OutboxRow, Plan, PriorReport
from gateway.store.interfaces import ForwarderReader, Store
from normalizer import PossibleDuplicate, Report
from normalizer.tracking import new_tracking_id
from outbox.jobs import AckJob, OutboxOutcome, StatusUpdateJob
from tests.store.conftest import Backend
from tests.store.contract_data import NOW, REPLY, file, forward_and_ack, later, report

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

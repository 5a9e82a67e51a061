"""The store contract, outbox part: due rows, outcomes, replay, flood holds, claims by
several instances and leader leases, on every backend of ``conftest.BACKENDS``."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from gateway.store.base import CoreEvent, OutboxRow, Plan, PriorReport
from gateway.store.interfaces import Store
from normalizer import Report
from outbox.jobs import ForwardJob, OutboxOutcome
from tests.store.conftest import Backend
from tests.store.contract_data import file, later, report

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

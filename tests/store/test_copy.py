"""``lapor-gateway store migrate``: a SQLite deployment moved into PostgreSQL, checked
through the store interfaces of the destination, and safe to run again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.store.base import CoreEvent, OutboxRow
from gateway.store.interfaces import Store
from gateway.store.postgres import PostgresStore
from gateway.store.sqlite import SqliteStore
from outbox.jobs import AckJob, OutboxOutcome, StatusUpdateJob
from tests.pg import PgCluster
from tests.store.contract_data import REPLY, file, later, report


async def fill(store: Store) -> dict[str, str]:
    """A little of everything a deployment holds."""
    a = (
        await file(
            store, report("lampu jalan mati", at=datetime.now(UTC) - timedelta(hours=2)), "sms:1"
        )
    ).tracking_id
    b = (
        await file(store, report("jalan berlubang", phone="081399999999"), "web:2", body_hash="h")
    ).tracking_id

    def notify(r: object, status: str) -> list[OutboxRow]:
        return [OutboxRow(StatusUpdateJob(reply_to=REPLY, text=status, data={}), a)]

    await store.apply_event(CoreEvent(a, "in_progress", datetime.now(UTC), note="ke dinas"), notify)
    await store.add_followup(a, "sms:3", "fotonya menyusul")
    await store.answer_once(
        "sms:stop", [OutboxRow(AckJob(reply_to=REPLY, text="ok"))], ("phone:+6281234567890", True)
    )
    due = await store.due_outbox(later(), 10)
    await store.finish_outbox(
        [
            OutboxOutcome(due[0].id, "done", core_case_id="CASE-1"),
            OutboxOutcome(due[1].id, "dead", error="400"),
        ]
    )
    await store.set_checkpoint("x.mentions.since_id", "1234")
    await store.store_fragment("smpp:ref7", 1, 2, b"\x00bagian", {"from": "+62"})
    await store.embedded_core_receive(a, {"text": "lampu"})
    await store.embedded_core_addendum(a, {"addendum_to": a})
    return {"a": a, "b": b}


def test_a_sqlite_deployment_moves_to_postgresql_and_a_rerun_changes_nothing(
    tmp_path: Path, pg_cluster: PgCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "lapor.db"
    dsn = pg_cluster.new_database()

    async def before() -> tuple[dict[str, str], dict[str, object]]:
        s = SqliteStore(db)
        await s.open()
        try:
            ids = await fill(s)
            return ids, await snapshot(s, ids)
        finally:
            await s.close()

    ids, expected = asyncio.run(before())
    argv = ["store", "migrate", "--from", f"sqlite:///{db}", "--to", dsn]
    assert main(argv) == 0
    first = capsys.readouterr().out
    assert "reports: 2 rows verified (2 copied now)" in first
    assert "outbox: 6 rows verified (6 copied now)" in first
    assert main(argv) == 0  # again: nothing doubled
    assert "reports: 2 rows verified (0 copied now)" in capsys.readouterr().out

    async def after() -> None:
        s = PostgresStore(dsn)
        await s.open()
        try:
            assert await snapshot(s, ids) == expected
            again = await file(s, report("teks lain"), "sms:1")  # level 1 remembered
            assert again.repeat and again.tracking_id == ids["a"]
            seen: list[list[str]] = []

            def planner(r: object, prior: list) -> object:  # level 2 sees the old reports
                from tests.store.contract_data import forward_and_ack

                seen.append([p.tracking_id for p in prior])
                return forward_and_ack(r, prior)  # type: ignore[arg-type]

            new = await file(s, report("lampu jalan mati lagi"), "sms:9", planner=planner)  # type: ignore[arg-type]
            assert seen == [[ids["a"]]]
            rows = await s.outbox_rows(new.tracking_id)  # ids continue past the copied ones
            assert min(r["id"] for r in rows) > 6
        finally:
            await s.close()

    asyncio.run(after())


async def snapshot(s: Store, ids: dict[str, str]) -> dict[str, object]:
    view = await s.status_view(ids["a"])
    assert view is not None
    return {
        "reports": [
            (r["tracking_id"], r["status"], r["core_case_id"], r["received_at"][:19])
            for r in await s.list_reports(None, 10)
        ],
        "history": [(h.status, h.note) for h in view.history],
        "outbox": {
            t: [
                (r["id"], r["kind"], r["state"], r["attempts"], r["payload"])
                for r in await s.outbox_rows(t)
            ]
            for t in ids.values()
        },
        "depth": await s.outbox_depth(),
        "followups": await s.followups(ids["a"]),
        "opted_out": await s.is_opted_out(["phone:+6281234567890"]),
        "checkpoint": await s.get_checkpoint("x.mentions.since_id"),
        "fragments": [
            (g, [(p.part, p.data, p.meta) for p in ps])
            for g, ps in (await s.expired_fragment_groups(-60)).items()
        ],
        "cases": sorted((c["tracking_id"], c["case_id"]) for c in await s.core_cases()),
        "key_age": (await s.inbound_key_age("web:2")) is not None,
    }


@pytest.mark.parametrize(
    ("source", "target", "code", "says"),
    [
        pytest.param(
            "sqlite:///{tmp}/none.db", "DSN", 1, "no such database file", id="missing-file"
        ),
        pytest.param("postgresql://h/db", "DSN", 2, "--from sqlite:///PATH", id="swapped"),
        pytest.param(
            "sqlite:///{tmp}/x.db", "mysql://h/db", 2, "sqlite:///PATH (one instance)", id="bad-url"
        ),
    ],
)
def test_wrong_arguments_are_refused_with_the_reason(
    tmp_path: Path,
    pg_cluster: PgCluster,
    capsys: pytest.CaptureFixture[str],
    source: str,
    target: str,
    code: int,
    says: str,
) -> None:
    target = pg_cluster.dsn() if target == "DSN" else target
    assert main(["store", "migrate", "--from", source.format(tmp=tmp_path), "--to", target]) == code
    assert says in capsys.readouterr().err

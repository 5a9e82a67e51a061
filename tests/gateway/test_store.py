"""The SQLite store: atomic filing, level-1 dedup, group commit, migrations."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from gateway.pipeline import Pipeline
from gateway.store.schema import LATEST
from gateway.store.sqlite import SqliteStore
from normalizer import Channel, ReplyAddress, Report, Reporter


def _report(
    text: str = "Lampu jalan mati di Jl. Merdeka", phone: str | None = "081234567890"
) -> Report:
    return Report(
        channel=Channel.SMS,
        transport="test",
        text=text,
        reporter=Reporter(phone=phone),
        reply_to=ReplyAddress(adapter="sms.test", address="+6281234567890"),
    )


async def test_submit_writes_report_key_and_outbox_atomically(
    pipeline: Pipeline, store: SqliteStore
) -> None:
    result = await pipeline.submit(_report(), inbound_key="sms:test:1")
    assert not result.repeat and result.status == "received"
    rows = await store.outbox_rows(result.tracking_id)
    assert sorted(r["kind"] for r in rows) == ["ack", "forward"]
    ack = next(r for r in rows if r["kind"] == "ack")
    assert "CEK" in ack["payload"] and result.tracking_id[:4] in ack["payload"]


async def test_repeat_inbound_key_returns_original_and_creates_nothing(
    pipeline: Pipeline, store: SqliteStore
) -> None:
    first = await pipeline.submit(_report(), inbound_key="sms:test:1")
    again = await pipeline.submit(_report("another text entirely"), inbound_key="sms:test:1")
    assert again.repeat and again.tracking_id == first.tracking_id
    assert len(await store.list_reports(None, 10)) == 1
    assert len(await store.outbox_rows(first.tracking_id)) == 2


async def test_body_hash_conflict_flagged(pipeline: Pipeline) -> None:
    await pipeline.submit(_report(), inbound_key="web:idem:k", body_hash="a")
    again = await pipeline.submit(_report(), inbound_key="web:idem:k", body_hash="b")
    assert again.repeat and again.conflict


async def test_concurrent_writes_are_group_committed(
    pipeline: Pipeline, store: SqliteStore
) -> None:
    results = await asyncio.gather(
        *(
            pipeline.submit(_report(f"laporan nomor {i}", phone=None), inbound_key=f"k{i}")
            for i in range(300)
        )
    )
    assert len({r.tracking_id for r in results}) == 300
    assert store.batches < 300  # many submits shared a commit


async def test_one_failing_operation_does_not_spoil_its_batch(store: SqliteStore) -> None:
    def boom(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO checkpoints (name, value, updated_at) VALUES ('x', 'y', 0)")
        raise ValueError("bad op")

    def good(c: sqlite3.Connection) -> str:
        c.execute("INSERT INTO checkpoints (name, value, updated_at) VALUES ('ok', '1', 0)")
        return "fine"

    results = await asyncio.gather(store.write(boom), store.write(good), return_exceptions=True)
    assert isinstance(results[0], ValueError) and results[1] == "fine"
    assert await store.get_checkpoint("x") is None  # rolled back to its savepoint
    assert await store.get_checkpoint("ok") == "1"


async def test_checkpoint_commits_with_the_report(pipeline: Pipeline, store: SqliteStore) -> None:
    await pipeline.submit(_report(), inbound_key="x:1", checkpoint=("x.since_id", "99"))
    assert await store.get_checkpoint("x.since_id") == "99"


async def test_fragments_complete_in_any_order_and_absorb_repeats(pipeline: Pipeline) -> None:
    assert await pipeline.store_fragment("g", 2, 3, b"b", {}) is None
    assert await pipeline.store_fragment("g", 2, 3, b"b", {}) is None
    assert await pipeline.store_fragment("g", 3, 3, b"c", {}) is None
    parts = await pipeline.store_fragment("g", 1, 3, b"a", {})
    assert parts is not None and [p.data for p in parts] == [b"a", b"b", b"c"]


async def test_migrations_record_version_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    s = SqliteStore(path)
    await s.open()
    await s.close()
    s2 = SqliteStore(path)
    await s2.open()
    await s2.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version FROM schema_version").fetchone()[0] == LATEST
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_closed_store_raises_store_unavailable(tmp_path: Path) -> None:
    from gateway.adapter import StoreUnavailableError

    s = SqliteStore(tmp_path / "c.db")
    await s.open()
    await s.close()
    try:
        await s.set_checkpoint("a", "b")
    except StoreUnavailableError:
        pass
    else:
        raise AssertionError("expected StoreUnavailableError")


async def test_tracking_id_collision_draws_again(store: SqliteStore, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from gateway.store import FileRequest, Plan
    from normalizer.tracking import new_tracking_id

    taken = new_tracking_id()
    fresh = new_tracking_id()
    draws = iter([taken, taken, fresh])

    def request(key: str, new_id: object) -> FileRequest:
        return FileRequest(
            report=_report(),
            inbound_key=key,
            body_hash=None,
            checkpoint=None,
            dedup_since=datetime.now(UTC),
            planner=lambda r, prior: Plan(),
            new_tracking_id=new_id,  # type: ignore[arg-type]
        )

    first = await store.file_report(request("a", lambda: next(draws)))
    second = await store.file_report(request("b", lambda: next(draws)))
    assert (first.tracking_id, second.tracking_id) == (taken, fresh)

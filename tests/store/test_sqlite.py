"""What only the SQLite backend has: group commit, savepoints per operation, migrations
and WAL, and the forwarder's read-only reader. The behaviour every backend shares is in
``test_contract*.py``."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.adapter import StoreUnavailableError
from gateway.pipeline import Pipeline
from gateway.store.reader import SqliteReader
from gateway.store.schema import LATEST
from gateway.store.sqlite import SqliteStore
from normalizer import Channel, ReplyAddress, Report, Reporter
from tests.conftest import make_config


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


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    s = SqliteStore(tmp_path / "lapor.db")
    await s.open()
    yield s
    await s.close()


@pytest.fixture
def sqlite_pipeline(tmp_path: Path, sqlite_store: SqliteStore) -> Pipeline:
    return Pipeline(sqlite_store, make_config(tmp_path))


async def test_submit_writes_report_key_and_outbox_atomically(
    sqlite_pipeline: Pipeline, sqlite_store: SqliteStore
) -> None:
    result = await sqlite_pipeline.submit(_report(), inbound_key="sms:test:1")
    assert not result.repeat and result.status == "received"
    rows = await sqlite_store.outbox_rows(result.tracking_id)
    assert sorted(r["kind"] for r in rows) == ["ack", "forward"]
    ack = next(r for r in rows if r["kind"] == "ack")
    assert "CEK" in ack["payload"] and result.tracking_id[:4] in ack["payload"]


async def test_concurrent_writes_are_group_committed(
    sqlite_pipeline: Pipeline, sqlite_store: SqliteStore
) -> None:
    results = await asyncio.gather(
        *(
            sqlite_pipeline.submit(_report(f"laporan nomor {i}", phone=None), inbound_key=f"k{i}")
            for i in range(300)
        )
    )
    assert len({r.tracking_id for r in results}) == 300
    assert sqlite_store.batches < 300  # many submits shared a commit


async def test_one_failing_operation_does_not_spoil_its_batch(sqlite_store: SqliteStore) -> None:
    def boom(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO checkpoints (name, value, updated_at) VALUES ('x', 'y', 0)")
        raise ValueError("bad op")

    def good(c: sqlite3.Connection) -> str:
        c.execute("INSERT INTO checkpoints (name, value, updated_at) VALUES ('ok', '1', 0)")
        return "fine"

    results = await asyncio.gather(
        sqlite_store.write(boom), sqlite_store.write(good), return_exceptions=True
    )
    assert isinstance(results[0], ValueError) and results[1] == "fine"
    assert await sqlite_store.get_checkpoint("x") is None  # rolled back to its savepoint
    assert await sqlite_store.get_checkpoint("ok") == "1"


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


async def test_reader_cannot_write_and_never_creates_or_migrates(
    tmp_path: Path, sqlite_store: SqliteStore
) -> None:
    """The forwarder's reader: a second writer on the file would contend with the intake."""
    reader = SqliteReader(sqlite_store.path)
    await reader.open()
    try:
        with pytest.raises(StoreUnavailableError, match="readonly"):
            await reader._read(
                "INSERT INTO checkpoints (name, value, updated_at) VALUES (?,?,0)", ("a", "b")
            )
        assert await reader.get_checkpoint("a") is None
    finally:
        await reader.close()
    missing = SqliteReader(tmp_path / "missing.db")
    with pytest.raises(sqlite3.OperationalError):
        await missing.open()
    assert not (tmp_path / "missing.db").exists()
    sqlite3.connect(tmp_path / "empty.db").close()
    empty = SqliteReader(tmp_path / "empty.db")
    await empty.open()
    try:
        with pytest.raises(StoreUnavailableError):  # no schema: nothing was migrated
            await empty.get_checkpoint("a")
    finally:
        await empty.close()


async def test_inbound_key_age_is_read_on_the_loop_without_a_thread_hop(
    sqlite_store: SqliteStore, sqlite_pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every SMS asks for one inbound key's age: a point read on the loop's own thread,
    not a trip through aiosqlite's thread (which costs more than the read)."""
    await sqlite_pipeline.submit(_report(), inbound_key="sms:age")

    async def no_thread_hop(sql: str, params: tuple[object, ...] = ()) -> list[object]:
        raise AssertionError("read through aiosqlite")

    monkeypatch.setattr(sqlite_store, "_read", no_thread_hop)
    age = await sqlite_store.inbound_key_age("sms:age")
    assert age is not None and 0.0 <= age < 60
    assert await sqlite_store.inbound_key_age("sms:other") is None


async def test_inbound_key_age_waits_through_aiosqlite_when_sqlite_is_busy(
    sqlite_store: SqliteStore, sqlite_pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The point read never waits for a lock on the loop: busy, it asks aiosqlite, which
    may wait (busy_timeout) off the loop."""
    await sqlite_pipeline.submit(_report(), inbound_key="sms:busy")

    class Busy:
        def execute(self, sql: str, params: tuple[object, ...]) -> None:
            raise sqlite3.OperationalError("database is locked")

        def close(self) -> None:
            pass

    monkeypatch.setattr(sqlite_store, "_point", Busy())
    age = await sqlite_store.inbound_key_age("sms:busy")
    assert age is not None and 0.0 <= age < 60
    assert await sqlite_store.inbound_key_age("sms:other") is None

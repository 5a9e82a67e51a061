"""The forwarder process's main while its level-3 index warms: it is alive for the main
process (heartbeats over the real socketpair) and it stops when the link closes, without
waiting for the warm-up to finish.

``run_forwarder`` runs in this process on a real SQLite file; only the warm-up is made slow
(a million stored reports would take half a minute to synthesize and load)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from gateway.forwarder import run_forwarder
from gateway.linker import Linker
from gateway.store.sqlite import SqliteStore
from outbox import link
from tests.conftest import make_config


async def test_heartbeats_while_warming_and_stops_when_the_link_closes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(tmp_path, {"core": {"url": "http://127.0.0.1:9/cases"}})
    store = SqliteStore(config.gateway.database_path)
    await store.open()  # the schema, as the main process would have made it
    await store.close()
    warming = asyncio.Event()

    async def slow_warm(self: Linker, store: SqliteStore) -> int:
        warming.set()
        await asyncio.sleep(60)
        return 0

    monkeypatch.setattr(Linker, "warm", slow_warm)
    main_end, forwarder_end = socket.socketpair()
    forwarder = asyncio.create_task(run_forwarder(config, forwarder_end.detach()))
    reader, writer = await asyncio.open_unix_connection(sock=main_end)
    await asyncio.wait_for(warming.wait(), 5)
    beat = link.decode(await asyncio.wait_for(reader.readline(), 5))
    assert isinstance(beat, link.Heartbeat) and beat.loop_at == 0.0  # relay not started yet
    writer.close()  # the main process stops (or dies)
    assert await asyncio.wait_for(forwarder, 5) == 0


async def test_a_failed_warm_up_exits_non_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(tmp_path, {"core": {"url": "http://127.0.0.1:9/cases"}})
    store = SqliteStore(config.gateway.database_path)
    await store.open()
    await store.close()

    async def broken_warm(self: Linker, store: SqliteStore) -> int:
        raise OSError("disk gone")

    monkeypatch.setattr(Linker, "warm", broken_warm)
    main_end, forwarder_end = socket.socketpair()
    try:
        code = await asyncio.wait_for(run_forwarder(config, forwarder_end.detach()), 5)
    finally:
        main_end.close()
    assert code == 1  # the main process restarts it with backoff


async def test_refuses_to_run_without_a_core_url(tmp_path: Path) -> None:
    """With the embedded case store forwarding is a write, which the forwarder's read-only
    reader cannot do: the main process forwards itself, and a forwarder started anyway
    exits at once, before touching the link or the database."""
    config = make_config(tmp_path)
    assert not config.core.url
    main_end, forwarder_end = socket.socketpair()
    with main_end, forwarder_end:
        assert await run_forwarder(config, forwarder_end.fileno()) == 2
    assert not config.gateway.database_path.exists()

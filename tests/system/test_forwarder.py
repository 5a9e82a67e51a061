"""The core forwarder process (``outbox.core_forwarder = "process"``) as operators run it:
the gateway started as a real process, a real local core case store, SQLite on disk.

Proves what the design promises (see gateway/forwarder.py): reports reach the core once,
the forwarder's attempts show in the gateway's /metrics and /readyz, a forwarder that dies
is restarted and catches up, a graceful stop leaves no row pending, and a SIGKILLed gateway
does not leave its forwarder running.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import aiohttp

from adapters import signing
from tests.adapters.sms.smsc_sim import free_port
from tests.fakes.core import FakeCore
from tests.system.gateway_process import GatewayProcess, live_processes
from tests.system.test_crash import SECRET, _write_config


def _forwarder_pid(gateway_pid: int) -> int | None:
    """The gateway's child running ``gateway.cli ... forwarder``."""
    found = live_processes("forwarder", parent=gateway_pid)
    return found[0] if found else None


def _alive(pid: int) -> bool:
    return pid in live_processes("gateway.cli")


async def _until(pred: Any, wait_s: float = 15.0) -> None:
    deadline = time.monotonic() + wait_s
    while not await pred():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def _file(session: aiohttp.ClientSession, port: int, text: str) -> str:
    body = json.dumps({"text": text}).encode()
    headers = {"Content-Type": "application/json", **signing.signed_headers(SECRET.encode(), body)}
    async with session.post(
        f"http://127.0.0.1:{port}/v1/web/reports", data=body, headers=headers
    ) as r:
        assert r.status == 201, await r.text()
        return str((await r.json())["tracking_id"])


async def _start_gateway(tmp_path: Path, fake_core: FakeCore) -> tuple[GatewayProcess, int]:
    """The gateway as a real process with its core forwarder process; (process, port)."""
    port = free_port()
    gateway = GatewayProcess(
        _write_config(tmp_path, fake_core.url, port, "process"), port, tmp_path / "gw.log"
    )
    await gateway.start()
    return gateway, port


async def _get(session: aiohttp.ClientSession, port: int, path: str) -> tuple[int, str]:
    async with session.get(f"http://127.0.0.1:{port}{path}") as r:
        return r.status, await r.text()


async def test_forwarder_delivers_once_reports_and_stops_cleanly(
    tmp_path: Path, fake_core: FakeCore
) -> None:
    gateway, port = await _start_gateway(tmp_path, fake_core)
    try:
        async with aiohttp.ClientSession() as session:
            ids = [await _file(session, port, f"Jalan rusak nomor {i}") for i in range(30)]

            async def all_forwarded() -> bool:
                return set(ids) <= set(fake_core.state.cases)

            await _until(all_forwarded)
            status, ready = await _get(session, port, "/readyz")
            relay = json.loads(ready)["relay"]
            assert status == 200 and relay["ok"] and relay["core_forwarder"] == "process"
            counted = (
                'lapor_outbox_attempts_total{kind="forward",result="done",target="core"} 30.0',
                "lapor_forward_seconds_count 30.0",
            )

            async def all_counted() -> bool:
                # the core has a case before the forwarder has read its answer and told
                # the main process: the counts follow a few milliseconds later
                _, metrics = await _get(session, port, "/metrics")
                return all(line in metrics for line in counted)

            await _until(all_counted, wait_s=5.0)
        assert gateway.proc is not None
        forwarder = _forwarder_pid(gateway.proc.pid)
        assert forwarder is not None
    finally:
        assert gateway.terminate() == 0
    assert not _alive(forwarder), "the forwarder outlived a graceful stop"
    keys = [r["key"] for r in fake_core.state.requests]
    assert sorted(keys) == sorted(ids), "each report forwarded exactly once"
    with sqlite3.connect(tmp_path / "lapor.db") as db:
        states = dict(db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())
    assert states == {"done": 30}, "every outcome was committed before the gateway stopped"


async def test_forwarder_links_similar_reports_and_the_gateway_stores_the_links(
    tmp_path: Path, fake_core: FakeCore
) -> None:
    """Level 3 runs in the forwarder: the core gets the links with the report, and the
    outcome the main process commits stores them with it."""
    db = tmp_path / "lapor.db"
    gateway, port = await _start_gateway(tmp_path, fake_core)
    try:
        async with aiohttp.ClientSession() as session:
            first = await _file(session, port, "Lampu jalan Cibiru Raya dekat masjid mati")
            other = await _file(session, port, "Air PDAM di Gg. Mawar tidak mengalir tiga hari")
            second = await _file(session, port, "lampu jalan cibiru raya dkt masjid gak nyala")

            async def stored() -> bool:
                with sqlite3.connect(db) as c:
                    row = c.execute(
                        "SELECT json_extract(body, '$.similar_to') FROM reports "
                        "WHERE tracking_id = ?",
                        (second,),
                    ).fetchone()
                return row is not None and json.loads(row[0]) != []

            await _until(stored)
    finally:
        assert gateway.terminate() == 0
    sent = fake_core.state.cases[second]
    assert [link["tracking_id"] for link in sent["similar_to"]] == [first]
    assert fake_core.state.cases[first]["similar_to"] == []
    assert fake_core.state.cases[other]["similar_to"] == []
    with sqlite3.connect(db) as c:
        body = json.loads(
            c.execute("SELECT body FROM reports WHERE tracking_id = ?", (second,)).fetchone()[0]
        )
    assert body["similar_to"] == sent["similar_to"]
    assert body["text"] == "lampu jalan cibiru raya dkt masjid gak nyala"  # the rest intact


async def test_dead_forwarder_is_restarted_and_a_killed_gateway_leaves_no_orphan(
    tmp_path: Path, fake_core: FakeCore
) -> None:
    gateway, port = await _start_gateway(tmp_path, fake_core)
    assert gateway.proc is not None
    async with aiohttp.ClientSession() as session:

        async def forwarder_up() -> bool:
            assert gateway.proc is not None
            return _forwarder_pid(gateway.proc.pid) is not None

        await _until(forwarder_up)
        first = _forwarder_pid(gateway.proc.pid)
        assert first is not None
        os.kill(first, signal.SIGKILL)
        # filed while no forwarder runs: waits in the outbox, goes out after the restart
        tid = await _file(session, port, "Lampu jalan mati di Gg. Mawar")

        async def forwarded() -> bool:
            return tid in fake_core.state.cases

        await _until(forwarded)
        second = _forwarder_pid(gateway.proc.pid)
        assert second is not None and second != first

        async def ready() -> bool:
            status, _ = await _get(session, port, "/readyz")
            return status == 200

        await _until(ready)
        _, body = await _get(session, port, "/readyz")
        assert json.loads(body)["relay"]["forwarder_restarts"] == 1
    gateway.kill()

    async def orphan_gone() -> bool:
        return not _alive(second)

    await _until(orphan_gone, wait_s=10)

"""SIGKILL in the middle of a burst: nothing acknowledged is lost, nothing is doubled.

The gateway runs as a real process on a real SQLite file; a real local core case store
records every forward. Clients use Idempotency-Keys and retry after the crash, as real
clients do. Invariants checked after restart and drain:

* every request that got a 2xx exists exactly once, under the tracking ID it was given;
* a retried request gets the same tracking ID (no report has two);
* every report reached the core, and the core created one case per tracking ID.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters import signing
from tests.adapters.sms.smsc_sim import free_port
from tests.fakes.core import FakeCore
from tests.process_config import config_head
from tests.system.gateway_process import GatewayProcess, live_processes

SECRET = "crash-secret"


def _write_config(tmp: Path, core_url: str, port: int, core_forwarder: str = "inline") -> Path:
    path = tmp / "config.toml"
    path.write_text(
        config_head(tmp, port)
        + f"""
[core]
url = "{core_url}"
events_secret = "x"
[core.retry]
initial_backoff_s = 0.05
max_backoff_s = 0.5
[outbox]
poll_interval_s = 0.05
core_forwarder = "{core_forwarder}"
[adapters.web]
secret = "{SECRET}"
"""
    )
    return path


async def _post(
    session: aiohttp.ClientSession, port: int, i: int
) -> tuple[int, dict[str, Any]] | None:
    body = json.dumps(
        {"text": f"Laporan beruntun nomor {i}: jembatan retak", "reporter": {"user_id": f"u{i}"}}
    ).encode()
    headers = {
        "Idempotency-Key": f"burst-{i}",
        "Content-Type": "application/json",
        **signing.signed_headers(SECRET.encode(), body),
    }
    try:
        async with session.post(
            f"http://127.0.0.1:{port}/v1/web/reports",
            data=body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=10),
        ) as r:
            return r.status, await r.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError):
        return None


@pytest.mark.parametrize("core_forwarder", ["inline", "process"])
async def test_sigkill_mid_burst_loses_and_doubles_nothing(
    tmp_path: Path, fake_core: FakeCore, core_forwarder: str
) -> None:
    port = free_port()
    config = _write_config(tmp_path, fake_core.url, port, core_forwarder)
    gateway = GatewayProcess(config, port, tmp_path / "gateway.log")
    rng = random.Random(7)
    acked: dict[int, str] = {}
    interrupted = 0
    n = 400
    for _round in range(3):
        await gateway.start()
        todo = [i for i in range(n) if i not in acked]
        # kill once a random share of this round's burst is acknowledged: a fixed delay let
        # a fast run finish the whole burst before the kill
        target = len(acked) + int(len(todo) * rng.uniform(0.2, 0.6))
        enough = asyncio.Event()
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in todo:
            queue.put_nowait(i)

        async def client(
            session: aiohttp.ClientSession,
            queue: asyncio.Queue[int] = queue,
            target: int = target,
            enough: asyncio.Event = enough,
        ) -> None:
            nonlocal interrupted
            while not queue.empty():
                i = queue.get_nowait()
                result = await _post(session, port, i)
                if result is not None and result[0] in (200, 201):
                    acked[i] = result[1]["tracking_id"]
                    if len(acked) >= target:
                        enough.set()
                else:
                    interrupted += 1

        async with aiohttp.ClientSession() as session:
            burst = asyncio.gather(*(client(session) for _ in range(16)))
            waiter = asyncio.ensure_future(enough.wait())
            await asyncio.wait({burst, waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            gateway.kill()
            await burst
    assert interrupted > 0 and acked, "the kills must land mid-burst"
    print(f"acknowledged before kills: {len(acked)}, cut off by kills: {interrupted}")
    # final run: retry everything not acknowledged yet, and re-send some acknowledged ones
    await gateway.start()
    try:
        async with aiohttp.ClientSession() as session:
            for i in range(n):
                result = await _post(session, port, i)
                assert result is not None and result[0] in (200, 201), result
                if i in acked:
                    assert result[1]["tracking_id"] == acked[i], (
                        "a retried request got a new tracking ID"
                    )
                acked[i] = result[1]["tracking_id"]
        for _ in range(200):
            if len(fake_core.state.cases) >= n:
                break
            await asyncio.sleep(0.05)
    finally:
        assert gateway.terminate() == 0, "graceful shutdown must exit 0"

    db = sqlite3.connect(tmp_path / "lapor.db")
    rows = db.execute("SELECT tracking_id FROM reports").fetchall()
    stored = [r[0] for r in rows]
    assert len(stored) == len(set(stored)) == n, "one report per request"
    assert set(stored) == set(acked.values())
    keys = db.execute(
        "SELECT COUNT(*) FROM inbound_keys WHERE key LIKE 'web:idem:burst-%'"
    ).fetchone()[0]
    assert keys == n
    assert set(fake_core.state.cases) == set(stored), "every report reached the core"
    created = [r["key"] for r in fake_core.state.requests]
    assert all(created.count(k) >= 1 for k in stored)
    assert (tmp_path / "lapor.db").exists()
    # no forwarder outlived its killed gateway (they stop when their link breaks)
    for _ in range(100):
        left = live_processes(str(config))
        if not left:
            break
        await asyncio.sleep(0.1)
    assert not left, f"orphaned processes: {left}"

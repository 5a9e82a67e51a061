"""A short core outage during a burst, in the shipped forwarder mode (``core_forwarder =
"process"``) with the shipped retry policy (1 s initial backoff, 900 s cap).

The gateway runs as a real process with its forwarder process; the core is a real local
HTTP server (:class:`tests.fakes.core.FakeCore`) that answers 503 for a few seconds, then
accepts. What must hold: the core is probed gently while down (the target backs off once
per pass, not once per failed row, so a burst does not push the pause to its cap), the
first forward arrives a few seconds after the core is back, the oldest report among them
(a ``Retry-After`` is honoured to the second in the forwarder process too), and the backlog
reaches the core in arrival order.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path

import aiohttp
import pytest

from adapters import signing
from tests.adapters.sms.smsc_sim import free_port
from tests.fakes.core import FakeCore
from tests.process_config import config_head
from tests.system.gateway_process import GatewayProcess
from tests.system.test_crash import SECRET

BURST = 60
DOWN_S = 3.0
#: the oldest report must reach the core this soon after the core is back: one more
#: probe (the outage is short, so the per-pass backoff is still a few seconds) plus the
#: drain of a few dozen rows on a loaded machine
BACK_WITHIN_S = 8.0
CONCURRENCY = 16


def _shipped_retry_config(tmp: Path, core_url: str, port: int) -> Path:
    """The shipped [core.retry] and [outbox] values, the test's paths and ports."""
    path = tmp / "config.toml"
    path.write_text(
        config_head(tmp, port)
        + f"""
[core]
url = "{core_url}"
events_secret = "x"
[core.retry]
initial_backoff_s = 1.0
max_backoff_s = 900.0
[outbox]
concurrency = {CONCURRENCY}
core_forwarder = "process"
[flood]
channel_burst = 100000
channel_per_s = 100000.0
[adapters.web]
secret = "{SECRET}"
"""
    )
    return path


def _arrival_order(db: Path) -> list[str]:
    """Tracking IDs of the forwards in the order their rows were committed."""
    with sqlite3.connect(db) as c:
        rows = c.execute("SELECT tracking_id FROM outbox WHERE kind = 'forward' ORDER BY id")
        return [str(r[0]) for r in rows]


async def _file(session: aiohttp.ClientSession, port: int, i: int) -> str:
    body = json.dumps(
        {"text": f"Antrean {i}: saluran tersumbat di gang {i}", "reporter": {"user_id": f"u{i}"}}
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": f"outage-{i}",
        **signing.signed_headers(SECRET.encode(), body),
    }
    async with session.post(
        f"http://127.0.0.1:{port}/v1/web/reports", data=body, headers=headers
    ) as r:
        assert r.status == 201, await r.text()
        return str((await r.json())["tracking_id"])


@pytest.mark.parametrize(
    "retry_after",
    [
        pytest.param(None, id="503-no-retry-after"),
        pytest.param("1", id="503-retry-after-1"),
    ],
)
async def test_burst_during_short_core_outage_drains_soon_in_arrival_order(
    tmp_path: Path, fake_core: FakeCore, retry_after: str | None
) -> None:
    fake_core.state.mode = "fail503"
    fake_core.state.retry_after = retry_after
    port = free_port()
    gateway = GatewayProcess(
        _shipped_retry_config(tmp_path, fake_core.url, port), port, tmp_path / "gw.log"
    )
    await gateway.start()
    try:
        async with aiohttp.ClientSession() as session:
            started = time.monotonic()
            # the burst: many rows fail in the forwarder's first passes at once
            filed = await asyncio.gather(*(_file(session, port, i) for i in range(BURST)))
            ids = _arrival_order(tmp_path / "lapor.db")
            assert sorted(ids) == sorted(filed)
            position = {tid: i for i, tid in enumerate(ids)}
            await asyncio.sleep(max(0.0, DOWN_S - (time.monotonic() - started)))
            while_down = len(fake_core.state.requests)
            fake_core.state.mode = "ok"
            up_at = time.monotonic()
            first_at = oldest_at = 0.0
            deadline = up_at + 30
            while len(fake_core.state.cases) < BURST and time.monotonic() < deadline:
                now = time.monotonic()
                if not first_at and fake_core.state.cases:
                    first_at = now
                if not oldest_at and ids[0] in fake_core.state.cases:
                    oldest_at = now
                await asyncio.sleep(0.02)
            now = time.monotonic()
            first_at = first_at or now
            oldest_at = oldest_at or now
    finally:
        assert gateway.terminate() == 0
    # the first pass's concurrent attempts, then about one probe per second at most
    assert while_down <= CONCURRENCY + DOWN_S + 4, while_down
    assert first_at - up_at < BACK_WITHIN_S, f"first forward {first_at - up_at:.1f} s after"
    assert oldest_at - up_at < BACK_WITHIN_S, f"oldest report {oldest_at - up_at:.1f} s after"
    assert set(fake_core.state.cases) == set(ids), "the backlog did not drain"
    # the order the core accepted them in (dict insertion order)
    accepted = list(fake_core.state.cases)
    displacement = max(abs(position[tid] - i) for i, tid in enumerate(accepted))
    assert displacement <= CONCURRENCY, f"arrival order broken by {displacement} rows"

"""Two ``lapor-gateway run`` processes on one PostgreSQL database behind a "load balancer"
(the test's clients), web intake on both; one is SIGKILLed mid-burst. Every report a
client was told about is stored once under the tracking ID it was given, none twice, and
the survivor takes over the outbox rows the dead instance had claimed once their lease
runs out (every report reaches the embedded case store)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import aiohttp
import asyncpg

from adapters import signing
from tests.adapters.sms.smsc_sim import free_port
from tests.pg import PgCluster
from tests.system.gateway_process import GatewayProcess

SECRET = "pg-web-secret"
REPORTS = 80
MARKER = re.compile(r"kode W(\d+)")


def write_config(tmp: Path, name: str, dsn: str, port: int) -> Path:
    path = tmp / f"{name}.toml"
    path.write_text(
        f"""
[gateway]
data_dir = "{tmp / name}"
database = "{dsn}"
log_level = "WARNING"
shutdown_grace_s = 2.0
[http]
host = "127.0.0.1"
port = {port}
[core]
events_secret = "pg-core-secret"
[outbox]
poll_interval_s = 0.05
claim_lease_s = 2
[flood]
sender_burst = 1000
sender_per_min = 1000.0
[adapters.web]
secret = "{SECRET}"
[adapters.mobile]
enabled = false
[adapters.open311]
enabled = false
"""
    )
    return path


async def send(
    session: aiohttp.ClientSession, ports: list[int], n: int, acked: dict[int, str]
) -> None:
    """One citizen's report: to instance n % 2 first, then to whichever answers (a load
    balancer moves a failed request to the next instance), same Idempotency-Key."""
    body = json.dumps({"text": f"jalan rusak di gang {n}, kode W{n}"}).encode()
    deadline = time.monotonic() + 60
    attempt = n
    while time.monotonic() < deadline:
        port = ports[attempt % len(ports)]
        attempt += 1
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": f"w-{n}",
            **signing.signed_headers(SECRET.encode(), body),
        }
        try:
            url = f"http://127.0.0.1:{port}/v1/web/reports"
            async with session.post(url, data=body, headers=headers) as resp:
                if resp.status in (200, 201):
                    acked[n] = (await resp.json())["tracking_id"]
                    return
        except (aiohttp.ClientError, OSError):
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"report {n} was never accepted")


async def test_sigkill_of_one_instance_loses_and_doubles_nothing(
    tmp_path: Path, pg_cluster: PgCluster
) -> None:
    dsn = pg_cluster.new_database()
    ports = [free_port(), free_port()]
    procs = [
        GatewayProcess(write_config(tmp_path, name, dsn, port), port, tmp_path / f"{name}.log")
        for name, port in zip(("a", "b"), ports, strict=True)
    ]
    acked: dict[int, str] = {}
    try:
        await asyncio.gather(*(p.start() for p in procs))
        async with aiohttp.ClientSession() as session:
            sem = asyncio.Semaphore(8)
            third = asyncio.Event()

            async def one(n: int) -> None:
                async with sem:
                    await send(session, ports, n, acked)
                if len(acked) >= REPORTS // 3:
                    third.set()

            burst = asyncio.gather(*(one(n) for n in range(REPORTS)))
            await third.wait()
            procs[0].kill()  # mid-burst, commits and claims in flight
            killed_at = len(acked)
            await burst
        assert killed_at < REPORTS and len(acked) == REPORTS

        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch("SELECT tracking_id, body->>'text' AS text FROM reports")
            stored: dict[int, list[str]] = {}
            for r in rows:
                match = MARKER.search(r["text"])
                assert match is not None
                stored.setdefault(int(match.group(1)), []).append(r["tracking_id"])
            # nothing lost, nothing twice, each under the ID its citizen was given
            assert {n: [tid] for n, tid in acked.items()} == stored
            # the survivor sends what the dead one had claimed, once the lease ran out
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                cases = await conn.fetchval("SELECT COUNT(*) FROM core_cases")
                waiting = await conn.fetchval(
                    "SELECT COUNT(*) FROM outbox WHERE kind = 'forward' AND state <> 'done'"
                )
                if cases == REPORTS and waiting == 0:
                    break
                await asyncio.sleep(0.2)
            assert (cases, waiting) == (REPORTS, 0)
        finally:
            await conn.close()
    finally:
        for p in procs:
            p.kill()

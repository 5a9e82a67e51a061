"""Outbox drain after a core outage, the gateway run as shipped: fill N forwards with the core
case store down, bring it back, measure how soon and how fast the backlog drains, in what
order.

The gateway runs as its own process (``lapor-gateway run``) on a temp config with the
shipped ``[core.retry]`` policy and, by default, the shipped ``core_forwarder = "process"``
(``--forwarder inline``: one process). The core case store is a real local HTTP server
(:class:`tests.fakes.core.FakeCore`, in this process) answering 503 while "down", with
``Retry-After: 1`` unless ``--retry-after 0``. Reports are filed as signed web requests,
64 at a time, so the first forwards fail together as in a burst.

Prints: rows filed, requests the core saw while down (the relay probes one row at a time,
so this stays small however large the backlog), the time from the core's return to the
first forward and to the oldest report's forward, the drain rate in rows/s, and the worst
displacement from arrival order (outbox order).

Usage: python bench/outbox_drain.py [--rows 5000] [--down-seconds 5]
                                    [--forwarder process|inline] [--retry-after 1]
                                    [--timeout 120]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters import signing
from bench._harness import PY, free_port, spawn, stop, wait_http, write_gateway_config
from tests.fakes.core import FakeCore

SECRET = "bench-secret"
IN_FLIGHT = 64


async def _file(session: aiohttp.ClientSession, url: str, i: int) -> None:
    body = json.dumps(
        {"text": f"Laporan antrean {i}: saluran air tersumbat di RT {i % 97}"}
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": f"drain-{i}",
        **signing.signed_headers(SECRET.encode(), body),
    }
    async with session.post(url, data=body, headers=headers) as r:
        if r.status != 201:
            raise RuntimeError(f"report {i}: {r.status} {await r.text()}")


async def _fill(port: int, rows: int) -> None:
    url = f"http://127.0.0.1:{port}/v1/web/reports"
    queue = iter(range(rows))

    async def worker(session: aiohttp.ClientSession) -> None:
        for i in queue:
            await _file(session, url, i)

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(worker(session) for _ in range(IN_FLIGHT)))


def _arrival_order(db: Path) -> list[str]:
    with sqlite3.connect(db) as c:
        rows = c.execute("SELECT tracking_id FROM outbox WHERE kind = 'forward' ORDER BY id")
        return [str(r[0]) for r in rows]


async def run(
    rows: int, down_s: float, forwarder: str, retry_after: int, timeout_s: float
) -> dict[str, float]:
    core = FakeCore()
    await core.start()
    core.state.mode = "fail503"
    core.state.retry_after = str(retry_after) if retry_after else None
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        config = write_gateway_config(Path(tmp), port, core.url, SECRET, core_forwarder=forwarder)
        gateway = spawn([PY, "-m", "gateway.cli", "run", "--config", str(config)])
        try:
            await asyncio.to_thread(wait_http, f"http://127.0.0.1:{port}/healthz")
            started = time.monotonic()
            await _fill(port, rows)
            fill_s = time.monotonic() - started
            order = _arrival_order(Path(tmp) / "lapor.db")
            await asyncio.sleep(max(0.0, down_s - fill_s))
            down_requests = len(core.state.requests)
            down_elapsed = time.monotonic() - started
            core.state.mode = "ok"
            up_at = time.monotonic()
            first_s = oldest_s = 0.0
            cases = core.state.cases
            while len(cases) < rows and time.monotonic() - up_at < timeout_s:
                if not first_s and cases:
                    first_s = time.monotonic() - up_at
                if not oldest_s and order[0] in cases:
                    oldest_s = time.monotonic() - up_at
                await asyncio.sleep(0.005)
            drain_s = time.monotonic() - up_at
        finally:
            stop(gateway)
            await core.stop()
    position = {tid: i for i, tid in enumerate(order)}
    accepted = list(core.state.cases)  # in the order the core accepted them
    displacement = max((abs(position[tid] - i) for i, tid in enumerate(accepted)), default=0)
    return {
        "drained": len(accepted),
        "fill_s": fill_s,
        "down_s": down_elapsed,
        "down_requests": down_requests,
        "first_s": first_s or drain_s,
        "oldest_s": oldest_s or drain_s,
        "drain_s": drain_s,
        "rows_per_s": len(accepted) / drain_s,
        "displacement": displacement,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--down-seconds", type=float, default=5.0)
    ap.add_argument(
        "--forwarder",
        choices=("process", "inline"),
        default="process",
        help="[outbox] core_forwarder (default: as shipped)",
    )
    ap.add_argument(
        "--retry-after", type=int, default=1, help="the core's Retry-After while down (0: none)"
    )
    ap.add_argument(
        "--timeout", type=float, default=120.0, help="stop waiting for the drain after this"
    )
    args = ap.parse_args()
    r = asyncio.run(
        run(args.rows, args.down_seconds, args.forwarder, args.retry_after, args.timeout)
    )
    ra = f"Retry-After: {args.retry_after}" if args.retry_after else "no Retry-After"
    print(
        f"outbox drain after a core outage ({args.rows} forwards, core_forwarder = "
        f'"{args.forwarder}", shipped [core.retry], 503 with {ra})'
    )
    print(f"  filed with the core down:       {args.rows} rows in {r['fill_s']:.1f} s")
    print(f"  core requests while down:       {r['down_requests']} in {r['down_s']:.1f} s")
    print(f"  first forward after the return: {r['first_s']:.2f} s")
    print(f"  oldest report forwarded after:  {r['oldest_s']:.2f} s")
    cut = "" if r["drained"] == args.rows else f" (only {r['drained']:.0f}: timed out)"
    print(
        f"  drain once the core is back:    {r['drain_s']:.2f} s = "
        f"{r['rows_per_s']:.0f} rows/s{cut}"
    )
    print(f"  worst displacement from arrival order: {r['displacement']} rows")


if __name__ == "__main__":
    main()

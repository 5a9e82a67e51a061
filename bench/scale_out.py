"""Benchmark: web intake on 1 SQLite instance vs 1 and 2 instances on one PostgreSQL, the
outbox drain rate with 1 and 2 instances, and the failover time of a leader lease, in one run.

Each gateway is a ``lapor-gateway run`` process (web door only, flood control out of the
way, core URL on a closed port so forwarding only probes: the intake alone is measured).
PostgreSQL is a throwaway cluster with fsync on (tests/pg.py). wrk sends pre-signed,
distinct reports; with two instances one wrk per instance runs at the same time (the
connections split evenly, as a load balancer would) and their rates are summed.

Outbox drain: N reports filed (signed web requests, through the first instance) while the
core case store (:class:`tests.fakes.core.FakeCore`, in this process) answers 503 with
``Retry-After: 1``, so N forwards wait in the shared outbox; then the core answers again and
the time until it holds all N is measured, with every instance's relay claiming rows
(``FOR UPDATE SKIP LOCKED``). The rate is given from the core's return (including the wait
for the next probe) and from the first forward.

Failover: instance A takes lease ``x-pollers`` and stops renewing (it died); the time until
B, renewing every 3 s, holds it (10 s lease, the gateway's defaults).

Usage: python bench/scale_out.py [--seconds 10] [--connections 32] [--drain-rows 2000]
                                 [--no-fsync]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import (
    PY,
    free_port,
    machine,
    presigned_lua,
    require_wrk,
    spawn,
    stop,
    wait_http,
)
from bench.outbox_drain import _fill
from bench.web_intake import SECRET, make_requests
from gateway.leadership import Leadership
from gateway.store.postgres import PostgresStore
from tests.fakes.core import FakeCore
from tests.pg import PgCluster


def write_config(tmp: Path, name: str, database: str, port: int, core_url: str = "") -> Path:
    """One instance: web door only, flood control out of the way; the core at *core_url*,
    or on a closed port (forwarding only probes, the intake alone is measured)."""
    path = tmp / f"{name}.toml"
    path.write_text(
        f"""
[gateway]
data_dir = "{tmp / name}"
database = "{database}"
log_level = "WARNING"
[http]
host = "127.0.0.1"
port = {port}
[core]
url = "{core_url or f"http://127.0.0.1:{free_port()}/cases"}"
events_secret = "bench"
[outbox]
core_forwarder = "inline"
[adapters.web]
secret = "{SECRET}"
[adapters.sms.gammu]
enabled = false
[adapters.mobile]
enabled = false
[adapters.open311]
enabled = false
[flood]
sender_burst = 1000000
sender_per_min = 1000000.0
channel_burst = 1000000
channel_per_s = 1000000.0
"""
    )
    return path


def intake(tmp: Path, databases: list[str], seconds: int, connections: int) -> float:
    """Reports/s accepted by one instance per entry of *databases*, loaded together."""
    ports = [free_port() for _ in databases]
    procs = [
        spawn([PY, "-m", "gateway.cli", "run", "--config", str(write_config(tmp, f"i{n}", db, p))])
        for n, (db, p) in enumerate(zip(databases, ports, strict=True))
    ]
    try:
        for port in ports:
            wait_http(f"http://127.0.0.1:{port}/healthz")
        scripts = []
        for n in range(len(ports)):
            script = tmp / f"wrk{n}-{time.monotonic_ns()}.lua"
            presigned_lua(
                script, make_requests(20_000, f"{tmp.name}-{n}-{time.time()}"), "/v1/web/reports"
            )
            scripts.append(script)
        per = max(1, connections // len(ports))
        wrks = [
            subprocess.Popen(
                [
                    require_wrk(),
                    "-t1",
                    f"-c{per}",
                    f"-d{seconds}s",
                    "-s",
                    str(script),
                    f"http://127.0.0.1:{port}",
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            for port, script in zip(ports, scripts, strict=True)
        ]
        total = 0.0
        for proc in wrks:
            out, _ = proc.communicate()
            for line in out.splitlines():
                if line.startswith("Requests/sec:"):
                    total += float(line.split()[1])
                if "Non-2xx" in line:
                    print(f"  ({line.strip()})")
        return total
    finally:
        for proc in procs:
            stop(proc)


async def drain(tmp: Path, dsn: str, instances: int, rows: int) -> tuple[float, float]:
    """Rows/s drained to the core by *instances* instances on *dsn*, after *rows* forwards
    piled up while it was down: from its return, and from its first forward."""
    core = FakeCore()
    await core.start()
    core.state.mode = "fail503"
    core.state.retry_after = "1"
    ports = [free_port() for _ in range(instances)]
    configs = [
        write_config(tmp, f"d{instances}-{n}", dsn, port, core.url) for n, port in enumerate(ports)
    ]
    procs = [spawn([PY, "-m", "gateway.cli", "run", "--config", str(c)]) for c in configs]
    try:
        for port in ports:
            await asyncio.to_thread(wait_http, f"http://127.0.0.1:{port}/healthz")
        await _fill(ports[0], rows)
        core.state.mode = "ok"
        up_at = time.monotonic()
        first = 0.0
        while len(core.state.cases) < rows:
            if not first and core.state.cases:
                first = time.monotonic()
            if time.monotonic() - up_at > 300:
                raise RuntimeError(f"drained only {len(core.state.cases)} of {rows} in 300 s")
            await asyncio.sleep(0.005)
        done = time.monotonic()
        return rows / (done - up_at), rows / (done - (first or up_at))
    finally:
        for proc in procs:
            stop(proc)
        await core.stop()


async def failover(dsn: str) -> float:
    """Seconds from the leader's last renewal until another instance holds the lease."""
    a_store, b_store = PostgresStore(dsn), PostgresStore(dsn)
    await a_store.open()
    await b_store.open()
    try:
        a = Leadership(a_store, "a", renew_every_s=3600)  # takes the lease, never renews
        b = Leadership(b_store, "b")
        assert await a.holds("x-pollers")
        died = time.monotonic()
        assert not await b.holds("x-pollers")
        while not await b.holds("x-pollers"):  # noqa: ASYNC110 - polling is what a poller does
            await asyncio.sleep(0.05)
        took = time.monotonic() - died
        await b.stop()
        return took
    finally:
        await a_store.close()
        await b_store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--drain-rows", type=int, default=2000, help="forwards piled up for the drain")
    ap.add_argument(
        "--no-fsync",
        action="store_true",
        help="PostgreSQL with fsync off: what is left is CPU and round trips, not the disk",
    )
    args = ap.parse_args()
    require_wrk()
    print(f"machine: {machine()}; wrk {args.connections} connections in all, {args.seconds} s each")
    print(f"PostgreSQL fsync {'off' if args.no_fsync else 'on'}")
    with tempfile.TemporaryDirectory() as d, PgCluster(fsync=not args.no_fsync) as cluster:
        tmp = Path(d)
        sqlite = intake(tmp, [f"sqlite:///{tmp / 'lapor.db'}"], args.seconds, args.connections)
        one = intake(tmp, [cluster.create_database("one")], args.seconds, args.connections)
        shared = cluster.create_database("two")
        two = intake(tmp, [shared, shared], args.seconds, args.connections)
        drains = {
            n: asyncio.run(drain(tmp, cluster.create_database(f"drain{n}"), n, args.drain_rows))
            for n in (1, 2)
        }
        took = asyncio.run(failover(cluster.create_database("lease")))
    print(f"{'setup':<34}{'reports/s':>10}{'vs SQLite':>11}")
    for name, rate in (
        ("1 instance, SQLite", sqlite),
        ("1 instance, PostgreSQL", one),
        ("2 instances, one PostgreSQL", two),
    ):
        print(f"{name:<34}{rate:>10.0f}{rate / sqlite:>10.2f}x")
    print(f"2 vs 1 PostgreSQL instance: {two / one:.2f}x")
    print(
        f"outbox drain, {args.drain_rows} forwards after a core outage (503, Retry-After: 1), "
        "rows/s from the core's return (from its first forward):"
    )
    for n, (from_return, from_first) in drains.items():
        label = f"{n} instance{'s' if n > 1 else ''}, one PostgreSQL"
        print(f"  {label:<32}{from_return:>8.0f} ({from_first:.0f})")
    print(f"  2 vs 1 instance: {drains[2][0] / drains[1][0]:.2f}x")
    print(f"leader lease failover (10 s lease, renewed every 3 s): {took:.1f} s")


if __name__ == "__main__":
    main()

"""Benchmark: durable web intake vs a bare aiohttp handler, latency at a fixed rate, memory.

Starts (as separate processes, all on 127.0.0.1):
  * a fast local core case store,
  * the gateway on a temp config (real SQLite file, WAL, synchronous=FULL, group commit),
  * a bare aiohttp handler that only reads the body and answers 201.
Then, in one run:
  1. wrk with pre-signed, distinct bodies against each: throughput and the ratio;
  2. an open-loop generator at a fixed rate (default 1,000 req/s) against the gateway
     (bench/_loadgen.py: pre-built requests over 64 keep-alive connections, like wrk2 -R):
     p50/p99 latency measured from each request's *scheduled* time (no coordinated omission);
  3. optionally (--reports N) keeps loading until the store holds N reports and prints RSS.

``--intake-alone`` measures the ceiling of the intake process by itself: the core URL points
at a closed port, so forwarding pauses after a few refused connections and only probes,
and the wrk phase runs against bare handler and gateway as above; it prints the gateway
process's CPU during its phase (100 % = one core, its commit thread included).

Usage: python bench/web_intake.py [--seconds 10] [--rate 1000] [--reports 200000]
                                  [--intake-alone]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters import signing
from bench._harness import (
    PY,
    children,
    free_port,
    machine,
    presigned_lua,
    rss_mb,
    run_wrk,
    spawn,
    stop,
    wait_http,
    write_gateway_config,
)
from bench._loadgen import build_request
from bench._loadgen import fixed_rate as loadgen_fixed_rate

SECRET = "bench-secret"


WORDS = (
    "jalan rusak berlubang lampu mati sampah menumpuk banjir got mampet air pdam keruh "
    "listrik padam puskesmas antre lama pungli kelurahan ktp lambat sekolah seragam mahal "
    "jembatan retak angkot ugal trotoar parkir liar pohon tumbang bansos belum cair guru "
    "bolos rumah sakit menolak pasien bpjs izin usaha dipersulit pasar becek drainase "
    "macet perempatan kantor camat tutup pelayanan kasar petugas minta uang"
).split()


SYLLABLES = (
    "ba bi bu da di du ga gi ku la li lu ma mi mu na ni nu pa pi ra ri sa si ta ti wa ya".split()
)
# a vocabulary the size of real complaint text: the common words plus 3,000 place and
# person names (pseudo-words), so complaints overlap about as much as real ones do
VOCAB = WORDS + sorted({"".join(random.Random(i).choices(SYLLABLES, k=3)) for i in range(3000)})


def complaint(rng: random.Random) -> str:
    """A distinct complaint: a few common complaint words and a few names."""
    common = [rng.choice(WORDS) for _ in range(rng.randint(4, 8))]
    names = [rng.choice(VOCAB) for _ in range(rng.randint(4, 10))]
    return " ".join(common + names)


def make_requests(n: int, salt: str) -> list[tuple[bytes, dict[str, str]]]:
    now = time.time()
    rng = random.Random(salt)
    out = []
    for i in range(n):
        body = json.dumps(
            {"text": f"{complaint(rng)} ({salt}-{i})", "reporter": {"user_id": f"bench-{salt}-{i}"}}
        ).encode()
        headers = {
            "Content-Type": "application/json",
            **signing.signed_headers(SECRET.encode(), body, now),
        }
        out.append((body, headers))
    return out


def fixed_rate(port: int, rate: int, seconds: float) -> list[float]:
    """Open-loop load at *rate* (see bench/_loadgen.py): latencies from scheduled times."""
    reqs = [
        build_request(f"127.0.0.1:{port}", "/v1/web/reports", body, headers)
        for body, headers in make_requests(int(rate * seconds), "fixed")
    ]
    latencies, errors = asyncio.run(loadgen_fixed_rate("127.0.0.1", port, reqs, rate))
    if errors:
        print(f"  ({errors} non-2xx answers at fixed rate)")
    return latencies


def wait_drained(db: Path, timeout_s: float = 300.0) -> float:
    """Seconds until no outbox row is pending (every report forwarded to the core)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        conn = sqlite3.connect(db)
        try:
            pending = conn.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
            if int(pending.fetchone()[0]) == 0:
                break
        finally:
            conn.close()
        time.sleep(0.1)
    return time.monotonic() - start


def count_reports(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0])
    finally:
        conn.close()


@contextlib.contextmanager
def gateway_with_core(
    tmp: Path, forwarder: str, *, core: bool = True, outbox_extra: str = ""
) -> Iterator[tuple[int, int]]:
    """A fast local core and the gateway on a temp config; yields (gateway port, its pid).
    Without *core* the core URL is a closed port (forwarding out of the picture)."""
    core_port, gw_port = free_port(), free_port()
    procs = [spawn([PY, "bench/_servers.py", "core", str(core_port)])] if core else []
    config = write_gateway_config(
        tmp,
        gw_port,
        f"http://127.0.0.1:{core_port}/cases",
        SECRET,
        core_forwarder=forwarder,
        outbox_extra=outbox_extra,
    )
    gw = spawn([PY, "-m", "gateway.cli", "run", "--config", str(config)])
    try:
        wait_http(f"http://127.0.0.1:{gw_port}/healthz")
        yield gw_port, gw.pid
    finally:
        for proc in (gw, *procs):
            stop(proc)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def intake_alone(args: argparse.Namespace) -> None:
    """Throughput of the intake process with nothing forwarded during the run."""
    bare_port = free_port()
    bare = spawn([PY, "bench/_servers.py", "bare", str(bare_port)])
    with (
        tempfile.TemporaryDirectory() as tmp_s,
        gateway_with_core(Path(tmp_s), args.forwarder, core=False) as (gw_port, gw_pid),
    ):
        try:
            script = Path(tmp_s) / "presigned.lua"
            presigned_lua(script, make_requests(20_000, "alone"), "/v1/web/reports")
            bare_rps = run_wrk(
                f"http://127.0.0.1:{bare_port}", script, args.seconds, args.connections
            )
            cpu0, wall0 = cpu_seconds(gw_pid), time.monotonic()
            gw_rps = run_wrk(f"http://127.0.0.1:{gw_port}", script, args.seconds, args.connections)
            cpu = (cpu_seconds(gw_pid) - cpu0) / (time.monotonic() - wall0)
            print(f"machine: {machine()}; date: {time.strftime('%Y-%m-%d')}")
            print(f"bare aiohttp handler:      {bare_rps:10.0f} req/s")
            print(f"intake alone (no forwards):{gw_rps:10.0f} req/s  (main process CPU {cpu:.0%})")
            print(f"ratio intake alone/bare:   {gw_rps / bare_rps:10.1%}")
        finally:
            stop(bare)


def percentiles_ms(latencies: list[float]) -> tuple[float, float]:
    """(p50, p99) in milliseconds."""
    lat = sorted(latencies)
    return statistics.median(lat) * 1000, lat[int(len(lat) * 0.99) - 1] * 1000


def latency_only(args: argparse.Namespace) -> None:
    """p50/p99 at the fixed rate on a warm gateway that has not just absorbed a burst."""
    with (
        tempfile.TemporaryDirectory() as tmp_s,
        gateway_with_core(Path(tmp_s), args.forwarder, outbox_extra=args.outbox) as (
            gw_port,
            gw_pid,
        ),
    ):
        fixed_rate(gw_port, args.rate // 2, 1.0)  # warm-up: first-request costs
        time.sleep(2.0)
        cpu0, wall0 = cpu_seconds(gw_pid), time.monotonic()
        p50, p99 = percentiles_ms(fixed_rate(gw_port, args.rate, args.fixed_seconds))
        cpu = (cpu_seconds(gw_pid) - cpu0) / (time.monotonic() - wall0)
        print(f"machine: {machine()}; date: {time.strftime('%Y-%m-%d')}")
        print(
            f"latency at {args.rate} req/s for {args.fixed_seconds:.0f} s (forwarder "
            f"{args.forwarder}): p50 {p50:.1f} ms, p99 {p99:.1f} ms  (target p99 <= 50 ms); "
            f"main process CPU {cpu:.0%}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--fixed-seconds", type=float, default=10.0)
    ap.add_argument(
        "--reports", type=int, default=0, help="load until this many reports, then print RSS"
    )
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument(
        "--latency-only",
        action="store_true",
        help="only the fixed-rate phase, on a fresh gateway after a 1 s warm-up at half rate",
    )
    ap.add_argument("--forwarder", choices=["process", "inline"], default="process")
    ap.add_argument(
        "--outbox",
        default="",
        help='extra [outbox] lines for the gateway, e.g. "linger_from_per_s = 0"',
    )
    ap.add_argument(
        "--intake-alone",
        action="store_true",
        help="only the wrk phase, with the core unreachable (nothing forwarded meanwhile)",
    )
    args = ap.parse_args()
    if args.latency_only:
        latency_only(args)
        return
    if args.intake_alone:
        intake_alone(args)
        return

    bare_port = free_port()
    bare = spawn([PY, "bench/_servers.py", "bare", str(bare_port)])
    with (
        tempfile.TemporaryDirectory() as tmp_s,
        gateway_with_core(Path(tmp_s), args.forwarder) as (gw_port, gw_pid),
    ):
        tmp = Path(tmp_s)
        try:
            time.sleep(0.5)
            script = tmp / "presigned.lua"
            presigned_lua(script, make_requests(20_000, "wrk"), "/v1/web/reports")
            bare_rps = run_wrk(
                f"http://127.0.0.1:{bare_port}", script, args.seconds, args.connections
            )
            stored_before = count_reports(tmp / "lapor.db")
            gw_rps = run_wrk(f"http://127.0.0.1:{gw_port}", script, args.seconds, args.connections)
            stored = count_reports(tmp / "lapor.db") - stored_before
            # the latency phase measures the steady state at the fixed rate, not the relay
            # still catching up with the burst above: wait until the outbox is empty
            drain_s = wait_drained(tmp / "lapor.db")
            p50, p99 = percentiles_ms(fixed_rate(gw_port, args.rate, args.fixed_seconds))
            print(f"machine: {machine()}; date: {time.strftime('%Y-%m-%d')}")
            print(f"bare aiohttp handler:      {bare_rps:10.0f} req/s")
            print(f"gateway (durable, signed): {gw_rps:10.0f} req/s  ({stored} reports committed)")
            print(f"ratio gateway/bare:        {gw_rps / bare_rps:10.1%}  (target >= 25%)")
            print(f"outbox drained to the core {drain_s:8.1f} s after the burst")
            print(
                f"latency at {args.rate} req/s for {args.fixed_seconds:.0f} s: p50 {p50:.1f} ms, p99 {p99:.1f} ms  (target p99 <= 50 ms)"
            )
            if args.reports:
                n = count_reports(tmp / "lapor.db")
                while n < args.reports:
                    presigned_lua(script, make_requests(20_000, f"rss{n}"), "/v1/web/reports")
                    run_wrk(f"http://127.0.0.1:{gw_port}", script, 10, args.connections)
                    n = count_reports(tmp / "lapor.db")
                print(f"RSS after {n} reports:    {rss_mb(gw_pid):10.0f} MB  (target <= 200 MB)")
                for child in children(gw_pid):
                    print(f"  + core forwarder process: {rss_mb(child):6.0f} MB")
        finally:
            stop(bare)


if __name__ == "__main__":
    main()

"""Benchmark: SMS intake over SMPP through one bind, resp only after the durable commit.

Two processes on 127.0.0.1:
  * the SMSC simulator (``smpp34`` server, this process) driving ``deliver_sm``;
  * the gateway (child process): real SQLite file (WAL, synchronous=FULL, group commit),
    the real Pipeline and outbox relay, and the SMPP adapter bound once to the simulator.

Phase 1, throughput: for each window in ``--windows`` (default 64, then 10: what operators
commonly allow), keep that many deliver_sm outstanding for ``--count`` messages (distinct
senders and texts, so every one is a new report with an ack) and print stored-and-acknowledged
deliver_sm per second. Every deliver_sm_resp is sent by the adapter only after its report is
committed. Beside the rate it prints the gateway process's CPU time (user + system) per
1,000 messages, from the start of the run until every ack of the run has been sent: on a
machine shared with other jobs the rate follows the load, the CPU per message much less.

Phase 2, ack latency: an open-loop generator at ``--rate`` msg/s for ``--seconds``; for
each message, the time from sending its deliver_sm to receiving our ``submit_sm`` ack
carrying its tracking ID (p50/p99), measured from the *scheduled* send time.

Phase 3, SMS -> core latency: an open-loop generator at ``--core-rate`` msg/s (default 50)
for ``--seconds``; for each message, the time from sending its deliver_sm (scheduled time)
to the core receiving its forward (p50/p99). With ``--core external`` that is the arrival of
the POST at the stub core (which notes it, see ``bench/_servers.py``); with the embedded
core, the ``received_at`` of its row in the case store's table (written inside the forward's
transaction, committed a group commit later). Wall-clock times (``time.time()``) of the
same machine on both sides.

``--core embedded`` (default) files reports into the embedded case store in the gateway
process, which also links them (similar reports) there; ``--core external`` forwards them to
a stub core (``bench/_servers.py core``) from the second process (``core_forwarder =
"process"``), as a deployment with a real core runs: then the gateway process does the SMS
intake and the acks only.

The gateway's flood limits ([flood], per sender and per channel) are raised in the child's
config: they hold back the *acks* of a burst on purpose, which would make phase 2 measure the
flood policy instead of the ack path. Everything else is the shipped default; ``--linger``
sets ``[outbox] linger_s``, the relays' wait for more rows after a wake-up (the CPU per
message against the latency of acks and forwards); ``--linger-from`` sets
``[outbox] linger_from_per_s``, the rate from which they linger (0: at every rate).

Usage: python bench/smpp_intake.py [--count 5000] [--windows 64,10] [--rate 100] [--seconds 10]
       [--core-rate 50] [--core embedded|external] [--linger S] [--linger-from N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import smpp34

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- child: the gateway --------------------------------------------------------------------


CHILD_CONFIG = """
[gateway]
data_dir = "{tmp}/data"
database = "sqlite:///{tmp}/lapor.db"
log_level = "WARNING"

[http]
host = "127.0.0.1"
port = 0

[core]
url = "{core_url}"

[outbox]
poll_interval_s = 0.05
concurrency = 64
core_forwarder = "{forwarder}"{linger}{linger_from}

[flood]
sender_burst = 1000000
sender_per_min = 1000000.0
channel_burst = 1000000
channel_per_s = 1000000.0

[adapters.web]
enabled = false

[adapters.sms.smpp]
enabled = true

[[adapters.sms.smpp.binds]]
name = "bench"
host = "127.0.0.1"
port = {smsc_port}
system_id = "bench"
tps = {tps}
window = 64
max_inflight = 512
"""


async def serve(
    tmp: Path, smsc_port: int, tps: float, core_url: str, linger_s: str, linger_from_s: str
) -> None:
    from adapters.sms.smpp import SmppAdapter
    from gateway.config import load_config
    from gateway.service import Gateway

    # a file, not a dict: the forwarder process (core_forwarder = "process") reads it
    path = tmp / "bench.toml"
    forwarder = "process" if core_url else "inline"
    linger = f"\nlinger_s = {float(linger_s)}" if linger_s else ""
    linger_from = f"\nlinger_from_per_s = {float(linger_from_s)}" if linger_from_s else ""
    path.write_text(CHILD_CONFIG.format(**locals()), encoding="utf-8")
    config = load_config(path, env={})
    import logging

    logging.basicConfig(level=logging.WARNING)
    gw = Gateway(config, config_path=path)
    await gw.start()
    if "sms.smpp" not in gw.adapters:
        adapter = SmppAdapter(gw.ctx, config.adapters.sms)
        gw.adapters["sms.smpp"] = adapter
        await adapter.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await gw.stop()


# -- parent: the SMSC ----------------------------------------------------------------------


class Smsc:
    def __init__(self, port: int) -> None:
        self.server = smpp34.Server("127.0.0.1", port, system_id="BENCH")
        self.esme: Any = None
        self.bound = asyncio.Event()
        self.acks: dict[str, float] = {}
        self.ack_event = asyncio.Event()
        self.n = 0

    async def run(self) -> None:
        await self.server.start()
        while True:
            ev = await self.server.next()
            if isinstance(ev, smpp34.Esme):
                self.esme = ev
                self.bound.set()
            elif isinstance(ev, smpp34.SubmitSmEvent):
                self.n += 1
                ev.accept(f"m{self.n}")
                self.acks[ev.destination_addr] = time.time()
                self.ack_event.set()

    async def deliver(self, sender: str, text: str) -> int:
        resp = await self.esme.deliver_sm(
            "1708", text.encode(), source_addr=sender, source_addr_ton=1, source_addr_npi=1
        )
        return int(resp.command_status)


def _profile_args() -> list[str]:
    """BENCH_PROFILE=/path.prof runs the gateway child under cProfile."""
    out = os.environ.get("BENCH_PROFILE")
    return ["-m", "cProfile", "-o", out] if out else []


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process *pid* so far (Linux /proc; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def stop_gateway(child: subprocess.Popen[Any], runner: asyncio.Task[Any], smsc: Smsc) -> None:
    """SIGTERM the gateway under test (kill it after 30 s), then stop the SMSC."""
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=30)
    except subprocess.TimeoutExpired:
        child.kill()
    runner.cancel()
    await smsc.server.stop()


def sender(i: int) -> str:
    return f"62812{i:08d}"


async def throughput(smsc: Smsc, count: int, window: int, base: int) -> float:
    next_i = 0
    failures = 0

    async def worker() -> None:
        nonlocal next_i, failures
        while next_i < count:
            i = next_i
            next_i += 1
            status = await smsc.deliver(sender(base + i), f"Keluhan uji {base + i}: jalan rusak")
            failures += status != 0

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(window)))
    elapsed = time.perf_counter() - started
    if failures:
        print(f"  non-OK deliver_sm_resp: {failures}")
    return count / elapsed


async def latency(smsc: Smsc, rate: float, seconds: float, base: int) -> list[float]:
    """Phase 2: ms from each deliver_sm's scheduled send to our submit_sm ack."""
    scheduled = await schedule(smsc, rate, seconds, base, "Keluhan laten: banjir")
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline and not all(m[1:] in smsc.acks for m in scheduled):
        smsc.ack_event.clear()
        try:
            await asyncio.wait_for(smsc.ack_event.wait(), 1)
        except TimeoutError:
            pass
    missing = [m for m in scheduled if m[1:] not in smsc.acks]
    if missing:
        print(f"  acks missing after 30 s: {len(missing)}")
    return [(smsc.acks[m[1:]] - at) * 1000 for m, at in scheduled.items() if m[1:] in smsc.acks]


def percentiles(values: list[float]) -> tuple[float, float]:
    """(p50, p99) of *values*."""
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def schedule(
    smsc: Smsc, rate: float, seconds: float, base: int, text: str
) -> dict[str, float]:
    """Send ``rate * seconds`` deliver_sm open-loop; returns {E.164 sender: scheduled send
    time (``time.time()``)}, once every deliver_sm_resp is in."""
    total = int(rate * seconds)
    scheduled: dict[str, float] = {}
    start = time.perf_counter() + 0.1
    wall = time.time() - time.perf_counter()
    tasks = []
    for k in range(total):
        at = start + k / rate
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        msisdn = sender(base + k)
        scheduled["+" + msisdn] = at + wall
        tasks.append(asyncio.create_task(smsc.deliver(msisdn, f"{text} {base + k}")))
    await asyncio.gather(*tasks)
    return scheduled


class CoreArrivals:
    """When the core received each forward: the stub core's notes (external) or the
    embedded case store's table, as {reporter phone: time.time()}."""

    def __init__(self, core_url: str, database: Path) -> None:
        self.record_url = core_url.rsplit("/", 1)[0] + "/_record" if core_url else ""
        self.database = database

    async def start(self) -> None:
        if self.record_url:
            await asyncio.to_thread(_http, "POST", self.record_url)

    async def collect(self) -> dict[str, float]:
        if self.record_url:
            noted: dict[str, float] = json.loads(
                await asyncio.to_thread(_http, "GET", self.record_url)
            )
            return noted
        return await asyncio.to_thread(self._embedded)

    def _embedded(self) -> dict[str, float]:
        found: dict[str, float] = {}
        with contextlib.closing(sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)) as db:
            for payload, at in db.execute("SELECT payload, received_at FROM core_cases"):
                phone = (json.loads(payload).get("reporter") or {}).get("phone")
                if phone:
                    found[phone] = float(at)
        return found


def _http(method: str, url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=10) as r:
        return r.read().decode()


async def core_latency(
    smsc: Smsc, arrivals: CoreArrivals, rate: float, seconds: float, base: int
) -> list[float]:
    """Phase 3: ms from each deliver_sm's scheduled send to its forward at the core."""
    await arrivals.start()
    scheduled = await schedule(smsc, rate, seconds, base, "Keluhan ke inti: lampu mati")
    deadline = time.perf_counter() + 30
    got = await arrivals.collect()
    while time.perf_counter() < deadline and not all(m in got for m in scheduled):
        await asyncio.sleep(0.5)
        got = await arrivals.collect()
    missing = [m for m in scheduled if m not in got]
    if missing:
        print(f"  forwards missing at the core after 30 s: {len(missing)}")
    return [(got[m] - at) * 1000 for m, at in scheduled.items() if m in got]


async def main(args: argparse.Namespace) -> None:
    port = free_port()
    smsc = Smsc(port)
    runner = asyncio.create_task(smsc.run())
    await asyncio.sleep(0.1)
    core: subprocess.Popen[bytes] | None = None
    core_url = ""
    if args.core == "external":
        core_port = free_port()
        core_url = f"http://127.0.0.1:{core_port}/cases"
        core = subprocess.Popen(  # noqa: ASYNC220 - one stub core, started once
            [sys.executable, str(ROOT / "bench" / "_servers.py"), "core", str(core_port)], cwd=ROOT
        )
    with tempfile.TemporaryDirectory() as tmp:
        child = subprocess.Popen(  # noqa: ASYNC220 - one child, started once
            [
                sys.executable,
                *_profile_args(),
                __file__,
                "--serve",
                tmp,
                str(port),
                str(args.tps),
                core_url,
                "" if args.linger is None else str(args.linger),
                "" if args.linger_from is None else str(args.linger_from),
            ],
            cwd=ROOT,
        )
        try:
            await asyncio.wait_for(smsc.bound.wait(), 30)
            await throughput(smsc, 300, 64, 900_000)  # warm-up
            expected = 300
            for n, window in enumerate(int(w) for w in args.windows.split(",")):
                base = n * 1_000_000
                cpu = cpu_seconds(child.pid)
                rate = await throughput(smsc, args.count, window, base)
                expected += args.count
                print(
                    f"deliver_sm stored+acknowledged (resp after commit), 1 bind, window "
                    f"{window}: {rate:,.0f} msg/s over {args.count} messages"
                )
                # let the ack backlog drain before the next measurement
                drained = time.perf_counter()
                for _ in range(600):  # at most 60 s
                    if len(smsc.acks) >= expected:
                        break
                    await asyncio.sleep(0.1)
                cpu = cpu_seconds(child.pid) - cpu
                print(
                    f"  acks sent: {len(smsc.acks)} of {expected} "
                    f"(drained in {time.perf_counter() - drained:.1f} s); gateway CPU "
                    f"{cpu * 1000 / args.count:.2f} s per 1,000 messages stored+answered+acked"
                )
            await asyncio.sleep(1)
            smsc.acks.clear()
            cpu = cpu_seconds(child.pid)
            lat = await latency(smsc, args.rate, args.seconds, 50_000_000)
            cpu = cpu_seconds(child.pid) - cpu
            if lat:
                p50, p99 = percentiles(lat)
                print(
                    f"ack latency deliver_sm -> submit_sm at {args.rate:.0f} msg/s for "
                    f"{args.seconds:.0f} s: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
                    f"({len(lat)} acks); gateway CPU {cpu * 1000 / len(lat):.2f} s per "
                    "1,000 messages"
                )
            if args.core_rate > 0:
                await asyncio.sleep(1)
                arrivals = CoreArrivals(core_url, Path(tmp) / "lapor.db")
                fwd = await core_latency(smsc, arrivals, args.core_rate, args.seconds, 70_000_000)
                if fwd:
                    p50, p99 = percentiles(fwd)
                    where = "stub core" if core_url else "embedded core"
                    print(
                        f"SMS -> core latency deliver_sm -> forward at the {where}, "
                        f"{args.core_rate:.0f} msg/s for {args.seconds:.0f} s: p50 {p50:.1f} ms, "
                        f"p99 {p99:.1f} ms ({len(fwd)} forwards)"
                    )
        finally:
            await stop_gateway(child, runner, smsc)
            if core is not None:
                core.terminate()
                core.wait(timeout=30)
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        asyncio.run(
            serve(
                Path(sys.argv[2]),
                int(sys.argv[3]),
                float(sys.argv[4]),
                sys.argv[5],
                sys.argv[6],
                sys.argv[7],
            )
        )
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--windows", default="64,10", help="deliver_sm outstanding, per run")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--core-rate", type=float, default=50.0, help="phase 3 msg/s (0: skip phase 3)"
    )
    parser.add_argument(
        "--core",
        choices=("embedded", "external"),
        default="embedded",
        help="where reports are filed (see the module docstring)",
    )
    parser.add_argument("--tps", type=float, default=2000.0, help="ack submit_sm rate limit")
    parser.add_argument(
        "--linger", type=float, default=None, help="[outbox] linger_s (default: as shipped)"
    )
    parser.add_argument(
        "--linger-from",
        type=float,
        default=None,
        help="[outbox] linger_from_per_s (default: as shipped; 0: linger at every rate)",
    )
    asyncio.run(main(parser.parse_args()))

"""Benchmark: CPU per SMS of the pipeline behind the SMPP door, in one process.

``bench/smpp_intake.py`` measures the real thing (simulator and gateway as two processes),
but on a machine shared with other jobs its rates, and even its CPU per message, move with
the load. This one runs without a network peer: the gateway (the same config as
``smpp_intake.py``'s child: real SQLite file, group commit, pipeline, flood control, level 2,
relays) takes SMS through the shared :class:`~adapters.sms.conversation.SmsConversation`,
as the SMPP adapter hands them over after decoding, ``--window`` at a time; acks go to an
adapter that answers at once. Each round files ``--count`` SMS from distinct senders and
waits until the outbox is empty (acks sent, forwards done); it prints the process's CPU
time per 1,000 SMS for each round and their minimum, the figure least disturbed by other
jobs.

``--core embedded`` (default) forwards into the embedded case store, with level-3 linking,
in this process; ``--core external`` leaves the forwards to the forwarder process (a stub
core from ``bench/_servers.py``), whose CPU is not counted: the intake process alone.

Usage: python bench/intake_cpu.py [--count 2000] [--rounds 5] [--window 64]
       [--core embedded|external]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from smpp_intake import CHILD_CONFIG, ROOT, free_port

from adapters.sms.conversation import InboundSms, SmsConversation
from gateway.adapter import Adapter, Health, OutboundMessage, SendResult
from gateway.config import load_config
from gateway.service import Gateway


class InstantSms(Adapter):
    """Stands in for the SMPP adapter's send path: every ack is accepted at once."""

    name = "sms.smpp"

    async def send(self, message: OutboundMessage) -> SendResult:
        return SendResult(message_id="m")

    def health(self) -> Health:
        return Health(ok=True)


async def file_round(conversation: SmsConversation, base: int, count: int, window: int) -> None:
    next_i = 0

    async def worker() -> None:
        nonlocal next_i
        while next_i < count:
            i = base + next_i
            next_i += 1
            await conversation.handle(
                InboundSms(
                    adapter="sms.smpp",
                    transport="smpp:bench",
                    route="bench",
                    sender=f"62812{i:08d}",
                    text=f"Keluhan uji {i}: jalan rusak",
                    raw={"data_coding": 0, "dest": "1708", "source_addr_ton": 1},
                    international=True,
                )
            )

    await asyncio.gather(*(worker() for _ in range(window)))


async def drained(gw: Gateway) -> None:
    while (await gw.store.outbox_depth()).get("pending", 0):  # noqa: ASYNC110
        await asyncio.sleep(0.02)


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    core: subprocess.Popen[bytes] | None = None
    core_url = ""
    if args.core == "external":
        core_port = free_port()
        core_url = f"http://127.0.0.1:{core_port}/cases"
        core = subprocess.Popen(  # noqa: ASYNC220 - one stub core, started once
            [sys.executable, str(ROOT / "bench" / "_servers.py"), "core", str(core_port)], cwd=ROOT
        )
    try:
        with tempfile.TemporaryDirectory() as tmp_dir:
            tmp = Path(tmp_dir)
            path = tmp / "bench.toml"
            text = CHILD_CONFIG.format(
                tmp=tmp,
                core_url=core_url,
                forwarder="process" if core_url else "inline",
                smsc_port=1,
                tps=1000.0,
                linger="",
            ).replace("enabled = true", "enabled = false")
            path.write_text(text, encoding="utf-8")
            config = load_config(path, env={})
            gw = Gateway(config, config_path=path)
            await gw.start()
            gw.adapters["sms.smpp"] = InstantSms(gw.ctx)
            conversation = SmsConversation(gw.pipeline, config.adapters.sms, gw.ctx.country)
            try:
                await file_round(conversation, 900_000, 300, args.window)  # warm-up
                await drained(gw)
                figures = []
                for r in range(args.rounds):
                    cpu = time.process_time()
                    wall = time.perf_counter()
                    await file_round(conversation, (r + 1) * 1_000_000, args.count, args.window)
                    await drained(gw)
                    figures.append((time.process_time() - cpu) * 1000 / args.count)
                    print(
                        f"round {r + 1}: {figures[-1]:.3f} s CPU per 1,000 SMS "
                        f"({args.count / (time.perf_counter() - wall):,.0f} SMS/s wall)"
                    )
                print(
                    f"intake process CPU per 1,000 SMS (core {args.core}, window "
                    f"{args.window}): min {min(figures):.3f} s over {args.rounds} rounds"
                )
            finally:
                await gw.stop()
    finally:
        if core is not None:
            core.terminate()
            core.wait(timeout=30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--core", choices=("embedded", "external"), default="embedded")
    asyncio.run(main(parser.parse_args()))

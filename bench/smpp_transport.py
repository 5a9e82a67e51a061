"""Benchmark: the SMPP adapter alone, with an intake that commits instantly.

The same SMSC simulator and load as ``bench/smpp_intake.py`` (phase 1), but the gateway
child runs only ``SmppAdapter`` (session, decoding, the SMS conversation, the ``Report``
it builds) against an in-memory intake that answers at once: no store, no outbox, no acks.
It shows what one bind's transport and adapter can carry by themselves, i.e. how much of
``smpp_intake.py``'s cost is the SMS door and how much the pipeline behind it.

Usage: python bench/smpp_transport.py [--count 5000] [--windows 64,10]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from smpp_intake import ROOT, Smsc, cpu_seconds, free_port, stop_gateway, throughput


class InstantIntake:
    """Every intake call succeeds at once; every message is a new report."""

    def __init__(self) -> None:
        self.ids = itertools.count(1)

    async def submit(self, report: Any, *, inbound_key: str) -> Any:
        from gateway.adapter import IntakeResult

        return IntakeResult(f"T{next(self.ids):011d}", "received")

    async def inbound_key_age(self, key: str) -> float | None:
        return None

    def __getattr__(self, name: str) -> Any:
        async def nothing(*args: Any, **kwargs: Any) -> Any:
            return None

        return nothing


async def serve(tmp: Path, smsc_port: int) -> None:
    from adapters.sms.config import SmsConfig
    from adapters.sms.smpp import SmppAdapter
    from gateway.adapter import AdapterContext

    config = SmsConfig.model_validate(
        {
            "smpp": {
                "enabled": True,
                "binds": [
                    {
                        "name": "bench",
                        "host": "127.0.0.1",
                        "port": smsc_port,
                        "system_id": "bench",
                        "max_inflight": 512,
                    }
                ],
            }
        }
    )
    ctx = AdapterContext(
        intake=InstantIntake(),  # type: ignore[arg-type]
        data_dir=tmp,
        country="ID",
        max_body_bytes=1 << 20,
    )
    adapter = SmppAdapter(ctx, config)
    await adapter.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await adapter.stop()


async def main(args: argparse.Namespace) -> None:
    port = free_port()
    smsc = Smsc(port)
    runner = asyncio.create_task(smsc.run())
    await asyncio.sleep(0.1)
    with tempfile.TemporaryDirectory() as tmp:
        child = subprocess.Popen(  # noqa: ASYNC220 - one child, started once
            [sys.executable, __file__, "--serve", tmp, str(port)], cwd=ROOT
        )
        try:
            await asyncio.wait_for(smsc.bound.wait(), 30)
            await throughput(smsc, 300, 64, 900_000)  # warm-up
            for n, window in enumerate(int(w) for w in args.windows.split(",")):
                cpu = cpu_seconds(child.pid)
                rate = await throughput(smsc, args.count, window, n * 1_000_000)
                cpu = cpu_seconds(child.pid) - cpu
                print(
                    f"deliver_sm answered by the SMPP adapter alone (instant intake), 1 bind, "
                    f"window {window}: {rate:,.0f} msg/s over {args.count} messages; adapter "
                    f"CPU {cpu * 1000 / args.count:.2f} s per 1,000 messages"
                )
        finally:
            await stop_gateway(child, runner, smsc)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        asyncio.run(serve(Path(sys.argv[2]), int(sys.argv[3])))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--windows", default="64,10", help="deliver_sm outstanding, per run")
    asyncio.run(main(parser.parse_args()))

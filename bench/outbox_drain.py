"""Outbox drain after a core outage: fill N forwards with the core case store down, bring it
back, measure how fast the backlog drains and in what order.

A real Gateway (SQLite file, pipeline, relay, HTTP core client) in this process, the core
case store a real local HTTP server (:class:`tests.fakes.core.FakeCore`) answering 503 with
``Retry-After`` while "down". Reports are filed through the pipeline directly (the intake
path is measured by web_intake.py; here only the relay matters).

Prints: rows filed, requests the core saw while down (the relay probes one row at a time
and honours Retry-After, so this stays small however large the backlog), drain rate in
rows/s once the core is back, and the worst displacement from arrival order.

Usage: python bench/outbox_drain.py [--rows 5000] [--down-seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.service import Gateway
from normalizer import Channel, Report, Reporter
from tests.conftest import make_config
from tests.fakes.core import FakeCore


async def run(rows: int, down_s: float, concurrency: int) -> dict[str, float]:
    core = FakeCore()
    await core.start()
    core.state.mode = "fail503"
    core.state.retry_after = "1"
    with tempfile.TemporaryDirectory() as tmp:
        config = make_config(
            Path(tmp),
            {
                "core": {"url": core.url, "retry": {"initial_backoff_s": 0.2, "max_backoff_s": 2}},
                "outbox": {"poll_interval_s": 0.05, "concurrency": concurrency},
                "flood": {"channel_burst": 10**9, "channel_per_s": 10**9},
            },
        )
        gw = Gateway(config)
        await gw.start()
        try:
            started = time.monotonic()
            order: list[str] = []
            batch = 500
            for first in range(0, rows, batch):
                results = await asyncio.gather(
                    *(
                        gw.pipeline.submit(
                            Report(
                                channel=Channel.WEB,
                                transport="http",
                                reporter=Reporter(user_id=f"bench-{i}"),
                                text=f"Laporan antrean {i}: saluran air tersumbat di RT {i % 97}",
                            ),
                            inbound_key=f"bench:{i}",
                        )
                        for i in range(first, min(rows, first + batch))
                    )
                )
                order += [r.tracking_id for r in results]
            fill_s = time.monotonic() - started
            await asyncio.sleep(max(0.0, down_s - fill_s))
            down_requests = len(core.state.requests)
            down_elapsed = time.monotonic() - started
            core.state.mode = "ok"
            up_at = time.monotonic()
            while len(core.state.cases) < rows:  # noqa: ASYNC110 - polling a plain dict
                await asyncio.sleep(0.01)
            drain_s = time.monotonic() - up_at
        finally:
            await gw.stop()
            await core.stop()
    position = {tid: i for i, tid in enumerate(order)}
    delivered = list(
        dict.fromkeys(r["key"] for r in core.state.requests if r["key"] in core.state.cases)
    )
    displacement = max(abs(position[tid] - i) for i, tid in enumerate(delivered))
    return {
        "rows": rows,
        "fill_s": fill_s,
        "down_s": down_elapsed,
        "down_requests": down_requests,
        "drain_s": drain_s,
        "rows_per_s": rows / drain_s,
        "displacement": displacement,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--down-seconds", type=float, default=5.0)
    ap.add_argument("--concurrency", type=int, default=16, help="[outbox] concurrency")
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # one "will retry" line per probe is not a figure
    r = asyncio.run(run(args.rows, args.down_seconds, args.concurrency))
    print(
        f"outbox drain after a core outage ({args.rows} forwards, concurrency {args.concurrency})"
    )
    print(f"  filled with the core down:      {r['rows']} rows in {r['fill_s']:.1f} s")
    print(
        f"  core requests while down:       {r['down_requests']} in {r['down_s']:.1f} s "
        "(one probe at a time, Retry-After: 1 honoured)"
    )
    print(f"  drain once the core is back:    {r['drain_s']:.2f} s = {r['rows_per_s']:.0f} rows/s")
    print(f"  worst displacement from arrival order: {r['displacement']} rows")


if __name__ == "__main__":
    main()

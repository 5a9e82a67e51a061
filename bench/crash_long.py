"""The long crash run: thousands of messages over web, mobile, SMPP and the GSM modem, with
dozens of SIGKILLs of the gateway at random moments, restarted each time; then every
invariant of :func:`tests.system.crash_harness.check` (the short version runs in
``make test`` as ``tests/system/test_crash_mixed.py``).

Prints the figures: messages, kills, sends cut off by a kill, repeats the core and the
citizens saw, and the time it took. Exits non-zero (with the broken invariant) on failure.

Usage: python bench/crash_long.py [--messages 2000] [--kills 30] [--seed 1708]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.system.crash_harness import CrashRun, Plan


async def run(messages: int, kills: int, seed: int, keep: bool) -> dict[str, object]:
    share = {"web": 0.3, "mobile": 0.2, "smpp": 0.3, "gammu": 0.2}
    counts = {k: max(1, int(messages * v)) for k, v in share.items()}
    # spread the load so it lasts through every kill (each restart takes ~1 s)
    plan = Plan(
        **counts,
        kills=kills,
        kill_after_s=(0.5, 2.0),
        seed=seed,
        clients=16,
        spread_s=kills * 2.2,
    )
    tmp = Path(tempfile.mkdtemp(prefix="crash-long-"))
    async with CrashRun(tmp, plan) as crash:
        figures = await crash.run()
    figures["per_channel"] = counts
    if keep:
        figures["data"] = str(tmp)
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--kills", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1708)
    ap.add_argument("--keep", action="store_true", help="keep the data folder and print it")
    args = ap.parse_args()
    started = time.monotonic()
    try:
        f = asyncio.run(run(args.messages, args.kills, args.seed, args.keep))
    except AssertionError as exc:
        print(f"INVARIANT BROKEN: {exc}")
        sys.exit(1)
    print(f"crash run: {f['messages']} messages {f['per_channel']}, {f['kills']} SIGKILLs")
    print(f"  sends cut off by a kill (then retried/redelivered): {f['interrupted_sends']}")
    print(f"  deliver_sm redelivered after ESME_ROK (lost resp):  {f['redelivered_after_ack']}")
    print(f"  temporary refusals (503 / ESME_RX_T_APPN):          {f['temporary_errors']}")
    print(f"  core POSTs {f['core_posts']}, repeats absorbed by the core: {f['core_repeats']}")
    print(f"  acks to citizens {f['acks']}, repeated by a kill mid-send: {f['repeated_acks']}")
    print(f"  load + recovery {f['seconds']} s, total {time.monotonic() - started:.0f} s")
    print("  invariants: every acknowledged message stored exactly once, one tracking ID per")
    print("  report, every report at the core once per tracking ID, every report acknowledged")
    if "data" in f:
        print(f"  data: {f['data']}")


if __name__ == "__main__":
    main()

"""Memory per report in the level-3 similarity index (the forwarder's largest structure).

    .venv/bin/python bench/dedup_memory.py [--reports 100000] [--tracemalloc]

Builds a :class:`~gateway.linker.Linker` as the forwarder does at start, then indexes
``--reports`` synthetic complaints (:mod:`bench._dedup_synth`: realistic wording, places,
regions, amounts; one phone per report; spread over the last 29 days so none is evicted)
through :meth:`Linker.load`, in two halves. After each half the rows are dropped and the
garbage collector run, and the memory measured:

* by default the process RSS (what the operator sees; includes the allocator's slack);
* with ``--tracemalloc`` the bytes Python has allocated and still holds (exact, but the
  run is about twice as slow).

Printed: the memory after each half, bytes per report on average (everything the index
holds divided by the reports), and the marginal bytes per report of the second half (the
growth once the vocabulary, the stemmer's cache and the gazetteer are paid for: what each
further report costs). The gazetteer and the stemmer are loaded before the first
measurement, as the forwarder loads them at start.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import sys
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._dedup_synth import synth_text
from bench._harness import rss_mb
from gateway.config import Config
from gateway.linker import Linker, WarmRow
from normalizer import regions
from normalizer.analysis import analyse
from normalizer.tracking import new_tracking_id


def rows(count: int, start: int, total: int, now: datetime, seed: int) -> list[WarmRow]:
    """Warm-up rows *start*..*start+count* of *total*, oldest first, over 29 days."""
    rng = random.Random(seed)
    span = 29 * 86400
    out: list[WarmRow] = []
    for i in range(start, start + count):
        at = now - timedelta(seconds=span * (total - i) / total)
        phone = f"+62812{rng.randrange(10**7):07d}"
        out.append((new_tracking_id(), synth_text(rng), [f"phone:{phone}"], at, None, None, None))
    return out


def held_bytes(traced: bool) -> int:
    gc.collect()
    if traced:
        return tracemalloc.get_traced_memory()[0]
    return int(rss_mb(os.getpid()) * 1024 * 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--tracemalloc", action="store_true", help="count Python allocations")
    args = parser.parse_args()
    now = datetime.now(UTC)
    regions.preload()
    analyse("lampu jalan mati di kel. sukamaju kec. cileungsi")  # loads the stemmer
    linker = Linker(Config().dedup)
    if args.tracemalloc:
        tracemalloc.start()
    half = args.reports // 2
    base = held_bytes(args.tracemalloc)
    marks = []
    for step, start in enumerate((0, half)):
        batch = rows(half, start, 2 * half, now, seed=step)
        asyncio.run(linker.load(batch, now=now))
        del batch
        marks.append(held_bytes(args.tracemalloc))
    kind = "traced Python allocations" if args.tracemalloc else "RSS"
    indexed = len(linker.index)
    first, second = marks[0] - base, marks[1] - base
    print(f"{kind}, {indexed:,} reports indexed (of {2 * half:,})")
    print(f"  after {half:,}: {first / 2**20:7.1f} MB above the empty index")
    print(f"  after {2 * half:,}: {second / 2**20:7.1f} MB above the empty index")
    print(f"  bytes per report, average:         {second / max(indexed, 1):7.0f}")
    print(f"  bytes per report, second half:     {(second - first) / max(indexed - half, 1):7.0f}")


if __name__ == "__main__":
    main()

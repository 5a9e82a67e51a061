"""Garbage-collector settings for the long-running gateway process.

With CPython's default thresholds a full (generation 2) collection runs every second or
two under load and stops the event loop long enough to dominate p99 latency (figures in the
README's "Performance" section, from ``bench/web_intake.py``). Almost everything it scans
is long-lived: imported modules, pydantic schemas, warmed caches. So, once the gateway has
started:

* :func:`gc.freeze` moves every object alive at that moment to a permanent generation that
  collections never scan (they live for the whole process anyway);
* a larger generation-0 threshold makes young collections rarer: request objects die by
  reference counting, cycles are rare, and each young collection still costs a pass;
* full collections wait for ten times more young ones than by default.

It runs before the port opens: the first full collection of the warmed heap is the
longest, and requests must not wait for it.

Reference counting frees almost everything; the collector is still on for the rare cycles.
"""

from __future__ import annotations

import gc

#: allocations (minus deallocations) between young collections; CPython's default is 700
GEN0_THRESHOLD = 50_000
#: generation-1 collections between full ones; CPython's default is 10
GEN2_THRESHOLD = 100


def settle() -> None:
    """Collect once, freeze what survived, and space out later collections."""
    gc.collect()
    gc.freeze()
    _, gen1, _ = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, GEN2_THRESHOLD)

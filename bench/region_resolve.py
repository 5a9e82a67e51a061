"""Cost of :mod:`normalizer.regions`: gazetteer load time and memory, resolve time per text.

    .venv/bin/python bench/region_resolve.py [--rounds 7]

Run in a fresh process (the gazetteer is loaded once per process):

1. load: wall time of the first :func:`normalizer.regions.preload` (gunzip, parse, index);
2. memory: resident set size before and after that load, and the bytes ``tracemalloc`` sees
   still held by the index after a second, traced load (peak too: the transient text);
3. resolve: microseconds per call of :func:`resolve_region` over every text of
   ``tests/data/dedup_labelled.jsonl`` (web letters, SMS shorthand, tweets), best of
   ``--rounds`` rounds, as a mean per text and scaled to 300 characters, plus the slowest
   text; then two ~300-char texts that name a common desa name, its kecamatan and a
   kabupaten/kota (the costliest kind), best of many calls.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
import tracemalloc
from pathlib import Path

from normalizer import regions

#: ~300-char texts naming a desa shared by 65-120 desa, its kecamatan and a kabupaten/kota
LONG = (
    "Yth. Admin LAPOR!, saya warga Jl. Merdeka No. 12 RT 02/RW 04 Kel. Mekarsari, Kec. "
    "Cileungsi, Kab. Bogor. Dengan ini saya melaporkan jalan rusak berlubang sudah 3 bulan "
    "tidak diperbaiki, sudah banyak pengendara motor jatuh terutama malam hari. Mohon segera "
    "ditindaklanjuti. Terima kasih.",
    "dirmh sy di ds sukamaju kec jonggol air pdam sdh 2 mgg g ngalir pdhl tagihan tetap dtg "
    "780rb. udh lapor ke kantor pdam tp blm ada tindakan, tetangga jg sama. mhn dibantu scpt "
    "nya krn anak2 hrs sekolah. trims - pak darto ketua rt 02 rw 05 bgr",
)
DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "dedup_labelled.jsonl"


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    texts = [json.loads(line)["text"] for line in DATA.read_text("utf-8").splitlines() if line]

    gc.collect()
    before = _rss_mb()
    started = time.perf_counter()
    regions.preload()
    load_s = time.perf_counter() - started
    gc.collect()
    after = _rss_mb()
    print(f"load: {load_s * 1000:.0f} ms, {len(regions.gazetteer())} regions")
    print(f"RSS: {before:.1f} -> {after:.1f} MB (+{after - before:.1f} MB)")

    regions.gazetteer.cache_clear()
    gc.collect()
    tracemalloc.start()
    regions.preload()
    gc.collect()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"index held: {held / 2**20:.1f} MB (peak while loading {peak / 2**20:.1f} MB)")

    resolve = regions.resolve_region
    best = [float("inf")] * len(texts)  # per text, the best of the rounds: load on a shared
    for _ in range(args.rounds):  # machine only ever adds time
        for i, text in enumerate(texts):
            t0 = time.perf_counter()
            resolve(text)
            best[i] = min(best[i], time.perf_counter() - t0)
    chars = sum(len(t) for t in texts)
    found = sum(resolve(t) is not None for t in texts)
    print(
        f"resolve: {sum(best) / len(texts) * 1e6:.1f} us per text (mean {chars / len(texts):.0f}"
        f" chars), {sum(best) / chars * 300 * 1e6:.1f} us per 300 chars;"
        f" {found}/{len(texts)} texts name a region"
    )
    slowest = max(range(len(texts)), key=best.__getitem__)
    text = texts[slowest]
    print(f"slowest: {best[slowest] * 1e6:.0f} us for {len(text)} chars: {text[:70]!r}")
    for text in LONG:
        one = min(_timed(text) for _ in range(args.rounds * 200))
        print(f"{len(text)}-char text with three markers: {one * 1e6:.1f} us -> {resolve(text)}")


def _timed(text: str) -> float:
    t0 = time.perf_counter()
    regions.resolve_region(text)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()

"""Cost of the text normalizer, and whether character trigrams tell typos from other words.

    .venv/bin/python bench/text_cost.py [--base PATH/TO/old/fingerprint.py]

1. ``normalize()`` (request path, once per incoming report) on three typical complaints of
   ~250 characters (formal web letter, SMS shorthand, SMS with amounts): CPU time per call,
   best of 9 rounds. With ``--base`` an older ``fingerprint.py`` is timed interleaved with
   the current one and the ratio printed.
2. ``terms()`` (off the request path): cold (empty stem cache: every word stemmed) and warm.
3. Character trigrams on Sastrawi roots of 5-10 letters: the Jaccard of a
   word with a one-edit typo of itself (drop, swap, double, replace one inner letter)
   against its Jaccard with a random other root and with its nearest other root.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
import time
import timeit
from importlib import resources
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from normalizer import fingerprint, terms

TEXTS = [
    "LAPOR! Yth admin, sy warga Jl. Cibiru Raya RT 02/RW 04 Kel. Cibiru Hilir mau melaporkan "
    "tagihan PDAM bln ini melonjak jd Rp 780.000 pdhl bbrp bln lalu cm 150rb. sdh dtg ke kantor "
    "tp blm ada tanggapan. mhn sgr ditindaklanjuti krn warga sdh resah. trims - pak darto ketua rt 02",
    "dirmh sy di ds sukamaju air pdam sjk 2 bln ga ngalir, tagihan tetep dtg jd 780rb pdhl ga "
    "pake. tlg dicek min, udh lapor ke kntr tp ga ada respon. mksh bgt @lapor1708. skrg warga hrs "
    "beli air galon tiap hari, 5rb per galon, sdh 2 bln begini trs",
    "Dengan hormat, bersama ini saya melaporkan jalan rusak parah di depan SD Negeri 3 Cibiru, "
    "banyak lubang besar yang membahayakan pengendara terutama malam hari. Mohon segera "
    "diperbaiki. Sudah ada dua kecelakaan minggu ini. Terima kasih atas perhatiannya.",
]


def _per_call(module: ModuleType) -> float:
    total = 0.0
    for text in TEXTS:
        total += timeit.timeit(
            lambda t=text: module.normalize(t), number=1000, timer=time.process_time
        ) / 1000
    return total / len(TEXTS)


def normalize_cost(base_path: str | None) -> None:
    for text in TEXTS:
        fingerprint.normalize(text)  # lazy data loaded once, as in a running gateway
    mods: dict[str, ModuleType] = {"current": fingerprint}
    if base_path:
        spec = importlib.util.spec_from_file_location("base_fingerprint", base_path)
        assert spec and spec.loader
        base = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(base)
        mods["base"] = base
    rounds: dict[str, list[float]] = {name: [] for name in mods}
    for _ in range(9):
        for name, module in mods.items():
            rounds[name].append(_per_call(module))
    best = {name: min(values) for name, values in rounds.items()}
    chars = sum(map(len, TEXTS)) / len(TEXTS)
    for name, secs in best.items():
        print(f"normalize() {name}: {secs * 1e6:.1f} us/call (mean {chars:.0f} chars)")
    if "base" in best:
        print(f"ratio current/base: {best['current'] / best['base']:.2f}")


def terms_cost() -> None:
    norm = [fingerprint.normalize(t) for t in TEXTS]
    t0 = time.process_time()
    terms._stemmer()
    print(f"terms: stemmer build {1e3 * (time.process_time() - t0):.1f} ms (once)")
    cold = []
    for n in norm:
        terms.stem.cache_clear()
        t0 = time.process_time()
        terms.terms(n)
        cold.append(time.process_time() - t0)
    warm = min(
        timeit.repeat(lambda: [terms.terms(n) for n in norm], number=500, repeat=5,
                      timer=time.process_time)
    ) / 500 / len(norm)
    print(f"terms(): cold {1e6 * sum(cold) / len(cold):.0f} us/text, warm {1e6 * warm:.1f} us/text")


def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "swap", "double", "replace"))
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aiueokgnrst") + word[i + 1 :]


def _trigrams(word: str) -> frozenset[str]:
    """Character trigrams of *word* padded with "<" and ">" (the candidate typo feature
    measured here; the gateway does not use it, see the module docstring)."""
    padded = f"<{word}>"
    return frozenset(padded[i : i + 3] for i in range(max(1, len(padded) - 2)))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def trigram_typos() -> None:
    rng = random.Random(13)
    data = resources.files("Sastrawi.Stemmer").joinpath("data/kata-dasar.txt").read_text()
    roots = [w for w in data.split() if 5 <= len(w) <= 10 and w.isalpha()]
    grams = {w: _trigrams(w) for w in roots}
    sample = rng.sample(roots, 300)
    typo = [_jaccard(grams[w], _trigrams(_typo(rng, w))) for w in sample]
    other = [_jaccard(grams[w], grams[rng.choice(roots)]) for w in sample]
    near = [max(_jaccard(grams[w], g) for v, g in grams.items() if v != w)
            for w in sample]
    for t in (0.3, 0.4, 0.5):
        print(f"trigram Jaccard >= {t}: typo of the word {sum(s >= t for s in typo) / 300:.2f}, "
              f"random other root {sum(o >= t for o in other) / 300:.2f}, "
              f"nearest other root {sum(o >= t for o in near) / 300:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="an older normalizer/fingerprint.py to compare with")
    args = parser.parse_args()
    normalize_cost(args.base)
    terms_cost()
    trigram_typos()


if __name__ == "__main__":
    main()

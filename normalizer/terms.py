"""Content terms of a complaint, for similarity that weighs words by what they tell.

:func:`terms` takes text already put through :func:`normalizer.fingerprint.normalize`
(shorthand expanded, amounts canonical, "di"/"ke" split off places) and keeps what says
*which* problem it is:

* greetings, sign-offs, letter boilerplate and function words are dropped
  (:data:`normalizer.lexicon.STOPWORDS`), before and after stemming, so "pelaporan"
  and "ditindaklanjuti" go with "lapor" and "tindak";
* every other word is reduced to its root with the Sastrawi stemmer (Nazief-Adriani with
  Sastrawi's dictionary of Indonesian roots), so "perbaikan", "diperbaiki" and
  "memperbaiki" are one term ("baik"). A word the stemmer cannot place (a name, a place,
  an acronym) is kept as written;
* numbers are kept whatever their length: RT 3, SDN 3 and Rp 780000 tell cases apart.

Stemming a word takes tens of microseconds, and complaints reuse a small vocabulary, so
results are cached per word in a bounded LRU cache.
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import resources

from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
from Sastrawi.Stemmer.Stemmer import Stemmer

from normalizer.lexicon import STOPWORDS

#: distinct words whose stems are kept; past this the least recently used are forgotten
STEM_CACHE_SIZE = 50_000


@cache
def _stemmer() -> Stemmer:
    """Sastrawi's stemmer over its own root dictionary, without its unbounded result cache."""
    data = resources.files("Sastrawi.Stemmer").joinpath("data/kata-dasar.txt")
    return Stemmer(ArrayDictionary(data.read_text(encoding="utf-8").split()))


@lru_cache(maxsize=STEM_CACHE_SIZE)
def stem(word: str) -> str:
    """Root of one normalized *word* ("pelayanan" -> "layan"); numbers and words outside
    a-z (the stemmer's rules only know Latin Indonesian) come back unchanged."""
    if not (word.isascii() and word.isalpha()):
        return word
    root: str = _stemmer().stem_word(word)
    return root or word


def terms(normalized: str) -> list[str]:
    """Content terms of an already-normalized text, in order, repeats kept."""
    out: list[str] = []
    for word in normalized.split():
        if word.isdigit():
            out.append(word)
            continue
        if len(word) < 2 or word in STOPWORDS:
            continue
        root = stem(word)
        if len(root) >= 2 and root not in STOPWORDS:
            out.append(root)
    return out

"""Everything duplicate detection compares about one complaint text, computed once.

Three views of the same text, each answering a different question:

* ``words`` (:func:`normalizer.fingerprint.tokens`): the canonical word sequence. Equal
  sequences, a prefix, or a few typos mean "the same message sent again".
* ``facts`` (:func:`normalizer.facts.extract_facts`): the values that tell two complaints
  apart although their wording is shared (another NIK, another kelurahan, another office,
  another amount). They veto a merge or a link before any similarity is looked at.
* ``terms`` (:func:`normalizer.terms.terms`): stemmed content words without greetings,
  letter boilerplate and sign-offs, for similarity that survives rephrasing.
"""

from __future__ import annotations

from dataclasses import dataclass

from normalizer.facts import Facts, extract_facts
from normalizer.fingerprint import normalize
from normalizer.terms import terms


@dataclass(frozen=True, slots=True)
class Analysis:
    """The comparable views of one text (see the module docstring)."""

    normalized: str
    words: tuple[str, ...]
    facts: Facts
    terms: frozenset[str]


def analyse(text: str, normalized: str | None = None) -> Analysis:
    """Analyse *text*; *normalized* is ``normalize(text)`` when the caller has it already."""
    norm = normalized if normalized is not None else normalize(text)
    return Analysis(
        normalized=norm,
        words=tuple(norm.split()),
        facts=extract_facts(text),
        terms=frozenset(terms(norm)),
    )


def place_words(facts: Facts) -> frozenset[str]:
    """The words of the places named in *facts* ("jalan:cibiru raya" -> cibiru, raya).

    Left out of similarity scores: two complaints about one street are not one complaint
    unless they are about the same problem there. A shared place is evidence on its own
    (:func:`normalizer.facts.shared_specific`)."""
    return frozenset(word for value in facts.places for word in value.split(":", 1)[-1].split())


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Cosine similarity of two term sets with equal weights: |a ∩ b| / sqrt(|a| |b|)."""
    if not a or not b:
        return 0.0
    cosine: float = len(a & b) / (len(a) * len(b)) ** 0.5
    return cosine

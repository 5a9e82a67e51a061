"""Level 2 of duplicate detection: the decision for one new report, at intake.

Level 1 (the same transport message again) is the store's inbound-key constraint. Level 3
(``similar_to`` links to other people's reports) is computed where reports are forwarded,
off the request path (:mod:`gateway.linker`). This module answers the question that
decides what the citizen is told, so it runs inside the write transaction.

**Asymmetric outcomes.** Merging a report into an earlier case (``duplicate_of``: no case of
its own reaches the core) is the one decision that can lose a complaint, so it is taken only
when near-certain. Everything less certain opens a new case that carries a
``possible_duplicate_of`` link for the case handlers, and the citizen gets the normal
``received`` answer. Against each recent report of the same reporter (any shared normalized
identity: ``Reporter.identity_keys()``, inside ``window_hours``), using
:mod:`normalizer.analysis`:

1. the two texts name different values of one kind of fact (another NIK, another name after
   "a.n.", another kelurahan or office, another document, another amount): different
   complaints, no link at all -- a template filled in for another person is not a resend;
2. the same words after normalization, or typo-level edits (character similarity at least
   ``typo_ratio`` and the same numbers) -> ``DUPLICATE``;
3. the new text is the start of the earlier one (an SMS cut short; at least
   ``truncation_min_words`` words) -> ``DUPLICATE``;
4. the earlier text is (almost) wholly inside the new one, which adds at least
   ``addendum_min_new_words`` words -> ``ADDENDUM`` (new detail for the same case);
5. otherwise, content-term overlap of at least ``possible_threshold``, leaving out the
   words both texts share at their start and end (one writer's header and sign-off) ->
   ``NEW`` with a ``possible_duplicate_of`` link (score and evidence); below it, ``NEW``.

DUPLICATE and ADDENDUM link to the *first* report of the chain (a prior that is itself a
duplicate contributes its ``duplicate_of``). A merge beats a possible link; among equals the
best score wins, ties going to the oldest.

**Privacy.** Level 2 only ever links to a report the *same identity* filed, so the
``duplicate`` reply (which shows ``duplicate_of``) cannot reveal someone else's report;
reports without any identity (anonymous web form) never get a level-2 link. The evidence
names kinds of agreement, never values (a NIK or a name is personal data).
:meth:`DedupDecision.citizen_tracking_id` is the one value a citizen-facing reply may show.

**Store contract.** :meth:`Deduplicator.decide` takes the same reporter's recent reports as
objects with ``tracking_id``, ``text`` (the original text), ``received_at`` (aware datetime)
and ``duplicate_of`` (``None`` for an original).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Protocol

from rapidfuzz.fuzz import ratio

from gateway.sections import DedupSection
from normalizer.analysis import Analysis, analyse, overlap, place_words
from normalizer.facts import conflicts, extract_facts, shared_specific
from normalizer.fingerprint import containment, normalize, shingles
from normalizer.report import PossibleDuplicate, Report
from normalizer.terms import terms

#: word-pair shingles for the addendum rule: word order matters for "the same text plus"
SHINGLE_K = 2
#: most recent priors compared (a flooding sender must not make decide() slow)
MAX_PRIORS = 10


class Level2(StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"
    ADDENDUM = "addendum"
    #: a new case, linked ``possible_duplicate_of`` an earlier one of the same reporter
    POSSIBLE = "possible"


#: how sure each verdict is, for choosing between priors (merges first)
_RANK = {Level2.DUPLICATE: 2, Level2.ADDENDUM: 2, Level2.POSSIBLE: 1, Level2.NEW: 0}


class PriorLike(Protocol):
    """A recent report of the same reporter (``gateway.store.PriorReport`` fits)."""

    @property
    def tracking_id(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def received_at(self) -> datetime: ...
    @property
    def duplicate_of(self) -> str | None: ...


@dataclass
class DedupDecision:
    """Outcome for one new report, read by the pipeline's planner."""

    level2: Level2
    #: first tracking ID of the chain (DUPLICATE and ADDENDUM), else None
    duplicate_of: str | None = None
    #: the link a case handler sees on a new case (POSSIBLE), else None
    possible_duplicate_of: PossibleDuplicate | None = None
    #: similarity with the matched prior (1.0 for identical texts)
    score: float = 0.0
    #: True for ADDENDUM (derived from ``level2``)
    addendum: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.addendum = self.level2 is Level2.ADDENDUM

    def citizen_tracking_id(self, own_tracking_id: str) -> str:
        """The one tracking ID a reply to this citizen may show: the original of their own
        chain, or their new report. Never someone else's report."""
        return self.duplicate_of or own_tracking_id


@dataclass(frozen=True, slots=True)
class Level2Match:
    level2: Level2
    score: float
    evidence: tuple[str, ...] = ()


def _is_truncation(new: Sequence[str], old: Sequence[str], min_words: int) -> bool:
    """True when *new* is the start of *old*. Its last word is not compared: an SMS cut
    mid-word leaves a fragment ("ud" of "udh") that normalizes to anything."""
    n = len(new)
    if n - 1 < min_words or n > len(old):
        return False
    return list(new[:-1]) == list(old[: n - 1])


def compare(new: Analysis, old: Analysis, config: DedupSection) -> Level2Match:
    """Level-2 verdict of a new text against one earlier text of the same reporter (pure)."""
    differ = conflicts(new.facts, old.facts)
    if differ:
        return Level2Match(Level2.NEW, 0.0, tuple(f"different {kind}" for kind in differ))
    if new.words == old.words:
        return Level2Match(Level2.DUPLICATE, 1.0, ("same text",))
    if not new.words or not old.words:
        return Level2Match(Level2.NEW, 0.0)
    typo = ratio(new.normalized, old.normalized) / 100.0
    if typo >= config.typo_ratio and _numbers(new.words) == _numbers(old.words):
        return Level2Match(Level2.DUPLICATE, round(typo, 3), ("same text up to typos",))
    if _is_truncation(new.words, old.words, config.truncation_min_words):
        score = round(len(new.words) / len(old.words), 3)
        return Level2Match(Level2.DUPLICATE, score, ("start of the earlier text",))
    kept, gone = _strip_common_ends(new.words, old.words)
    kept_terms = frozenset(terms(" ".join(kept)))
    gone_terms = frozenset(terms(" ".join(gone)))
    if not gone and len(old.words) >= 3:
        # the earlier text, words added in one place: detail, or a word of courtesy
        if len(kept_terms) >= config.addendum_min_new_words:
            return Level2Match(Level2.ADDENDUM, 1.0, ("earlier text plus detail",))
        return Level2Match(Level2.DUPLICATE, 1.0, ("earlier text plus a few words",))
    if not kept and len(new.words) >= config.truncation_min_words:
        return Level2Match(Level2.DUPLICATE, 1.0, ("earlier text with words left out",))
    if kept and gone and not kept_terms and not gone_terms:
        return Level2Match(Level2.DUPLICATE, 1.0, ("same text but for courtesy words",))
    new_sh = shingles(new.words, SHINGLE_K)
    old_sh = shingles(old.words, SHINGLE_K)
    old_in_new = containment(old_sh, new_sh)
    extra = len(set(new.words) - set(old.words))
    if (
        len(old_sh) >= 3
        and old_in_new >= config.containment_threshold
        and extra >= config.addendum_min_new_words
    ):
        return Level2Match(Level2.ADDENDUM, round(old_in_new, 3), ("earlier text plus detail",))
    return _possible(kept, gone, kept_terms, gone_terms, config)


def _numbers(words: Sequence[str]) -> frozenset[str]:
    """The numbers of a text: a retyped resend keeps them, a template filled in again
    (another NIK, another school number, another amount) does not."""
    return frozenset(w for w in words if w.isdigit())


def _possible(
    kept: Sequence[str],
    gone: Sequence[str],
    kept_terms: frozenset[str],
    gone_terms: frozenset[str],
    config: DedupSection,
) -> Level2Match:
    """Score what two texts say *apart from the words they share at their start and end*
    (*kept*: the new text's middle, *gone*: the earlier one's, with their content terms):
    one writer's letter header and sign-off ("Yth. Admin LAPOR!, saya ..., warga Jl. ...",
    "mhn diperbaiki. trims - pak darto ketua rt 02") are the same in all their complaints and
    say nothing about whether two of them are one complaint."""
    new_facts, old_facts = extract_facts(" ".join(kept)), extract_facts(" ".join(gone))
    # place names are left out of the score, and a shared one is evidence, not score: one
    # reporter's complaints are mostly about their own street, whatever the problem
    places = place_words(new_facts) | place_words(old_facts)
    mine = kept_terms - places
    theirs = gone_terms - places
    score = overlap(mine, theirs)
    if score < config.possible_threshold:
        return Level2Match(Level2.NEW, round(score, 3))
    shared = shared_specific(new_facts, old_facts)
    evidence = [f"{len(mine & theirs)} of {len(mine)} content words shared"]
    evidence += sorted({f"same {value.split(':', 1)[0]}" for value in shared})
    return Level2Match(Level2.POSSIBLE, round(score, 3), tuple(evidence))


def _strip_common_ends(
    a: Sequence[str], b: Sequence[str]
) -> tuple[Sequence[str], Sequence[str]]:
    """*a* and *b* without their longest common first and last words."""
    n = min(len(a), len(b))
    start = 0
    while start < n and a[start] == b[start]:
        start += 1
    end = 0
    while end < n - start and a[-1 - end] == b[-1 - end]:
        end += 1
    return a[start : len(a) - end], b[start : len(b) - end]


def decide_level2(
    report_text: str,
    received_at: datetime,
    priors: Sequence[PriorLike],
    config: DedupSection,
    *,
    normalized: str | None = None,
) -> DedupDecision:
    """Level-2 decision against the same reporter's priors.
    *normalized* is ``normalize(report_text)`` when the caller already has it."""
    window = timedelta(hours=config.window_hours)
    recent = [
        p
        for p in priors
        if received_at - window <= p.received_at <= received_at + timedelta(minutes=5)
    ]
    if not recent:
        return DedupDecision(Level2.NEW)
    mine = analyse(report_text, normalized)
    best: tuple[int, float, Level2Match, str] | None = None
    for prior in sorted(recent, key=lambda p: p.received_at)[-MAX_PRIORS:]:
        match = compare(mine, _analysed(prior.text), config)
        if match.level2 is Level2.NEW:
            continue
        root = prior.duplicate_of or prior.tracking_id
        key = (_RANK[match.level2], match.score)
        # strictly better only: on a tie the older prior (its chain's root came first) stays
        if best is None or key > best[:2]:
            best = (key[0], key[1], match, root)
    if best is None:
        return DedupDecision(Level2.NEW)
    match, root = best[2], best[3]
    if match.level2 is Level2.POSSIBLE:
        link = PossibleDuplicate(
            tracking_id=root, score=match.score, evidence=list(match.evidence)
        )
        return DedupDecision(Level2.POSSIBLE, possible_duplicate_of=link, score=match.score)
    return DedupDecision(match.level2, duplicate_of=root, score=match.score)


@lru_cache(maxsize=4096)
def _analysed(text: str) -> Analysis:
    """The analysis of an earlier report's text. A reporter who writes often is compared
    with the same earlier reports again and again, inside the write transaction."""
    return analyse(text)


class Deduplicator:
    """Level-2 decisions as the pipeline uses them (no state: the store holds the priors)."""

    def __init__(self, config: DedupSection) -> None:
        self.config = config

    def prepare(self, report: Report) -> str:
        """The text work done *before* the write transaction: the normalized text.

        Why outside: the group commit runs on the event loop, so every microsecond spent
        inside a batch stalls every other request. The rest of the analysis (facts, terms)
        is done inside only for a reporter with recent reports, which most are not."""
        return normalize(report.text)

    def decide(
        self, report: Report, prior: Sequence[PriorLike], prepared: str | None = None
    ) -> DedupDecision:
        """Level 2 against *prior* (the same reporter's recent reports, from the store);
        *prepared* is :meth:`prepare`'s result. Pure CPU, no I/O."""
        return decide_level2(
            report.text, report.received_at, prior, self.config, normalized=prepared
        )

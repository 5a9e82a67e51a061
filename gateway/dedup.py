"""Level 2 of duplicate detection: the decision for one new report, at intake.

Level 1 (the same transport message again) is the store's inbound-key constraint. Level 3
(``similar_to`` links to other people's reports) is computed where reports are forwarded,
off the request path (:mod:`gateway.linker`). This module answers the question that
decides what the citizen is told, so it runs inside the write transaction:

**Level 2, same reporter.** The store gives us the recent reports that share at least one
normalized identity with the new one (``Reporter.identity_keys()``: E.164 phone across SMS,
web and mobile, X user id, e-mail, app user id) inside ``window_hours``. Against each of
them, using :mod:`normalizer.fingerprint`:

* same fingerprint text, or word-pair Jaccard >= ``same_reporter_threshold``, or the new
  text is (almost) wholly inside the earlier one (``containment_threshold``; a resend that
  lost its tail) -> ``DUPLICATE``;
* the earlier text is (almost) wholly inside the new one and the new one adds at least
  ``addendum_min_new_words`` words -> ``ADDENDUM`` (new detail for the same case);
* otherwise ``NEW``.

Both DUPLICATE and ADDENDUM link to the *first* report of the chain (a prior that is itself
a duplicate contributes its ``duplicate_of``), so the core case store gets one case per
problem and the repeat arrives as an addendum event on it. When several priors match, the
best score wins; ties go to the oldest.

**Privacy.** Level 2 only ever links to a report the *same identity* filed, so the
``duplicate`` reply (which shows ``duplicate_of``) cannot reveal someone else's report;
reports without any identity (anonymous web form) never get a level-2 link.
:meth:`DedupDecision.citizen_tracking_id` is the one value a citizen-facing reply may show.

**Store contract.** :meth:`Deduplicator.decide` takes the same reporter's recent reports as
objects with ``tracking_id``, ``text`` (the original or normalized text; it is normalized
again, which is idempotent), ``received_at`` (aware datetime) and ``duplicate_of``
(``None`` for an original). In the SQLite store that is ``report_identities(identity,
received_at, tracking_id)`` (primary key in that order, so the lookup is an index range
scan) joined to ``reports(tracking_id, body, received_at, duplicate_of)`` with
``identity IN (...) AND received_at >= now - window``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from gateway.config import DedupSection
from normalizer.fingerprint import containment, jaccard, normalize, shingles
from normalizer.report import Report

#: word-pair shingles for level 2: word order matters for "the same message again"
SHINGLE_K = 2
#: most recent priors compared (a flooding sender must not make decide() slow)
MAX_PRIORS = 100


class Level2(StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"
    ADDENDUM = "addendum"


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


@dataclass(frozen=True, slots=True)
class PriorReport:
    """Minimal :class:`PriorLike` for callers without a store (benchmarks, tests)."""

    tracking_id: str
    text: str
    received_at: datetime
    duplicate_of: str | None = None


@dataclass
class DedupDecision:
    """Outcome for one new report (fits the pipeline's ``DedupDecision`` protocol)."""

    level2: Level2
    #: first tracking ID of the chain (DUPLICATE and ADDENDUM), else None
    duplicate_of: str | None = None
    #: level-2 similarity with the matched prior (1.0 for identical fingerprints)
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


def compare(
    new_words: Sequence[str], old_words: Sequence[str], config: DedupSection
) -> Level2Match:
    """Level-2 verdict of a new text against one earlier text of the same reporter (pure)."""
    if list(new_words) == list(old_words):
        return Level2Match(Level2.DUPLICATE, 1.0)
    new_sh = shingles(new_words, SHINGLE_K)
    old_sh = shingles(old_words, SHINGLE_K)
    if not new_sh or not old_sh:
        return Level2Match(Level2.NEW, 0.0)
    old_in_new = containment(old_sh, new_sh)
    extra = len(set(new_words) - set(old_words))
    if old_in_new >= config.containment_threshold and extra >= config.addendum_min_new_words:
        return Level2Match(Level2.ADDENDUM, old_in_new)
    score = jaccard(new_sh, old_sh)
    if score >= config.same_reporter_threshold:
        return Level2Match(Level2.DUPLICATE, score)
    # a resend that lost its tail (SMS cut at a segment boundary): the new text is inside
    # the old one. Three word pairs at least, so "jalan rusak" alone links nothing.
    new_in_old = containment(new_sh, old_sh)
    if len(new_sh) >= 3 and new_in_old >= config.containment_threshold:
        return Level2Match(Level2.DUPLICATE, new_in_old)
    return Level2Match(Level2.NEW, score)


def decide_level2(
    report_text: str,
    received_at: datetime,
    priors: Sequence[PriorLike],
    config: DedupSection,
    *,
    normalized: str | None = None,
) -> tuple[Level2, str | None, float]:
    """Level-2 decision against the same reporter's priors: (verdict, original, score).
    *normalized* is ``normalize(report_text)`` when the caller already has it."""
    if not priors:
        return Level2.NEW, None, 0.0
    words = (normalized if normalized is not None else normalize(report_text)).split()
    window = timedelta(hours=config.window_hours)
    best: tuple[float, datetime, Level2, str] | None = None
    recent = sorted(priors, key=lambda p: p.received_at)[-MAX_PRIORS:]
    for prior in recent:
        if not (received_at - window <= prior.received_at <= received_at + timedelta(minutes=5)):
            continue
        match = compare(words, normalize(prior.text).split(), config)
        if match.level2 is Level2.NEW:
            continue
        root = prior.duplicate_of or prior.tracking_id
        # best score wins; on a tie the older prior (its chain's root is the first report)
        if best is None or match.score > best[0]:
            best = (match.score, prior.received_at, match.level2, root)
    if best is None:
        return Level2.NEW, None, 0.0
    return best[2], best[3], round(best[0], 3)


class Deduplicator:
    """Level-2 decisions as the pipeline uses them (no state: the store holds the priors)."""

    def __init__(self, config: DedupSection) -> None:
        self.config = config

    def prepare(self, report: Report) -> str:
        """The text work done *before* the write transaction: the normalized text.

        Why outside: the group commit runs on the event loop, so every microsecond spent
        inside a batch stalls every other request."""
        return normalize(report.text)

    def decide(
        self, report: Report, prior: Sequence[PriorLike], prepared: str | None = None
    ) -> DedupDecision:
        """Level 2 against *prior* (the same reporter's recent reports, from the store);
        *prepared* is :meth:`prepare`'s result. Pure CPU, no I/O."""
        text = prepared if prepared is not None else normalize(report.text)
        level2, original, score = decide_level2(
            report.text, report.received_at, prior, self.config, normalized=text
        )
        return DedupDecision(level2=level2, duplicate_of=original, score=score)

"""Level-3 similarity: which recent reports from *other* people are about the same problem.

Different citizens describe one flood or one illegal fee in different words, and every
complaint shares the same vocabulary of complaining ("mohon ditindaklanjuti", "sudah lama",
"warga"). So the score weighs each term by how rare it is among the indexed reports (inverse
document frequency, kept up to date as reports come and go): a kelurahan's name or "jembatan"
counts for a lot, "rusak" for little, and greetings, letter boilerplate and sign-offs are not
terms at all (:mod:`normalizer.terms`). The score is the cosine of the two IDF-weighted term
sets; the place facts of a text (:mod:`normalizer.facts`: street, RT/RW, desa, landmark) are
terms too, so naming the same specific place counts heavily.

Facts also veto: two reports naming different values of one kind (another kelurahan,
another office, another document, another NIK) are never linked, however alike their words
(:func:`normalizer.facts.conflicts`). A shared specific place adds ``fact_bonus``.

Why an inverted index and not MinHash LSH: LSH finds pairs above a Jaccard threshold of
*unweighted* features, and different people's words for one problem rarely reach it, so
clusters are missed while look-alikes sharing common words are found. Here candidates come
from the postings of the query's ``rarest_keys`` rarest terms and places (the others still
count in the score); each posting list keeps only its ``posting_cap`` most recent reports,
and at most ``max_candidates`` are scored, so a query touches a bounded number of reports
whatever the store size (``bench/dedup_scale.py`` checks it).

Other choices:

* Terms are interned to ints; a report keeps its term ids in one ``array('i')``.
* Only reports within ``window`` of the newest report are kept: older ones are evicted as new
  ones arrive, and everything is rebuilt when more than half of it is dead.
* Region and category are optional filters: when *both* reports carry a region (or
  category) and they differ, they are not linked. A report without one can link to any.
* Each report keeps up to :data:`OWNER_SLOTS` hashes of its reporter's identities
  (:func:`owner_hashes`), so a query can leave out the asking reporter's own recent reports
  without a database read (those are level 2's business). These use Python's ``hash()``:
  the index lives and dies with its process and is rebuilt from the store at start.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter

from normalizer.analysis import Analysis, place_words
from normalizer.facts import Facts, conflicts, shared_specific
from normalizer.facts.model import FIELD_SEP

#: identity hashes kept per report (phone, X user id, e-mail, app user id)
OWNER_SLOTS = 4
#: fact fields whose values are scored like terms (what a problem is about)
SCORED_FACTS = ("documents", "agencies")
#: reports whose parsed facts a query keeps at hand (:meth:`SimilarityIndex._slot_facts`)
FACTS_CACHE_SIZE = 8192
#: sort key of a (slot, accumulated weight) pair: by weight, then the newest slot
_WEIGHT_THEN_SLOT = itemgetter(1, 0)


def owner_hashes(identity_keys: Iterable[str]) -> tuple[int, ...]:
    """Hashes of a reporter's identity keys (``Reporter.identity_keys()``) as the index
    stores them; 0 means "no identity", so a key hashing to 0 becomes 1."""
    return tuple(hash(key) or 1 for key in identity_keys)[:OWNER_SLOTS]


@dataclass(frozen=True, slots=True)
class SimilarCandidate:
    """One recent report that looks like the query, with its score."""

    tracking_id: str
    score: float


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """What :meth:`SimilarityIndex.add_many` needs per report (the warm-up row shape)."""

    tracking_id: str
    analysis: Analysis
    received_at: datetime
    region: str | None = None
    category: str | None = None
    #: :func:`owner_hashes` of the reporter's identities
    owners: tuple[int, ...] = ()


def _document(analysis: Analysis) -> tuple[set[str], list[str], list[str]]:
    """(terms scored, place keys, fact tokens) of one analysed text.

    Place facts are not scored as terms (their words are) but find candidates (the same
    place named by several citizens), and a shared one adds the bonus."""
    facts = analysis.facts.tokens()
    scored = set(analysis.terms)
    scored.update(t for t in facts if t.split(FIELD_SEP, 1)[0] in SCORED_FACTS)
    places = [t for t in facts if t.split(FIELD_SEP, 1)[0] == "places"]
    return scored, places, facts


class SimilarityIndex:
    """Recent reports by IDF-weighted terms and facts, with capped posting lists."""

    def __init__(
        self,
        *,
        threshold: float,
        window: timedelta = timedelta(days=30),
        max_candidates: int = 200,
        partition_by: Sequence[str] = (),
        posting_cap: int = 16,
        rarest_keys: int = 8,
        fact_bonus: float = 0.15,
        problem_min: float = 0.15,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        self.threshold = threshold
        self.window = window
        self.max_candidates = max_candidates
        self.posting_cap = posting_cap
        self.rarest_keys = rarest_keys
        self.fact_bonus = fact_bonus
        self.problem_min = problem_min
        self.partition_by = tuple(partition_by)
        unknown = set(self.partition_by) - {"region", "category"}
        if unknown:
            raise ValueError(f"partition_by supports region and category, not {sorted(unknown)}")
        self._reset()

    def _reset(self) -> None:
        self._vocab: dict[str, int] = {}
        self._words: list[str] = []
        self._df: list[int] = []
        self._postings: dict[int, list[int]] = {}
        # per slot (slots are handed out in arrival order, so eviction walks from the head)
        self._ids: list[str | None] = []
        self._terms: list[array[int]] = []
        self._facts: list[array[int]] = []
        self._received: list[float] = []
        self._region: list[str | None] = []
        self._category: list[str | None] = []
        self._owners: list[tuple[int, ...]] = []
        self._slot: dict[str, int] = {}
        self._facts_cache: dict[int, tuple[Facts, frozenset[str]]] = {}
        self._evict_head = 0
        self._newest: datetime | None = None

    def __len__(self) -> int:
        return len(self._slot)

    # -- weights ----------------------------------------------------------------------------

    def _idf(self, df: int) -> float:
        return math.log((len(self._slot) + 1) / (df + 1)) + 1.0

    def _weight2(self, term_id: int) -> float:
        idf = self._idf(self._df[term_id])
        return idf * idf

    # -- query ------------------------------------------------------------------------------

    def query(
        self,
        analysis: Analysis,
        *,
        region: str | None = None,
        category: str | None = None,
        exclude: Iterable[str] = (),
        limit: int = 5,
        owners: Sequence[int] = (),
        owners_since: datetime | None = None,
    ) -> list[SimilarCandidate]:
        """Recent reports scoring at least the threshold, best first.

        Left out: the tracking IDs in *exclude*, reports whose region/category differ (see
        ``partition_by``), reports whose facts conflict with the query's, and reports
        received at or after *owners_since* by a reporter sharing one of *owners*."""
        if not self._slot:
            return []
        scored, places, _ = _document(analysis)
        known = [self._vocab[t] for t in scored if t in self._vocab]
        keys = known + [self._vocab[t] for t in places if t in self._vocab]
        if not keys:
            return []
        # candidates come from the postings of the query's rarest terms only (the others
        # still count in the score): a report about the same problem shares at least one
        # of them, and the walk stays bounded by rarest_keys * posting_cap
        partial: dict[int, float] = {}
        accumulated = partial.get
        for tid in sorted(keys, key=self._df.__getitem__)[: self.rarest_keys]:
            term_weight = self._weight2(tid)
            for slot in self._postings.get(tid, ()):
                partial[slot] = accumulated(slot, 0.0) + term_weight
        if not partial:
            return []
        skip = {self._slot[t] for t in exclude if t in self._slot}
        owned = set(owners)
        since = owners_since.timestamp() if owners_since is not None else None
        ranked = heapq.nlargest(
            self.max_candidates + len(skip) + 64, partial.items(), key=_WEIGHT_THEN_SLOT
        )  # best first; on equal weight the newest
        mine = set(known)
        # terms never seen before weigh as much as the rarest and make the query longer
        unseen = len(scored) - len(known)
        q_norm2 = sum(self._weight2(t) for t in known) + unseen * self._idf(0) ** 2
        q_norm = math.sqrt(q_norm2) or 1.0
        my_places = {self._vocab[w] for w in place_words(analysis.facts) if w in self._vocab}
        my_place_keys = {self._vocab[t] for t in places if t in self._vocab}
        # squared weights of the terms met in this query: one log per distinct term
        weights: dict[int, float] = {}
        known_weight = weights.get
        n_docs = len(self._slot) + 1
        df = self._df

        def w2(term_id: int) -> float:
            found = known_weight(term_id)
            if found is None:
                idf = math.log(n_docs / (df[term_id] + 1)) + 1.0
                found = weights[term_id] = idf * idf
            return found

        out: list[SimilarCandidate] = []
        looked = 0
        for slot, _ in ranked:
            if looked >= self.max_candidates:
                break
            if self._ids[slot] is None or slot in skip:
                continue
            if not self._partition_ok(slot, region, category):
                continue
            if owned and (since is None or self._received[slot] >= since):
                if owned.intersection(self._owners[slot]):
                    continue
            looked += 1
            theirs = self._terms[slot]
            dot = 0.0
            d_norm2 = 0.0
            for t in theirs:
                weight = known_weight(t)
                if weight is None:
                    weight = w2(t)
                d_norm2 += weight
                if t in mine:
                    dot += weight
            score = dot / (q_norm * (math.sqrt(d_norm2) or 1.0))
            if score < self.threshold:
                # only the bonus of a shared place can lift it: no place term in common, no
                # bonus (the cheap test before the facts are looked at)
                if score + self.fact_bonus < self.threshold or not any(
                    f in my_place_keys for f in self._facts[slot]
                ):
                    continue
            facts, their_place_words = self._slot_facts(slot)
            # the problem itself must agree too, not only the place both name (checked
            # before the facts: it is arithmetic, a conflict check is not)
            place_ids = {self._vocab[w] for w in their_place_words if w in self._vocab}
            place_ids |= my_places
            p_dot = dot - sum(w2(t) for t in theirs if t in mine and t in place_ids)
            p_theirs = d_norm2 - sum(w2(t) for t in theirs if t in place_ids)
            p_mine = q_norm2 - sum(w2(t) for t in known if t in place_ids)
            if p_dot <= 0 or p_dot / math.sqrt(p_theirs * p_mine) < self.problem_min:
                continue
            if conflicts(analysis.facts, facts):
                continue
            if shared_specific(analysis.facts, facts):
                score = min(1.0, score + self.fact_bonus)
            if score >= self.threshold:
                tracking_id = self._ids[slot]
                assert tracking_id is not None
                out.append(SimilarCandidate(tracking_id, round(score, 3)))
        out.sort(key=lambda c: -c.score)
        return out[:limit]

    def _slot_facts(self, slot: int) -> tuple[Facts, frozenset[str]]:
        """The facts of the report in *slot* and its place words (:func:`place_words`).

        Rebuilt from the interned tokens when asked, and kept in a small cache: the
        candidates of a query are mostly recent reports (posting lists keep the newest), so
        the same few thousand are asked about again and again, and rebuilding them was most
        of a query's cost. The cache is emptied when full; slots are never reused except
        after :meth:`_compact`, which starts a new one."""
        found = self._facts_cache.get(slot)
        if found is None:
            if len(self._facts_cache) >= FACTS_CACHE_SIZE:
                self._facts_cache.clear()
            facts = Facts.from_tokens(self._words[t] for t in self._facts[slot])
            found = self._facts_cache[slot] = (facts, place_words(facts))
        return found

    def _partition_ok(self, slot: int, region: str | None, category: str | None) -> bool:
        if "region" in self.partition_by and region:
            theirs = self._region[slot]
            if theirs and not _same_region(theirs, region):
                return False
        if "category" in self.partition_by and category:
            other = self._category[slot]
            if other and other != category:
                return False
        return True

    # -- insert -----------------------------------------------------------------------------

    def _intern(self, token: str) -> int:
        found = self._vocab.get(token)
        if found is None:
            found = self._vocab[token] = len(self._words)
            self._words.append(token)
            self._df.append(0)
        return found

    def add(
        self,
        tracking_id: str,
        analysis: Analysis,
        received_at: datetime,
        *,
        region: str | None = None,
        category: str | None = None,
        owners: tuple[int, ...] = (),
    ) -> None:
        """Index one report (idempotent per tracking ID) and evict what left the window."""
        if tracking_id in self._slot:
            return
        self._insert(IndexEntry(tracking_id, analysis, received_at, region, category, owners))
        self._evict()

    def add_many(self, entries: Iterable[IndexEntry], *, now: datetime) -> int:
        """Bulk warm-up from the store: only entries within the window of *now*; returns the
        number indexed."""
        cutoff = now - self.window
        count = 0
        for entry in entries:
            if entry.received_at < cutoff or entry.tracking_id in self._slot:
                continue
            count += self._insert(entry)
        self._evict(now)
        return count

    def _insert(self, entry: IndexEntry) -> bool:
        scored, places, facts = _document(entry.analysis)
        if not scored:
            return False  # nothing to compare on (only greetings, stopwords, places)
        slot = len(self._ids)
        term_ids = array("i", sorted(self._intern(t) for t in scored))
        place_ids = [self._intern(t) for t in places]
        cap = self.posting_cap
        for tid in (*term_ids, *place_ids):
            self._df[tid] += 1
            posting = self._postings.get(tid)
            if posting is None:
                self._postings[tid] = [slot]
            else:
                posting.append(slot)
                if len(posting) > cap:
                    del posting[0]  # oldest out: the cap bounds every query
        self._ids.append(entry.tracking_id)
        self._terms.append(term_ids)
        self._facts.append(array("i", (self._intern(t) for t in facts)))
        self._received.append(entry.received_at.timestamp())
        self._region.append(entry.region)
        self._category.append(entry.category)
        self._owners.append(entry.owners[:OWNER_SLOTS])
        self._slot[entry.tracking_id] = slot
        if self._newest is None or entry.received_at > self._newest:
            self._newest = entry.received_at
        return True

    # -- window -----------------------------------------------------------------------------

    def _evict(self, now: datetime | None = None) -> None:
        reference = now or self._newest
        if reference is None:
            return
        cutoff = (reference - self.window).timestamp()
        while self._evict_head < len(self._ids) and self._received[self._evict_head] < cutoff:
            slot = self._evict_head
            self._evict_head += 1
            tracking_id = self._ids[slot]
            if tracking_id is None:
                continue
            self._ids[slot] = None
            del self._slot[tracking_id]
            for tid in self._terms[slot]:
                self._df[tid] -= 1
            for tid in self._facts[slot]:
                if self._words[tid].startswith("places" + FIELD_SEP):
                    self._df[tid] -= 1
            self._terms[slot] = array("i")
            self._facts[slot] = array("i")
        dead = len(self._ids) - len(self._slot)
        if dead > 10_000 and dead > len(self._slot):
            self._compact()

    def _compact(self) -> None:
        """Rebuild without evicted slots, so memory follows the window and not the uptime."""
        live = [
            IndexEntry(
                tracking_id,
                _stored_analysis(
                    [self._words[t] for t in self._terms[slot]],
                    [self._words[t] for t in self._facts[slot]],
                ),
                datetime.fromtimestamp(self._received[slot], UTC),
                self._region[slot],
                self._category[slot],
                self._owners[slot],
            )
            for slot in range(self._evict_head, len(self._ids))
            if (tracking_id := self._ids[slot]) is not None
        ]
        self._reset()
        for entry in live:
            self._insert(entry)


def _stored_analysis(scored: list[str], facts: list[str]) -> Analysis:
    """An :class:`Analysis` rebuilt from what the index kept (enough to index it again)."""
    plain = frozenset(t for t in scored if FIELD_SEP not in t)
    return Analysis(normalized="", words=(), facts=Facts.from_tokens(facts), terms=plain)


def _same_region(a: str, b: str) -> bool:
    """Whether two reports' regions allow a link.

    Kemendagri codes name nested regions ("32.73" contains "32.73.05"): the same region when
    one code is a prefix of the other at a dot boundary. A channel's own free-text region
    ("kota-bandung") is compared with another free text only; a code and a free text cannot
    be compared, so they do not keep two reports apart."""
    code_a, code_b = _is_code(a), _is_code(b)
    if code_a != code_b:
        return True
    if not code_a:
        return a.casefold() == b.casefold()
    if a == b:
        return True
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return long.startswith(short + ".")


def _is_code(region: str) -> bool:
    return region.replace(".", "").isdigit()

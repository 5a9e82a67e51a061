"""Level-3 similarity: which recent reports from *other* people look like this one.

A report is reduced to its level-3 features (:func:`normalizer.fingerprint.features`: its
content words), the features to a MinHash signature, and the signature is banded
into a :class:`datasketch.MinHashLSH`. A query therefore costs a fixed number of hash-table
lookups plus scoring of the candidates it returns, whatever the number of stored reports:
that is what keeps intake as fast with a million stored reports as with ten thousand
(``bench/dedup_scale.py`` measures it).

Design choices, and why:

* Signatures are kept beside the LSH in one growing ``uint32`` matrix (``num_perm`` columns,
  4 bytes each) so candidates are scored in one vectorised comparison instead of one Python
  object per report; tracking IDs live in a parallel list. At ``num_perm=64`` that is 256 MB
  per million reports plus the LSH tables.
* The score is the MinHash estimate of Jaccard similarity of the features. Candidates below
  ``threshold`` are dropped; at most ``max_candidates`` candidates (newest first) are scored
  so one very common complaint ("jalan rusak") cannot make a query slow.
* Only reports within ``window`` of the newest report are kept: older ones are evicted as
  new ones arrive (the core case store keeps the history; links are for recent clusters).
* Region and category are optional filters applied to the candidates: when *both* reports
  carry a region (or category) and they differ, they are not linked. A report without one
  (most SMS) can link to any.
* Hashing is ``zlib.crc32`` of the feature, not Python's randomised ``hash()``, so an index
  rebuilt after a restart gives the same answers.
"""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from datasketch import LeanMinHash, MinHash, MinHashLSH

from normalizer.fingerprint import features

_SEED = 1
#: MinHash scheme; fixed so signatures are comparable across restarts and versions
_SCHEME = "affine32"


def _crc32(data: bytes) -> int:
    return zlib.crc32(data)


@dataclass(frozen=True, slots=True)
class SimilarCandidate:
    """One recent report that looks like the query, with the estimated Jaccard score."""

    tracking_id: str
    score: float


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """What :meth:`SimilarityIndex.add_many` needs per report (the warm-up row shape)."""

    tracking_id: str
    fingerprint_text: str
    received_at: datetime
    region: str | None = None
    category: str | None = None


class SimilarityIndex:
    """In-memory MinHash LSH over recent reports' level-3 features."""

    def __init__(
        self,
        *,
        threshold: float,
        num_perm: int = 64,
        window: timedelta = timedelta(days=30),
        max_candidates: int = 200,
        partition_by: Sequence[str] = (),
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        self.threshold = threshold
        self.num_perm = num_perm
        self.window = window
        self.max_candidates = max_candidates
        self.partition_by = tuple(partition_by)
        unknown = set(self.partition_by) - {"region", "category"}
        if unknown:
            raise ValueError(f"partition_by supports region and category, not {sorted(unknown)}")
        # The LSH is tuned a little below the scoring threshold: a pair just above the
        # threshold should still share a band with high probability (recall), and the exact
        # score filter removes what the lower LSH threshold lets through.
        self._lsh_threshold = max(0.05, threshold * 0.8)
        self._lsh = MinHashLSH(threshold=self._lsh_threshold, num_perm=num_perm)
        self._template = MinHash(num_perm=num_perm, seed=_SEED, hashfunc=_crc32, scheme=_SCHEME)
        self._sigs: npt.NDArray[np.uint32] = np.zeros((1024, num_perm), dtype=np.uint32)
        self._ids: list[str | None] = []
        self._slot: dict[str, int] = {}
        self._region: list[str | None] = []
        self._category: list[str | None] = []
        # (received_at, slot) in arrival order; evicted from the left
        self._ages: deque[tuple[datetime, int]] = deque()
        self._newest: datetime | None = None

    def __len__(self) -> int:
        return len(self._slot)

    def signature(self, fingerprint_text: str) -> MinHash:
        """MinHash of the level-3 features of an already normalized text."""
        m = MinHash(
            num_perm=self.num_perm,
            seed=_SEED,
            hashfunc=_crc32,
            permutations=self._template.permutations,
            scheme=_SCHEME,
        )
        m.update_batch([f.encode("utf-8") for f in features(fingerprint_text)])
        return m

    def query(
        self,
        fingerprint_text: str,
        *,
        region: str | None = None,
        category: str | None = None,
        exclude: Iterable[str] = (),
        limit: int = 5,
        minhash: MinHash | None = None,
    ) -> list[SimilarCandidate]:
        """Recent reports whose estimated similarity is at least the threshold, best first."""
        m = minhash if minhash is not None else self.signature(fingerprint_text)
        if m.is_empty() or not self._slot:
            return []
        slots = [s for s in self._lsh.query(m)]
        if not slots:
            return []
        excluded = set(exclude)
        if len(slots) > self.max_candidates:
            slots.sort(reverse=True)  # newest slots first
            slots = slots[: self.max_candidates]
        slots = [s for s in slots if self._keep(s, region, category, excluded)]
        if not slots:
            return []
        mine = np.asarray(m.hashvalues, dtype=np.uint32)
        scores = (self._sigs[slots] == mine).mean(axis=1)
        order = np.argsort(-scores, kind="stable")
        out: list[SimilarCandidate] = []
        for i in order:
            score = float(scores[i])
            if score < self.threshold:
                break
            tid = self._ids[slots[i]]
            assert tid is not None
            out.append(SimilarCandidate(tid, round(score, 3)))
            if len(out) >= limit:
                break
        return out

    def _keep(
        self, slot: int, region: str | None, category: str | None, excluded: set[str]
    ) -> bool:
        tid = self._ids[slot]
        if tid is None or tid in excluded:
            return False
        if "region" in self.partition_by and region and self._region[slot] not in (None, region):
            return False
        return not (
            "category" in self.partition_by
            and category
            and self._category[slot] not in (None, category)
        )

    def add(
        self,
        tracking_id: str,
        fingerprint_text: str,
        received_at: datetime,
        *,
        region: str | None = None,
        category: str | None = None,
        minhash: MinHash | None = None,
    ) -> None:
        """Index one report (idempotent per tracking ID) and evict what left the window."""
        if tracking_id in self._slot:
            return
        m = minhash if minhash is not None else self.signature(fingerprint_text)
        self._insert(tracking_id, m, received_at, region, category)
        self._evict()

    def add_many(self, entries: Iterable[IndexEntry], *, now: datetime, batch: int = 5000) -> int:
        """Bulk warm-up from the store: only entries within the window of *now*; returns the
        number indexed. Signatures are computed in batches with :meth:`MinHash.bulk`."""
        cutoff = now - self.window
        count = 0
        chunk: list[IndexEntry] = []
        for entry in entries:
            if entry.received_at < cutoff or entry.tracking_id in self._slot:
                continue
            chunk.append(entry)
            if len(chunk) >= batch:
                count += self._bulk(chunk)
                chunk = []
        if chunk:
            count += self._bulk(chunk)
        self._evict(now)
        return count

    def _bulk(self, chunk: list[IndexEntry]) -> int:
        docs = [[f.encode("utf-8") for f in features(e.fingerprint_text)] for e in chunk]
        sigs = MinHash.bulk(
            docs,
            num_perm=self.num_perm,
            seed=_SEED,
            hashfunc=_crc32,
            permutations=self._template.permutations,
            scheme=_SCHEME,
        )
        with self._lsh.insertion_session() as session:
            for entry, m in zip(chunk, sigs, strict=True):
                if m.is_empty():
                    continue
                slot = self._append(
                    entry.tracking_id, m, entry.received_at, entry.region, entry.category
                )
                session.insert(slot, m, check_duplication=False)
        return len(chunk)

    def _append(
        self,
        tracking_id: str,
        m: MinHash,
        received_at: datetime,
        region: str | None,
        category: str | None,
    ) -> int:
        slot = len(self._ids)
        if slot >= len(self._sigs):
            grown = np.zeros((len(self._sigs) * 2, self.num_perm), dtype=np.uint32)
            grown[: len(self._sigs)] = self._sigs
            self._sigs = grown
        self._sigs[slot] = np.asarray(m.hashvalues, dtype=np.uint32)
        self._ids.append(tracking_id)
        self._region.append(region)
        self._category.append(category)
        self._slot[tracking_id] = slot
        self._ages.append((received_at, slot))
        if self._newest is None or received_at > self._newest:
            self._newest = received_at
        return slot

    def _insert(
        self,
        tracking_id: str,
        m: MinHash,
        received_at: datetime,
        region: str | None,
        category: str | None,
    ) -> None:
        if m.is_empty():
            return
        slot = self._append(tracking_id, m, received_at, region, category)
        self._lsh.insert(slot, m, check_duplication=False)

    def _evict(self, now: datetime | None = None) -> None:
        reference = now or self._newest
        if reference is None:
            return
        cutoff = reference - self.window
        while self._ages and self._ages[0][0] < cutoff:
            _, slot = self._ages.popleft()
            tid = self._ids[slot]
            if tid is None:
                continue
            self._lsh.remove(slot)
            self._ids[slot] = None
            self._region[slot] = None
            self._category[slot] = None
            del self._slot[tid]
        dead = len(self._ids) - len(self._slot)
        if dead > 10_000 and dead > len(self._slot):
            self._compact()

    def _compact(self) -> None:
        """Rebuild the LSH and the arrays without evicted slots, so memory follows the
        window and not the gateway's uptime. Costs one pass over the live signatures."""
        live = [slot for _, slot in self._ages if self._ids[slot] is not None]
        ages = [age for age, slot in self._ages if self._ids[slot] is not None]
        old_sigs, old_ids = self._sigs, self._ids
        old_region, old_category = self._region, self._category
        self._lsh = MinHashLSH(threshold=self._lsh_threshold, num_perm=self.num_perm)
        self._sigs = np.zeros((max(1024, len(live) * 2), self.num_perm), dtype=np.uint32)
        self._ids, self._region, self._category = [], [], []
        self._slot, self._ages = {}, deque()
        with self._lsh.insertion_session() as session:
            for age, old in zip(ages, live, strict=True):
                tid = old_ids[old]
                assert tid is not None
                m = LeanMinHash(seed=_SEED, hashvalues=old_sigs[old], scheme=_SCHEME)
                slot = self._append(tid, m, age, old_region[old], old_category[old])
                session.insert(slot, m, check_duplication=False)

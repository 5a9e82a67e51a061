"""Level-3 similarity: which recent reports from *other* people look like this one.

A report is reduced to its level-3 features (:func:`normalizer.fingerprint.features`: its
content words), the features to a MinHash signature, and the signature
is cut into ``bands`` of ``rows`` values each (classic LSH banding): two reports become
candidates when they agree on every value of at least one band, which happens with
probability ``1 - (1 - s**rows)**bands`` for Jaccard similarity ``s``.

Why our own MinHash and band tables instead of datasketch's ``MinHash``/``MinHashLSH``
(which the first version used): ``import datasketch`` loads SciPy for its LSH module, 55 MB
of resident memory and 0.4 s of start-up for the dozen lines of numpy a signature needs;
and complaints are short and
repetitive ("lampu jalan mati" thousands of times a month), so at the low similarity that
level 3 needs, some buckets hold a large share of the store and an unbounded bucket makes
every query slower as the store grows (measured: 3x slower from 10k to 100k reports with
MinHashLSH). Each bucket here keeps only its ``bucket_cap`` most recent reports, so a query
touches at most ``bands * bucket_cap`` candidates whatever the store size. A truly similar
older report usually shares several bands, some of them rare, so it stays reachable; what
the cap drops first is old reports in the most crowded buckets, which are the least useful
links. ``bench/dedup_scale.py`` measures the effect at 10k and 1M reports.

Other design choices:

* Signatures are kept in one growing ``uint32`` matrix (``num_perm`` columns) so candidates
  are scored in one vectorised comparison (MinHash estimate of Jaccard); tracking IDs live
  in a parallel list. Band keys are plain ints in plain dicts (one per band); a bucket with
  one report stores the slot int itself, not a list, which halves memory at a million.
* At most ``max_candidates`` candidates (newest first) are scored per query.
* Only reports within ``window`` of the newest report are kept: older ones are evicted as new
  ones arrive, and the arrays are compacted when more than half of them is dead.
* Region and category are optional filters on candidates: when *both* reports carry a region
  (or category) and they differ, they are not linked. A report without one can link to any.
* Hashing is ``zlib.crc32`` of the feature with a fixed seed, not Python's randomised
  ``hash()``, so an index rebuilt after a restart gives the same answers.
* Each report keeps up to :data:`OWNER_SLOTS` hashes of its reporter's identities
  (:func:`owner_hashes`), so a query can leave out the asking reporter's own recent reports
  without a database read. These use Python's ``hash()``: the index lives and dies with
  its process, and is rebuilt from the store at start.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from normalizer.fingerprint import features

_SEED = 1
#: largest prime below 2**32: (a * h + b) mod p with a, b, h < 2**32 never overflows uint64
_PRIME = np.uint64(4_294_967_291)
#: Band tables dominate the index's memory (about 80 bytes per band per indexed report).
#: Measured with 64 permutations: 16 bands cost 1.7 kB and 280 us per report, 6 bands
#: 0.46 kB and 160 us, with level-3 precision/recall on tests/data 0.918/0.636 vs
#: 0.905/0.648 (bench/dedup_eval.py) -- so 6, which keeps the gateway near 200 MB of RSS
#: after 200,000 reports.
MAX_BANDS = 6
#: identity hashes kept per report (phone, X user id, e-mail, app user id)
OWNER_SLOTS = 4

U32 = npt.NDArray[np.uint32]
T = TypeVar("T", bound=np.generic)


def _crc32(data: bytes) -> int:
    return zlib.crc32(data)


def owner_hashes(identity_keys: Iterable[str]) -> tuple[int, ...]:
    """Hashes of a reporter's identity keys (``Reporter.identity_keys()``) as the index
    stores them; 0 means "no identity", so a key hashing to 0 becomes 1."""
    return tuple(hash(key) or 1 for key in identity_keys)[:OWNER_SLOTS]


def band_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) minimising false positives + false negatives around *threshold*, using
    at most *num_perm* values and at most :data:`MAX_BANDS` bands."""
    grid = np.linspace(0.0, 1.0, 201)
    best: tuple[float, int, int] | None = None
    for rows in range(1, 9):
        bands = min(MAX_BANDS, num_perm // rows)
        if bands < 1:
            continue
        p = 1.0 - (1.0 - grid**rows) ** bands
        fp = float(np.trapezoid(np.where(grid < threshold, p, 0.0), grid))
        fn = float(np.trapezoid(np.where(grid >= threshold, 1.0 - p, 0.0), grid))
        cost = fp + fn
        if best is None or cost < best[0]:
            best = (cost, bands, rows)
    assert best is not None
    return best[1], best[2]


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
    #: :func:`owner_hashes` of the reporter's identities
    owners: tuple[int, ...] = ()


Bucket = int | list[int]
#: per report as _insert_rows takes it: tracking ID, received, region, category, owners
Meta = tuple[str, datetime, str | None, str | None, tuple[int, ...]]


class SimilarityIndex:
    """In-memory MinHash LSH over recent reports' level-3 features, with capped buckets."""

    def __init__(
        self,
        *,
        threshold: float,
        num_perm: int = 64,
        window: timedelta = timedelta(days=30),
        max_candidates: int = 200,
        partition_by: Sequence[str] = (),
        bucket_cap: int = 16,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        self.threshold = threshold
        self.num_perm = num_perm
        self.window = window
        self.max_candidates = max_candidates
        self.bucket_cap = bucket_cap
        self.partition_by = tuple(partition_by)
        unknown = set(self.partition_by) - {"region", "category"}
        if unknown:
            raise ValueError(f"partition_by supports region and category, not {sorted(unknown)}")
        # Banding is tuned a little below the scoring threshold: a pair just above the
        # threshold should still share a band with high probability (recall); the score
        # filter then removes what the lower banding threshold lets through.
        self.bands, self.rows = band_params(max(0.05, threshold * 0.8), num_perm)
        rng = np.random.RandomState(_SEED)
        self._a = rng.randint(1, int(_PRIME), size=num_perm, dtype=np.uint64)
        self._b = rng.randint(0, int(_PRIME), size=num_perm, dtype=np.uint64)
        self._tables: list[dict[int, Bucket]] = [{} for _ in range(self.bands)]
        self._sigs: U32 = np.zeros((1024, num_perm), dtype=np.uint32)
        # per slot, as arrays so candidate filtering is vectorised: alive flag and interned
        # region/category codes (0: unknown)
        self._alive: npt.NDArray[np.bool_] = np.zeros(1024, dtype=np.bool_)
        self._region: npt.NDArray[np.int32] = np.zeros(1024, dtype=np.int32)
        self._category: npt.NDArray[np.int32] = np.zeros(1024, dtype=np.int32)
        self._owners: npt.NDArray[np.int64] = np.zeros((1024, OWNER_SLOTS), dtype=np.int64)
        self._codes: dict[str, dict[str, int]] = {"region": {}, "category": {}}
        self._ids: list[str | None] = []
        self._slot: dict[str, int] = {}
        # received time per slot (epoch seconds). Slots are handed out in arrival order, so
        # eviction walks them from _evict_head; 8 bytes a report instead of a deque of
        # (datetime, slot) tuples at ~130 bytes.
        self._received: npt.NDArray[np.float64] = np.zeros(1024, dtype=np.float64)
        self._evict_head = 0
        self._newest: datetime | None = None

    def __len__(self) -> int:
        return len(self._slot)

    # -- signatures and band keys -----------------------------------------------------------

    def signature(self, fingerprint_text: str) -> U32 | None:
        """MinHash signature of the level-3 features of an already normalized text (None
        when it has no features): for each of ``num_perm`` universal hash functions
        ``(a * crc32(feature) + b) mod p``, the minimum over the features."""
        found = features(fingerprint_text)
        if not found:
            return None
        return self._minhash([_crc32(f.encode("utf-8")) for f in found])

    def _minhash(self, hashes: list[int]) -> U32:
        hv = np.asarray(hashes, dtype=np.uint64)[:, None]
        permuted = (hv * self._a + self._b) % _PRIME
        sig: U32 = permuted.min(axis=0).astype(np.uint32)
        return sig

    def _keys(self, sigs: U32) -> npt.NDArray[np.uint64]:
        """Band keys of a (n, num_perm) signature matrix: (n, bands) 64-bit ints. Rows of a
        band are folded with a multiply-xor hash (exact for rows <= 2)."""
        used = sigs[:, : self.bands * self.rows].astype(np.uint64)
        parts = used.reshape(len(sigs), self.bands, self.rows)
        key = parts[:, :, 0].copy()
        for r in range(1, self.rows):
            key = (
                (key << np.uint64(32))
                ^ (key >> np.uint64(32))
                ^ (parts[:, :, r] * np.uint64(0x9E3779B97F4A7C15))
            )
        return key

    # -- query ------------------------------------------------------------------------------

    def query(
        self,
        fingerprint_text: str,
        *,
        region: str | None = None,
        category: str | None = None,
        exclude: Iterable[str] = (),
        limit: int = 5,
        minhash: U32 | None = None,
        owners: Sequence[int] = (),
        owners_since: datetime | None = None,
    ) -> list[SimilarCandidate]:
        """Recent reports whose estimated similarity is at least the threshold, best first.

        Left out: the tracking IDs in *exclude*, and reports received at or after
        *owners_since* by a reporter sharing one of *owners* (:func:`owner_hashes`)."""
        mine = minhash if minhash is not None else self.signature(fingerprint_text)
        if mine is None or not self._slot:
            return []
        keys = self._keys(mine.reshape(1, -1))[0].tolist()
        found: set[int] = set()
        for table, key in zip(self._tables, keys, strict=True):
            bucket = table.get(key)
            if bucket is None:
                continue
            if isinstance(bucket, int):
                found.add(bucket)
            else:
                found.update(bucket)
        if not found:
            return []
        cand = np.fromiter(found, dtype=np.int64, count=len(found))
        keep = self._alive[cand]
        for name, value, codes in (
            ("region", region, self._region),
            ("category", category, self._category),
        ):
            if name in self.partition_by and value:
                code = self._codes[name].get(value, -1)
                keep &= (codes[cand] == 0) | (codes[cand] == code)
        # a handful of values each: one comparison per value costs a few microseconds,
        # np.isin (which sorts) about 30
        skip = [self._slot[t] for t in exclude if t in self._slot]
        for slot in skip:
            keep &= cand != slot
        if owners:
            block = self._owners[cand]
            hit = block == owners[0]
            for owner in owners[1:]:
                hit |= block == owner
            own = hit.any(axis=1)
            if owners_since is not None:
                own &= self._received[cand] >= owners_since.timestamp()
            keep &= ~own
        cand = np.sort(cand[keep])[::-1][: self.max_candidates]  # newest first
        if not len(cand):
            return []
        # count_nonzero / n equals .mean() exactly and skips numpy's generic mean wrapper
        scores = np.count_nonzero(self._sigs[cand] == mine, axis=1) / self.num_perm
        order = np.argsort(-scores, kind="stable")[:limit]
        out: list[SimilarCandidate] = []
        for i in order:
            score = float(scores[i])
            if score < self.threshold:
                break
            tid = self._ids[int(cand[i])]
            assert tid is not None
            out.append(SimilarCandidate(tid, round(score, 3)))
        return out

    def _code(self, name: str, value: str | None) -> int:
        if not value:
            return 0
        codes = self._codes[name]
        return codes.setdefault(value, len(codes) + 1)

    # -- insert -----------------------------------------------------------------------------

    def add(
        self,
        tracking_id: str,
        fingerprint_text: str,
        received_at: datetime,
        *,
        region: str | None = None,
        category: str | None = None,
        minhash: U32 | None = None,
        owners: tuple[int, ...] = (),
    ) -> None:
        """Index one report (idempotent per tracking ID) and evict what left the window."""
        if tracking_id in self._slot:
            return
        mine = minhash if minhash is not None else self.signature(fingerprint_text)
        if mine is None:
            return
        sig = mine.reshape(1, -1)
        self._insert_rows([(tracking_id, received_at, region, category, owners)], sig)
        self._evict()

    def add_many(self, entries: Iterable[IndexEntry], *, now: datetime, batch: int = 5000) -> int:
        """Bulk warm-up from the store: only entries within the window of *now*; returns the
        number indexed."""
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
        sigs_by_entry = [self.signature(e.fingerprint_text) for e in chunk]
        keep = [i for i, sig in enumerate(sigs_by_entry) if sig is not None]
        if not keep:
            return 0
        sigs = np.stack([sigs_by_entry[i] for i in keep])  # type: ignore[misc]
        meta: list[Meta] = [
            (e.tracking_id, e.received_at, e.region, e.category, e.owners)
            for e in (chunk[i] for i in keep)
        ]
        self._insert_rows(meta, sigs)
        return len(keep)

    def _insert_rows(self, meta: list[Meta], sigs: U32) -> None:
        first = len(self._ids)
        need = first + len(meta)
        if need > len(self._sigs):
            size = max(need, len(self._sigs) * 3 // 2)
            self._sigs = _grow(self._sigs, size)
            self._alive = _grow(self._alive, size)
            self._region = _grow(self._region, size)
            self._category = _grow(self._category, size)
            self._received = _grow(self._received, size)
            self._owners = _grow(self._owners, size)
        self._sigs[first:need] = sigs
        self._alive[first:need] = True
        for offset, (tid, received_at, region, category, owned_by) in enumerate(meta):
            slot = first + offset
            self._ids.append(tid)
            if owned_by:
                self._owners[slot, : len(owned_by)] = owned_by
            self._region[slot] = self._code("region", region)
            self._category[slot] = self._code("category", category)
            self._slot[tid] = slot
            self._received[slot] = received_at.timestamp()
            if self._newest is None or received_at > self._newest:
                self._newest = received_at
        keys = self._keys(sigs).T.tolist()  # (bands, n)
        cap = self.bucket_cap
        for table, band_keys in zip(self._tables, keys, strict=True):
            for offset, key in enumerate(band_keys):
                slot = first + offset
                bucket = table.get(key)
                if bucket is None:
                    table[key] = slot
                elif isinstance(bucket, int):
                    table[key] = [bucket, slot]
                else:
                    bucket.append(slot)
                    if len(bucket) > cap:
                        del bucket[0]  # oldest out: the cap bounds every query

    # -- window -----------------------------------------------------------------------------

    def _evict(self, now: datetime | None = None) -> None:
        reference = now or self._newest
        if reference is None:
            return
        cutoff = (reference - self.window).timestamp()
        gone: list[int] = []
        while self._evict_head < len(self._ids) and self._received[self._evict_head] < cutoff:
            slot = self._evict_head
            self._evict_head += 1
            tid = self._ids[slot]
            if tid is None:
                continue
            gone.append(slot)
            self._ids[slot] = None
            self._alive[slot] = False
            del self._slot[tid]
        if gone:
            self._unlink(gone)
        dead = len(self._ids) - len(self._slot)
        if dead > 10_000 and dead > len(self._slot):
            self._compact()

    def _unlink(self, slots: list[int]) -> None:
        keys = self._keys(self._sigs[slots]).T.tolist()
        for table, band_keys in zip(self._tables, keys, strict=True):
            for slot, key in zip(slots, band_keys, strict=True):
                bucket = table.get(key)
                if bucket is None:
                    continue
                if isinstance(bucket, int):
                    if bucket == slot:
                        del table[key]
                elif slot in bucket:
                    bucket.remove(slot)
                    if len(bucket) == 1:
                        table[key] = bucket[0]

    def _compact(self) -> None:
        """Rebuild the tables and arrays without evicted slots, so memory follows the
        window and not the gateway's uptime. Costs one pass over the live signatures."""
        live = [
            (datetime.fromtimestamp(float(self._received[slot]), UTC), slot)
            for slot in range(self._evict_head, len(self._ids))
            if self._ids[slot] is not None
        ]
        old_sigs, old_ids = self._sigs, self._ids
        names = {
            key: {code: value for value, code in self._codes[key].items()}
            for key in ("region", "category")
        }
        old_region, old_category, old_owners = self._region, self._category, self._owners
        size = max(1024, len(live) * 3 // 2)
        self._tables = [{} for _ in range(self.bands)]
        self._sigs = np.zeros((size, self.num_perm), dtype=np.uint32)
        self._alive = np.zeros(size, dtype=np.bool_)
        self._region = np.zeros(size, dtype=np.int32)
        self._category = np.zeros(size, dtype=np.int32)
        self._codes = {"region": {}, "category": {}}
        self._received = np.zeros(size, dtype=np.float64)
        self._owners = np.zeros((size, OWNER_SLOTS), dtype=np.int64)
        self._evict_head = 0
        self._ids, self._slot = [], {}
        if not live:
            return
        meta: list[Meta] = []
        for age, old in live:
            tid = old_ids[old]
            assert tid is not None
            region = names["region"].get(int(old_region[old]))
            category = names["category"].get(int(old_category[old]))
            owned_by = tuple(int(h) for h in old_owners[old] if h)
            meta.append((tid, age, region, category, owned_by))
        self._insert_rows(meta, old_sigs[[old for _, old in live]])


def _grow(array: npt.NDArray[T], size: int) -> npt.NDArray[T]:
    """*array* with *size* rows (any further dimensions kept), the new rows zero."""
    grown = np.zeros((size, *array.shape[1:]), dtype=array.dtype)
    grown[: len(array)] = array
    return grown

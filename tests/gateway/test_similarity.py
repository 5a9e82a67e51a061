"""The level-3 similarity index: links, filters, owners, window eviction, warm-up,
compaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.similarity import (
    IndexEntry,
    SimilarityIndex,
    owner_hashes,
)
from normalizer.analysis import analyse
from normalizer.facts import Facts, extract_facts

T0 = datetime(2026, 11, 1, tzinfo=UTC)

LAMPU = "Lampu jalan di Jl. Cibiru Raya dekat masjid Al Ikhlas mati sudah 2 minggu"
LAMPU_OTHER = "lampu jalan cibiru raya dkt masjid al ikhlas gak nyala udah lama"
SAMPAH = "Sampah menumpuk di TPS dekat pasar, bau busuk sekali"


def make(threshold: float = 0.3, **kw: object) -> SimilarityIndex:
    return SimilarityIndex(threshold=threshold, **kw)  # type: ignore[arg-type]


def test_links_similar_and_not_unrelated() -> None:
    idx = make()
    idx.add("A", analyse(LAMPU), T0)
    idx.add("B", analyse(SAMPAH), T0)
    found = idx.query(analyse(LAMPU_OTHER))
    assert [c.tracking_id for c in found] == ["A"]
    assert 0.3 <= found[0].score <= 1.0


def test_identical_text_scores_one_and_best_first() -> None:
    idx = make()
    idx.add("A", analyse(LAMPU_OTHER), T0)
    idx.add("B", analyse(LAMPU), T0)
    found = idx.query(analyse(LAMPU))
    assert found[0].tracking_id == "B"
    assert found[0].score == 1.0


def test_exclude_and_limit() -> None:
    idx = make()
    for i in range(4):
        idx.add(f"T{i}", analyse(LAMPU), T0)
    # equal scores: newest first
    assert [c.tracking_id for c in idx.query(analyse(LAMPU), exclude={"T3"}, limit=2)] == [
        "T2",
        "T1",
    ]


def test_empty_text_links_nothing() -> None:
    idx = make()
    idx.add("A", analyse(LAMPU), T0)
    idx.add("E", analyse("mohon segera ditindaklanjuti"), T0)  # nothing to compare on
    assert idx.query(analyse("terima kasih")) == []
    assert len(idx) == 1


@pytest.mark.parametrize(
    ("partition", "stored", "query", "linked"),
    [
        pytest.param(("region",), "bandung", "bandung", True, id="same-region"),
        pytest.param(("region",), "bandung", "surabaya", False, id="other-region"),
        pytest.param(("region",), None, "surabaya", True, id="stored-without-region"),
        pytest.param(("region",), "bandung", None, True, id="query-without-region"),
        pytest.param((), "bandung", "surabaya", True, id="not-partitioned"),
    ],
)
def test_region_partition(
    partition: tuple[str, ...], stored: str | None, query: str | None, linked: bool
) -> None:
    idx = make(partition_by=partition)
    idx.add("A", analyse(LAMPU), T0, region=stored)
    assert bool(idx.query(analyse(LAMPU), region=query)) is linked


def test_category_partition() -> None:
    idx = make(partition_by=("category",))
    idx.add("A", analyse(LAMPU), T0, category="penerangan")
    assert idx.query(analyse(LAMPU), category="jalan") == []
    assert idx.query(analyse(LAMPU), category="penerangan")


def test_rejects_unknown_partition_and_bad_threshold() -> None:
    with pytest.raises(ValueError, match="partition_by"):
        make(partition_by=("city",))
    with pytest.raises(ValueError, match="threshold"):
        make(threshold=0.0)


def test_window_eviction() -> None:
    idx = make(window=timedelta(days=1))
    idx.add("OLD", analyse(LAMPU), T0)
    idx.add("NEW", analyse(SAMPAH), T0 + timedelta(days=2))
    assert len(idx) == 1
    assert idx.query(analyse(LAMPU)) == []


def test_add_is_idempotent() -> None:
    idx = make()
    idx.add("A", analyse(LAMPU), T0)
    idx.add("A", analyse(LAMPU), T0)
    assert len(idx) == 1
    assert len(idx.query(analyse(LAMPU))) == 1


def test_bulk_warm_up_matches_single_adds() -> None:
    texts = [LAMPU, LAMPU_OTHER, SAMPAH]
    single = make()
    for i, t in enumerate(texts):
        single.add(f"T{i}", analyse(t), T0)
    bulk = make()
    entries = [IndexEntry(f"T{i}", analyse(t), T0) for i, t in enumerate(texts)]
    entries.append(IndexEntry("ANCIENT", analyse(LAMPU), T0 - timedelta(days=90)))
    assert bulk.add_many(entries, now=T0) == 3
    q = analyse("lampu jalan cibiru raya mati")
    assert bulk.query(q) == single.query(q)


def test_compaction_keeps_live_entries_queryable() -> None:
    idx = make(window=timedelta(minutes=10))
    for i in range(12_000):
        idx.add(f"T{i}", analyse(f"keluhan{i} nomor{i} kasus{i}"), T0 + timedelta(seconds=i))
    # only the last 10 minutes stay; evicted slots were compacted away
    assert len(idx) == 601
    assert len(idx._ids) < 12_000
    found = idx.query(analyse("keluhan11999 nomor11999 kasus11999"))
    assert [c.tracking_id for c in found] == ["T11999"]
    assert idx.query(analyse("keluhan5 nomor5 kasus5")) == []


def test_owners_are_left_out_inside_their_window_and_survive_compaction() -> None:
    idx = make(window=timedelta(minutes=10))
    me, other = owner_hashes(["phone:+6281"]), owner_hashes(["email:a@b.id", "phone:+6282"])
    # 12,000 old fillers, all out of the window once MINE arrives: MINE's add compacts
    for i in range(12_000):
        at = T0 - timedelta(minutes=30) + timedelta(seconds=i / 10)
        idx.add(f"T{i}", analyse(f"keluhan{i} nomor{i}"), at, owners=me)
    idx.add("MINE", analyse(LAMPU), T0, owners=me)
    assert len(idx._ids) == 1  # compacted, MINE moved with its owners
    idx.add("THEIRS", analyse(LAMPU), T0, owners=other)
    text = analyse(LAMPU_OTHER)
    assert {c.tracking_id for c in idx.query(text)} == {"MINE", "THEIRS"}
    assert [c.tracking_id for c in idx.query(text, owners=me)] == ["THEIRS"]
    # the e-mail alone is enough to be the same reporter
    assert [c.tracking_id for c in idx.query(text, owners=owner_hashes(["email:a@b.id"]))] == [
        "MINE"
    ]
    # own reports older than owners_since are other people's business again
    later = T0 + timedelta(seconds=1)
    assert len(idx.query(text, owners=me, owners_since=later)) == 2


def test_crowded_postings_are_capped_so_queries_stay_bounded() -> None:
    """Thousands of identical complaints: each posting list keeps its newest reports only."""
    idx = make(posting_cap=4)
    for i in range(500):
        idx.add(f"T{i}", analyse(LAMPU), T0 + timedelta(seconds=i))
    assert max(len(p) for p in idx._postings.values()) == 4
    found = idx.query(analyse(LAMPU), limit=10)
    assert [c.tracking_id for c in found] == ["T499", "T498", "T497", "T496"]


def test_rare_words_weigh_more_than_common_ones() -> None:
    """Two reports share a rare place name, two others only common complaint words: the
    place wins although both pairs share as many words."""
    idx = make(threshold=0.05)
    for i in range(40):  # "air", "mati", "rumah" become common words
        idx.add(f"F{i}", analyse(f"air mati di rumah nomor {i} kampung k{i}"), T0)
    idx.add("PLACE", analyse("banjir merendam kampung cigondewah sejak subuh"), T0)
    idx.add("COMMON", analyse("air mati rumah kami sejak subuh"), T0)
    found = idx.query(analyse("air mati di cigondewah setelah banjir semalam"))
    assert found[0].tracking_id == "PLACE"


def test_conflicting_facts_are_never_linked() -> None:
    """The same problem in another kelurahan is another case (issue 13's look-alikes)."""
    idx = make(threshold=0.1)
    idx.add("A", analyse("Banjir setinggi lutut di Kelurahan Cibangkong sejak semalam"), T0)
    assert idx.query(analyse("Banjir setinggi lutut di Kelurahan Kebon Waru sejak semalam")) == []
    assert idx.query(analyse("kel cibangkong banjir selutut dr semalem"))


def test_facts_kept_for_a_slot_do_not_outlive_compaction() -> None:
    """Queries keep candidates' parsed facts by slot; compaction renumbers the slots, so
    a report moved into slot 0 must not be judged by the facts of the one evicted from it."""
    idx = make(threshold=0.1, window=timedelta(minutes=10))
    old = T0 - timedelta(minutes=30)
    idx.add("A", analyse("Banjir setinggi lutut di Kelurahan Cibangkong sejak semalam"), old)
    assert idx.query(analyse("kel cibangkong banjir selutut dr semalem"))  # A's facts kept
    for i in range(12_000):
        idx.add(f"T{i}", analyse(f"keluhan{i} nomor{i}"), old + timedelta(seconds=i / 10))
    idx.add("B", analyse("Banjir setinggi lutut di Kelurahan Kebon Waru sejak semalam"), T0)
    assert idx._slot["B"] == 0  # compacted: B took A's slot
    found = idx.query(analyse("kel kebon waru banjir selutut dr semalem"))
    assert [c.tracking_id for c in found] == ["B"]


def test_fact_tokens_round_trip() -> None:
    facts = extract_facts("PKH a.n. Siti NIK 3216014507800002 di RT 02/RW 04 Rp 780.000")
    assert Facts.from_tokens(facts.tokens()) == facts


@pytest.mark.parametrize(
    ("stored", "query", "linked"),
    [
        pytest.param("32.73", "32.73.01", True, id="kota-contains-kecamatan"),
        pytest.param("32.73.01", "32.73", True, id="kecamatan-inside-kota"),
        pytest.param("32.73.01", "32.73.02", False, id="sibling-kecamatan"),
        pytest.param("32.7", "32.73", False, id="not-at-a-dot"),
    ],
)
def test_nested_region_codes_partition(stored: str, query: str, linked: bool) -> None:
    idx = make(partition_by=("region",))
    idx.add("A", analyse(LAMPU), T0, region=stored)
    assert bool(idx.query(analyse(LAMPU), region=query)) is linked

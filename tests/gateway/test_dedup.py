"""Level-2 decisions (same reporter) and level-3 links (:class:`Linker`), without the store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from gateway.dedup import Deduplicator, Level2, compare, decide_level2
from gateway.linker import WARM_CHUNK, Linker
from gateway.sections import DedupSection
from gateway.store import PriorReport
from normalizer.analysis import analyse
from normalizer.report import Channel, Location, Report, Reporter

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
CFG = DedupSection()

ORIGINAL = "Selokan di Jl. Cibiru Raya no 45 mampet, kalau hujan air meluap ke jalan."


@pytest.mark.parametrize(
    ("new", "old", "verdict"),
    [
        pytest.param(ORIGINAL, ORIGINAL, Level2.DUPLICATE, id="identical"),
        pytest.param(
            "SELOKAN DI JLN CIBIRU RAYA NO 45 MAMPET!!! KALAU HUJAN AIR MELUAP KE JALAN",
            ORIGINAL,
            Level2.DUPLICATE,
            id="case-punct-abbrev",
        ),
        pytest.param(
            "selokan jl cibiru raya no 45 mampet, klo hujan air meluap ke jln. mohon dibersihkan",
            ORIGINAL,
            Level2.POSSIBLE,
            id="reworded-is-a-new-case-with-a-link",
        ),
        pytest.param(
            "SELOKAN DI JL CIBIRU RAYA NO 45 MAMPET KLAU HUJAN AIR MELUP KE JALAN",
            ORIGINAL,
            Level2.DUPLICATE,
            id="typos",
        ),
        pytest.param(
            ORIGINAL + " Sekarang air sudah masuk ke tiga rumah warga dan banyak nyamuk.",
            ORIGINAL,
            Level2.ADDENDUM,
            id="addendum-new-detail",
        ),
        pytest.param(ORIGINAL + " Tolong ya", ORIGINAL, Level2.DUPLICATE, id="two-words-more"),
        pytest.param(
            "Selokan di Jl. Cibiru Raya no 45 mampet, kalau hujan",
            ORIGINAL,
            Level2.DUPLICATE,
            id="truncated-resend",
        ),
        pytest.param(
            "Lampu jalan di Jl. Cibiru Raya mati sejak kemarin malam",
            ORIGINAL,
            Level2.NEW,
            id="same-street-other-problem",
        ),
        pytest.param("jalan rusak", "jalan rusak parah di depan pasar", Level2.NEW, id="too-short"),
        # issue 13: one cadre's template filled in for another recipient is another case
        pytest.param(
            "Bantuan PKH tahap 3 a.n. SITI AMINAH NIK 3216014507800002 warga RT 02/RW 04 "
            "Desa Sukamaju belum cair sampai sekarang, mohon dicek",
            "Bantuan PKH tahap 3 a.n. DEDI KURNIAWAN NIK 3216011203750005 warga RT 02/RW 04 "
            "Desa Sukamaju belum cair sampai sekarang, mohon dicek",
            Level2.NEW,
            id="template-other-recipient",
        ),
        pytest.param(
            "Pembuatan SIM di Satlantas Polres Bogor dipungut 50rb di luar biaya resmi",
            "Pembuatan SKCK di Polsek Cileungsi dipungut 50rb di luar biaya resmi",
            Level2.NEW,
            id="other-office-other-document",
        ),
    ],
)
def test_compare(new: str, old: str, verdict: Level2) -> None:
    assert compare(analyse(new), analyse(old), CFG).level2 is verdict


def test_formal_letter_then_sms_shorthand_is_linked() -> None:
    """The same complaint retold in SMS shorthand: not merged (not near-certain), but the new
    case carries a possible_duplicate_of link with evidence, and no personal data in it."""
    formal = (
        "Yth. Admin LAPOR!, tagihan air PDAM di rumah saya Jl. Melati No. 12 melonjak menjadi "
        "Rp 780.000 padahal biasanya hanya Rp 120.000 dan sudah 2 bulan air tidak mengalir."
    )
    sms = "tagihan pdam dirmh sy jl melati 12 jd 780rb pdhl biasa 120rb, sdh 2 bln air gk ngalir"
    decision = decide_level2(sms, T0 + timedelta(hours=1), [prior("A", formal, 0)], CFG)
    assert decision.level2 is Level2.POSSIBLE
    assert decision.duplicate_of is None
    assert decision.possible_duplicate_of is not None
    assert decision.possible_duplicate_of.tracking_id == "A"
    assert decision.possible_duplicate_of.evidence
    assert not any("780" in e or "melati" in e for e in decision.possible_duplicate_of.evidence)
    assert decision.citizen_tracking_id("NEW") == "NEW"


def prior(tid: str, text: str, minutes: float, duplicate_of: str | None = None) -> PriorReport:
    at = T0 + timedelta(minutes=minutes)
    return PriorReport(tid, text, at, duplicate_of, anonymous=False, confidential=False)


def test_duplicate_links_to_first_of_chain() -> None:
    priors = [prior("A", ORIGINAL, 0), prior("B", ORIGINAL, 10, duplicate_of="A")]
    d = decide_level2(ORIGINAL, T0 + timedelta(hours=1), priors, CFG)
    assert (d.level2, d.duplicate_of, d.score) == (Level2.DUPLICATE, "A", 1.0)


def test_addendum_links_to_original() -> None:
    priors = [prior("A", ORIGINAL, 0)]
    text = ORIGINAL + " Sekarang air sudah masuk ke tiga rumah warga."
    d = decide_level2(text, T0 + timedelta(hours=2), priors, CFG)
    assert (d.level2, d.duplicate_of) == (Level2.ADDENDUM, "A")


def test_outside_window_is_new() -> None:
    priors = [prior("A", ORIGINAL, 0)]
    late = T0 + timedelta(hours=CFG.window_hours, minutes=1)
    d = decide_level2(ORIGINAL, late, priors, CFG)
    assert (d.level2, d.duplicate_of, d.possible_duplicate_of) == (Level2.NEW, None, None)


def test_best_match_wins_over_older_weaker() -> None:
    priors = [
        prior("A", "Lampu jalan di Jl. Cibiru Raya mati sejak kemarin malam", 0),
        prior("B", ORIGINAL, 5),
    ]
    assert decide_level2(ORIGINAL, T0 + timedelta(hours=1), priors, CFG).duplicate_of == "B"


def test_same_reporter_different_problem_is_never_merged() -> None:
    """Same place, another problem: a case of its own (at most linked for a handler)."""
    priors = [prior("A", "Air PDAM di Cibiru Raya dekat masjid mati dua hari", 0)]
    text = "Lampu penerangan jalan di Cibiru Raya dekat masjid mati sudah 2 minggu"
    decision = decide_level2(text, T0 + timedelta(hours=1), priors, CFG)
    assert decision.duplicate_of is None
    assert decision.citizen_tracking_id("NEW") == "NEW"


def report(
    text: str, *, phone: str | None = None, region: str | None = None, **kw: object
) -> Report:
    fields: dict[str, object] = {"received_at": T0 + timedelta(hours=1), **kw}
    return Report(
        channel=Channel.SMS,
        transport="test",
        text=text,
        reporter=Reporter(phone=phone),
        location=Location(region=region) if region else None,
        **fields,  # type: ignore[arg-type]
    )


def test_linker_links_other_reporters_not_own() -> None:
    linker = Linker(CFG)
    lampu = "Lampu jalan Cibiru Raya dekat masjid Al Ikhlas mati"
    assert linker.link(report(lampu, phone="0811111111", tracking_id="OTHER")) == []
    mine = report(lampu + " total", phone="0812222222", tracking_id="MINE")
    assert [x.tracking_id for x in linker.link(mine)] == ["OTHER"]
    # the same person a week ago: outside level 2's window, so a level-3 link again
    old = report(
        lampu + " lagi",
        phone="0812222222",
        tracking_id="OLD",
        received_at=T0 - timedelta(days=7),
    )
    linker.link(old)
    new = report(
        "lampu jalan cibiru raya dkt masjid al ikhlas gak nyala",
        phone="+62 812-222-222",  # the same number, written otherwise
        tracking_id="NEW",
    )
    links = linker.link(new)
    assert sorted(link.tracking_id for link in links) == ["OLD", "OTHER"]
    assert all(0 < link.score <= 1 for link in links)
    # linked once more (a retry after a failed forward): never to itself, same answer
    assert sorted(x.tracking_id for x in linker.link(new)) == ["OLD", "OTHER"]


def test_linker_skips_duplicates_and_respects_the_limit() -> None:
    linker = Linker(CFG.model_copy(update={"max_similar_links": 2}))
    for i in range(4):
        linker.link(report(ORIGINAL, tracking_id=f"R{i}"))
    assert len(linker.index) == 4
    assert len(linker.link(report(ORIGINAL, tracking_id="NEW"))) == 2
    # a level-2 duplicate travels as an addendum of its original: no links, not indexed
    assert linker.link(report(ORIGINAL, tracking_id="DUP", duplicate_of="R0")) == []
    assert len(linker.index) == 5


def test_deduplicator_duplicate_decision() -> None:
    dedup = Deduplicator(CFG)
    decision = dedup.decide(report(ORIGINAL, phone="0812222222"), [prior("A", ORIGINAL, 0)])
    assert decision.level2 is Level2.DUPLICATE
    assert decision.duplicate_of == "A"
    assert not decision.addendum
    assert decision.citizen_tracking_id("NEWID") == "A"


def test_anonymous_strangers_never_become_duplicates() -> None:
    """Two people with the same text: the second never learns the first's tracking ID; the
    case handlers get a level-3 link between them."""
    linker = Linker(CFG)
    linker.link(report(ORIGINAL, anonymous=True, confidential=True, tracking_id="STRANGER"))
    second = report(ORIGINAL, anonymous=True, tracking_id="MINE")
    decision = Deduplicator(CFG).decide(second, [])  # no shared identity: no priors
    assert decision.level2 is Level2.NEW
    assert decision.duplicate_of is None
    assert decision.citizen_tracking_id("MINE") == "MINE"
    assert [link.tracking_id for link in linker.link(second)] == ["STRANGER"]


async def test_load_warms_index_from_rows() -> None:
    linker = Linker(CFG)

    async def rows():  # type: ignore[no-untyped-def]
        yield ("OLD", ORIGINAL, ["phone:+62811"], T0 - timedelta(days=60), None, None, None)
        yield ("R1", ORIGINAL, ["phone:+62811"], T0, "kota-bandung", "drainase", None)

    assert await linker.load(rows(), now=T0) == 1
    links = linker.link(report(ORIGINAL, region="kota-bandung", tracking_id="NEW"))
    assert [link.tracking_id for link in links] == ["R1"]
    assert await Linker(CFG).load([]) == 0


async def test_load_yields_to_the_event_loop_between_chunks() -> None:
    """A big window warms in chunks: the forwarder's heartbeats and link keep running."""
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    before = ticks
    rows = [
        (f"R{i}", f"keluhan nomor {i} di jalan {i}", ["phone:+62811"], T0, None, None, None)
        for i in range(5 * WARM_CHUNK)
    ]
    assert await Linker(CFG).load(rows, now=T0) == len(rows)
    assert ticks - before >= 4  # the ticker ran between the five chunks
    task.cancel()

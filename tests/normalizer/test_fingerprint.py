"""Fingerprints: the canonical form two resent complaints share, and the set measures."""

from __future__ import annotations

from importlib.resources import files

import pytest

from normalizer.fingerprint import containment, normalize, shingles, tokens
from normalizer.lexicon import ABBREVIATIONS, EXPANSIONS


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("Jalan RUSAK parah", "jalan rusak parah", id="case"),
        pytest.param("  jalan\t rusak \n\n parah  ", "jalan rusak parah", id="whitespace"),
        pytest.param("jalan, rusak!!! parah?!", "jalan rusak parah", id="punctuation"),
        pytest.param("LAPOR jalan rusak", "jalan rusak", id="prefix-upper"),
        pytest.param("lapor! jalan rusak", "jalan rusak", id="prefix-bang"),
        pytest.param("#lapor jalan rusak", "jalan rusak", id="prefix-hashtag"),
        pytest.param("@lapor1708 LAPOR jalan rusak", "jalan rusak", id="mention-then-prefix"),
        pytest.param("jalan rusak @pemkot @dishub", "jalan rusak", id="mentions"),
        pytest.param("jalan rusak https://t.co/abc", "jalan rusak", id="url"),
        pytest.param("yg dgn tdk", "yang dengan tidak", id="abbrev-yg-dgn-tdk"),
        pytest.param("gak ga nggak gk", "tidak tidak tidak tidak", id="abbrev-tidak"),
        pytest.param("sdh udah blm", "sudah sudah belum", id="abbrev-sudah-belum"),
        pytest.param("krn utk", "karena untuk", id="abbrev-karena-untuk"),
        pytest.param("jln jl. Sudirman", "jalan jalan sudirman", id="abbrev-jalan"),
        pytest.param("sampah dll", "sampah dan lain lain", id="abbrev-dll"),
        pytest.param("tolongggg", "tolong", id="letter-repeat"),
        pytest.param("lampu2 mati", "lampu mati", id="reduplication-2"),
        pytest.param("RT05/RW03", "rt 05 rw 03", id="digits-glued"),
        pytest.param("Rp 50.000", "50000", id="thousands-dot-amount"),
        pytest.param("rp50,000", "50000", id="thousands-comma-amount"),
        pytest.param("jam 7.30", "jam 7 30", id="not-thousands"),
        pytest.param("ＬＡＰＯＲ jalan", "jalan", id="fullwidth-nfkc"),
        pytest.param("lapor", "", id="only-prefix"),
        pytest.param("Laporan jalan rusak", "laporan jalan rusak", id="laporan-is-a-word"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_is_idempotent() -> None:
    raw = "LAPOR! Jln di dpn SDN 3 rusak parah, tlg diperbaiki!!! Rp 5.000 @pemkot"
    once = normalize(raw)
    assert normalize(once) == once


def test_tokens_sms_and_formal_forms_agree() -> None:
    sms = "lapor jln di dpn SDN 3 cibiru rusak parah bnyk lubang besar. mhn sgr diperbaiki"
    formal = (
        "LAPOR jalan di depan SD Negeri 3 Cibiru rusak parah, banyak lubang besar. "
        "Mohon segera diperbaiki."
    )
    assert tokens(sms) == tokens(formal)


def test_normalize_insensitive_to_form() -> None:
    a = normalize("Sampah di pasar TIDAK diangkut!!")
    b = normalize("sampah di pasar tdk diangkut")
    assert a == b == "sampah di pasar tidak diangkut"


@pytest.mark.parametrize(
    ("words", "k", "expected"),
    [
        pytest.param([], 2, frozenset(), id="empty"),
        pytest.param(["a"], 2, frozenset({"a"}), id="shorter-than-k"),
        pytest.param(["a", "b"], 2, frozenset({"a b"}), id="exactly-k"),
        pytest.param(["a", "b", "c"], 2, frozenset({"a b", "b c"}), id="pairs"),
        pytest.param(["a", "b", "a"], 1, frozenset({"a", "b"}), id="unigrams-dedup"),
    ],
)
def test_shingles(words: list[str], k: int, expected: frozenset[str]) -> None:
    assert shingles(words, k) == expected


def test_shingles_rejects_bad_k() -> None:
    with pytest.raises(ValueError, match="k must be"):
        shingles(["a"], 0)


@pytest.mark.parametrize(
    ("inner", "outer", "expected"),
    [
        pytest.param(set(), {"x"}, 0.0, id="empty-inner"),
        pytest.param({"x", "y"}, {"x", "y", "z"}, 1.0, id="contained"),
        pytest.param({"x", "y"}, {"x"}, 0.5, id="half"),
    ],
)
def test_containment(inner: set[str], outer: set[str], expected: float) -> None:
    assert containment(inner, outer) == pytest.approx(expected)


def test_containment_detects_message_plus_new_detail() -> None:
    first = normalize("Selokan di Jl. Cibiru Raya no 45 mampet, air meluap ke jalan.")
    later = normalize(
        "Selokan di Jl. Cibiru Raya no 45 mampet, air meluap ke jalan. Sekarang air masuk rumah."
    )
    a, b = shingles(first.split()), shingles(later.split())
    assert containment(a, b) == 1.0
    assert containment(b, a) < 1.0


# -- shorthand, glued prepositions, amounts -------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("bbrp", "beberapa", id="bbrp"),
        pytest.param("pdhl", "padahal", id="pdhl"),
        pytest.param("sjk", "sejak", id="sjk"),
        pytest.param("jd", "jadi", id="jd"),
        pytest.param("dtg", "datang", id="dtg"),
        pytest.param("rmh", "rumah", id="rmh"),
        pytest.param("ds", "desa", id="ds"),
        pytest.param("byr", "bayar", id="byr"),
        pytest.param("ket", "keterangan", id="ket"),
        pytest.param("sklh", "sekolah", id="sklh"),
        pytest.param("bsr", "besar", id="bsr"),
        pytest.param("n", "dan", id="n"),
        pytest.param("lbh", "lebih", id="lbh"),
        pytest.param("ttp", "tetap", id="ttp"),
        pytest.param("mksh", "terima kasih", id="mksh"),
        pytest.param("bgt", "sekali", id="bgt"),
        pytest.param("krn", "karena", id="krn"),
        pytest.param("utk", "untuk", id="utk"),
        pytest.param("kmrn", "kemarin", id="kmrn"),
        pytest.param("tlp", "telepon", id="tlp"),
        pytest.param("hp", "ponsel", id="hp"),
        pytest.param("blm", "belum", id="blm"),
        pytest.param("sdh", "sudah", id="sdh"),
        pytest.param("sm", "sama", id="sm"),
        pytest.param("dl", "dulu", id="dl"),
        pytest.param("lg", "lagi", id="lg"),
        pytest.param("pk", "bapak", id="pk"),
        pytest.param("bu", "ibu", id="bu"),
        pytest.param("org", "orang", id="org"),
        pytest.param("ank", "anak", id="ank"),
        pytest.param("jln", "jalan", id="jln"),
        pytest.param("gmn", "bagaimana", id="gmn"),
        pytest.param("kpn", "kapan", id="kpn"),
        pytest.param("knp", "kenapa", id="knp"),
        pytest.param("skt", "sakit", id="skt"),
        pytest.param("jkt", "jakarta", id="city-jkt"),
        pytest.param("bdg", "bandung", id="city-bdg"),
        pytest.param("smg", "smg", id="smg-ambiguous-left-alone"),
        pytest.param("plg", "plg", id="plg-ambiguous-left-alone"),
        # from the vendored lexicon (normalizer/data/slang.tsv)
        pytest.param("mgkn", "mungkin", id="lexicon-mgkn"),
        pytest.param("ngirim", "mengirim", id="lexicon-ngirim"),
        pytest.param("sbnrnya", "sebenarnya", id="lexicon-sbnrnya"),
    ],
)
def test_shorthand(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_hand_list_wins_over_vendored_lexicon() -> None:
    for slang, formal in ABBREVIATIONS.items():
        assert EXPANSIONS[slang] == formal, slang
    # the vendored file is really used, and is larger than the hand list
    assert len(EXPANSIONS) > len(ABBREVIATIONS) + 150


def test_expansions_are_fixed_points() -> None:
    # an expansion that normalize() rewrites again would break idempotence
    bad = {k: v for k, v in EXPANSIONS.items() if normalize(v) != v}
    assert bad == {}


def test_vendored_keys_are_not_indonesian_words() -> None:
    text = files("normalizer").joinpath("data/slang.tsv").read_text(encoding="utf-8")
    roots = set(files("Sastrawi.Stemmer").joinpath("data/kata-dasar.txt").read_text().split())
    keys = [line.split("\t")[0] for line in text.splitlines()]
    assert keys and not [k for k in keys if k in roots]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("dirmh", "di rumah", id="di-shorthand-place"),
        pytest.param("diluar", "di luar", id="di-place"),
        pytest.param("kesekolah", "ke sekolah", id="ke-place"),
        pytest.param("dikel", "di kelurahan", id="di-kel-marker"),
        pytest.param("dijln", "di jalan", id="di-jln"),
        pytest.param("dirt 05", "di rt 05", id="di-rt"),
        pytest.param("kesana", "ke sana", id="ke-direction-listed-glued"),
        pytest.param("dimana", "di mana", id="di-mana"),
        pytest.param("dibyr", "dibayar", id="di-passive-shorthand-stays-glued"),
        pytest.param("dia", "dia", id="dia"),
        pytest.param("diam", "diam", id="diam"),
        pytest.param("dinas", "dinas", id="dinas"),
        pytest.param("kecamatan", "kecamatan", id="kecamatan"),
        pytest.param("kelurahan", "kelurahan", id="kelurahan"),
        pytest.param("kena", "kena", id="kena"),
        pytest.param("kemarin", "kemarin", id="kemarin"),
        pytest.param("kepala", "kepala", id="kepala"),
        pytest.param("keluar", "keluar", id="keluar-real-word"),
        pytest.param("dipungut", "dipungut", id="passive-dipungut"),
        pytest.param("diperbaiki", "diperbaiki", id="passive-diperbaiki"),
        pytest.param("ditindaklanjuti", "ditindaklanjuti", id="passive-long"),
        pytest.param("di rumah", "di rumah", id="already-split"),
    ],
)
def test_glued_di_ke(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("Rp 780.000", "780000", id="rp-dots"),
        pytest.param("780rb", "780000", id="rb-glued"),
        pytest.param("780 rb", "780000", id="rb-spaced"),
        pytest.param("780 ribu", "780000", id="ribu"),
        pytest.param("780k", "780000", id="k"),
        pytest.param("Rp780.000,-", "780000", id="rp-glued-dash"),
        pytest.param("Rp 780.000,00", "780000", id="rp-cents"),
        pytest.param("780.000 rupiah", "780000", id="rupiah-after"),
        pytest.param("780 ribu rupiah", "780000", id="ribu-rupiah"),
        pytest.param("1,5 jt", "1500000", id="decimal-comma-jt"),
        pytest.param("1.5 juta", "1500000", id="decimal-dot-juta"),
        pytest.param("Rp 1.500.000", "1500000", id="rp-million"),
        pytest.param("2,75jt", "2750000", id="two-decimals-glued"),
        pytest.param("dipungut 50rb", "dipungut 50000", id="in-sentence"),
        pytest.param("RT 02/RW 04", "rt 02 rw 04", id="rt-rw-untouched"),
        pytest.param("tahun 2023", "tahun 2023", id="year-untouched"),
        pytest.param("jam 7.30", "jam 7 30", id="time-untouched"),
        pytest.param("ribuan warga", "ribuan warga", id="ribuan-is-a-word"),
        pytest.param("ribu", "ribu", id="unit-without-number"),
        pytest.param("nilai rupiah", "nilai rupiah", id="rupiah-without-number"),
        pytest.param("9" * 30 + " ribu", "9" * 30 + " ribu", id="huge-number-not-multiplied"),
    ],
)
def test_amounts(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_amount_with_thousands_of_digits_is_cheap_and_safe() -> None:
    # int() of a >4300-digit string raises in Python 3.11: that must never reach it
    assert normalize("9" * 5000 + " juta") == "9" * 5000 + " juta"


def test_formal_web_text_and_sms_shorthand_agree_on_the_facts() -> None:
    formal = normalize("Tagihan air di rumah saya sejak 2 bulan melonjak menjadi Rp 780.000")
    sms = normalize("dirmh sy sjk 2 bln tagihan jd 780rb pdhl")
    shared = set(formal.split()) & set(sms.split())
    assert {"rumah", "saya", "sejak", "2", "bulan", "tagihan", "780000"} <= shared


@pytest.mark.parametrize(
    ("with_invisible", "plain"),
    [
        pytest.param("lam\u200bpu mati", "lampu mati", id="zero-width-space"),
        pytest.param("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "\u0645\u06cc\u062e\u0648\u0627\u0647\u0645", id="persian-zwnj"),
        pytest.param("jalan\u200d rusak", "jalan rusak", id="zwj"),
    ],
)
def test_invisible_characters_do_not_change_the_comparison(with_invisible: str, plain: str) -> None:
    """Stored text keeps them (issue 14); the fingerprint must not see them (a resend with
    and without them is the same text)."""
    assert tokens(with_invisible) == tokens(plain)

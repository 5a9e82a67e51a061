"""Fingerprints: the canonical form two resent complaints share, and the set measures."""

from __future__ import annotations

import pytest

from normalizer.fingerprint import (
    containment,
    content_words,
    features,
    fingerprint,
    jaccard,
    normalize,
    shingles,
    tokens,
)


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


def test_fingerprint_stable_and_insensitive_to_form() -> None:
    a = fingerprint("Sampah di pasar TIDAK diangkut!!")
    b = fingerprint("sampah di pasar tdk diangkut")
    assert a == b
    assert len(a) == 64
    # fixed value: fingerprints must not change between processes or releases silently
    assert fingerprint("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


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
    ("a", "b", "expected"),
    [
        pytest.param(set(), set(), 1.0, id="both-empty"),
        pytest.param({"x"}, set(), 0.0, id="one-empty"),
        pytest.param({"x", "y"}, {"x", "y"}, 1.0, id="same"),
        pytest.param({"x", "y"}, {"y", "z"}, 1 / 3, id="overlap"),
        pytest.param({"x"}, {"y"}, 0.0, id="disjoint"),
    ],
)
def test_jaccard(a: set[str], b: set[str], expected: float) -> None:
    assert jaccard(a, b) == pytest.approx(expected)


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
    assert jaccard(a, b) < 1.0


def test_features_are_content_words() -> None:
    text = normalize("Tolong pak, lampu jalan di Cibiru sudah mati dan tidak menyala")
    assert features(text) == frozenset({"lampu", "jalan", "cibiru", "mati", "menyala"})
    assert content_words(["di", "x", "lampu"]) == ["lampu"]

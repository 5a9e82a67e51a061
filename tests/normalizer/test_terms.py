"""Content terms: boilerplate dropped, words reduced to Sastrawi roots, numbers kept."""

from __future__ import annotations

import pytest

from normalizer.fingerprint import normalize
from normalizer.terms import STEM_CACHE_SIZE, stem, terms


@pytest.mark.parametrize(
    ("word", "root"),
    [
        pytest.param("perbaikan", "baik", id="perbaikan"),
        pytest.param("diperbaiki", "baik", id="diperbaiki"),
        pytest.param("memperbaiki", "baik", id="memperbaiki"),
        pytest.param("pelayanan", "layan", id="pelayanan"),
        pytest.param("dilayani", "layan", id="dilayani"),
        pytest.param("tagihan", "tagih", id="tagihan"),
        pytest.param("kebanjiran", "banjir", id="kebanjiran"),
        pytest.param("berlubang", "lubang", id="berlubang"),
        pytest.param("cibiru", "cibiru", id="place-name-kept"),
        pytest.param("pdam", "pdam", id="acronym-kept"),
        pytest.param("780000", "780000", id="number-kept"),
        pytest.param("café", "café", id="non-ascii-kept"),
    ],
)
def test_stem(word: str, root: str) -> None:
    assert stem(word) == root


def test_stem_cache_is_bounded() -> None:
    info = stem.cache_info()
    assert info.maxsize == STEM_CACHE_SIZE


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(
            "Yth. Admin LAPOR!, dengan hormat, jalan rusak di depan SDN 3. "
            "Mohon segera ditindaklanjuti. Terima kasih atas perhatiannya. Hormat saya",
            ["jalan", "rusak", "depan", "sd", "negeri", "3"],
            id="formal-letter-boilerplate",
        ),
        pytest.param(
            "Assalamualaikum, selamat pagi bapak/ibu. Lampu PJU mati. Trims",
            ["lampu", "pju", "mati"],
            id="greeting-and-sign-off",
        ),
        pytest.param(
            "mhn diperbaiki. mksh - pak darto ketua rt 02",
            ["baik", "darto", "ketua", "rt", "02"],
            id="sms-sign-off",
        ),
        pytest.param("tagihan 780rb di rt 3", ["tagih", "780000", "rt", "3"], id="numbers-kept"),
        pytest.param("pelaporan laporan", [], id="stem-that-is-a-stopword"),
        pytest.param("", [], id="empty"),
    ],
)
def test_terms(raw: str, expected: list[str]) -> None:
    assert terms(normalize(raw)) == expected


def test_terms_make_formal_and_sms_forms_meet() -> None:
    formal = terms(normalize("Mohon perbaikan pelayanan air di Kelurahan Cibiru"))
    sms = terms(normalize("tlg diperbaiki, air dilayani dikel cibiru"))
    assert set(formal) == set(sms) == {"baik", "layan", "air", "lurah", "cibiru"}

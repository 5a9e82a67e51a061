"""Stored text keeps what the citizen wrote; only the comparison copy drops invisible
characters (normalizer/text.py)."""

from __future__ import annotations

import pytest

from normalizer.text import EmptyTextError, clean_text, comparable_text, require_text

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # man ZWJ woman ZWJ girl
HEALTH_WORKER = "\U0001f469\u200d\u2695\ufe0f"  # woman ZWJ staff of aesculapius VS16
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # mi-khaham, "I want", with ZWNJ
HINDI = "\u0915\u094d\u200d\u0937"  # ka virama ZWJ ssa: the half-form conjunct


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"Keluarga {FAMILY} kami kebanjiran", id="family-emoji-zwj"),
        pytest.param(f"Puskesmas tutup, {HEALTH_WORKER} tidak ada", id="health-worker-emoji"),
        pytest.param(f"{PERSIAN} jalan diperbaiki", id="persian-zwnj"),
        pytest.param(f"{HINDI} jalan rusak", id="devanagari-zwj"),
        pytest.param("\u0627\u0644\u0633\u0644\u0627\u0645\u200f 123", id="rtl-mark"),
    ],
)
def test_stored_text_keeps_joiners_and_marks(text: str) -> None:
    assert clean_text(text) == text
    assert require_text(text) == text


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param("lam\u200bpu mati", "lampu mati", id="zero-width-space"),
        pytest.param(
            f"jalan {PERSIAN}", "jalan \u0645\u06cc\u062e\u0648\u0627\u0647\u0645", id="zwnj"
        ),
        pytest.param("jalan\u00adrusak", "jalanrusak", id="soft-hyphen"),
        pytest.param("\u200ejalan rusak\u2060", "jalan rusak", id="marks-and-word-joiner"),
    ],
)
def test_comparison_copy_ignores_invisible_characters(a: str, b: str) -> None:
    assert comparable_text(a) == comparable_text(b)
    assert clean_text(a) != clean_text(b)  # the stored forms still differ: nothing was lost


@pytest.mark.parametrize("raw", [" \u200b ", "\u200d\u200c", "\ufeff\u2060 "])
def test_only_invisible_characters_is_empty(raw: str) -> None:
    with pytest.raises(EmptyTextError):
        require_text(raw)


@pytest.mark.parametrize(
    "raw",
    ["\u200bjalan", "\u200d\u200c rusak", "a", "\u200e\u0627"],
    ids=["zwsp", "zwj", "a", "mark"],
)
def test_something_visible_is_not_empty(raw: str) -> None:
    assert require_text(raw) == raw

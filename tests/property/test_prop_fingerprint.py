"""Property tests for the complaint-text normalizer: normalize() is idempotent.

The store keeps normalize()'s output and later compares new reports against it, and the
linker may normalize stored text again; if a second pass changed anything, the same
complaint would stop matching itself. Texts are drawn from fragments that exercise every
rewrite (shorthand, glued "di"/"ke", amounts and units, reduplication, letter repeats,
prefixes, mentions) joined by the separators citizens use, plus arbitrary unicode.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from normalizer.fingerprint import normalize

FAST = settings(max_examples=400, deadline=None)

FRAGMENTS = [
    "lapor", "LAPOR!", "#lapor", "@lapor1708", "di", "ke", "dirmh", "diluar", "kesekolah",
    "dikel", "dibyr", "kesana", "keluar", "dinas", "dipungut", "rmh", "sklh", "jd", "pdhl",
    "yg", "gak", "n", "rp", "Rp", "rupiah", "780", "780.000", "1,5", "1.5", "2,75", ",-", ",00",
    "rb", "ribu", "jt", "juta", "k", "5k", "780rb", "Rp780.000,-", "RT05", "rw.03", "lampu2",
    "tolongggg", "2023", "7.30", "jalan", "rusak", "sdn", "dll", "mksh", "hp", "jkt",
    "9" * 20, "ＬＡＰＯＲ", "é", "x",
]
SEPARATORS = [" ", "  ", "", ".", ",", "/", "-", "\n", "!", "?"]

fragment_texts = st.lists(
    st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from(SEPARATORS)), max_size=12
).map(lambda parts: "".join(f + s for f, s in parts))


@FAST
@given(fragment_texts)
@example("Rp 1.500.000,00 jd 1,5 jt")
@example("5 rb rb")
@example("dirmhhh")
def test_normalize_is_idempotent_on_complaint_fragments(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@FAST
@given(st.text(max_size=200))
def test_normalize_is_idempotent_on_any_text(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once

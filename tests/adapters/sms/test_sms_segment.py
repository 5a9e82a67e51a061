"""Table tests for reply segmentation (adapters/sms/segment.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.sms import codec, udh
from adapters.sms.segment import SegmentationError, segment


@pytest.mark.parametrize(
    ("text", "n_parts", "dc"),
    [
        pytest.param("a" * 160, 1, 0, id="gsm-160-one"),
        pytest.param("a" * 161, 2, 0, id="gsm-161-two"),
        pytest.param("a" * 306, 2, 0, id="gsm-306-two"),
        pytest.param("a" * 307, 3, 0, id="gsm-307-three"),
        pytest.param("€" * 80, 1, 0, id="gsm-80-euro-one"),
        pytest.param("€" * 81, 2, 0, id="gsm-81-euro-two"),
        pytest.param("é" * 70 + "ā", 2, 8, id="ucs2-71-two"),
        pytest.param("ā" * 70, 1, 8, id="ucs2-70-one"),
        pytest.param("😀" * 35, 1, 8, id="emoji-35-one"),
        pytest.param("😀" * 36, 2, 8, id="emoji-36-two"),
    ],
)
def test_part_counts(text: str, n_parts: int, dc: int) -> None:
    seg = segment(text, ref=7)
    assert len(seg.parts) == n_parts
    assert seg.data_coding == dc
    assert seg.esm_class == (0x40 if n_parts > 1 else 0)


def _reassemble(parts: list[bytes], dc: int) -> str:
    out = []
    for part in parts:
        _, body = udh.parse(part)
        if dc == 0:
            text, bad = codec.decode_gsm7(body)
            assert bad == 0, "a part ends in a split escape"
            assert len(body) <= 153
        else:
            assert len(body) % 2 == 0 and len(body) <= 134
            text = body.decode("utf-16-be")  # strict: raises on a split surrogate pair
        out.append(text)
    return "".join(out)


def test_never_splits_escape_pair() -> None:
    text = "a" * 152 + "€" + "b" * 10
    seg = segment(text, ref=1)
    assert len(seg.texts[0]) == 152  # the euro (2 septets) did not fit after 152
    assert _reassemble(seg.parts, 0) == text


def test_never_splits_surrogate_pair() -> None:
    text = "é" * 66 + "😀" + "ā" * 5
    seg = segment(text, ref=1)
    assert seg.texts[0] == "é" * 66
    assert _reassemble(seg.parts, 8) == text


def test_ref16() -> None:
    seg = segment("x" * 200, ref=0x1234, ref16=True)
    header, _ = udh.parse(seg.parts[0])
    assert header.concat is not None and header.concat.ref == 0x1234
    assert all(len(p) <= 7 + 152 for p in seg.parts)


@pytest.mark.parametrize(
    "text",
    [pytest.param("", id="empty"), pytest.param("x" * 153 * 256, id="too-many-parts")],
)
def test_errors(text: str) -> None:
    with pytest.raises(SegmentationError):
        segment(text, ref=1)


@given(st.text(alphabet=st.sampled_from(list("ab €{😀é\n")), min_size=1, max_size=800))
def test_roundtrip(text: str) -> None:
    seg = segment(text, ref=3)
    if len(seg.parts) == 1:
        assert seg.texts == [text]
    else:
        assert _reassemble(seg.parts, seg.data_coding) == text

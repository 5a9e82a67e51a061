"""Tracking IDs: the check digit's guarantees proven exhaustively, and tolerant parsing."""

from __future__ import annotations

import itertools
import random

import pytest

from normalizer import tracking
from normalizer.tracking import DAMM_TABLE, InvalidTrackingIdError, TrackingIdProblem

DIGITS = range(10)


def test_quasigroup_catches_every_single_substitution() -> None:
    """Each row of the table is a permutation, so changing one digit changes the interim
    digit, and every later step (a bijection) keeps it different: the final check fails."""
    for row in DAMM_TABLE:
        assert sorted(row) == list(DIGITS)
    for col in DIGITS:
        assert sorted(DAMM_TABLE[r][col] for r in DIGITS) == list(DIGITS)


def test_quasigroup_catches_every_adjacent_transposition() -> None:
    """Weak total anti-symmetry: for every interim c and digits a != b,
    (c*a)*b != (c*b)*a. Checked for all 10*10*10 combinations."""
    for c, a, b in itertools.product(DIGITS, DIGITS, DIGITS):
        if a != b:
            assert DAMM_TABLE[DAMM_TABLE[c][a]][b] != DAMM_TABLE[DAMM_TABLE[c][b]][a], (c, a, b)


def test_every_single_error_and_adjacent_swap_is_detected_on_real_ids() -> None:
    """End to end on 300 generated IDs: all 12*9 substitutions and all 11 adjacent swaps."""
    rng = random.Random(1708)
    for _ in range(300):
        data = "".join(rng.choice("0123456789") for _ in range(tracking.DATA_DIGITS))
        tid = data + tracking.check_digit(data)
        assert tracking.is_valid(tid)
        for pos in range(len(tid)):
            for digit in "0123456789":
                if digit != tid[pos]:
                    typo = tid[:pos] + digit + tid[pos + 1 :]
                    assert not tracking.is_valid(typo), (tid, typo)
        for pos in range(len(tid) - 1):
            if tid[pos] != tid[pos + 1]:
                swapped = tid[:pos] + tid[pos + 1] + tid[pos] + tid[pos + 2 :]
                assert not tracking.is_valid(swapped), (tid, swapped)


def test_new_ids_are_valid_random_and_typable() -> None:
    ids = {tracking.new_tracking_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(len(t) == 12 and t.isdigit() and tracking.is_valid(t) for t in ids)
    ordered = sorted(ids)
    assert ordered != [tracking.new_tracking_id() for _ in range(3)]  # not sequential


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("{id}", id="canonical"),
        pytest.param("{d}", id="dashed"),
        pytest.param("  {s}  ", id="spaces"),
        pytest.param("#{id}", id="hash"),
        pytest.param("{d}".lower(), id="case"),
    ],
)
def test_parse_is_tolerant(raw: str) -> None:
    tid = tracking.new_tracking_id()
    d = tracking.display(tid)
    text = raw.format(id=tid, d=d, s=d.replace("-", " "))
    assert tracking.parse(text) == tid


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        pytest.param("12345", TrackingIdProblem.MALFORMED, id="short"),
        pytest.param("abcd-efgh-ijkl", TrackingIdProblem.MALFORMED, id="letters"),
        pytest.param("", TrackingIdProblem.MALFORMED, id="empty"),
    ],
)
def test_parse_rejects_garbage(raw: str, problem: TrackingIdProblem) -> None:
    with pytest.raises(InvalidTrackingIdError) as err:
        tracking.parse(raw)
    assert err.value.problem is problem


def test_parse_reports_typo_as_bad_check() -> None:
    tid = tracking.new_tracking_id()
    typo = tid[:3] + str((int(tid[3]) + 1) % 10) + tid[4:]
    with pytest.raises(InvalidTrackingIdError) as err:
        tracking.parse(typo)
    assert err.value.problem is TrackingIdProblem.BAD_CHECK

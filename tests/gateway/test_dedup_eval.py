"""Duplicate detection scored on labelled sets through the real code (bench/dedup_eval.py).

The development half of ``tests/data/dedup_eval`` and the first set
(``tests/data/dedup_labelled.jsonl``, written with the first version of the code) guard
against regressions; the held-out half is scored by the benchmark only, so that no test
tunes on it. Floors sit a little under the figures measured when the thresholds were
chosen (README "Duplicate detection"), so a change that costs real quality fails here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dedup_eval", ROOT / "bench" / "dedup_eval.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["dedup_eval"] = module
    spec.loader.exec_module(module)
    return module


bench = _bench()


@pytest.mark.parametrize(
    ("path", "floors"),
    [
        pytest.param(
            ROOT / "tests" / "data" / "dedup_eval" / "dev.jsonl",
            {"merged": 0.99, "linked_p": 0.9, "linked_r": 0.75, "similar_p": 0.85,
             "similar_r": 0.6},
            id="new-set-development-half",
        ),
        pytest.param(
            ROOT / "tests" / "data" / "dedup_labelled.jsonl",
            {"merged": 0.99, "linked_p": 0.9, "linked_r": 0.85, "similar_p": 0.6,
             "similar_r": 0.8},
            id="first-set",
        ),
    ],
)
def test_labelled_set(path: Path, floors: dict[str, float]) -> None:
    score = bench.evaluate(bench.load(path), bench.shipped_dedup())
    (_, merged_p, _), (_, linked_p, linked_r), (_, similar_p, similar_r) = score.rows()
    assert score.swallowed == []  # never a new complaint inside someone else's case
    assert merged_p >= floors["merged"]
    assert linked_p >= floors["linked_p"] and linked_r >= floors["linked_r"]
    assert similar_p >= floors["similar_p"] and similar_r >= floors["similar_r"]

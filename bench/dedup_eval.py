"""Precision and recall of duplicate detection on the labelled set.

    .venv/bin/python bench/dedup_eval.py [--data tests/data/dedup_labelled.jsonl]

The set (``tests/data/dedup_labelled.jsonl``) is in arrival order; each item names its
``reporter`` and the real-world ``problem`` it is about, and ``kind`` says whether a repeat
by the same reporter adds detail (``addendum``). Ground truth derived from that:

* level 2: an item whose reporter already reported the same problem earlier should be
  linked (DUPLICATE, or ADDENDUM when ``kind == "addendum"``) to that reporter's first
  report of the problem; every other item should be NEW;
* level 3: every earlier item about the same problem from a *different* reporter is a
  true similar link; anything else linked is a false one.

Level 2 is scored on links (a link to the wrong report counts as a false positive and a
miss); "addendum ok" is the share of true links whose DUPLICATE/ADDENDUM kind is right.
Level 3 runs through the real MinHash LSH index (so LSH misses count against recall) with
the configured ``max_similar_links``. Items arrive ten minutes apart, all inside the window.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.config import DedupSection
from gateway.dedup import Level2, PriorReport, decide_level2
from gateway.similarity import SimilarityIndex
from normalizer.fingerprint import normalize

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "dedup_labelled.jsonl"
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def load(path: Path) -> list[dict[str, str]]:
    items = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    for i, item in enumerate(items):
        item["at"] = (T0 + timedelta(minutes=10 * i)).isoformat()
    return items


def level2(items: list[dict[str, str]], config: DedupSection) -> tuple[float, float, float, int]:
    """(precision, recall, addendum-kind accuracy, true links) of level 2."""
    tp = fp = fn = kind_ok = 0
    for i, item in enumerate(items):
        earlier = [o for o in items[:i] if o["reporter"] == item["reporter"]]
        firsts = [o for o in earlier if o["problem"] == item["problem"]]
        expected = firsts[0]["id"] if firsts else None
        priors = [
            PriorReport(o["id"], o["text"], datetime.fromisoformat(o["at"]), _root(o, items))
            for o in earlier
        ]
        verdict, original, _ = decide_level2(
            item["text"], datetime.fromisoformat(item["at"]), priors, config
        )
        if original is not None and original == expected:
            tp += 1
            want = Level2.ADDENDUM if item["kind"] == "addendum" else Level2.DUPLICATE
            kind_ok += verdict is want
        else:
            fp += original is not None
            fn += expected is not None
    truth = tp + fn
    return _ratio(tp, tp + fp), _ratio(tp, truth), _ratio(kind_ok, tp), truth


def _root(item: dict[str, str], items: list[dict[str, str]]) -> str | None:
    """The duplicate_of the store would hold for *item* under perfect level 2."""
    for other in items:
        if other is item:
            return None
        if other["reporter"] == item["reporter"] and other["problem"] == item["problem"]:
            return other["id"]
    return None


def level3(
    items: list[dict[str, str]], threshold: float, config: DedupSection, partition: bool
) -> tuple[float, float, int]:
    """(precision, recall, true pairs) of level-3 links through the LSH index."""
    index = SimilarityIndex(
        threshold=threshold,
        num_perm=config.num_perm,
        max_candidates=config.max_candidates,
        partition_by=("region",) if partition else (),
    )
    tp = fp = truth = 0
    for item in items:
        own = {o["id"] for o in items if o["reporter"] == item["reporter"]}
        text = normalize(item["text"])
        found = index.query(
            text, region=item["region"], exclude=own, limit=config.max_similar_links
        )
        problem = {o["id"]: o["problem"] for o in items}
        for cand in found:
            if problem[cand.tracking_id] == item["problem"]:
                tp += 1
            else:
                fp += 1
        truth += sum(
            1
            for o in items
            if o["id"] in index._slot  # earlier items only
            and o["problem"] == item["problem"]
            and o["reporter"] != item["reporter"]
        )
        index.add(item["id"], text, datetime.fromisoformat(item["at"]), region=item["region"])
    return _ratio(tp, tp + fp), _ratio(tp, truth), truth


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    items = load(args.data)
    defaults = DedupSection()
    print(
        f"{len(items)} items, {len({i['problem'] for i in items})} problems, "
        f"{len({i['reporter'] for i in items})} reporters"
    )
    print()
    print(
        "Level 2 (same reporter): word-pair Jaccard threshold sweep "
        f"(containment {defaults.containment_threshold}, "
        f"addendum >= {defaults.addendum_min_new_words} new words)"
    )
    print(f"{'threshold':>9} {'precision':>9} {'recall':>7} {'addendum ok':>11}")
    truth2 = 0
    for t in (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        cfg = defaults.model_copy(update={"same_reporter_threshold": t})
        p, r, k, truth2 = level2(items, cfg)
        mark = "  <- default" if t == defaults.same_reporter_threshold else ""
        print(f"{t:>9.2f} {p:>9.3f} {r:>7.3f} {k:>11.3f}{mark}")
    print(f"({truth2} true same-reporter links)")
    for partition in (False, True):
        print()
        print(
            "Level 3 (other reporters): estimated Jaccard of content words, "
            f"num_perm={defaults.num_perm}, max links {defaults.max_similar_links}, "
            f"{'partitioned by region' if partition else 'not partitioned'}"
        )
        print(f"{'threshold':>9} {'precision':>9} {'recall':>7}")
        truth3 = 0
        for t in (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6):
            p, r, truth3 = level3(items, t, defaults, partition)
            is_default = partition == ("region" in defaults.partition_by)
            mark = "  <- default" if is_default and t == defaults.similar_threshold else ""
            print(f"{t:>9.2f} {p:>9.3f} {r:>7.3f}{mark}")
        print(f"({truth3} true cross-reporter pairs)")


if __name__ == "__main__":
    main()

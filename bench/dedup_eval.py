"""Precision and recall of duplicate detection on labelled sets, per link kind.

    .venv/bin/python bench/dedup_eval.py                 # development half only
    .venv/bin/python bench/dedup_eval.py --held-out      # both halves (score held-out last)
    .venv/bin/python bench/dedup_eval.py --data tests/data/dedup_labelled.jsonl

``tests/data/dedup_eval/`` holds two halves written apart from the code (its README says how):
``dev.jsonl`` to look at while choosing thresholds, ``held.jsonl`` to score only at the end.
Each item, in arrival order, names its ``reporter`` (one identity across channels), its
``channel`` and the real-world ``problem`` it is about. Ground truth derived from that:

* same reporter, same problem as an earlier item: a repeat. ``duplicate_of`` (merged, no case
  of its own) or ``possible_duplicate_of`` (new case, linked) to one of that reporter's
  earlier reports of the problem is right; a link to any other report is wrong, and a
  ``duplicate_of`` to another problem is a **swallowed complaint** (listed by text);
* different reporters, same problem: a ``similar_to`` pair. Pairs are counted between first
  reports (each reporter's first report of a problem); a link from a repeat that was not
  merged to another reporter's report of the same problem is right too.

Every item goes through the real code: :func:`gateway.dedup.decide_level2` against the same
reporter's earlier items (ten minutes apart, all inside the window), then, unless merged,
:meth:`gateway.linker.Linker.link` with the shipped ``[dedup]`` settings (regions resolved from
the text, the reporter's own reports left out).
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.dedup import decide_level2
from gateway.linker import Linker
from gateway.sections import DedupSection
from gateway.store import PriorReport
from normalizer.report import Channel, Location, Report, Reporter

ROOT = Path(__file__).resolve().parent.parent
SETS = ROOT / "tests" / "data" / "dedup_eval"
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
CHANNELS = {c.value: c for c in Channel}


@dataclass
class Score:
    """Counts for one labelled set."""

    items: int = 0
    repeats: int = 0
    merged_ok: int = 0
    merged_wrong: int = 0
    possible_ok: int = 0
    possible_wrong: int = 0
    similar_ok: int = 0
    similar_wrong: int = 0
    similar_pairs: int = 0
    similar_found: int = 0
    swallowed: list[tuple[str, str]] = field(default_factory=list)
    false_possible: list[tuple[str, str]] = field(default_factory=list)
    false_similar: list[tuple[str, str]] = field(default_factory=list)
    missed: Counter[str] = field(default_factory=Counter)

    def rows(self) -> list[tuple[str, float, float]]:
        merged = self.merged_ok + self.merged_wrong
        linked = merged + self.possible_ok + self.possible_wrong
        return [
            ("duplicate_of", _ratio(self.merged_ok, merged), _ratio(self.merged_ok, self.repeats)),
            (
                "duplicate_of + possible_duplicate_of",
                _ratio(self.merged_ok + self.possible_ok, linked),
                _ratio(self.merged_ok + self.possible_ok, self.repeats),
            ),
            (
                "similar_to",
                _ratio(self.similar_ok, self.similar_ok + self.similar_wrong),
                _ratio(self.similar_found, self.similar_pairs),
            ),
        ]


def load(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def evaluate(items: list[dict[str, str]], config: DedupSection) -> Score:
    """Run *items* in order through level 2 and level 3; count against the labels."""
    score = Score(items=len(items))
    linker = Linker(config)
    by_id = {item["id"]: item for item in items}
    phones: dict[str, str] = {}
    priors: dict[str, list[PriorReport]] = {}
    seen: set[tuple[str, str]] = set()
    firsts: dict[str, list[str]] = {}  # problem -> first-report ids, in order
    for i, item in enumerate(items):
        at = T0 + timedelta(minutes=10 * i)
        who, problem = item["reporter"], item["problem"]
        repeat = (who, problem) in seen
        seen.add((who, problem))
        score.repeats += repeat
        decision = decide_level2(item["text"], at, priors.get(who, []), config)
        merged = decision.duplicate_of
        possible = decision.possible_duplicate_of
        if merged is not None:
            target = by_id[merged]
            if target["reporter"] == who and target["problem"] == problem:
                score.merged_ok += 1
            else:
                score.merged_wrong += 1
                score.swallowed.append((item["text"], target["text"]))
        elif possible is not None:
            target = by_id[possible.tracking_id]
            if target["reporter"] == who and target["problem"] == problem:
                score.possible_ok += 1
            else:
                score.possible_wrong += 1
                score.false_possible.append((item["text"], target["text"]))
        if repeat and merged is None and possible is None:
            score.missed[item.get("kind", "?")] += 1
        prior = PriorReport(item["id"], item["text"], at, merged, anonymous=False, confidential=False)
        priors.setdefault(who, []).append(prior)
        if merged is not None:
            continue
        phone = phones.setdefault(who, f"+62812{len(phones):07d}")
        report = Report(
            tracking_id=item["id"],
            channel=CHANNELS.get(item.get("channel", "web"), Channel.WEB),
            transport="eval",
            received_at=at,
            reporter=Reporter(phone=phone),
            text=item["text"],
            # the old set labels a region, as a channel might send one
            location=Location(region=item["region"]) if item.get("region") else None,
        )
        links = linker.link(report)
        earlier = [o for o in firsts.get(problem, []) if by_id[o]["reporter"] != who]
        if not repeat:
            score.similar_pairs += len(earlier)
            firsts.setdefault(problem, []).append(item["id"])
        for link in links:
            target = by_id[link.tracking_id]
            if target["problem"] == problem and target["reporter"] != who:
                score.similar_ok += 1
                score.similar_found += link.tracking_id in earlier and not repeat
            else:
                score.similar_wrong += 1
                score.false_similar.append((item["text"], target["text"]))
    return score


def shipped_dedup(path: Path = ROOT / "config.toml") -> DedupSection:
    """The ``[dedup]`` table of *path* (the rest of the file needs secrets in the env)."""
    return DedupSection.model_validate(tomllib.loads(path.read_text("utf-8")).get("dedup", {}))


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def report(name: str, score: Score, *, show: int) -> None:
    print(f"== {name}: {score.items} items, {score.repeats} repeats by the same reporter, "
          f"{score.similar_pairs} cross-reporter pairs")
    print(f"   {'link':<38} {'precision':>9} {'recall':>7}")
    for label, p, r in score.rows():
        print(f"   {label:<38} {p:>9.3f} {r:>7.3f}")
    print(f"   swallowed (duplicate_of another complaint): {len(score.swallowed)}")
    if score.missed:
        print("   repeats left unlinked, by kind: "
              + ", ".join(f"{k} {n}" for k, n in score.missed.most_common()))
    for title, pairs in (
        ("SWALLOWED", score.swallowed),
        ("false possible_duplicate_of", score.false_possible),
        ("false similar_to", score.false_similar),
    ):
        for new, old in pairs[:show] if title != "SWALLOWED" else pairs:
            print(f"   {title}: {new[:90]!r}\n      -> {old[:90]!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, action="append", help="a labelled set (JSONL)")
    parser.add_argument("--held-out", action="store_true", help="score the held-out half too")
    parser.add_argument("--show", type=int, default=5, help="false links listed per kind")
    parser.add_argument("--config", type=Path, default=ROOT / "config.toml")
    args = parser.parse_args()
    config = shipped_dedup(args.config)
    paths = args.data or [SETS / "dev.jsonl"] + ([SETS / "held.jsonl"] if args.held_out else [])
    swallowed = 0
    for path in paths:
        score = evaluate(load(path), config)
        report(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path), score,
               show=args.show)
        swallowed += len(score.swallowed)
    return 1 if swallowed else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Run every benchmark under bench/ and write their figures to bench/RESULTS.md.

Each benchmark is a standalone script that prints its own figures; this runner executes
them one after another (never in parallel: the machine has two cores) and collects what
they print, with the date and the machine, into one Markdown file.

Usage: python bench/run_all.py [--quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import machine

HERE = Path(__file__).resolve().parent

#: (script, full arguments, quick arguments)
BENCHMARKS: list[tuple[str, list[str], list[str]]] = [
    ("web_intake.py", ["--reports", "200000"], ["--seconds", "5", "--fixed-seconds", "5"]),
    ("whatsapp_intake.py", [], ["--seconds", "5"]),
    ("smpp_intake.py", [], ["--count", "2000", "--seconds", "5"]),
    ("smpp_transport.py", [], ["--count", "2000"]),
    ("intake_cpu.py", [], ["--rounds", "3"]),
    ("gammu_inbox.py", ["400"], ["200"]),
    ("dedup_eval.py", [], []),
    ("dedup_scale.py", [], ["--sizes", "10000", "100000"]),
    ("dedup_memory.py", [], ["--reports", "20000"]),
    ("outbox_drain.py", [], []),
    ("scale_out.py", [], ["--seconds", "5"]),
    ("crash_long.py", [], ["--messages", "500", "--kills", "8"]),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="shorter runs")
    args = ap.parse_args()
    sections = [
        "# Benchmark results",
        "",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Machine: {machine()}.",
        "Produced by `make bench` (`python bench/run_all.py`). Each section is the script's own output.",
        "",
    ]
    for script, full, quick in BENCHMARKS:
        path = HERE / script
        if not path.exists():
            continue
        argv = [sys.executable, str(path), *(quick if args.quick else full)]
        print(f"== {script}", flush=True)
        started = time.time()
        proc = subprocess.run(argv, capture_output=True, text=True, cwd=HERE.parent)
        out = (proc.stdout + ("\n" + proc.stderr if proc.returncode else "")).strip()
        print(out, flush=True)
        sections += [
            f"## {script} ({time.time() - started:.0f} s, exit {proc.returncode})",
            "",
            "```",
            out,
            "```",
            "",
        ]
    (HERE / "RESULTS.md").write_text("\n".join(sections))
    print(f"wrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()

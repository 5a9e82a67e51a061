"""SIGKILL at random moments under mixed load: web, mobile, SMPP and the GSM modem at once.

The short version of ``bench/crash_long.py`` (same harness, :mod:`tests.system.crash_harness`):
a few dozen messages per channel and three kills, restarted each time. The invariants are
listed in :func:`tests.system.crash_harness.check`.
"""

from __future__ import annotations

from pathlib import Path

from tests.system.crash_harness import CrashRun, Plan


async def test_sigkill_under_mixed_load_keeps_every_promise(tmp_path: Path) -> None:
    async with CrashRun(tmp_path, Plan(web=30, mobile=15, smpp=30, gammu=15, kills=3)) as run:
        figures = await run.run()
    print(figures)
    assert figures["kills"] == 3
    assert figures["interrupted_sends"] > 0, "the kills must land while senders are sending"

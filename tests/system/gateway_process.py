"""A gateway run as a child process (``lapor-gateway run``), the way an operator runs it,
for the tests that kill it (SIGKILL, SIGTERM) or look at its processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


def live_processes(needle: str, *, parent: int | None = None) -> list[int]:
    """PIDs of live (not zombie) processes whose command line mentions *needle*, and whose
    parent is *parent* when given."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, ppid = fields[0], int(fields[1])
        if needle.encode() in cmdline and state != "Z" and parent in (None, ppid):
            found.append(int(pid))
    return found


class GatewayProcess:
    """``lapor-gateway run`` as a child process; stderr (JSON logs) appended to a file."""

    def __init__(self, config: Path, port: int, log_path: Path) -> None:
        self.config = config
        self.port = port
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    async def start(self, wait_s: float = 20.0) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(  # noqa: ASYNC220 - a quick fork; the child is the point
            [sys.executable, "-m", "gateway.cli", "run", "--config", str(self.config)],
            cwd=ROOT,
            stdout=log,
            stderr=log,
        )
        log.close()
        self.starts += 1
        deadline = time.monotonic() + wait_s
        async with aiohttp.ClientSession() as s:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with s.get(f"http://127.0.0.1:{self.port}/healthz") as r:
                        if r.status == 200:
                            return
                await asyncio.sleep(0.05)
        self.kill()
        raise AssertionError(
            "gateway did not start:\n" + self.log_path.read_text(errors="replace")[-3000:]
        )

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def terminate(self, wait_s: float = 20.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=wait_s)

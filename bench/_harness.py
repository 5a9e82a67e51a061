"""Shared benchmark plumbing: free ports, processes, RSS, wrk with pre-signed requests."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def spawn(args: list[str], **kw: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw
    )  # type: ignore[call-overload]


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children(pid: int) -> list[int]:
    """Child process IDs of *pid* (the gateway's core forwarder)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def write_gateway_config(
    tmp: Path,
    port: int,
    core_url: str,
    secret: str,
    *,
    core_forwarder: str = "process",
    outbox_extra: str = "",
) -> Path:
    """A benchmark config: web intake only, flood control out of the way, and the core
    forwarder as shipped in config.toml (its own process) unless told otherwise;
    *outbox_extra*: more lines of ``[outbox]``."""
    path = tmp / "config.toml"
    path.write_text(
        f"""
[gateway]
data_dir = "{tmp / "data"}"
database = "sqlite:///{tmp / "lapor.db"}"
log_level = "WARNING"
[http]
host = "127.0.0.1"
port = {port}
[core]
url = "{core_url}"
events_secret = "bench"
[outbox]
core_forwarder = "{core_forwarder}"
{outbox_extra}
[adapters.web]
secret = "{secret}"
[adapters.sms.gammu]
enabled = false
[adapters.mobile]
enabled = false
[adapters.open311]
enabled = false
[flood]
sender_burst = 1000000
sender_per_min = 1000000.0
channel_burst = 1000000
channel_per_s = 1000000.0
"""
    )
    return path


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: `apt-get install wrk` (make bench does this)")
    return wrk


def presigned_lua(path: Path, requests: list[tuple[bytes, dict[str, str]]], url_path: str) -> None:
    """A wrk script cycling through pre-signed requests (signing is not the generator's job)."""
    lines = ["local reqs = {}"]
    for body, headers in requests:
        headers = {"Host": "127.0.0.1", **headers}
        hdrs = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
        lines.append(
            f"reqs[#reqs + 1] = wrk.format('POST', {json.dumps(url_path)}, {{{hdrs}}}, {json.dumps(body.decode())})"
        )
    lines += [
        "local i = 0",
        "request = function()",
        "  i = i + 1",
        "  if i > #reqs then i = 1 end",
        "  return reqs[i]",
        "end",
    ]
    path.write_text("\n".join(lines) + "\n")


def run_wrk(url: str, script: Path, seconds: int, connections: int = 32, threads: int = 1) -> float:
    """Requests per second reported by wrk."""
    out = subprocess.run(
        [
            require_wrk(),
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx:
        print(f"  (wrk saw {non2xx.group(1)} non-2xx responses)")
    return float(match.group(1)) if match else 0.0


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores, {cpu}"

"""Starting and stopping as an operator or a supervisor does it: the real CLI and the real
``make run`` as child processes, on the shipped ``config.toml`` moved to a free port and a
temporary data dir.

A start that fails must leave nothing running and say why in one line naming the key; a
SIGTERM to ``make run`` must reach the gateway (the recipe ``exec``s it), so no orphan
keeps the port.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.adapters.sms.smsc_sim import free_port

ROOT = Path(__file__).resolve().parents[2]
#: dev.env's values, so the shipped config's ${LAPOR_*} references resolve
DEV_SECRETS = {
    "LAPOR_WEB_SECRET": "dev-web-secret-change-me",
    "LAPOR_MOBILE_SECRET": "dev-mobile-secret-change-me",
    "LAPOR_CORE_EVENTS_SECRET": "dev-core-secret-change-me",
}


def shipped_config(folder: Path, port: int) -> Path:
    """The shipped config.toml with another port, in *folder* (its relative data paths
    resolve there)."""
    text = (ROOT / "config.toml").read_text()
    text, n = re.subn(r"(?m)^port = 8080\b", f"port = {port}", text)
    assert n == 1, "config.toml no longer has the [http] port line this test edits"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(text)
    return path


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without LAPOR_* variables (a fresh shell), plus *extra*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    return {**env, **extra}


@contextlib.contextmanager
def held_port() -> Iterator[int]:
    """A 127.0.0.1 port this test listens on (so nobody else can)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def wait_healthy(port: int, proc: subprocess.Popen[str], wait_s: float = 60.0) -> None:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the gateway exited while starting"
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        time.sleep(0.1)
    raise AssertionError("the gateway did not answer /healthz")


def port_is_free(port: int) -> bool:
    """Whether a restarted gateway could listen on *port*. SO_REUSEADDR as aiohttp sets it:
    the health checks' closed connections may sit in TIME_WAIT, which is no listener."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            # pid (comm) state ppid ...: comm may hold spaces, so split after the ')'
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_run_on_a_busy_port_stops_everything_and_says_which_key(tmp_path: Path) -> None:
    with held_port() as port:
        config = shipped_config(tmp_path, port)
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "gateway.cli", "run", "--config", str(config)],
            cwd=ROOT,
            env=clean_env(**DEV_SECRETS),
            capture_output=True,
            text=True,
            timeout=60,  # today's exit takes ~1-2 s; before the fix it never came
        )
        took = time.monotonic() - started
    assert proc.returncode == 1, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert lines[-1] == f"http.port: 127.0.0.1:{port} is already in use"
    assert "Traceback" not in proc.stderr
    assert took < 30, f"took {took:.1f} s to give up"


def test_run_with_an_unwritable_data_dir_names_the_key(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data dir should be")
    config = shipped_config(tmp_path, free_port())
    config.write_text(
        config.read_text().replace('data_dir = "data"', f'data_dir = "{blocker / "data"}"')
    )
    proc = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "run", "--config", str(config)],
        cwd=ROOT,
        env=clean_env(**DEV_SECRETS),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert proc.stderr.strip().splitlines()[-1].startswith("gateway.data_dir: ")
    assert "Traceback" not in proc.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_sigterm_to_make_run_stops_the_gateway(tmp_path: Path) -> None:
    port = free_port()
    config = shipped_config(tmp_path, port)
    venv = Path(sys.prefix)
    # the venv running these tests; -o: never (re)install from inside a test
    # output to a file: an orphaned gateway would hold a pipe open
    out = tmp_path / "make-run.log"
    with out.open("w") as log:
        make = subprocess.Popen(
            ["make", "-s", "-o", f"{venv}/.installed", "run", f"VENV={venv}", f"CONFIG={config}"],
            cwd=ROOT,
            env=clean_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    gateway: int | None = None
    spawned: list[int] = []
    try:
        wait_healthy(port, make)
        kids = children(make.pid)
        spawned = [*kids, *(g for k in kids for g in children(k))]
        assert len(kids) == 1, kids
        gateway = kids[0]
        exe = Path(f"/proc/{gateway}/exe").resolve().name
        assert exe.startswith("python"), f"make's child is {exe}, not the gateway"
        assert "lapor-gateway run" in cmdline(gateway)
        make.send_signal(signal.SIGTERM)
        make.wait(timeout=30)
        deadline = time.monotonic() + 10
        while alive(gateway) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(gateway), "the gateway outlived make run's SIGTERM (orphan)"
    finally:
        if make.poll() is None:
            make.kill()
            make.wait()
        for pid in spawned:  # an orphan left by a failed run, not another test's process
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    output = out.read_text()
    assert '"gateway stopped"' in output, output[-2000:]
    assert port_is_free(port)

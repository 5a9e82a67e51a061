"""The README's shell examples, run as printed, in order, against a started gateway.

A temporary folder stands in for a fresh clone: the shipped ``config.toml`` (only its port
changed), ``dev.env``, ``examples/`` and a ``.venv`` link to the environment running the
tests. The gateway is started there as ``make run`` starts it (``dev.env`` sourced, no
LAPOR_* variable set beforehand), and every ```` ```sh ```` block of README.md runs in
``sh -e`` with the README's ``127.0.0.1:8080`` replaced by the test's port: nothing else
is changed. Each block must exit 0 and print what the README says it prints.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.adapters.sms.smsc_sim import free_port
from tests.system.test_start_stop import ROOT, clean_env, shipped_config, wait_healthy

README = ROOT / "README.md"
_BLOCK = re.compile(r"^```(?:sh|bash)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def shell_examples(text: str) -> list[str]:
    """The README's sh/bash blocks, except the one that runs make itself (the gateway
    under test is what ``make run`` starts; ``make test`` would run this test again)."""
    blocks = [m.group(1) for m in _BLOCK.finditer(text)]
    return [b for b in blocks if not re.search(r"(?m)^make ", b)]


@dataclass(frozen=True)
class Expect:
    """What a block prints; *marker* identifies the block (a URL or command in it)."""

    marker: str
    patterns: tuple[str, ...]


EXPECTED = [
    Expect(
        "/v1/web/reports",
        (
            r'\{"tracking_id": "(\d{12})", "status": "received", "duplicate_of": null\}',
            r'"tracking_id": "\d{12}".*"status": "received"',  # the public status view
            r"(?m)^\d{12}\tweb\treceived\t",  # case list
            r"status set to in_progress; the citizen is not told: in_progress is not in "
            r"acks\.notify_statuses",
        ),
    ),
    Expect(
        "/v1/mobile/reports",
        (r'\{"tracking_id": "\d{12}", "status": "received", "duplicate_of": null\}',),
    ),
    Expect(
        "/open311/v2/",
        (
            r"<service_code>JALAN</service_code>",
            r'\[\{"service_request_id": "\d{12}"',
            r"<service_request_id>\d{12}</service_request_id>",
            r"<status>open</status>",
        ),
    ),
    Expect(
        "sms inject",
        (
            r"put 1 SMS part\(s\) into the simulated modem's inbox",
            r"LAPOR! Laporan Anda diterima\. No: \d{4}-\d{4}-\d{4}",  # sms sent: the ack
            r"(?m)^\d{12}\tsms\treceived\t",  # case list
        ),
    ),
]


def _expectation(block: str) -> Expect:
    found = [e for e in EXPECTED if e.marker in block]
    assert len(found) == 1, f"README block without exactly one expectation here:\n{block}"
    return found[0]


def test_every_readme_example_has_an_expectation() -> None:
    blocks = shell_examples(README.read_text())
    assert sorted(_expectation(b).marker for b in blocks) == sorted(e.marker for e in EXPECTED)


def _fresh_clone(folder: Path, port: int) -> Path:
    shipped_config(folder, port)
    shutil.copy(ROOT / "dev.env", folder / "dev.env")
    shutil.copytree(ROOT / "examples", folder / "examples")
    (folder / ".venv").symlink_to(Path(sys.prefix))
    return folder


@pytest.mark.skipif(
    shutil.which("openssl") is None or shutil.which("curl") is None,
    reason="the README's examples use curl and openssl",
)
def test_readme_examples_run_as_printed(tmp_path: Path) -> None:
    port = free_port()
    clone = _fresh_clone(tmp_path / "clone", port)
    log = (tmp_path / "gateway.log").open("w")
    gateway = subprocess.Popen(
        ["sh", "-c", ". ./dev.env && exec .venv/bin/lapor-gateway run --config config.toml"],
        cwd=clone,
        env=clean_env(),
        stdout=log,
        stderr=log,
        text=True,
    )
    try:
        wait_healthy(port, gateway)
        for block in shell_examples(README.read_text()):
            expect = _expectation(block)
            script = block.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
            run = subprocess.run(
                ["sh", "-e", "-c", script],
                cwd=clone,
                env=clean_env(),
                capture_output=True,
                text=True,
                timeout=120,
            )
            shown = f"{expect.marker} block:\n{run.stdout}\n{run.stderr}"
            assert run.returncode == 0, shown
            for pattern in expect.patterns:
                assert re.search(pattern, run.stdout), f"{pattern!r} not printed by the {shown}"
            assert '"error"' not in run.stdout and "Traceback" not in run.stderr, shown
    finally:
        gateway.terminate()
        gateway.wait(timeout=30)
        log.close()

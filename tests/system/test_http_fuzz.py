"""Fuzzing the HTTP API from its own ``/openapi.json`` with schemathesis, and checking that
document is valid OpenAPI 3.1.

The gateway runs as a real process (web, mobile, Open311, core events; embedded core).
Schemathesis generates valid and invalid requests for every operation (coverage and
fuzzing phases, bounded examples), with signatures added by :mod:`tests.system.st_hooks`
for most requests to the signed doors. Checks: no 5xx (``not_a_server_error``), and
afterwards the process is alive, answers, and logged no unhandled error.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
from schemathesis.specs.openapi import definitions

from tests.adapters.sms.smsc_sim import free_port
from tests.process_config import config_head
from tests.system.gateway_process import ROOT, GatewayProcess

SECRETS = {"ST_WEB_SECRET": "st-web", "ST_MOBILE_SECRET": "st-mobile", "ST_CORE_SECRET": "st-core"}


def _config(tmp: Path, port: int) -> Path:
    path = tmp / "config.toml"
    path.write_text(
        config_head(tmp, port)
        + f"""
status_rate_per_min = 100000
request_timeout_s = 10.0
[core]
events_secret = "{SECRETS["ST_CORE_SECRET"]}"
[flood]
sender_burst = 100000
sender_per_min = 100000.0
[adapters.web]
secret = "{SECRETS["ST_WEB_SECRET"]}"
[adapters.mobile]
secret = "{SECRETS["ST_MOBILE_SECRET"]}"
[adapters.open311]
enabled = true
api_keys = ["st-open311-key"]
[[adapters.open311.services]]
service_code = "JALAN"
service_name = "Jalan rusak"
description = "Jalan berlubang"
group = "infrastruktur"
keywords = "jalan"
[adapters.sms.gammu]
enabled = false
"""
    )
    return path


async def _document(port: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as s, s.get(f"http://127.0.0.1:{port}/openapi.json") as r:
        assert r.status == 200
        return dict(await r.json())


async def test_openapi_is_valid_and_fuzzing_finds_no_5xx(tmp_path: Path) -> None:
    port = free_port()
    gw = GatewayProcess(_config(tmp_path, port), port, tmp_path / "gateway.log")
    await gw.start()
    try:
        document = await _document(port)
        assert document["openapi"].startswith("3.1")
        errors = [e.message for e in definitions.OPENAPI_31_VALIDATOR.iter_errors(document)]
        assert errors == [], errors[:5]
        report = tmp_path / "st.json"
        proc = subprocess.run(  # noqa: ASYNC221 - the gateway under test is another process
            [
                str(Path(sys.executable).parent / "schemathesis"),
                "run",
                f"http://127.0.0.1:{port}/openapi.json",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                "25",
                "--seed",
                "1708",
                "--request-timeout",
                "10",
                "--phases",
                "examples,coverage,fuzzing",
                "--report",
                "ndjson",
                "--report-ndjson-path",
                str(report),
            ],
            cwd=ROOT,
            env={
                **os.environ,
                **SECRETS,
                "SCHEMATHESIS_HOOKS": "tests.system.st_hooks",
                "PYTHONPATH": str(ROOT),
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        assert "Schema Error" not in proc.stdout, proc.stdout[-4000:]
        assert gw.proc is not None and gw.proc.poll() is None, "the gateway died"
        assert (await _document(port))["openapi"]
    finally:
        exit_code = gw.terminate()
    assert exit_code == 0
    errors = []
    for line in (tmp_path / "gateway.log").read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # the startup banner
        # aiohttp itself logs (with a traceback) each request line or header it refuses
        # with 400 before any of our code runs; that is client garbage, not a failure
        if record.get("logger") == "aiohttp.server" and "BadHttpMessage" in record.get("exc", ""):
            continue
        if record.get("level") in ("ERROR", "CRITICAL"):
            errors.append(record)
    assert errors == [], errors[:3]
    # the fuzzer got past the signatures: reports were filed through the signed doors
    with sqlite3.connect(tmp_path / "lapor.db") as db:
        channels = {row[0] for row in db.execute("SELECT DISTINCT channel FROM reports")}
    assert {"web", "mobile"} <= channels, channels
    assert report.read_text().strip(), "schemathesis wrote no events"

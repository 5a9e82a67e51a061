"""A full run at ``log_level = "DEBUG"``: no secret, phone number, e-mail, name or
confidential text may appear in the gateway's logs.

The gateway runs as a real process with web, mobile, SMPP (simulator), the GSM modem (dummy
phone) and an HTTP core (with a bearer token). Citizens with known identities file reports
on every channel, some confidential, one request is refused with a 422 naming a field, one
with a bad signature, a stranger asks for a status by SMS, the core posts a status update
with a note; the run ends when every forward and ack went out. Then the captured stderr
(JSON log lines) is searched for every needle, in every format a phone number takes.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from adapters import signing
from adapters.sms.gammu.inject import deliver_parts, read_sent, write_inbox
from tests.adapters.sms.smsc_sim import SmscSim, free_port
from tests.fakes.core import FakeCore
from tests.process_config import config_head
from tests.system.crash_harness import CallbackSink
from tests.system.gateway_process import GatewayProcess

SECRETS = {
    "web": "web-Zq8vT1secret",
    "mobile": "mob-Kx3pW7secret",
    "events": "evt-Lm5nR2secret",
    "core_token": "core-Hy6uJ4token",
    "smpp_password": "smpp-Pw9q",
    "open311": "o311-Ab4cD5key",
}
CITIZENS = {
    "web": ("Bambang Sutrisno", "081377788899", "bambang.s@example.id"),
    "mobile": ("Ratna Kumalasari", "081266655544", "ratna.k@example.id"),
    "smpp": ("", "081522233344", ""),
    "gammu": ("", "081933344455", ""),
}
CONFIDENTIAL = "camat menerima suap proyek drainase"
STRANGER = "6285799988877"


def _phone_forms(local: str) -> list[str]:
    """081377788899 -> every way it can be written (local, E.164, digits, national)."""
    national = local[1:]
    return [local, "+62" + national, "62" + national, national]


def _config(tmp: Path, port: int, core_url: str, smsc_port: int) -> Path:
    path = tmp / "config.toml"
    path.write_text(
        config_head(tmp, port, log_level="DEBUG")
        + f"""
[core]
url = "{core_url}"
token = "{SECRETS["core_token"]}"
events_secret = "{SECRETS["events"]}"
[core.retry]
initial_backoff_s = 0.05
max_backoff_s = 0.2
[outbox]
poll_interval_s = 0.05
[adapters.web]
secret = "{SECRETS["web"]}"
[adapters.mobile]
secret = "{SECRETS["mobile"]}"
[adapters.open311]
enabled = true
api_keys = ["{SECRETS["open311"]}"]
[[adapters.open311.services]]
service_code = "JALAN"
service_name = "Jalan rusak"
[adapters.sms.gammu]
enabled = true
poll_interval_s = 0.1
[[adapters.sms.gammu.modems]]
name = "dummy"
model = "dummy"
connection = "none"
device = "{tmp / "modem"}"
rate = 100.0
[adapters.sms.smpp]
enabled = true
[[adapters.sms.smpp.binds]]
name = "sim"
host = "127.0.0.1"
port = {smsc_port}
system_id = "lapor"
password = "{SECRETS["smpp_password"]}"
tps = 100.0
reconnect_initial_s = 0.05
reconnect_max_s = 0.5
"""
    )
    return path


async def _post(
    session: aiohttp.ClientSession, url: str, document: dict[str, Any], secret: str
) -> tuple[int, Any]:
    body = json.dumps(document).encode()
    headers = {"Content-Type": "application/json", **signing.signed_headers(secret.encode(), body)}
    async with session.post(url, data=body, headers=headers) as r:
        return r.status, await r.json(content_type=None)


async def _until(pred: Any, what: str, wait_s: float = 15.0) -> None:
    deadline = time.monotonic() + wait_s
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_full_debug_run_logs_no_secret_and_no_personal_data(tmp_path: Path) -> None:
    core, smsc = FakeCore(), SmscSim()
    sink = CallbackSink({"web": SECRETS["web"], "mobile": SECRETS["mobile"]})
    await core.start()
    await sink.start()
    await smsc.start()
    port = free_port()
    gw = GatewayProcess(
        _config(tmp_path, port, core.url, smsc.port), port, tmp_path / "gateway.log"
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await gw.start()
        await smsc.wait_bound(10)
        async with aiohttp.ClientSession() as s:
            name, phone, email = CITIZENS["web"]
            status, web = await _post(
                s,
                f"{base}/v1/web/reports",
                {
                    "text": f"RAHASIA: {CONFIDENTIAL} di kecamatan",
                    "confidential": True,
                    "reporter": {"name": name, "phone": phone, "email": email},
                    "callback_url": f"{sink.url}/web",
                },
                SECRETS["web"],
            )
            assert status == 201, web
            name, phone, email = CITIZENS["mobile"]
            status, mobile = await _post(
                s,
                f"{base}/v1/mobile/reports",
                {
                    "text": "Lampu penerangan jalan mati di gang mawar",
                    "anonymous": True,
                    "reporter": {"name": name, "phone": phone, "email": email},
                    "device_id": "android-77",
                    "app_version": "3.0.1",
                    "callback_url": f"{sink.url}/mobile",
                },
                SECRETS["mobile"],
            )
            assert status == 201, mobile
            # refused requests carrying personal data
            status, _ = await _post(
                s,
                f"{base}/v1/web/reports",
                {"text": "x" * 30, "reporter": {"email": "bambang.s@example.id", "age": 40}},
                SECRETS["web"],
            )
            assert status == 422
            status, _ = await _post(
                s,
                f"{base}/v1/web/reports",
                {"text": "palsu", "reporter": {"phone": CITIZENS["web"][1]}},
                "not-the-secret",
            )
            assert status == 401
            # SMS: a confidential report over SMPP, one over the modem, a stranger's query
            sender = "62" + CITIZENS["smpp"][1][1:]
            text = f"RAHASIA {CONFIDENTIAL} kelurahan"
            assert await smsc.deliver(text.encode(), source_addr=sender) == 0
            write_inbox(
                str(tmp_path / "modem"),
                deliver_parts(CITIZENS["gammu"][1], "Sampah menumpuk tiga minggu di pasar"),
            )
            assert (
                await smsc.deliver(f"CEK {web['tracking_id']}".encode(), source_addr=STRANGER) == 0
            )
            # the core moves the web report along with a note
            event = {
                "tracking_id": web["tracking_id"],
                "status": "verified",
                "at": datetime.now(UTC).isoformat(),
                "note": "Sudah diteruskan ke inspektorat",
                "event_id": "ev-1",
            }
            status, _ = await _post(s, f"{base}/v1/core/events", event, SECRETS["events"])
            assert status == 200

        await _until(lambda: len(core.state.cases) >= 4, "4 forwards to the core")
        await _until(lambda: len(sink.received) >= 3, f"callbacks {sink.received}")
        await _until(lambda: len([x for x in smsc.submitted if x.status == 0]) >= 2, "SMPP acks")
        await _until(lambda: len(read_sent(str(tmp_path / "modem"))) >= 1, "modem ack")
        assert core.state.token_seen[-1] == f"Bearer {SECRETS['core_token']}"
    finally:
        exit_code = gw.terminate() if gw.proc and gw.proc.poll() is None else None
        await smsc.stop()
        await sink.stop()
        await core.stop()
    assert exit_code == 0
    log = (tmp_path / "gateway.log").read_text(errors="replace")
    lines = [json.loads(x) for x in log.splitlines() if x.startswith("{")]
    assert sum(1 for r in lines if r["level"] == "DEBUG") > 0, "the run must log at DEBUG"
    assert sum(1 for r in lines if r["msg"] == "report filed") >= 4
    needles = [*SECRETS.values(), CONFIDENTIAL, "suap", STRANGER, STRANGER[2:]]
    for name, phone, email in CITIZENS.values():
        needles += _phone_forms(phone)
        needles += [n for n in (name, email) if n]
        needles += name.split()
    found = sorted({n for n in needles if n in log})
    assert found == [], f"in the logs: {found}"
    # positive control: reporters were logged, masked (so the search above had something
    # to look at)
    for _, phone, _ in CITIZENS.values():
        assert re.search(r"\*{3,}" + phone[-4:], log), f"no masked trace of ...{phone[-4:]}"

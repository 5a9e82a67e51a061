"""Every metric the shipped dashboard and alert rules query exists in ``/metrics`` of a
running gateway.

The gateway runs as a real process (``python -m gateway.cli run``: its own, fresh metrics
registry, nothing left by other tests) with the web door, an SMPP bind to the simulator and
libgammu's dummy modem. A little traffic on each makes the labelled series exist: web
reports (one repeat, one duplicate that flood control also holds, one bad signature), an
SMS over SMPP whose ack goes back as submit_sm, an SMS on the modem. Then ``/metrics`` is
scraped and the sample names (``_bucket``/``_count``/``_sum`` of histograms, ``_total`` of
counters) are compared with the names in every dashboard query and alert expression.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters import signing
from adapters.sms.gammu.inject import deliver_parts, write_inbox
from tests.adapters.sms.smsc_sim import SmscSim, free_port
from tests.deploy.promql import alert_rules, dashboard, dashboard_exprs, metric_names
from tests.system.gateway_process import GatewayProcess

WEB_SECRET = "deploy-web-secret"
#: series Prometheus writes itself for each scrape, never in /metrics
SCRAPE_SERIES = frozenset({"up"})
PHONE_LIKE = re.compile(r"\d{8,}")


def write_config(tmp: Path, *, port: int, smsc_port: int) -> Path:
    path = tmp / "config.toml"
    path.write_text(
        f"""
[gateway]
data_dir = "{tmp / "data"}"
database = "sqlite:///{tmp / "lapor.db"}"
shutdown_grace_s = 2.0
[http]
host = "127.0.0.1"
port = {port}
[core]
events_secret = "deploy-core-secret"
[outbox]
poll_interval_s = 0.05
[flood]
sender_burst = 1
sender_per_min = 0.5
[adapters.web]
secret = "{WEB_SECRET}"
[adapters.sms.gammu]
enabled = true
poll_interval_s = 0.1
signal_every_polls = 1
reconnect_min_s = 0.1
reconnect_max_s = 1.0
[[adapters.sms.gammu.modems]]
name = "modem1"
model = "dummy"
connection = "none"
device = "{tmp / "modem"}"
rate = 200.0
[adapters.sms.smpp]
enabled = true
[[adapters.sms.smpp.binds]]
name = "tsel"
host = "127.0.0.1"
port = {smsc_port}
system_id = "lapor"
password = "secret"
tps = 200.0
enquire_link_s = 1.0
response_timeout_s = 2.0
reconnect_initial_s = 0.05
reconnect_max_s = 0.5
"""
    )
    return path


def queried_names() -> dict[str, set[str]]:
    """Metric name -> where it is queried (dashboard panels and variables, alert rules)."""
    where: dict[str, set[str]] = {}
    for place, expr in dashboard_exprs(dashboard()):
        for name in metric_names(expr):
            where.setdefault(name, set()).add(f"dashboard {place}")
    for rule in alert_rules():
        for name in metric_names(rule["expr"]):
            where.setdefault(name, set()).add(f"alert {rule['alert']}")
    return where


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (s.name, dict(s.labels), s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


class Web:
    def __init__(self, session: aiohttp.ClientSession, port: int) -> None:
        self.session = session
        self.url = f"http://127.0.0.1:{port}/v1/web/reports"

    async def post(self, text: str, key: str, *, secret: str = WEB_SECRET) -> int:
        body = json.dumps({"text": text, "reporter": {"phone": "081377788899"}}).encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            **signing.signed_headers(secret.encode(), body),
        }
        async with self.session.post(self.url, data=body, headers=headers) as resp:
            return resp.status


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[tuple[GatewayProcess, SmscSim]]:
    sim = await SmscSim().start()
    port = free_port()
    config = write_config(tmp_path, port=port, smsc_port=sim.port)
    gw = GatewayProcess(config, port, tmp_path / "gateway.log")
    try:
        await gw.start(wait_s=60.0)
        yield gw, sim
    finally:
        gw.kill()
        await sim.stop()


async def drive_traffic(session: aiohttp.ClientSession, gw: GatewayProcess, sim: SmscSim) -> None:
    web = Web(session, gw.port)
    complaint = "Jalan berlubang besar di depan SDN 3 Sleman sudah dua bulan"
    assert await web.post(complaint, "form-1") == 201
    assert await web.post(complaint, "form-1") == 200  # a repeat
    assert await web.post(complaint + " tolong", "form-2") == 201  # duplicate, held
    assert await web.post(complaint, "form-3", secret="wrong") == 401
    await sim.wait_bound(10.0)
    assert await sim.deliver(b"Lampu jalan mati di Jl. Kaliurang km 5 sejak senin") == 0
    await sim.wait_submitted(1, 15.0)  # the ack of that SMS, back over the bind
    write_inbox(
        str(Path(gw.config).parent / "modem"),
        deliver_parts("081299988877", "Sampah menumpuk di pasar Beringharjo tiga hari"),
    )


async def scrape_until(
    session: aiohttp.ClientSession, port: int, wanted: set[str], wait_s: float = 30.0
) -> list[tuple[str, dict[str, str], float]]:
    """Scrape until every *wanted* sample name is there (or the time is up)."""
    deadline = time.monotonic() + wait_s
    while True:
        async with session.get(f"http://127.0.0.1:{port}/metrics") as resp:
            assert resp.status == 200
            found = samples(await resp.text())
        if wanted <= {name for name, _, _ in found} or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.2)


async def test_every_queried_metric_is_exported_by_a_running_gateway(
    running: tuple[GatewayProcess, SmscSim],
) -> None:
    gw, sim = running
    wanted = queried_names()
    assert len(wanted) >= 10, f"the name extraction found too little: {sorted(wanted)}"
    async with aiohttp.ClientSession() as session:
        await drive_traffic(session, gw, sim)
        found = await scrape_until(session, gw.port, set(wanted) - SCRAPE_SERIES)
    exported = {name for name, _, _ in found}
    missing = {
        name: sorted(places)
        for name, places in wanted.items()
        if name not in exported and name not in SCRAPE_SERIES
    }
    assert not missing, f"queried but not in /metrics: {json.dumps(missing, indent=1)}"

    def value(name: str, **labels: str) -> float:
        values = [v for n, have, v in found if n == name and labels.items() <= have.items()]
        assert values, f"no sample {name}{labels}"
        return values[0]

    # the series the alerts watch, per transport and per target, with the right values
    assert value("lapor_transport_up", adapter="sms.smpp", transport="tsel") == 1
    assert value("lapor_transport_up", adapter="sms.gammu", transport="modem1") == 1
    assert value("lapor_transport_up", adapter="web", transport="web") == 1
    assert value("lapor_ready") == 1
    assert value("lapor_ack_seconds_count", target="sms.smpp") >= 1
    assert value("lapor_reports_received_total", channel="sms") >= 1
    assert value("lapor_outbox_dead_letters_total", kind="forward", target="core") == 0
    assert value("lapor_outbox_oldest_pending_age_seconds", target="core") >= 0
    assert value("lapor_reports_throttled_total", channel="web") == 1
    # labels carry names of doors, transports and states, never a phone number
    for name, labels, _ in found:
        for label, text in labels.items():
            assert not PHONE_LIKE.search(text), f"{name}{{{label}={text!r}}}"


async def test_a_transport_going_down_shows_in_the_gauge(
    running: tuple[GatewayProcess, SmscSim],
) -> None:
    """The bind's gauge falls to 0 when the SMSC goes away; lapor_ready with it (no bind
    of the SMPP adapter is usable), which is what LaporTransportDown and LaporNotReady
    watch."""
    gw, sim = running
    async with aiohttp.ClientSession() as session:
        await scrape_until(session, gw.port, {"lapor_transport_up"})
        await sim.stop()
        deadline = time.monotonic() + 20.0
        while True:
            async with session.get(f"http://127.0.0.1:{gw.port}/metrics") as resp:
                found = samples(await resp.text())
            up = {have["transport"]: v for n, have, v in found if n == "lapor_transport_up"}
            ready = [v for n, _, v in found if n == "lapor_ready"]
            if up.get("tsel") == 0 and ready == [0]:
                break
            assert time.monotonic() < deadline, f"still up: {up}, ready {ready}"
            await asyncio.sleep(0.2)
    assert up["modem1"] == 1 and up["web"] == 1

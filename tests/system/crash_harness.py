"""Mixed-channel crash harness: the gateway as a real process, killed with SIGKILL at random
moments while web, mobile, SMPP and GSM-modem senders keep sending, restarted each time.

Shared by the short test (``tests/system/test_crash_mixed.py``, part of ``make test``) and
the long run (``bench/crash_long.py``: thousands of messages, dozens of kills).

Real peers everywhere: the gateway subprocess (``python -m gateway.cli run``) on a SQLite
file, the ``smpp34`` SMSC simulator it binds to, libgammu's dummy phone (messages injected
as inbox files the way ``lapor-gateway sms inject`` does), a local core case store
(:class:`tests.fakes.core.FakeCore`) and a local callback receiver for web/mobile acks.

Every sender behaves like its real counterpart: an HTTP client retries with the same
``Idempotency-Key`` until it gets a 2xx; the SMSC redelivers a ``deliver_sm`` until it gets
``ESME_ROK``; the modem keeps an SMS in its inbox until the gateway deletes it. Each message
carries a unique marker (``kode W17``) so the final check can find it among the reports.

:func:`check` states the invariants (see its docstring) and returns the figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from adapters import signing
from adapters.sms.gammu.inject import deliver_parts, read_sent, write_inbox
from normalizer import tracking
from tests.adapters.sms.smsc_sim import SmscSim, free_port
from tests.fakes.core import FakeCore
from tests.system.gateway_process import GatewayProcess

WEB_SECRET = "crash-web-secret"
MOBILE_SECRET = "crash-mobile-secret"
ESME_ROK = 0
MARKER = re.compile(r"kode ([WMSG]\d+)")
# words so texts differ (level-2/3 dedup must not merge different citizens' messages)
_WORDS = (
    "jalan rusak berlubang lampu mati sampah menumpuk banjir saluran tersumbat pungli "
    "kelurahan puskesmas antre lama sekolah atap bocor jembatan retak air bersih keruh "
    "listrik padam izin usaha lambat trotoar parkir liar pasar becek angkot ngetem"
).split()


@dataclass
class Plan:
    web: int = 40
    mobile: int = 20
    smpp: int = 40
    gammu: int = 20
    kills: int = 3
    #: seconds between (re)start and the next SIGKILL, drawn uniformly
    kill_after_s: tuple[float, float] = (0.4, 1.2)
    seed: int = 8
    clients: int = 8
    #: messages are released evenly over this many seconds, so the kills land mid-stream
    spread_s: float = 5.0


@dataclass
class Sent:
    """What each sender was told (marker -> tracking ID for HTTP, marker -> acked for SMS)."""

    http_acked: dict[str, str] = field(default_factory=dict)
    http_answers: dict[str, set[str]] = field(default_factory=dict)
    smpp_acked: set[str] = field(default_factory=set)
    gammu_acked: set[str] = field(default_factory=set)
    interrupted: int = 0
    temp_errors: int = 0
    redelivered: int = 0


def _phone(kind: str, i: int) -> str:
    base = {"W": 1, "M": 2, "S": 3, "G": 4}[kind]
    return f"+62812{base}{i:06d}"


def _text(rng: random.Random, marker: str) -> str:
    words = " ".join(rng.sample(_WORDS, 6))
    return f"Laporan {words} mohon ditindak kode {marker}"


class CallbackSink:
    """The web/mobile backends' callback endpoint: records every signed ack it receives."""

    def __init__(self, secrets: dict[str, str] | None = None) -> None:
        self.secrets = secrets or {"web": WEB_SECRET, "mobile": MOBILE_SECRET}
        self.received: list[dict[str, Any]] = []
        self.bad_signatures = 0
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/cb/{door}", self._post)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/cb"

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.read()
        secret = self.secrets[request.match_info["door"]]
        try:
            signing.verify(secret.encode(), request.headers, body)
        except signing.SignatureError:
            self.bad_signatures += 1
            return web.json_response({}, status=401)
        self.received.append(json.loads(body))
        return web.json_response({})

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def write_config(
    tmp: Path,
    *,
    port: int,
    core_url: str,
    smsc_port: int,
    log_level: str,
    name: str = "",
    database: str = "",
    smpp: bool = True,
    gammu: bool = True,
    claim_lease_s: float = 60.0,
    extra: str = "",
) -> Path:
    """The gateway's config: every door on, a SQLite file in *tmp*. For several instances
    on one database: *name* (``<name>.toml``, data in ``<name>/``), the *database* URL, the
    SMPP bind and the modem on or off, the outbox claim lease, and *extra* TOML tables
    (e.g. ``[adapters.twitter]``)."""
    path = tmp / f"{name or 'config'}.toml"
    gammu_toml = (
        f"""[adapters.sms.gammu]
enabled = true
poll_interval_s = 0.1
reconnect_min_s = 0.1
reconnect_max_s = 1.0
[[adapters.sms.gammu.modems]]
name = "dummy"
model = "dummy"
connection = "none"
device = "{tmp / "modem"}"
rate = 200.0"""
        if gammu
        else "[adapters.sms.gammu]\nenabled = false"
    )
    smpp_toml = (
        f"""[adapters.sms.smpp]
enabled = true
sweep_interval_s = 1.0
[[adapters.sms.smpp.binds]]
name = "sim"
host = "127.0.0.1"
port = {smsc_port}
system_id = "lapor"
password = "secret"
tps = 500.0
window = 20
enquire_link_s = 1.0
response_timeout_s = 2.0
reconnect_initial_s = 0.05
reconnect_max_s = 0.5"""
        if smpp
        else "[adapters.sms.smpp]\nenabled = false"
    )
    path.write_text(
        f"""
[gateway]
data_dir = "{tmp / (name or "data")}"
database = "{database or f"sqlite:///{tmp / 'lapor.db'}"}"
log_level = "{log_level}"
shutdown_grace_s = 2.0
[http]
host = "127.0.0.1"
port = {port}
[core]
url = "{core_url}"
events_secret = "crash-core-secret"
[core.retry]
initial_backoff_s = 0.05
max_backoff_s = 0.5
[outbox]
poll_interval_s = 0.05
claim_lease_s = {claim_lease_s}
[flood]
sender_burst = 1000
sender_per_min = 1000.0
[adapters.web]
secret = "{WEB_SECRET}"
[adapters.mobile]
secret = "{MOBILE_SECRET}"
[adapters.open311]
enabled = false
{gammu_toml}
{smpp_toml}
{extra}
"""
    )
    return path


async def post_report(
    session: aiohttp.ClientSession,
    port: int,
    marker: str,
    text: str,
    callback_url: str,
    sent: Sent,
) -> bool:
    """One signed web (``W``) or mobile (``M``) report to the gateway on *port*, with its
    marker's Idempotency-Key; records the answer in *sent*. True on a 2xx, False when the
    client should retry (no answer, or 503)."""
    door = "web" if marker[0] == "W" else "mobile"
    secret = WEB_SECRET if door == "web" else MOBILE_SECRET
    i = int(marker[1:])
    document: dict[str, Any] = {
        "text": text,
        "reporter": {"phone": _phone(marker[0], i), "name": f"Warga {marker}"},
        "callback_url": f"{callback_url}/{door}",
    }
    if door == "mobile":
        document.update(device_id=f"dev-{i}", app_version="3.1.0")
    body = json.dumps(document).encode()
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": f"key-{marker}",
        **signing.signed_headers(secret.encode(), body),
    }
    url = f"http://127.0.0.1:{port}/v1/{door}/reports"
    try:
        async with session.post(
            url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
        ) as r:
            status = r.status
            answer = await r.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, OSError):
        sent.interrupted += 1
        return False
    if status in (200, 201):
        tid = str(answer["tracking_id"])
        sent.http_acked[marker] = tid
        sent.http_answers.setdefault(marker, set()).add(tid)
        return True
    if status == 503:
        sent.temp_errors += 1
        return False
    raise AssertionError(f"{marker}: unexpected {status} {answer}")


class CrashRun:
    """One run: start peers, send everything while killing the gateway, then verify."""

    def __init__(self, tmp: Path, plan: Plan, *, log_level: str = "WARNING") -> None:
        self.tmp = tmp
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.sent = Sent()
        self.core = FakeCore()
        self.sink = CallbackSink()
        self.smsc = SmscSim()
        self.port = free_port()
        self.device = tmp / "modem"
        self.log_level = log_level
        self.gw: GatewayProcess | None = None
        self.texts: dict[str, str] = {}
        self.kills_done = 0

    # -- peers -----------------------------------------------------------------------------

    async def __aenter__(self) -> CrashRun:
        await self.core.start()
        await self.sink.start()
        await self.smsc.start()
        config = write_config(
            self.tmp,
            port=self.port,
            core_url=self.core.url,
            smsc_port=self.smsc.port,
            log_level=self.log_level,
        )
        self.gw = GatewayProcess(config, self.port, self.tmp / "gateway.log")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.gw is not None:
            self.gw.kill()
        await self.smsc.stop()
        await self.sink.stop()
        await self.core.stop()

    # -- senders ---------------------------------------------------------------------------

    async def _post(self, session: aiohttp.ClientSession, marker: str) -> bool:
        return await post_report(
            session, self.port, marker, self.texts[marker], self.sink.url, self.sent
        )

    async def _http_sender(self, queue: asyncio.Queue[str]) -> None:
        async with aiohttp.ClientSession() as session:
            while True:
                marker = await queue.get()
                if await self._post(session, marker):
                    # a real client sometimes retries a request that did succeed
                    if self.rng.random() < 0.1:
                        await self._post(session, marker)
                else:
                    await asyncio.sleep(0.05)
                    queue.put_nowait(marker)
                queue.task_done()

    async def _smpp_deliver(self, marker: str) -> bool:
        i = int(marker[1:])
        try:
            status = await asyncio.wait_for(
                self.smsc.deliver(
                    self.texts[marker].encode("ascii"), source_addr=_phone("S", i)[1:]
                ),
                timeout=3.0,
            )
        except (TimeoutError, AssertionError, OSError, ConnectionError, Exception):
            self.sent.interrupted += 1
            return False
        if status == ESME_ROK:
            self.sent.smpp_acked.add(marker)
            return True
        self.sent.temp_errors += 1
        return False

    async def _smpp_sender(self, queue: asyncio.Queue[str]) -> None:
        while True:
            marker = await queue.get()
            if await self._smpp_deliver(marker):
                # a deliver_sm_resp lost on the way: the SMSC redelivers what we committed
                if self.rng.random() < 0.2:
                    self.sent.redelivered += 1
                    await self._smpp_deliver(marker)
            else:
                await asyncio.sleep(0.1)
                queue.put_nowait(marker)
            queue.task_done()

    def _inject(self, marker: str) -> list[str]:
        i = int(marker[1:])
        parts = deliver_parts("0" + _phone("G", i)[3:], self.texts[marker])
        return write_inbox(str(self.device), parts)

    async def _gammu_sender(self, queue: asyncio.Queue[str], total: int) -> None:
        """Inject as released, a few at a time (a modem's inbox is small); a message is
        acknowledged to the modem when the gateway deletes its file."""
        waiting: dict[str, list[str]] = {}
        done = 0
        while done < total:
            while not queue.empty() and len(waiting) < 10:
                marker = queue.get_nowait()
                waiting[marker] = self._inject(marker)
            for marker, files in list(waiting.items()):
                if not any(os.path.exists(f) for f in files):  # noqa: ASYNC240 - tmpfs stat
                    self.sent.gammu_acked.add(marker)
                    del waiting[marker]
                    done += 1
            await asyncio.sleep(0.05)

    # -- the run ---------------------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        """Send everything, killing the gateway ``plan.kills`` times; then verify."""
        assert self.gw is not None
        p = self.plan
        markers = (
            [f"W{i}" for i in range(p.web)]
            + [f"M{i}" for i in range(p.mobile)]
            + [f"S{i}" for i in range(p.smpp)]
            + [f"G{i}" for i in range(p.gammu)]
        )
        for m in markers:
            self.texts[m] = _text(self.rng, m)
        http_q: asyncio.Queue[str] = asyncio.Queue()
        smpp_q: asyncio.Queue[str] = asyncio.Queue()
        gammu_q: asyncio.Queue[str] = asyncio.Queue()
        queues = {"W": http_q, "M": http_q, "S": smpp_q, "G": gammu_q}
        order = list(markers)
        self.rng.shuffle(order)
        started = time.monotonic()
        await self.gw.start()

        async def feed() -> None:
            for k, m in enumerate(order):
                await asyncio.sleep(
                    max(0.0, started + p.spread_s * k / len(order) - time.monotonic())
                )
                queues[m[0]].put_nowait(m)

        feeder = asyncio.create_task(feed())
        workers = [asyncio.create_task(self._http_sender(http_q)) for _ in range(p.clients)]
        workers += [asyncio.create_task(self._smpp_sender(smpp_q)) for _ in range(p.clients)]
        gammu = asyncio.create_task(self._gammu_sender(gammu_q, p.gammu))
        try:
            for _ in range(p.kills):
                await asyncio.sleep(self.rng.uniform(*p.kill_after_s))
                self.gw.kill()
                self.kills_done += 1
                await asyncio.sleep(self.rng.uniform(0.0, 0.3))
                await self.gw.start()
            async with asyncio.timeout(120 + len(markers) * 0.05):
                await feeder
                await http_q.join()
                await smpp_q.join()
                await gammu
            await self._quiesce(len(markers))
            send_s = time.monotonic() - started
        finally:
            for w in workers:
                w.cancel()
            gammu.cancel()
            feeder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*workers, gammu, return_exceptions=True)
        exit_code = self.gw.terminate()
        assert exit_code == 0, "graceful shutdown must exit 0"
        figures = check(self, markers)
        figures["seconds"] = round(send_s, 1)
        return figures

    async def _quiesce(self, n: int, wait_s: float = 60.0) -> None:
        """Until every report reached the core and no outbox row is pending."""
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            con = sqlite3.connect(self.tmp / "lapor.db", timeout=5)
            try:
                reports = con.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
                pending = con.execute(
                    "SELECT COUNT(*) FROM outbox WHERE state = 'pending'"
                ).fetchone()[0]
            finally:
                con.close()
            core = len(self.core.state.cases) + len(self.core.state.addenda)
            if reports >= n and pending == 0 and core >= reports:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(
            f"did not quiesce: reports={reports}/{n}, pending={pending}, "
            f"core cases={len(self.core.state.cases)}"
        )


def acks_by_tracking_id(sink: CallbackSink, smsc: SmscSim, device: Path) -> Counter[str]:
    """Every ack the citizens got, counted per tracking ID, over all four channels."""
    counts: Counter[str] = Counter()
    for doc in sink.received:
        if doc.get("kind") == "received":
            counts[str(doc["tracking_id"])] += 1
    texts = [s.short_message.decode("latin-1") for s in smsc.submitted if s.status == 0]
    texts += [str(r.get("text", "")) for r in read_sent(str(device))]
    for text in texts:
        for shown in set(re.findall(r"\d{4}-\d{4}-\d{4}", text)):
            counts[shown.replace("-", "")] += 1
    return counts


def check(
    run: CrashRun,
    markers: list[str],
    rows: list[tuple[str, str, str]] | None = None,
    others: set[str] | None = None,
) -> dict[str, Any]:
    """The invariants, against what each sender was told (*rows*: the stored reports'
    tracking ID, channel and body, read from the run's SQLite file when not given;
    *others*: tracking IDs of reports from channels the caller checks itself, which the
    core holds too):

    1. every acknowledged message exists exactly once (by its marker);
    2. no report has two tracking IDs (an HTTP retry always got the same one);
    3. every report reached the core and the core holds one case per tracking ID;
    4. every report's ack was sent at least once (every channel is up at the end) and at
       most once, except acks whose send was in flight at a SIGKILL (outbox rows are
       recorded after the send, so each kill may repeat at most ``outbox.concurrency``).
    """
    sent = run.sent
    if rows is None:
        con = sqlite3.connect(run.tmp / "lapor.db")
        try:
            rows = con.execute("SELECT tracking_id, channel, body FROM reports").fetchall()
        finally:
            con.close()
    by_marker: dict[str, list[str]] = {}
    for tid, _channel, body in rows:
        text = json.loads(body).get("text") or ""
        found = MARKER.findall(text)
        assert len(found) == 1, f"report {tid} has no single marker: {text!r}"
        by_marker.setdefault(found[0], []).append(tid)
    acked = set(sent.http_acked) | sent.smpp_acked | sent.gammu_acked
    assert acked == set(markers), f"never acknowledged: {sorted(set(markers) - acked)[:10]}"
    doubled = {m: t for m, t in by_marker.items() if len(t) != 1}
    assert not doubled, f"messages stored more than once: {doubled}"
    missing = [m for m in acked if m not in by_marker]
    assert not missing, f"acknowledged but lost: {missing[:10]}"
    assert len(rows) == len(markers), "a report nobody sent"
    # 2: one tracking ID per report, the same one every HTTP answer gave
    for marker, answers in sent.http_answers.items():
        assert answers == {by_marker[marker][0]}, f"{marker} got tracking IDs {answers}"
    # 3: the core
    stored = {tid for tids in by_marker.values() for tid in tids}
    forwarded = stored | (others or set())
    assert set(run.core.state.cases) == forwarded, "core cases differ from the reports"
    core_posts = Counter(r["key"] for r in run.core.state.requests)
    assert set(core_posts) == forwarded
    # 4: acks
    acks = acks_by_tracking_id(run.sink, run.smsc, run.device)
    never = sorted(stored - set(acks))
    assert not never, f"reports never acknowledged to the citizen: {never[:10]}"
    assert set(acks) <= stored, "an ack for an unknown tracking ID"
    repeats = sum(n - 1 for n in acks.values() if n > 1)
    bound = run.kills_done * 16
    assert repeats <= bound, f"{repeats} repeated acks for {run.kills_done} kills"
    assert run.sink.bad_signatures == 0
    for tid in stored:
        assert tracking.is_valid(tid)
    return {
        "messages": len(markers),
        "kills": run.kills_done,
        "starts": run.gw.starts if run.gw else 0,
        "interrupted_sends": sent.interrupted,
        "temporary_errors": sent.temp_errors,
        "redelivered_after_ack": sent.redelivered,
        "core_posts": sum(core_posts.values()),
        "core_repeats": sum(core_posts.values()) - len(forwarded),
        "acks": sum(acks.values()),
        "repeated_acks": repeats,
    }

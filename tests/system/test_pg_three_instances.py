"""Three ``lapor-gateway run`` processes on one PostgreSQL database under mixed traffic, two
of them SIGKILLed: nothing a citizen was told about is lost or filed twice, every message is
answered, and the X pollers move to a survivor within 15 s.

The instances (each its own config, HTTP port and data dir):

* **C** starts first and so takes the ``x-pollers`` lease; web, mobile and X.
* **A**: web, mobile, X and an SMPP bind ``sim`` to the SMSC simulator.
* **B**: web, mobile, X, the same SMPP bind and the libgammu dummy modem.

Traffic, released evenly over a few seconds: signed web and mobile reports spread over the
live instances (a "load balancer": a request that fails goes to the next instance with the
same Idempotency-Key, and one in ten answered requests is sent again to another instance),
``deliver_sm`` from the simulator over both binds (a failed one is redelivered over the
other bind, and one in five acknowledged ones is redelivered too), SMS injected into the
modem, and mentions on the fake X server. Every instance reaches X through a proxy of its
own, so the fake server knows which instance polled.

A is SIGKILLed once a third of the messages are acknowledged, then the lease holder C once
two thirds are. Then the invariants of the crash harness (:func:`crash_harness.check`) are
checked against the shared database, plus: each SMS ack went to its sender through the
SMSC or the modem, each mention is one report with a reply carrying its tracking ID, only
the lease holder polled X, and a survivor polled within 15 s of the leader's death.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from adapters.sms.gammu.inject import read_sent
from tests.adapters.sms.smsc_sim import TcpProxy, free_port
from tests.adapters.twitter.fake_x import BEARER, FakeX
from tests.pg import PgCluster
from tests.system.crash_harness import (
    ESME_ROK,
    MARKER,
    CrashRun,
    Plan,
    _phone,
    _text,
    check,
    post_report,
    write_config,
)
from tests.system.gateway_process import GatewayProcess

X_MENTIONS = 12
#: of which the last ones are posted right after the leader's death: the survivor files them
X_LATE = 4
#: the leader lease's default (10 s, renewed every 3 s) lets a survivor take over within
#: about 13 s; the issue's promise is 15 s
FAILOVER_S = 15.0
POLLS = ("/2/users/", "/2/dm_events")


def x_toml(proxy_port: int) -> str:
    return f"""[adapters.twitter]
enabled = true
api_base_url = "http://127.0.0.1:{proxy_port}"
user_id = "1708000000"
bearer_token = "{BEARER}"
poll_interval_s = 0.2
idle_poll_interval_s = 0.5
backoff_floor_s = 0.2
backoff_max_s = 1.0
page_size = 10
start_time = "2020-01-01T00:00:00Z"
reply_rate_per_min = 6000.0
request_timeout_s = 5.0
"""


class ClusterRun(CrashRun):
    """The crash harness's senders and checks, against three instances on PostgreSQL."""

    def __init__(self, tmp: Path, plan: Plan, dsn: str) -> None:
        super().__init__(tmp, plan)
        self.dsn = dsn
        self.x = FakeX()
        self.proxies: dict[str, TcpProxy] = {}
        self.gws: dict[str, GatewayProcess] = {}
        self.alive: list[str] = []
        self._turn = itertools.count()
        self.x_ids: dict[str, str] = {}  # marker -> tweet id

    async def __aenter__(self) -> ClusterRun:
        await self.core.start()
        await self.sink.start()
        await self.smsc.start()
        await self.x.start()
        backend = int(self.x.base_url.rsplit(":", 1)[1])
        for name, smpp, gammu in (("c", False, False), ("a", True, False), ("b", True, True)):
            proxy = self.proxies[name] = TcpProxy(backend)
            await proxy.start()
            port = free_port()
            config = write_config(
                self.tmp,
                port=port,
                core_url=self.core.url,
                smsc_port=self.smsc.port,
                log_level="WARNING",
                name=name,
                database=self.dsn,
                smpp=smpp,
                gammu=gammu,
                claim_lease_s=2.0,
                extra=x_toml(proxy.port),
            )
            self.gws[name] = GatewayProcess(config, port, self.tmp / f"{name}.log")
        return self

    async def __aexit__(self, *exc: object) -> None:
        for gw in self.gws.values():
            gw.kill()
        for proxy in self.proxies.values():
            await proxy.stop()
        await self.x.stop()
        await super().__aexit__(*exc)

    # -- the load balancer and the SMSC's choice of bind -----------------------------------

    async def _post(self, session: aiohttp.ClientSession, marker: str) -> bool:
        name = self.alive[next(self._turn) % len(self.alive)]
        return await post_report(
            session, self.gws[name].port, marker, self.texts[marker], self.sink.url, self.sent
        )

    async def _smpp_deliver(self, marker: str) -> bool:
        i = int(marker[1:])
        sessions = list(self.smsc.sessions)
        if not sessions:
            self.sent.interrupted += 1
            return False
        esme = sessions[next(self._turn) % len(sessions)]
        try:
            resp = await asyncio.wait_for(
                esme.deliver_sm(
                    "1708",
                    self.texts[marker].encode("ascii"),
                    source_addr=_phone("S", i)[1:],
                    source_addr_ton=1,
                    source_addr_npi=1,
                ),
                timeout=3.0,
            )
        except Exception:  # a dead bind: smpp34's errors, a timeout, a closed connection
            self.sent.interrupted += 1
            return False
        if int(resp.command_status) == ESME_ROK:
            self.sent.smpp_acked.add(marker)
            return True
        self.sent.temp_errors += 1
        return False

    # -- instances ---------------------------------------------------------------------------

    async def readyz(self, name: str) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.gws[name].port}/readyz"
        async with aiohttp.ClientSession() as s, s.get(url) as r:
            return dict(await r.json())

    async def holds_lease(self, name: str) -> bool:
        with contextlib.suppress(aiohttp.ClientError, OSError):
            return "x-pollers" in ((await self.readyz(name))["instance"]["leases"] or [])
        return False

    def kill(self, name: str) -> float:
        self.gws[name].kill()
        self.alive.remove(name)
        self.kills_done += 1
        return time.monotonic()

    async def start_instances(self) -> None:
        """C first, until it holds the X lease; then A and B, until both are bound."""
        await self.gws["c"].start()
        await until(lambda: self.holds_lease("c"), 20, "C never took the x-pollers lease")
        await asyncio.gather(self.gws["a"].start(), self.gws["b"].start())
        self.alive = ["c", "a", "b"]
        await until(self._two_binds, 20, "A and B did not both bind")

    async def _two_binds(self) -> bool:
        return len(self.smsc.sessions) >= 2

    # -- X ---------------------------------------------------------------------------------

    def mention(self, marker: str) -> None:
        author = self.x.add_user(f"4300{int(marker[1:]):04d}", f"warga_{marker.lower()}")
        self.x_ids[marker] = self.x.mention(author, f"@lapor1708 {self.texts[marker]}")

    def polls(self) -> list[tuple[float, str]]:
        """(time, instance) of every X poll, in order."""
        by_host = {f"127.0.0.1:{p.port}": name for name, p in self.proxies.items()}
        return [
            (at, by_host[host])
            for at, host, method, path in self.x.origins
            if method == "GET" and path.startswith(POLLS)
        ]

    # -- the run -----------------------------------------------------------------------------

    async def scenario(self) -> dict[str, Any]:
        p = self.plan
        markers = (
            [f"W{i}" for i in range(p.web)]
            + [f"M{i}" for i in range(p.mobile)]
            + [f"S{i}" for i in range(p.smpp)]
            + [f"G{i}" for i in range(p.gammu)]
        )
        x_markers = [f"X{i}" for i in range(X_MENTIONS)]
        for m in markers + x_markers:
            self.texts[m] = _text(self.rng, m)
        await self.start_instances()

        http_q: asyncio.Queue[str] = asyncio.Queue()
        smpp_q: asyncio.Queue[str] = asyncio.Queue()
        gammu_q: asyncio.Queue[str] = asyncio.Queue()
        queues = {"W": http_q, "M": http_q, "S": smpp_q, "G": gammu_q}
        order = markers + x_markers[:-X_LATE]
        self.rng.shuffle(order)
        started = time.monotonic()

        async def feed() -> None:
            for k, m in enumerate(order):
                await asyncio.sleep(
                    max(0.0, started + p.spread_s * k / len(order) - time.monotonic())
                )
                if m[0] == "X":
                    self.mention(m)
                else:
                    queues[m[0]].put_nowait(m)

        def acked() -> int:
            s = self.sent
            return len(s.http_acked) + len(s.smpp_acked) + len(s.gammu_acked)

        feeder = asyncio.create_task(feed())
        workers = [asyncio.create_task(self._http_sender(http_q)) for _ in range(p.clients)]
        workers += [asyncio.create_task(self._smpp_sender(smpp_q)) for _ in range(p.clients)]
        gammu = asyncio.create_task(self._gammu_sender(gammu_q, p.gammu))
        try:
            await until(lambda: acked() >= len(markers) // 3, 60, "a third never acknowledged")
            killed_a = acked()
            self.kill("a")  # mid-burst: commits, claims and SMPP windows in flight
            await until(lambda: acked() >= 2 * len(markers) // 3, 60, "two thirds never acked")
            leaders = [n for n in self.alive if await self.holds_lease(n)]
            assert leaders == ["c"], f"x-pollers held by {leaders}"
            killed_c = acked()
            polls_before = len(self.polls())
            leader_died = self.kill("c")
            for m in x_markers[-X_LATE:]:
                self.mention(m)
            async with asyncio.timeout(90):
                await feeder
                await http_q.join()
                await smpp_q.join()
                await gammu
            await until(
                lambda: self._x_filed(len(x_markers)), 40, "mentions not all filed after failover"
            )
            await self._quiesce(len(markers) + len(x_markers))
        finally:
            for w in workers:
                w.cancel()
            gammu.cancel()
            feeder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*workers, gammu, return_exceptions=True)

        polls = self.polls()
        resumed = [at for at, name in polls[polls_before:] if name != "c"]
        assert resumed, "no survivor ever polled X"
        failover_s = resumed[0] - leader_died
        # only the lease holder polled: C until its death, then B alone (A never held it)
        assert {name for at, name in polls if at < leader_died} == {"c"}
        assert {name for at, name in polls if at > leader_died + 0.5} == {"b"}
        assert failover_s <= FAILOVER_S, f"pollers resumed {failover_s:.1f} s after the leader died"

        rows = await self._rows()
        x_rows = [r for r in rows if r[1] == "twitter"]
        figures = check(
            self, markers, [r for r in rows if r[1] != "twitter"], {r[0] for r in x_rows}
        )
        # the core saw each tracking ID under its own key only (repeats absorbed by 409)
        assert all(r["key"] == r["body"]["tracking_id"] for r in self.core.state.requests)
        self._check_sms_recipients(rows)
        self._check_x(x_rows, x_markers)
        figures["starts"] = sum(gw.starts for gw in self.gws.values())
        figures.update(killed_a_at=killed_a, killed_c_at=killed_c, failover_s=round(failover_s, 1))
        return figures

    async def _rows(self) -> list[tuple[str, str, str]]:
        conn = await asyncpg.connect(self.dsn)
        try:
            rows = await conn.fetch("SELECT tracking_id, channel, body::text FROM reports")
        finally:
            await conn.close()
        return [(r[0], r[1], r[2]) for r in rows]

    async def _x_filed(self, n: int) -> bool:
        conn = await asyncpg.connect(self.dsn)
        try:
            filed = await conn.fetchval("SELECT COUNT(*) FROM reports WHERE channel = 'twitter'")
        finally:
            await conn.close()
        return int(filed) >= n

    async def _quiesce(self, n: int, wait_s: float = 60.0) -> None:
        """Until every report reached the core and no outbox row is waiting (the rows the
        dead instances had claimed are taken over when their claim lease runs out)."""
        deadline = time.monotonic() + wait_s
        conn = await asyncpg.connect(self.dsn)
        try:
            while True:
                reports = await conn.fetchval("SELECT COUNT(*) FROM reports")
                waiting = await conn.fetchval(
                    "SELECT COUNT(*) FROM outbox WHERE state NOT IN ('done', 'dead')"
                )
                core = len(self.core.state.cases)
                if reports >= n and waiting == 0 and core >= reports:
                    return
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"did not quiesce: reports={reports}/{n}, waiting={waiting}, core={core}"
                    )
                await asyncio.sleep(0.2)
        finally:
            await conn.close()

    def _check_sms_recipients(self, rows: list[tuple[str, str, str]]) -> None:
        """Each SMS ack went to the phone the SMS came from, with its report's tracking ID:
        over either bind for SMPP, through the modem for the modem's."""
        tracking = {
            m.group(1): tid
            for tid, _channel, body in rows
            if (m := MARKER.search(json.loads(body).get("text") or ""))
        }
        by_phone: dict[str, set[str]] = {}
        for sub in self.smsc.submitted:
            if sub.status == 0:
                text = sub.short_message.decode("latin-1").replace("-", "")
                by_phone.setdefault(sub.destination_addr.lstrip("+"), set()).add(text)
        for marker in self.sent.smpp_acked:
            phone = _phone("S", int(marker[1:]))[1:]
            tid = tracking[marker]
            assert any(tid in t for t in by_phone.get(phone, ())), f"{marker} never acked"
        modem_sent = {(r.get("to"), r.get("tracking_id")) for r in read_sent(str(self.device))}
        for marker in self.sent.gammu_acked:
            phone = _phone("G", int(marker[1:]))
            assert (phone, tracking[marker]) in modem_sent, f"{marker} never acked"

    def _check_x(self, rows: list[tuple[str, str, str]], x_markers: list[str]) -> None:
        """One report per mention (the cursor was not processed twice, and the survivor did
        not skip what the leader had not reached) and a reply carrying its tracking ID."""
        by_marker: dict[str, list[str]] = {}
        for tid, _channel, body in rows:
            text = json.loads(body).get("text") or ""
            marker = next(m for m in x_markers if f"kode {m} " in f"{text} ")
            by_marker.setdefault(marker, []).append(tid)
        assert {m: len(t) for m, t in by_marker.items()} == {m: 1 for m in x_markers}
        replies = [str(p.get("text", "")).replace("-", "") for p in self.x.posted]
        for marker, (tid,) in by_marker.items():
            assert any(tid in r for r in replies), f"mention {marker} never answered"


async def until(probe: Callable[[], bool | Awaitable[bool]], wait_s: float, what: str) -> None:
    """Poll *probe* (plain or async) until it is true; fail with *what* after *wait_s*."""
    deadline = time.monotonic() + wait_s
    while True:
        got = probe()
        if inspect.isawaitable(got):
            got = await got
        if got:
            return
        if time.monotonic() > deadline:
            raise AssertionError(what)
        await asyncio.sleep(0.05)


async def test_three_instances_mixed_traffic_survive_two_sigkills(
    tmp_path: Path, pg_cluster: PgCluster
) -> None:
    plan = Plan(web=45, mobile=20, smpp=45, gammu=15, clients=8, spread_s=5.0, seed=16)
    run = ClusterRun(tmp_path, plan, pg_cluster.new_database())
    async with run:
        figures = await run.scenario()
    print(figures)

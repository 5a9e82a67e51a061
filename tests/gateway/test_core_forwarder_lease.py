"""One core forwarder among instances on one PostgreSQL database: only the holder of the
``core-forwarder`` lease forwards, so its one level-3 index links reports filed on any
instance; when it stops or stops renewing, another instance warms its index from the
database and forwards the rest."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.config import Config
from gateway.service import Gateway
from outbox.core_client import Delivered
from outbox.jobs import OutboxItem
from tests.conftest import GatewayHarness, make_config
from tests.pg import PgCluster

LAMPU = "Lampu jalan Cibiru Raya dekat masjid Al Ikhlas mati 2 minggu"
LAMPU_AGAIN = "lampu jalan cibiru raya dkt masjid al ikhlas gak nyala udah lama"
LEASE = "core-forwarder"

Start = Callable[[str], Awaitable[GatewayHarness]]

#: instance name -> tracking IDs its core relay forwarded (cleared for each test)
forwarded: dict[str, list[str]] = {}


@pytest.fixture
async def start(tmp_path: Path, pg_cluster: PgCluster) -> AsyncIterator[Start]:
    """Starts instances by name on one database, with short leases (1.5 s, renewed every
    0.2 s); each one's core relay records what it forwards in ``forwarded[name]``."""
    dsn = pg_cluster.new_database()
    forwarded.clear()
    started: list[tuple[Gateway, aiohttp.ClientSession]] = []

    async def start_one(name: str) -> GatewayHarness:
        config: Config = make_config(
            tmp_path / name,
            {"gateway": {"database": dsn}, "outbox": {"poll_interval_s": 0.05}},
        )
        gw = Gateway(config)
        assert gw.leadership is not None
        gw.leadership.ttl_s, gw.leadership.renew_every_s, gw.leadership.margin_s = 1.5, 0.2, 0.3
        gw.leadership.holder = f"{gw.instance}/{name}"  # one process: host:pid is shared
        core_relay = gw.relays[1]
        deliver = core_relay.deliver
        forwarded.setdefault(name, [])

        async def recording(item: OutboxItem) -> Delivered:
            delivered = await deliver(item)
            forwarded[name].append(str(item.tracking_id))
            return delivered

        core_relay.deliver = recording
        await gw.start()
        session = aiohttp.ClientSession()
        started.append((gw, session))
        return GatewayHarness(gw, session)

    yield start_one
    for gw, session in started:
        await session.close()
        await gw.stop()


async def file(h: GatewayHarness, text: str, phone: str) -> str:
    status, body = await h.post_signed(
        "/v1/web/reports", {"text": text, "reporter": {"phone": phone}}
    )
    assert status == 201, body
    return str(body["tracking_id"])


async def until(check: Callable[[], Awaitable[bool]], wait_s: float = 10.0) -> float:
    """Seconds until *check* holds."""
    began = time.monotonic()
    while not await check():
        assert time.monotonic() - began < wait_s, "condition not reached in time"
        await asyncio.sleep(0.05)
    return time.monotonic() - began


async def forwarded_all(h: GatewayHarness, tids: list[str]) -> bool:
    for tid in tids:
        rows = {r["kind"]: r for r in await h.gw.store.outbox_rows(tid)}
        if rows["forward"]["state"] != "done":
            return False
    return True


async def links(h: GatewayHarness, tid: str) -> list[str]:
    found = await h.gw.store.get_report(tid)
    assert found is not None
    return [link.tracking_id for link in found[0].similar_to]


def active(h: GatewayHarness) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return h.gw.core_lease is not None and h.gw.core_lease.state == "active"

    return check


async def test_only_the_lease_holder_forwards_and_links_reports_of_every_instance(
    start: Start,
) -> None:
    a = await start("a")
    await until(active(a))  # a asked first: a forwards
    b = await start("b")
    first = await file(a, LAMPU, "081234500001")
    await until(lambda: forwarded_all(a, [first]))
    # filed on b, whose relay is woken by its own commit: still forwarded by a
    second = await file(b, LAMPU_AGAIN, "081234500002")
    others = [
        await file(
            (a, b)[n % 2], f"laporan nomor {n}: pohon tumbang di taman", f"0812346000{n:02d}"
        )
        for n in range(10)
    ]
    await until(lambda: forwarded_all(a, [second, *others]))
    await asyncio.sleep(0.3)  # several more passes of b's core relay
    assert sorted(forwarded["a"]) == sorted([first, second, *others])
    assert forwarded["b"] == []
    assert await links(a, second) == [first]  # one index saw both instances' reports
    assert b.gw.core_lease is not None and b.gw.core_lease.state == "standby"
    assert b.gw.linker is not None and len(b.gw.linker.index) == 0  # a standby keeps none
    _, ready = await b.get("/readyz")
    assert ready["ready"] and ready["relay"]["core_lease"] == "standby"
    assert LEASE not in ready["instance"]["leases"]
    _, ready = await a.get("/readyz")
    assert ready["relay"]["core_lease"] == "active" and LEASE in ready["instance"]["leases"]


async def test_a_holder_that_stops_renewing_is_replaced_by_one_with_a_warm_index(
    start: Start,
) -> None:
    a = await start("a")
    await until(active(a))
    b = await start("b")
    first = await file(a, LAMPU, "081234500001")
    await until(lambda: forwarded_all(a, [first]))
    assert a.gw.leadership is not None
    a.gw.leadership.renew_every_s = 3600  # a freezes for leases: its lease runs out
    took = await until(active(b))
    assert took < 1.5 + 0.2 + 1.0  # the lease, one renewal interval, a few passes
    assert a.gw.core_lease is not None and a.gw.core_lease.state == "standby"
    # filed on either instance, forwarded by b, linked against what a forwarded
    second = await file(b, LAMPU_AGAIN, "081234500002")
    third = await file(a, "laporan lain: sampah menumpuk di pasar", "081234500003")
    await until(lambda: forwarded_all(b, [second, third]))
    assert forwarded["a"] == [first]
    assert sorted(forwarded["b"]) == sorted([second, third])
    assert await links(b, second) == [first]


async def test_the_rest_goes_out_from_the_other_instance_when_the_holder_stops(
    start: Start,
) -> None:
    a = await start("a")
    await until(active(a))
    b = await start("b")
    before = [
        await file(b, f"laporan {n}: jalan berlubang di gang {n}", "081234500001") for n in range(3)
    ]
    await until(lambda: forwarded_all(b, before))
    await a.gw.stop()  # a clean stop releases the lease: b takes it at its next try
    after = [
        await file(b, f"laporan {n}: lampu taman mati di blok {n}", f"08123470000{n}")
        for n in range(5)
    ]
    await until(lambda: forwarded_all(b, after), wait_s=5.0)
    assert sorted(forwarded["a"]) == sorted(before)
    assert sorted(forwarded["b"]) == sorted(after)


async def test_sqlite_forwards_inline_without_a_lease(
    gateway_factory: Callable[[Config], Any], tmp_path: Path
) -> None:
    h: GatewayHarness = await gateway_factory(make_config(tmp_path))
    assert h.gw.core_lease is None and h.gw.leadership is None
    tid = await file(h, LAMPU, "081234500001")
    await until(lambda: forwarded_all(h, [tid]))
    _, ready = await h.get("/readyz")
    assert "core_lease" not in ready["relay"] and ready["instance"]["leases"] is None

"""Two instances' multipart sweepers on one PostgreSQL database, sweeping the same expired
groups at once: each incomplete message is filed once and acked once.

No lease is needed for this: a group's inbound key derives from what is stored for it
(route, sender, the assembled text, the earliest part's arrival), so both sweepers file
it under the same key, the database's unique inbound key lets one of them file it, and
the other gets the repeat (no report, no ack); dropping a group twice is a no-op."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.sms import udh
from adapters.sms.smpp import SmppAdapter
from adapters.sms.smpp.pdu import ESME_ROK
from gateway.adapter import AdapterContext
from gateway.pipeline import Pipeline
from gateway.store.postgres import PostgresStore
from tests.adapters.sms.sms_harness import sms_overrides
from tests.adapters.sms.smsc_sim import SmscSim
from tests.conftest import GatewayHarness, make_config
from tests.pg import PgCluster

GROUPS = 12


@pytest.fixture
async def sim() -> AsyncIterator[SmscSim]:
    s = await SmscSim().start()
    yield s
    await s.stop()


async def test_two_sweepers_file_each_expired_group_once(
    sim: SmscSim,
    tmp_path: Path,
    pg_cluster: PgCluster,
    gateway_factory: Callable[..., Any],
) -> None:
    dsn = pg_cluster.new_database()
    overrides = {
        **sms_overrides(sim.port, {"sweep_interval_s": 3600.0}),
        "gateway": {"database": dsn},
    }
    # instance a: a gateway with the bind; its parts arrive there, its relay sends acks
    config_a = make_config(tmp_path / "a", overrides)
    a: GatewayHarness = await gateway_factory(config_a)
    adapter_a = a.gw.adapters["sms.smpp"]
    assert isinstance(adapter_a, SmppAdapter)
    await adapter_a.wait_bound()
    # instance b: another process's SMPP adapter on the same database (only its sweeper)
    config_b = make_config(tmp_path / "b", overrides)
    store_b = PostgresStore(dsn)
    await store_b.open()
    ctx_b = AdapterContext(
        intake=Pipeline(store_b, config_b),
        data_dir=tmp_path / "b",
        country="ID",
        max_body_bytes=65536,
    )
    adapter_b = SmppAdapter(ctx_b, config_b.adapters.sms)
    try:
        for n in range(GROUPS):  # parts 1 and 3 of 3; part 2 never comes
            sender = {"source_addr": f"62812345{n:05d}"}
            for part, chunk in ((1, f"Bantuan sosial {n} tidak "), (3, " oleh kepala desa.")):
                payload = udh.build_concat(40 + n, 3, part) + chunk.encode()
                assert await sim.deliver(payload, esm_class=0x40, **sender) == ESME_ROK
        swept = await asyncio.gather(
            adapter_a.sweep(older_than_s=0), adapter_b.sweep(older_than_s=0)
        )
        assert sum(swept) > GROUPS  # some groups were filed by both sweepers
        reports = await a.gw.store.list_reports(None, 100)
        assert len(reports) == GROUPS
        for summary in reports:
            rows = await a.gw.store.outbox_rows(summary["tracking_id"])
            assert [r["kind"] for r in rows].count("ack") == 1
        assert await a.gw.store.expired_fragment_groups(0) == {}
        acked = await sim.wait_submitted(GROUPS)
        await asyncio.sleep(0.3)  # a second ack would have arrived by now
        assert len([s for s in sim.submitted if s.status == 0]) == len(acked) == GROUPS
    finally:
        await store_b.close()

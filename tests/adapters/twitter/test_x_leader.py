"""The X pollers of two instances on one PostgreSQL database: only the holder of the
``x-pollers`` lease polls, and when it dies the other takes over from the committed cursor
(no mention filed twice)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from fake_x import FakeX
from x_harness import CITIZEN, CITIZEN2, x_config

from adapters.twitter.adapter import TwitterAdapter
from gateway.adapter import AdapterContext
from gateway.leadership import Leadership
from gateway.pipeline import Pipeline
from gateway.store.postgres import PostgresStore
from tests.conftest import make_config
from tests.pg import PgCluster


@pytest.fixture
async def dsn(pg_cluster: PgCluster) -> str:
    return pg_cluster.new_database()


@pytest.fixture
async def instances(
    dsn: str, fake_x: FakeX, tmp_path: Path
) -> AsyncIterator[list[tuple[TwitterAdapter, Leadership]]]:
    made = []
    # instance a never renews (it "dies" right after taking the lease); b renews often
    for name, renew in (("a", 3600.0), ("b", 0.1)):
        store = PostgresStore(dsn)
        await store.open()
        leadership = Leadership(store, name, ttl_s=1.0, renew_every_s=renew, margin_s=0.2)
        ctx = AdapterContext(
            intake=Pipeline(store, make_config(tmp_path / name)),
            data_dir=tmp_path / name,
            country="ID",
            max_body_bytes=65536,
            leader=leadership.holds,
        )
        made.append((TwitterAdapter(ctx, x_config(fake_x.base_url)), leadership, store))
    yield [(adapter, leadership) for adapter, leadership, _ in made]
    for adapter, leadership, store in made:
        await adapter.stop()
        await leadership.stop()
        await store.close()


async def test_one_instance_polls_and_the_other_takes_over_when_it_dies(
    fake_x: FakeX, instances: list[tuple[TwitterAdapter, Leadership]], dsn: str
) -> None:
    (a, lead_a), (b, lead_b) = instances
    fake_x.mention(CITIZEN, "@lapor1708 jalan berlubang di Jl. Merdeka")
    assert await a.run_job("mentions") == 1  # a asks first: a leads
    assert await b.run_job("mentions") is None  # b does not poll at all
    assert lead_a.held() == ["x-pollers"] and lead_b.held() == []
    searches = len(fake_x.requests)

    fake_x.mention(CITIZEN2, "@lapor1708 lampu jalan mati di gang 5")
    died = time.monotonic()  # a stops renewing: its lease runs out within 1 s
    while (fresh := await b.run_job("mentions")) is None:
        assert time.monotonic() - died < 5, "b never took over"
        await asyncio.sleep(0.05)
    assert fresh == 1  # from the committed cursor: only the new mention
    assert await a.run_job("mentions") is None  # a knows its lease ran out
    assert lead_b.held() == ["x-pollers"] and lead_a.held() == []
    assert len(fake_x.requests) > searches
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT COUNT(*) FROM reports") == 2
    finally:
        await conn.close()

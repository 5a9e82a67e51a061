"""Leader leases on a real PostgreSQL database (gateway/leadership.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from gateway.leadership import Leadership
from gateway.store.postgres import PostgresStore
from tests.pg import PgCluster


@pytest.fixture
async def store(pg_cluster: PgCluster) -> AsyncIterator[PostgresStore]:
    s = PostgresStore(pg_cluster.new_database())
    await s.open()
    yield s
    await s.close()


async def test_an_ask_during_the_first_try_waits_for_its_answer(store: PostgresStore) -> None:
    leadership = Leadership(store, "a")
    try:
        # the relay and a poller ask at once: the second must not read "not held" while
        # the first is still taking the lease
        assert await asyncio.gather(*(leadership.holds("core-forwarder") for _ in range(3))) == [
            True,
            True,
            True,
        ]
    finally:
        await leadership.stop()


async def test_the_term_counts_each_gain(store: PostgresStore) -> None:
    a = Leadership(store, "a", ttl_s=0.6, renew_every_s=3600, margin_s=0.1)
    b = Leadership(store, "b", ttl_s=0.6, renew_every_s=0.05, margin_s=0.1)
    try:
        assert await a.holds("x") and a.term("x") == 1
        assert not await b.holds("x") and b.term("x") == 0
        for _ in range(100):  # a never renews: b takes it once it ran out
            if await b.holds("x"):
                break
            await asyncio.sleep(0.05)
        assert b.term("x") == 1 and not await a.holds("x")
        await b.stop()  # released: a takes it again, a second term
        await a._try("x")
        assert await a.holds("x") and a.term("x") == 2
    finally:
        await a.stop()
        await b.stop()

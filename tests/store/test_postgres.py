"""What only the PostgreSQL backend does, for several instances on one database: exclusive
leader leases, migrations run once by instances starting together, and "retry" (not a lost
write) when the server goes away."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from gateway.adapter import StoreUnavailableError
from gateway.store.postgres import PostgresStore
from gateway.store.postgres.schema import LATEST
from tests.pg import PgCluster


@pytest.fixture
async def dsn(pg_cluster: PgCluster) -> str:
    return pg_cluster.new_database()


@pytest.fixture
async def pair(dsn: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    a, b = PostgresStore(dsn), PostgresStore(dsn)
    await a.open()
    await b.open()
    yield a, b
    await a.close()
    await b.close()


async def test_instances_starting_together_migrate_once(dsn: str) -> None:
    stores = [PostgresStore(dsn) for _ in range(4)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        conn = await asyncpg.connect(dsn)
        try:
            assert await conn.fetch("SELECT version FROM schema_version") == [(LATEST,)]
        finally:
            await conn.close()
        assert all([await s.healthy() for s in stores])
    finally:
        await asyncio.gather(*(s.close() for s in stores))


async def test_a_lease_has_one_holder_until_it_runs_out(
    pair: tuple[PostgresStore, PostgresStore],
) -> None:
    a, b = pair
    assert await a.acquire_lease("x-pollers", "a", ttl_s=0.5)
    assert not await b.acquire_lease("x-pollers", "b", ttl_s=0.5)
    assert await a.renew_lease("x-pollers", "a", ttl_s=0.5)
    await asyncio.sleep(0.7)  # a died: no renewal
    assert await b.acquire_lease("x-pollers", "b", ttl_s=10)
    assert not await a.renew_lease("x-pollers", "a", ttl_s=10)  # a learns it lost it
    assert not await a.acquire_lease("x-pollers", "a", ttl_s=10)
    await a.release_lease("x-pollers", "a")  # not a's: b keeps it
    assert not await a.acquire_lease("x-pollers", "a", ttl_s=10)


async def test_concurrent_acquires_grant_one(pair: tuple[PostgresStore, PostgresStore]) -> None:
    a, b = pair
    granted = await asyncio.gather(
        *(s.acquire_lease("sweep", f"h{n}", ttl_s=30) for n, s in enumerate([a, b] * 5))
    )
    assert sum(granted) == 1


async def test_a_stopped_server_is_unavailable_then_reconnected(pg_cluster: PgCluster) -> None:
    """The server restarts: writes meanwhile raise StoreUnavailableError (the transports
    answer "retry"), and the same store writes again once it is back."""
    with PgCluster() as own:
        store = PostgresStore(own.create_database("lapor"))
        await store.open()
        try:
            await store.set_checkpoint("c", "1")
            own.stop("immediate")
            with pytest.raises(StoreUnavailableError):
                await store.set_checkpoint("c", "2")
            assert not await store.healthy()
            own.restart()
            for _ in range(50):  # the pool drops broken connections and opens new ones
                try:
                    await store.set_checkpoint("c", "3")
                    break
                except StoreUnavailableError:
                    await asyncio.sleep(0.1)
            assert await store.get_checkpoint("c") == "3"
        finally:
            await store.close()

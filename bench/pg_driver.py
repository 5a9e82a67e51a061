"""Which async PostgreSQL driver the store uses: asyncpg vs psycopg 3 (with psycopg_pool).

The store's hot path is one short write transaction per inbound message, returned after
COMMIT. So the measure is N single-row INSERT + COMMIT transactions, first one after another
(latency of a transaction) and then with 32 in flight from a pool of 8 connections (what
concurrent intake does), on a throwaway cluster with fsync on (tests/pg.py).

    .venv/bin/python bench/pg_driver.py [--n 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import psycopg_pool

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.pg import PgCluster

DDL = "CREATE TABLE IF NOT EXISTS t (id bigserial PRIMARY KEY, k text UNIQUE, body text)"
BODY = "x" * 600  # about the size of a stored report


async def bench_asyncpg(dsn: str, n: int, concurrency: int) -> float:
    pool = await asyncpg.create_pool(dsn, min_size=8, max_size=8)
    await pool.execute(DDL)
    await pool.execute("TRUNCATE t")

    async def one(i: int) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("INSERT INTO t (k, body) VALUES ($1, $2)", f"a{i}", BODY)

    took = await _run(one, n, concurrency)
    await pool.close()
    return took


async def bench_psycopg(dsn: str, n: int, concurrency: int) -> float:
    pool = psycopg_pool.AsyncConnectionPool(dsn, min_size=8, max_size=8, open=False)
    await pool.open()
    async with pool.connection() as conn:
        await conn.execute(DDL)
        await conn.execute("TRUNCATE t")

    async def one(i: int) -> None:
        async with pool.connection() as conn, conn.transaction():
            await conn.execute("INSERT INTO t (k, body) VALUES (%s, %s)", (f"p{i}", BODY))

    took = await _run(one, n, concurrency)
    await pool.close()
    return took


async def _run(one: Callable[[int], Awaitable[None]], n: int, concurrency: int) -> float:
    sem = asyncio.Semaphore(concurrency)

    async def guarded(i: int) -> None:
        async with sem:
            await one(i)

    for i in range(20):  # warm the pool and the plan cache
        await one(-1 - i)
    started = time.perf_counter()
    await asyncio.gather(*(guarded(i) for i in range(n)))
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    with PgCluster(fsync=True) as cluster:
        dsn = cluster.dsn()
        print(f"{args.n} single-row INSERT+COMMIT transactions, PostgreSQL fsync=on")
        print(f"{'driver':<12}{'in flight':>10}{'seconds':>10}{'tx/s':>10}{'ms/tx':>10}")
        for concurrency in (1, 32):
            for name, fn in (("asyncpg", bench_asyncpg), ("psycopg3", bench_psycopg)):
                took = await fn(dsn, args.n, concurrency)
                print(
                    f"{name:<12}{concurrency:>10}{took:>10.2f}{args.n / took:>10.0f}"
                    f"{1000 * took / args.n * concurrency:>10.2f}"
                )


if __name__ == "__main__":
    asyncio.run(main())

"""The relay over claims (several instances on one database) gives back the rows of a pass
it did not attempt: with a failing core only a probe goes out, and the rest of the backlog
must be due again when the core returns, not when the claims' lease runs out.

A real store (SQLite implements the same claims as PostgreSQL; the contract suite checks
both) behind :class:`gateway.claims.ClaimingQueue`, and the relay's own decisions.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from gateway.claims import ClaimingQueue, LeaderQueue
from gateway.leadership import Leadership
from gateway.store.sqlite import SqliteStore
from outbox.backoff import RetryPolicy
from outbox.core_client import Delivered
from outbox.jobs import OutboxItem, SendError
from outbox.relay import Relay
from tests.store.contract_data import file, report

POLICY = RetryPolicy(initial_s=0.01, max_s=0.01, max_attempts=50, throttled_give_up_after_s=60)


async def test_rows_a_failing_pass_did_not_send_are_not_held_for_the_lease(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "lapor.db")
    await store.open()
    try:
        for n in range(20):
            await file(store, report(f"laporan nomor {n}", reply=False), f"k{n}")
        queue = ClaimingQueue(store, "a", lease_s=3600, serves=lambda: frozenset({"core"}))
        core_up = False
        sent: list[int] = []

        async def deliver(item: OutboxItem) -> Delivered:
            if not core_up:
                raise SendError("503", retryable=True)
            sent.append(item.id)
            return Delivered()

        relay = Relay(queue, deliver, policy_for=lambda item: POLICY, concurrency=4)
        await relay.run_once()  # the core fails: the pass stops after the first failures
        time.sleep(0.02)  # noqa: ASYNC251 - past the 10 ms pause, nothing else runs
        await relay.run_once()  # a probe of one row; the others stay due
        core_up = True
        time.sleep(0.02)  # noqa: ASYNC251
        while await relay.run_once():
            pass
        assert len(sent) == 20  # with a lease of an hour: none was left claimed
    finally:
        await store.close()


async def test_the_core_forwarders_queue_gives_rows_back_too(tmp_path: Path) -> None:
    """The core's relay on PostgreSQL claims through :class:`LeaderQueue` (one forwarder
    across instances); rows a failing pass did not attempt must be given back through it
    as well, or the backlog waits out the claim lease after an outage."""
    store = SqliteStore(tmp_path / "lapor.db")
    await store.open()
    try:
        for n in range(20):
            await file(store, report(f"laporan nomor {n}", reply=False), f"k{n}")
        claims = ClaimingQueue(store, "a", lease_s=3600, serves=lambda: frozenset({"core"}))

        async def prepare() -> None:
            return None

        leadership = Leadership(store, "a")
        queue = LeaderQueue(
            claims, leadership, "core-forwarder", prepare=prepare, release=lambda: None
        )
        while queue.state != "active":  # gaining the lease prepares first (claims nothing)
            assert await queue.due_outbox(time.time(), 0) == []
            await asyncio.sleep(0)
        core_up = False
        sent: list[int] = []

        async def deliver(item: OutboxItem) -> Delivered:
            if not core_up:
                raise SendError("503", retryable=True)
            sent.append(item.id)
            return Delivered()

        relay = Relay(queue, deliver, policy_for=lambda item: POLICY, concurrency=4)
        await relay.run_once()
        time.sleep(0.02)  # noqa: ASYNC251 - past the 10 ms pause, nothing else runs
        await relay.run_once()
        core_up = True
        time.sleep(0.02)  # noqa: ASYNC251
        while await relay.run_once():
            pass
        assert len(sent) == 20
        await leadership.stop()
    finally:
        await store.close()

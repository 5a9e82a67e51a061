"""PostgreSQL restarted under SMPP load: the SMSC simulator sends a burst of deliver_sm to
a gateway on PostgreSQL and the server is stopped (``pg_ctl stop -m fast``) mid-burst,
then started again. A deliver_sm that could not be committed is answered ESME_RX_T_APPN
and the SMSC delivers it again; nothing is lost, nothing is filed twice (a commit whose
answer was lost comes back as a repeat of its inbound key), every SMS gets one ack."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import smpp34

from adapters.sms.smpp import SmppAdapter
from adapters.sms.smpp.pdu import ESME_ROK, ESME_RX_T_APPN
from tests.adapters.sms.sms_harness import sms_overrides
from tests.adapters.sms.smsc_sim import SmscSim
from tests.conftest import make_config
from tests.pg import PgCluster

MESSAGES = 60
#: deliver_sm in flight at once, as an SMSC with a window would send them
WINDOW = 6


@pytest.fixture
async def sim() -> AsyncIterator[SmscSim]:
    s = await SmscSim().start()
    yield s
    await s.stop()


def sender(n: int) -> str:
    return f"6281377{n:05d}"


async def test_deliver_sm_answered_retry_while_postgresql_restarts_and_nothing_lost(
    sim: SmscSim, tmp_path: Path, gateway_factory: Callable[..., Any]
) -> None:
    with PgCluster() as own:  # its own server: the session's is shared by other tests
        dsn = own.create_database("lapor")
        config = make_config(tmp_path, {**sms_overrides(sim.port), "gateway": {"database": dsn}})
        h = await gateway_factory(config)
        adapter = h.gw.adapters["sms.smpp"]
        assert isinstance(adapter, SmppAdapter)
        await adapter.wait_bound()

        answers: dict[int, list[int]] = {n: [] for n in range(MESSAGES)}
        accepted = 0
        third = asyncio.Event()
        window = asyncio.Semaphore(WINDOW)

        async def deliver(n: int) -> None:
            """One SMS: delivered again after anything but ESME_ROK, as an SMSC does."""
            nonlocal accepted
            text = f"Jalan rusak di RT {n} kampung Cibiru, mohon diperbaiki segera".encode()
            deadline = time.monotonic() + 60
            async with window:
                while time.monotonic() < deadline:
                    esme = await sim.wait_bound()
                    try:
                        resp = await esme.deliver_sm(
                            "1708", text, source_addr=sender(n), source_addr_ton=1,
                            source_addr_npi=1,
                        )  # fmt: skip
                    except smpp34.SmppError:
                        answers[n].append(-1)  # no answer in time: delivered again
                        await asyncio.sleep(0.1)
                        continue
                    answers[n].append(int(resp.command_status))
                    if resp.command_status == ESME_ROK:
                        accepted += 1
                        if accepted >= MESSAGES // 3:
                            third.set()
                        return
                    await asyncio.sleep(0.1)
            raise AssertionError(f"SMS {n} was never accepted: {answers[n]}")

        burst = asyncio.gather(*(deliver(n) for n in range(MESSAGES)))
        await third.wait()
        await asyncio.to_thread(own.stop, "fast")  # mid-burst, commits in flight
        stopped_at = accepted
        await asyncio.sleep(1.0)
        await asyncio.to_thread(own.restart)
        await asyncio.wait_for(burst, 90)

        assert stopped_at < MESSAGES
        statuses = {s for seen in answers.values() for s in seen}
        # the outage was hit and answered "retry"; never a permanent error
        assert ESME_RX_T_APPN in statuses, answers
        assert statuses <= {ESME_ROK, ESME_RX_T_APPN, -1}, answers
        retried = sum(1 for seen in answers.values() if len(seen) > 1)

        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch("SELECT tracking_id, body->>'text' AS text FROM reports")
        finally:
            await conn.close()
        texts = sorted(r["text"] for r in rows)
        expected = sorted(
            f"Jalan rusak di RT {n} kampung Cibiru, mohon diperbaiki segera"
            for n in range(MESSAGES)
        )
        assert texts == expected  # each SMS once: nothing lost, nothing twice
        acks = await sim.wait_submitted(MESSAGES, wait_s=30)
        await asyncio.sleep(0.5)  # a second ack would have arrived by now
        acks = [s for s in sim.submitted if s.status == 0]
        assert sorted(s.destination_addr for s in acks) == sorted(
            sender(n) for n in range(MESSAGES)
        )
        assert retried > 0

"""The store cannot commit: SQLite busy (another process holds the write lock) or the data
disk full. The gateway must stop acknowledging (503 on webhooks, ESME_RX_T_APPN on SMPP),
say so in ``/readyz``, resume by itself when the store can commit again, and keep
everything it acknowledged before.

Mechanisms, chosen to run anywhere without root or mounts:

* busy: a second SQLite connection holds ``BEGIN EXCLUSIVE`` on the gateway's file (what a
  backup tool or a stray ``sqlite3`` shell does). The store's wait for a foreign lock is
  shortened from 5 s to 0.3 s to keep the test fast; the code path is the same.
* disk full: ``PRAGMA max_page_count`` on the gateway's writer connection caps the file at
  its current size, so the next page allocation fails with ``SQLITE_FULL``, the same error
  code a full disk gives. An empty probe transaction still commits on a full disk, so
  ``/readyz`` relies on the store remembering a failed commit for ``failure_memory_s``
  (shortened here from 5 s to 1 s).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.adapters.sms.sms_harness import Db, start_gateway
from tests.adapters.sms.smsc_sim import SmscSim
from tests.conftest import GatewayHarness

ESME_RX_T_APPN = 0x64


@pytest.fixture
async def smsc() -> AsyncIterator[SmscSim]:
    sim = await SmscSim().start()
    yield sim
    await sim.stop()


async def _writer_pragma(h: GatewayHarness, pragma: str) -> Any:
    """Run a PRAGMA on the gateway's own writer connection (through its write queue)."""
    return await h.gw.store.write(lambda c: c.execute(pragma).fetchall())


async def _until_accepted(h: GatewayHarness, text: str, wait_s: float = 15.0) -> dict[str, Any]:
    deadline = time.monotonic() + wait_s
    while True:
        status, doc = await h.post_signed("/v1/web/reports", {"text": text})
        if status == 201:
            return dict(doc)
        assert status == 503, (status, doc)
        assert time.monotonic() < deadline, "the gateway did not resume by itself"
        await asyncio.sleep(0.2)


async def _until_ready(h: GatewayHarness, wait_s: float = 15.0) -> None:
    deadline = time.monotonic() + wait_s
    while (await h.get("/readyz"))[0] != 200:
        assert time.monotonic() < deadline, "/readyz did not recover"
        await asyncio.sleep(0.2)


def _tracking_ids(tmp_path: Path) -> set[str]:
    return {r["tracking_id"] for r in Db(tmp_path).rows("SELECT tracking_id FROM reports")}


async def test_store_locked_by_another_process(
    gateway_factory: Callable[..., Any], tmp_path: Path, smsc: SmscSim
) -> None:
    h, _adapter = await start_gateway(gateway_factory, tmp_path, smsc.port)
    h.gw.store.failure_memory_s = 1.0  # production: 5 s
    h.gw.store.lock_wait_s = 0.3  # production: 5 s
    status, first = await h.post_signed(
        "/v1/web/reports", {"text": "Sebelum gangguan: jalan rusak"}
    )
    assert status == 201
    assert await smsc.deliver(b"Sebelum gangguan: lampu jalan mati total") == 0
    before = _tracking_ids(tmp_path)
    assert len(before) == 2

    locker = sqlite3.connect(tmp_path / "lapor.db", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        status, doc = await h.post_signed("/v1/web/reports", {"text": "Saat terkunci: banjir"})
        assert status == 503, doc
        assert doc["error"]["code"] in ("store_unavailable", "overloaded")
        sms = b"Saat terkunci: sampah menumpuk di pasar"
        assert await smsc.deliver(sms) == ESME_RX_T_APPN, "SMPP must ask for redelivery"
        status, ready = await h.get("/readyz")
        assert status == 503 and ready["store"]["ok"] is False
    finally:
        locker.execute("ROLLBACK")
        locker.close()

    await _until_ready(h)
    later = await _until_accepted(h, "Setelah gangguan: jembatan retak")
    assert await smsc.deliver(sms) == 0, "the SMSC's redelivery is stored now"
    after = _tracking_ids(tmp_path)
    assert before <= after, "something acknowledged before the fault was lost"
    assert first["tracking_id"] in after and later["tracking_id"] in after
    assert len(after) == 4
    texts = [r["text"] for r in Db(tmp_path).reports()]
    assert not any("Saat terkunci: banjir" in t for t in texts), "a 503 must not be stored"


async def test_data_disk_full(
    gateway_factory: Callable[..., Any], tmp_path: Path, smsc: SmscSim
) -> None:
    h, _adapter = await start_gateway(gateway_factory, tmp_path, smsc.port)
    h.gw.store.failure_memory_s = 1.0  # production: 5 s
    accepted: list[str] = []
    status, doc = await h.post_signed("/v1/web/reports", {"text": "Sebelum penuh: jalan rusak"})
    assert status == 201
    accepted.append(doc["tracking_id"])
    pages = (await _writer_pragma(h, "PRAGMA page_count"))[0][0]
    await _writer_pragma(h, f"PRAGMA max_page_count={pages}")
    refused = 0
    for i in range(60):
        text = f"Saat disk penuh nomor {i}: " + "keluhan panjang warga " * 60
        status, doc = await h.post_signed("/v1/web/reports", {"text": text})
        if status == 201:
            assert refused == 0, "acknowledged after the disk was reported full"
            accepted.append(doc["tracking_id"])
            continue
        assert status == 503, doc
        assert doc["error"]["code"] in ("store_unavailable", "overloaded"), doc
        refused += 1
        if refused >= 3:
            break
    assert refused >= 3, "the disk never filled up"
    code = await smsc.deliver(b"Saat disk penuh: air PDAM keruh sejak kemarin " * 3)
    assert code == ESME_RX_T_APPN
    status, ready = await h.get("/readyz")
    assert status == 503 and ready["store"]["ok"] is False

    await _writer_pragma(h, "PRAGMA max_page_count=1073741823")  # space returns
    await _until_ready(h)
    later = await _until_accepted(h, "Setelah ada ruang: trotoar rusak")
    stored = _tracking_ids(tmp_path)
    assert set(accepted) <= stored, "acknowledged reports were lost"
    assert later["tracking_id"] in stored
    assert len(stored) == len(accepted) + 1

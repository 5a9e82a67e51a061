"""How fast one modem worker drains a full dummy-phone inbox into the real pipeline.

Injects N messages (every 4th a 3-part UCS-2 message) into libgammu's dummy phone, then
times poll passes of the real ModemWorker until the inbox is empty and every message is a
committed report. Prints messages/s and parts/s. The dummy's file I/O is far faster than a
serial modem (a real AT modem reads a few messages per second), so this measures our side:
libgammu parsing, the conversation layer and the SQLite commits.

    .venv/bin/python bench/gammu_inbox.py [N]
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.sms.config import GammuConfig, ModemConfig
from adapters.sms.gammu.adapter import GammuAdapter
from adapters.sms.gammu.device import ensure_dummy_layout
from adapters.sms.gammu.inject import deliver_parts, write_inbox
from gateway.adapter import AdapterContext
from gateway.config import parse_config
from gateway.pipeline import Pipeline
from gateway.store.sqlite import SqliteStore

LONG = "Lampu jalan mati 💡 di gang Mawar, warga takut lewat malam hari. " * 2


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        db = tmp / "lapor.db"
        config = parse_config(
            {
                "gateway": {"data_dir": str(tmp), "database": f"sqlite:///{db}"},
                "flood": {"sender_burst": 10**6, "sender_per_min": 10.0**6},
            },
            env={},
        )
        store = SqliteStore(db)
        await store.open()
        pipeline = Pipeline(store, config)
        modem = ModemConfig(name="bench", model="dummy", connection="none", device="m")
        adapter = GammuAdapter(
            AdapterContext(intake=pipeline, data_dir=tmp, country="ID", max_body_bytes=65536),
            GammuConfig(enabled=True, modems=[modem]),
        )
        (worker,) = adapter.workers
        ensure_dummy_layout(worker.device.device)
        parts = 0
        for i in range(n):
            sender = f"0812{i:08d}"
            text = LONG + str(i) if i % 4 == 0 else f"Jalan rusak nomor {i} di kecamatan {i % 50}"
            parts += len(write_inbox(worker.device.device, deliver_parts(sender, text)))
        await worker.connect()
        start = time.perf_counter()
        polls = 0
        while True:
            polls += 1
            if await worker.poll_once() == 0:
                break
        elapsed = time.perf_counter() - start
        await adapter.stop()
        await store.close()
        with sqlite3.connect(db) as conn:
            filed = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
        print(f"messages injected   {n} ({parts} SMS parts)")
        print(f"reports filed       {filed} in {polls} poll passes")
        print(f"elapsed             {elapsed:.2f} s")
        print(f"throughput          {n / elapsed:.0f} messages/s, {parts / elapsed:.0f} parts/s")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 400))

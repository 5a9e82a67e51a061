from __future__ import annotations
from pathlib import Path
from typing import Any
from collections.abc import Callable
from tests.adapters.sms.smsc_sim import SmscSim
from tests.adapters.sms.sms_harness import Db, start_gateway


async def test_smoke(tmp_path: Path, gateway_factory: Callable[..., Any]) -> None:
    sim = await SmscSim().start()
    try:
        h, adapter = await start_gateway(gateway_factory, tmp_path, sim.port)
        status = await sim.deliver(b"jalan rusak parah di depan sekolah")
        assert status == 0
        subs = await sim.wait_submitted(1)
        print(subs)
        print(Db(tmp_path).reports())
    finally:
        await sim.stop()

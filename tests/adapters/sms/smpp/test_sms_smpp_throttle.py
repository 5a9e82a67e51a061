"""Sustained SMSC throttling (ESME_RTHROTTLED, 0x58) is flow control, not failure.

A real Gateway (SQLite file, pipeline, outbox relay) bound to the smpp34 simulator, which
answers every submit_sm with 0x58 for several seconds, then accepts. With a small attempt
budget (``[outbox] max_attempts = 3``), the ack must still reach the citizen: the throttled
sends back off with growing waits, spend no attempt, and nothing is dead-lettered.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import smpp34

from adapters.sms.smpp import SmppAdapter
from tests.adapters.sms.sms_harness import Db, eventually, sms_overrides
from tests.adapters.sms.smsc_sim import SmscSim
from tests.conftest import GatewayHarness, make_config

THROTTLED_S = 7.0
MAX_ATTEMPTS = 3


async def test_sustained_throttling_delivers_the_ack_without_spending_attempts(
    tmp_path: Path, gateway_factory: Callable[..., Any]
) -> None:
    sim = await SmscSim().start()
    try:
        overrides = sms_overrides(sim.port)
        overrides["outbox"]["max_attempts"] = MAX_ATTEMPTS
        overrides["core"]["retry"] = {"initial_backoff_s": 0.5, "max_backoff_s": 8.0}
        config = make_config(tmp_path, overrides)
        h: GatewayHarness = await gateway_factory(config)
        adapter = h.gw.adapters["sms.smpp"]
        assert isinstance(adapter, SmppAdapter)
        await adapter.wait_bound()

        throttled_until = time.monotonic() + THROTTLED_S

        def throttle_then_accept(event: Any, n: int) -> tuple[str, Any]:
            if time.monotonic() < throttled_until:
                return ("reject", smpp34.ESME_RTHROTTLED)
            return ("accept", f"ok{n}")

        sim.policy = throttle_then_accept
        assert await sim.deliver(b"Jalan rusak parah di depan SDN 3 sudah dua bulan") == 0
        [ok] = await sim.wait_submitted(1, wait_s=THROTTLED_S + 15)
        [ack] = await eventually(lambda: [r for r in Db(tmp_path).acks() if r["state"] == "done"])
    finally:
        await sim.stop()
    throttled = [s for s in sim.submitted if s.status == smpp34.ESME_RTHROTTLED]
    assert len(throttled) > MAX_ATTEMPTS, "the test must outlast the attempt budget"
    assert ack["message_id"] == ok.message_id
    assert ack["attempts"] == 1, "throttled sends spent attempts"
    assert await h.gw.store.dead_letters(10) == []
    # the health the console's overview shows: TPS in use and the throttling seen
    usage = adapter.health().extra["binds"]["tsel"]
    assert usage["throttled"] == len(throttled) and usage["tps"] == 200.0
    assert usage["tps_1m"] == round(len(sim.submitted) / 60.0, 2)
    gaps = [b.at - a.at for a, b in itertools.pairwise(throttled)]
    assert gaps[-1] > gaps[0], f"waits did not grow: {gaps}"

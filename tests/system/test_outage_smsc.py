"""The SMSC is unreachable when the gateway starts: the gateway starts anyway, says so in
``/readyz``, keeps every other door open, and binds by itself once the SMSC answers.

The SMSC dropping the bind mid-stream and coming back is
``tests/adapters/sms/smpp/test_sms_smpp_link.py::test_smsc_drops_mid_stream_then_comes_back``
(and the crash tests kill our side of the link dozens of times).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.adapters.sms.sms_harness import sms_overrides
from tests.adapters.sms.smsc_sim import SmscSim, free_port
from tests.conftest import GatewayHarness


async def test_smsc_unreachable_at_start_then_up(
    gateway_factory: Callable[..., Any], config_factory: Callable[..., Any], tmp_path: Path
) -> None:
    port = free_port()  # nothing listens here yet
    h: GatewayHarness = await gateway_factory(
        config_factory(sms_overrides(port, reconnect_attempts=3, reconnect_max_s=0.3))
    )
    await asyncio.sleep(0.5)
    status, ready = await h.get("/readyz")
    assert status == 503 and ready["adapters"]["sms.smpp"]["ok"] is False, ready
    assert ready["store"]["ok"] is True
    status, _ = await h.post_signed("/v1/web/reports", {"text": "Web tetap jalan: banjir"})
    assert status == 201, "one channel down must not close the others"

    smsc = await SmscSim(port).start()
    try:
        deadline = time.monotonic() + 10
        while (await h.get("/readyz"))[0] != 200:
            assert time.monotonic() < deadline, "never bound after the SMSC came up"
            await asyncio.sleep(0.1)
        assert await smsc.deliver(b"Setelah SMSC hidup: jalan berlubang besar") == 0
        acks = await smsc.wait_submitted(1)
        assert "LAPOR!" in acks[0].short_message.decode("latin-1")
    finally:
        await smsc.stop()

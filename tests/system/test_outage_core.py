"""The core case store down for a while, then back, at the default outbox concurrency.

``tests/outbox/test_relay.py`` covers the relay's order with concurrency 1 and the retry
limit; this adds a backlog several batches deep filed while the core answers 503 with
``Retry-After``, the /readyz view of the paused target, and the drain afterwards.
Drain *rate* is a figure, not a test: ``bench/outbox_drain.py``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.conftest import GatewayHarness
from tests.fakes.core import FakeCore

ROWS = 250


async def test_long_core_outage_probes_gently_then_drains_in_arrival_order(
    gateway_factory: Any, config_factory: Any, fake_core: FakeCore
) -> None:
    fake_core.state.mode = "fail503"
    fake_core.state.retry_after = "1"
    config = config_factory(
        {
            "core": {
                "url": fake_core.url,
                "retry": {"initial_backoff_s": 0.05, "max_backoff_s": 0.5, "max_attempts": 50},
            },
            "flood": {"channel_burst": 100000, "channel_per_s": 100000.0},
        }
    )
    h: GatewayHarness = await gateway_factory(config)
    concurrency = config.outbox.concurrency
    started = time.monotonic()
    ids: list[str] = []
    for first in range(0, ROWS, 50):
        answers = await asyncio.gather(
            *(
                h.post_signed(
                    "/v1/web/reports",
                    {"text": f"Antrean ke-{i}: drainase tersumbat di gang {i}"},
                    headers={"Idempotency-Key": f"outage-{i}"},
                )
                for i in range(first, first + 50)
            )
        )
        assert all(status == 201 for status, _ in answers), answers
        ids += [doc["tracking_id"] for _, doc in answers]
    await asyncio.sleep(max(0.0, 2.5 - (time.monotonic() - started)))
    down_s = time.monotonic() - started
    while_down = len(fake_core.state.requests)
    # at most one batch's concurrent first attempts, then one probe per Retry-After second
    assert while_down <= concurrency + down_s / 1.0 + 2, while_down
    # the pause lasts Retry-After (1 s) between probes: between a pause's end and the next
    # probe's answer nothing is paused, so look for it over a few probes, not at one instant
    paused_seen = False
    probe_deadline = time.monotonic() + 3.5
    while not paused_seen and time.monotonic() < probe_deadline:
        _, ready = await h.get("/readyz")
        paused_seen = "core" in ready["relay"]["paused_targets"]
        await asyncio.sleep(0.05)
    assert paused_seen, ready

    fake_core.state.mode = "ok"
    deadline = time.monotonic() + 20
    while len(fake_core.state.cases) < ROWS:
        assert time.monotonic() < deadline, f"drained {len(fake_core.state.cases)}/{ROWS}"
        await asyncio.sleep(0.05)
    assert set(fake_core.state.cases) == set(ids)
    assert await h.gw.store.dead_letters(10) == [], "a long outage dead-lettered a forward"
    position = {tid: i for i, tid in enumerate(ids)}
    delivered = list(
        dict.fromkeys(
            r["key"] for r in fake_core.state.requests if r["key"] in fake_core.state.cases
        )
    )
    displacement = max(abs(position[tid] - i) for i, tid in enumerate(delivered))
    assert displacement <= concurrency, "the backlog did not drain in arrival order"

"""Forwards to the embedded case store link their reports (level 3) one at a time, with
the loop free between two of them, in outbox order."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

from gateway.delivery import GatewayDeliverer
from gateway.linker import Linker
from gateway.sections import DedupSection
from gateway.store.sqlite import SqliteStore
from normalizer import Channel, Report, SimilarLink
from outbox.jobs import ForwardJob, OutboxItem
from tests.conftest import make_config


class SlowLinker(Linker):
    """A linker whose every call holds the loop for 5 ms, noting when it ran."""

    def __init__(self, config: DedupSection, ticks: list[int]) -> None:
        super().__init__(config)
        self.ticks = ticks
        self.calls: list[tuple[str, int]] = []

    def link(self, report: Report) -> list[SimilarLink]:
        assert report.tracking_id is not None
        self.calls.append((report.tracking_id, len(self.ticks)))
        time.sleep(0.005)
        return []


def forward(n: int) -> OutboxItem:
    tid = f"{n:012d}"
    report = Report(channel=Channel.SMS, transport="t", text=f"Keluhan {n}", tracking_id=tid)
    return OutboxItem(n, ForwardJob(), tid, "core", 0, 0.0, report.model_dump_json())


async def test_forwards_of_one_pass_link_one_per_turn_of_the_loop(
    tmp_path: Path, store: SqliteStore
) -> None:
    ticks: list[int] = []
    linker = SlowLinker(make_config(tmp_path).dedup, ticks)
    deliver = GatewayDeliverer(store, {}, None, case_store=store, linker=linker)

    async def ticker() -> None:
        while True:
            ticks.append(1)
            await asyncio.sleep(0)

    beat = asyncio.create_task(ticker())
    try:
        await asyncio.gather(*(deliver(forward(n)) for n in range(1, 9)))
    finally:
        beat.cancel()
    assert [tid for tid, _ in linker.calls] == [f"{n:012d}" for n in range(1, 9)]
    seen = [tick for _, tick in linker.calls]
    # the loop turned (the ticker ran) between every two forwards' linking
    assert all(b > a for a, b in itertools.pairwise(seen)), seen

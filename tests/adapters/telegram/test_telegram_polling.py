"""Long polling against the fake Bot API with the real pipeline on SQLite: the offset moves
only with (or right after) the commit, a restart loses and repeats nothing, a server that
redelivers is absorbed, and stop() does not wait out a long poll."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from fake_bot_api import TOKEN, FakeBotApi
from tg_harness import CITIZEN, CITIZEN2, Db

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.conversation import OFFSET
from gateway.adapter import StoreUnavailableError
from gateway.pipeline import Pipeline
from tests.db_view import wait_for

COMPLAINT = "Lampu jalan mati di Gg. Mawar RT 05 sejak Senin"


class FlakyIntake:
    """The real pipeline, whose submit can be made to fail as a store outage would."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.fail_submit = False

    async def submit(self, *args: Any, **kwargs: Any) -> Any:
        if self.fail_submit:
            raise StoreUnavailableError("disk full")
        return await self.pipeline.submit(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pipeline, name)


async def test_offset_advances_only_after_the_commit(
    bot_api: FakeBotApi, make_adapter: Callable[..., TelegramAdapter], pipeline: Pipeline, db: Db
) -> None:
    first = bot_api.message(CITIZEN, COMPLAINT)
    second = bot_api.message(CITIZEN2, "Sampah menumpuk di depan SDN 3 Sleman")
    intake = FlakyIntake(pipeline)
    adapter = make_adapter(intake=intake)
    intake.fail_submit = True
    assert await adapter.run_job() is None  # the store refused: nothing confirmed
    assert db.checkpoint(OFFSET) is None and db.reports() == []
    assert adapter.health().ok  # a store outage is not the bot's problem
    intake.fail_submit = False
    assert await adapter.run_job() == 2
    assert len(db.reports()) == 2
    assert db.checkpoint(OFFSET) == str(second["update_id"] + 1)
    # every getUpdates so far asked from the start: the first update was never confirmed
    offsets = [c.params.get("offset") for c in bot_api.method_calls("getUpdates")]
    assert offsets == [None, None]
    assert await adapter.run_job() == 0
    assert bot_api.method_calls("getUpdates")[-1].params["offset"] == second["update_id"] + 1
    assert bot_api.confirmed == second["update_id"] + 1
    assert first["update_id"] < bot_api.confirmed


async def test_restart_loses_and_repeats_nothing(
    bot_api: FakeBotApi, make_adapter: Callable[..., TelegramAdapter], db: Db
) -> None:
    for i in range(3):
        bot_api.message(CITIZEN + i, f"{COMPLAINT}, laporan nomor {i + 1}")
    first = make_adapter()
    await first.start()
    await wait_for(lambda: len(db.reports()) == 3)
    await first.stop()
    late = bot_api.message(CITIZEN2, "Pohon tumbang menutup jalan di Desa Sukamaju")
    second = make_adapter()
    await second.start()
    await wait_for(lambda: len(db.reports()) == 4)
    await wait_for(lambda: db.checkpoint(OFFSET) == str(late["update_id"] + 1))
    await asyncio.sleep(0.2)
    assert len(db.reports()) == 4
    keys = db.rows("SELECT key FROM inbound_keys WHERE key LIKE 'telegram:%'")
    assert len(keys) == 4


async def test_a_server_that_redelivers_is_absorbed(
    bot_api: FakeBotApi, make_adapter: Callable[..., TelegramAdapter], db: Db
) -> None:
    bot_api.ignore_offset = True  # every poll returns every update again
    bot_api.message(CITIZEN, COMPLAINT)
    bot_api.message(CITIZEN, "halo min")
    adapter = make_adapter(poll_timeout_s=0, poll_interval_s=0.02)
    await adapter.start()
    await wait_for(lambda: len(bot_api.method_calls("getUpdates")) >= 5)
    await adapter.stop()
    assert len(db.reports()) == 1
    kinds = [r["payload"] for r in db.outbox()]
    assert len(kinds) == 2  # one ack, one help answer: a repeat queues nothing


async def test_stop_abandons_a_waiting_long_poll(
    bot_api: FakeBotApi, make_adapter: Callable[..., TelegramAdapter]
) -> None:
    adapter = make_adapter(poll_timeout_s=30)
    await adapter.start()
    await wait_for(lambda: len(bot_api.method_calls("getUpdates")) == 1)
    started = time.monotonic()
    await adapter.stop()
    assert time.monotonic() - started < 1.0


async def test_poll_errors_back_off_and_show_in_health(
    bot_api: FakeBotApi,
    make_adapter: Callable[..., TelegramAdapter],
    db: Db,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    bot_api.fail("getUpdates", 502, times=2)
    conflict = bot_api.fail(
        "getUpdates",
        409,
        times=3,
        description="Conflict: can't use getUpdates method while webhook is active",
    )
    bot_api.message(CITIZEN, COMPLAINT)
    adapter = make_adapter()
    await adapter.start()
    await conflict.hit.wait()
    await wait_for(lambda: not adapter.health().ok)
    assert "webhook" in adapter.health().detail
    await wait_for(lambda: len(db.reports()) == 1)
    await wait_for(lambda: adapter.health().ok)
    # everything the gateway side logged (the fake server's own access log is not ours)
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name != "aiohttp.access")
    assert "telegram poll failed (conflict)" in ours
    assert TOKEN.split(":")[1] not in ours
    assert str(CITIZEN) not in ours  # chat ids are masked

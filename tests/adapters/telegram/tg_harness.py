"""Fixtures and helpers shared by the Telegram adapter tests (imported by name, so they
cannot clash with another folder's conftest)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import TOKEN, FakeBotApi

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.config import TelegramConfig
from gateway.adapter import AdapterContext, Intake
from tests.db_view import DbView

CITIZEN = 5550001
CITIZEN2 = 5550002
WEBHOOK_SECRET = "tg-webhook-secret_1"


def tg_config(base_url: str, **overrides: Any) -> TelegramConfig:
    values: dict[str, Any] = {
        "enabled": True,
        "bot_token": TOKEN,
        "api_base_url": base_url,
        "poll_timeout_s": 1,
        "poll_interval_s": 0.0,
        "backoff_floor_s": 0.05,
        "backoff_max_s": 0.2,
        "request_timeout_s": 5,
        "webhook_secret": WEBHOOK_SECRET,
    }
    values.update(overrides)
    return TelegramConfig.model_validate(values)


def tg_section(bot_api: FakeBotApi, **extra: Any) -> dict[str, Any]:
    """``[adapters.telegram]`` for a config built by the shared ``config_factory``."""
    section: dict[str, Any] = {
        "enabled": True,
        "bot_token": TOKEN,
        "api_base_url": bot_api.base_url,
        "poll_timeout_s": 1,
        "backoff_floor_s": 0.05,
        "backoff_max_s": 0.2,
        "webhook_secret": WEBHOOK_SECRET,
    }
    section.update(extra)
    return {"adapters": {"telegram": section}}


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def make_adapter(
    bot_api: FakeBotApi, pipeline: Any, tmp_path: Path
) -> AsyncIterator[Callable[..., TelegramAdapter]]:
    made: list[TelegramAdapter] = []

    def factory(*, intake: Intake | None = None, **overrides: Any) -> TelegramAdapter:
        ctx = AdapterContext(
            intake=intake or pipeline, data_dir=tmp_path, country="ID", max_body_bytes=65536
        )
        adapter = TelegramAdapter(ctx, tg_config(bot_api.base_url, **overrides))
        made.append(adapter)
        return adapter

    yield factory
    for adapter in made:
        await adapter.stop()


class Db(DbView):
    """What was committed for the telegram door."""

    channel = "telegram"
    order_by = "created_at"


@pytest.fixture
def db(tmp_path: Path) -> Db:
    return Db(tmp_path / "lapor.db")

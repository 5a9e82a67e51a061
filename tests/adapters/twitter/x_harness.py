"""Fixtures and helpers shared by the X adapter tests (imported by name: no conftest here, so
it cannot clash with another folder's conftest)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from fake_x import ACCESS_SECRET, ACCESS_TOKEN, CONSUMER_KEY, CONSUMER_SECRET, FakeX

from adapters.twitter.adapter import TwitterAdapter
from adapters.twitter.config import TwitterConfig
from gateway.adapter import AdapterContext, Intake
from tests.db_view import DbView

CITIZEN = "42000001"
CITIZEN2 = "42000002"


def x_config(base_url: str, **overrides: Any) -> TwitterConfig:
    values: dict[str, Any] = {
        "enabled": True,
        "api_base_url": base_url,
        "user_id": "1708000000",
        "consumer_key": CONSUMER_KEY,
        "consumer_secret": CONSUMER_SECRET,
        "access_token": ACCESS_TOKEN,
        "access_token_secret": ACCESS_SECRET,
        "poll_interval_s": 0.05,
        "idle_poll_interval_s": 0.2,
        "backoff_floor_s": 0.05,
        "backoff_max_s": 0.2,
        "page_size": 10,
        "start_time": "2020-01-01T00:00:00Z",
        "reply_rate_per_min": 6000,
        "request_timeout_s": 5,
    }
    values.update(overrides)
    return TwitterConfig.model_validate(values)


@pytest.fixture
async def fake_x() -> AsyncIterator[FakeX]:
    server = FakeX()
    server.add_user(CITIZEN, "budi_s", "Budi Santoso")
    server.add_user(CITIZEN2, "sari_w", "Sari Wulandari")
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def make_adapter(
    fake_x: FakeX, pipeline: Any, tmp_path: Path
) -> AsyncIterator[Callable[..., TwitterAdapter]]:
    made: list[TwitterAdapter] = []

    def factory(*, intake: Intake | None = None, **overrides: Any) -> TwitterAdapter:
        ctx = AdapterContext(
            intake=intake or pipeline, data_dir=tmp_path, country="ID", max_body_bytes=65536
        )
        adapter = TwitterAdapter(ctx, x_config(fake_x.base_url, **overrides))
        made.append(adapter)
        return adapter

    yield factory
    for adapter in made:
        await adapter.stop()


class Db(DbView):
    """What was committed for the twitter door."""

    channel = "twitter"
    order_by = "external_id"

    def external_ids(self) -> list[str]:
        return [r["external_id"] for r in self.reports()]

    def acks(self) -> list[sqlite3.Row]:
        return self.outbox()


@pytest.fixture
def db(tmp_path: Path) -> Db:
    return Db(tmp_path / "lapor.db")

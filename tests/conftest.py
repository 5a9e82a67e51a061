"""Shared fixtures: real SQLite files in tmp_path, a real Pipeline, a real Gateway on an
ephemeral 127.0.0.1 port, and a real local core case store."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters import signing
from gateway.config import Config, parse_config
from gateway.pipeline import Pipeline
from gateway.service import Gateway
from gateway.store.sqlite import SqliteStore
from tests.fakes.core import FakeCore
from tests.pg import PgCluster

WEB_SECRET = "test-web-secret"
MOBILE_SECRET = "test-mobile-secret"
CORE_EVENTS_SECRET = "test-core-secret"


def make_config(tmp_path: Path, overrides: dict[str, Any] | None = None) -> Config:
    """A Config on tmp_path with test secrets; *overrides* is merged into the TOML dict."""
    data: dict[str, Any] = {
        "gateway": {
            "data_dir": str(tmp_path / "data"),
            "database": f"sqlite:///{tmp_path / 'lapor.db'}",
        },
        "http": {"host": "127.0.0.1", "port": 0},
        "core": {"events_secret": CORE_EVENTS_SECRET},
        "outbox": {"poll_interval_s": 0.05},
        "adapters": {"web": {"enabled": True, "secret": WEB_SECRET}},
    }
    _merge(data, overrides or {})
    return parse_config(data, env={})


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A throwaway PostgreSQL server for the whole session (tests/pg.py); each test takes
    a database of its own with ``pg_cluster.new_database()``."""
    with PgCluster() as cluster:
        yield cluster


@pytest.fixture
def config_factory(tmp_path: Path) -> Callable[..., Config]:
    def factory(overrides: dict[str, Any] | None = None) -> Config:
        return make_config(tmp_path, overrides)

    return factory


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    s = SqliteStore(tmp_path / "lapor.db")
    await s.open()
    yield s
    await s.close()


@pytest.fixture
async def pipeline(tmp_path: Path, store: SqliteStore) -> Pipeline:
    return Pipeline(store, make_config(tmp_path))


@pytest.fixture
async def fake_core() -> AsyncIterator[FakeCore]:
    core = FakeCore()
    await core.start()
    yield core
    await core.stop()


class GatewayHarness:
    """A started Gateway plus a client that signs requests."""

    def __init__(self, gw: Gateway, session: aiohttp.ClientSession) -> None:
        self.gw = gw
        self.session = session
        self.base = f"http://127.0.0.1:{gw.port}"

    async def post_signed(
        self,
        path: str,
        document: Any,
        *,
        secret: str = WEB_SECRET,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, Any]:
        body = raw if raw is not None else json.dumps(document).encode()
        all_headers = {
            "Content-Type": "application/json",
            **signing.signed_headers(secret.encode(), body),
        }
        all_headers.update(headers or {})
        async with self.session.post(self.base + path, data=body, headers=all_headers) as resp:
            return resp.status, await resp.json(content_type=None)

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.session.get(self.base + path) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text)
            except ValueError:
                return resp.status, text


@pytest.fixture
async def gateway_factory() -> AsyncIterator[Callable[[Config], Any]]:
    started: list[tuple[Gateway, aiohttp.ClientSession]] = []

    async def factory(config: Config) -> GatewayHarness:
        gw = Gateway(config)
        await gw.start()
        session = aiohttp.ClientSession()
        started.append((gw, session))
        return GatewayHarness(gw, session)

    yield factory
    for gw, session in started:
        await session.close()
        await gw.stop()


@pytest.fixture
async def gateway(gateway_factory: Callable[[Config], Any], tmp_path: Path) -> GatewayHarness:
    h: GatewayHarness = await gateway_factory(make_config(tmp_path))
    return h

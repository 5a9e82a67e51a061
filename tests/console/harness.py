"""A real gateway with the console enabled, and a logged-in browser-like HTTP client.

Operators' hashes are real argon2id hashes with small parameters (the gateway verifies
whatever parameters a hash carries), so the tests stay fast.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from argon2 import PasswordHasher

from gateway.config import Config
from tests.conftest import make_config

OPERATOR = "budi"
PASSWORD = "kopi-tubruk-jam-2-pagi"
SECRET = "s" * 40
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def console_config(tmp_path: Path, overrides: dict[str, Any] | None = None) -> Config:
    data: dict[str, Any] = {
        "console": {
            "enabled": True,
            "session_secret": SECRET,
            "cookie_secure": "auto",
            "operators": [
                {"name": OPERATOR, "password_hash": _FAST.hash(PASSWORD)},
                {"name": "sari", "password_hash": _FAST.hash("another-long-password")},
            ],
        }
    }
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return make_config(tmp_path, data)


def csrf_of(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "no CSRF field on the page"
    return found.group(1)


class ConsoleClient:
    """An HTTP client with its own cookie jar, like one browser."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def close(self) -> None:
        await self.session.close()

    async def get(self, path: str, **kw: Any) -> tuple[int, str, aiohttp.ClientResponse]:
        async with self.session.get(self.base + path, allow_redirects=False, **kw) as resp:
            return resp.status, await resp.text(), resp

    async def post(
        self, path: str, data: Any, **kw: Any
    ) -> tuple[int, str, aiohttp.ClientResponse]:
        async with self.session.post(
            self.base + path, data=data, allow_redirects=False, **kw
        ) as resp:
            return resp.status, await resp.text(), resp

    async def login(
        self, name: str = OPERATOR, password: str = PASSWORD
    ) -> tuple[int, str, aiohttp.ClientResponse]:
        _, page, _ = await self.get("/console/login")
        status, text, resp = await self.post(
            "/console/login", {"name": name, "password": password, "csrf": csrf_of(page)}
        )
        if status == 303:
            _, overview, _ = await self.get("/console/")
            self.csrf = csrf_of(overview)
        return status, text, resp


async def wait_until(pred: Callable[[], Awaitable[Any]], wait_s: float = 10.0) -> Any:
    """Poll the async *pred* until it returns something truthy (store state has no event)."""
    step = 0.05
    for _ in range(int(wait_s / step)):
        value = await pred()
        if value:
            return value
        await asyncio.sleep(step)
    raise AssertionError("condition not reached in time")

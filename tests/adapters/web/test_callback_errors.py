"""Signed callbacks classify failures with the resilience kit: a real aiohttp server on
127.0.0.1 answers each status; the sender turns it into retryable or permanent data."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from adapters.callbacks import CallbackSender
from gateway.adapter import SendError


@pytest.fixture
async def peer() -> AsyncIterator[str]:
    async def answer(request: web.Request) -> web.Response:
        status = int(request.match_info["status"])
        return web.Response(status=status, headers={"Retry-After": "42"})

    app = web.Application()
    app.router.add_post("/{status}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.mark.parametrize(
    ("status", "retryable", "retry_after"),
    [
        pytest.param(200, None, None, id="ok"),
        pytest.param(404, False, None, id="404-permanent"),
        pytest.param(429, True, 42.0, id="429-retry-after-honoured"),
        pytest.param(503, True, 42.0, id="503-retry-after-honoured"),
    ],
)
async def test_callback_status_verdicts(
    peer: str, status: int, retryable: bool | None, retry_after: float | None
) -> None:
    sender = CallbackSender(b"secret")
    try:
        if retryable is None:
            await sender.post(f"{peer}/{status}", {"tracking_id": "x"})
            return
        with pytest.raises(SendError) as err:
            await sender.post(f"{peer}/{status}", {"tracking_id": "x"})
        assert err.value.retryable is retryable
        assert err.value.retry_after == retry_after
    finally:
        await sender.close()


async def test_unreachable_callback_is_retryable() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sender = CallbackSender(b"secret", timeout_s=2.0)
    try:
        with pytest.raises(SendError) as err:
            await sender.post(f"http://127.0.0.1:{port}/cb", {"tracking_id": "x"})
        assert err.value.retryable
        assert str(err.value).startswith("callback unreachable: ")
    finally:
        await sender.close()

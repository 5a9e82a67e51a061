"""Oversized, truncated and slow (slowloris) HTTP requests against the real listener, with a
raw socket client (an HTTP library would not send these).

Limits under test: ``[gateway] max_body_bytes`` (413), ``[http] idle_timeout_s`` (a
connection without a complete request is closed: idle keep-alive or headers trickled in),
``[http] request_timeout_s`` (a body trickled in is answered 408 and the connection closed),
aiohttp's header line limit. Each case also checks nothing was stored and the gateway
still answers.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from adapters import signing
from tests.conftest import WEB_SECRET, GatewayHarness

TIMEOUTS = {"http": {"idle_timeout_s": 1.0, "request_timeout_s": 1.0}}
PATH = "/v1/web/reports"


@pytest.fixture
async def gw(gateway_factory: Callable[..., Any], config_factory: Callable[..., Any]) -> Any:
    return await gateway_factory(config_factory(TIMEOUTS))


async def _open(h: GatewayHarness) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", h.gw.port)


async def _read_all(reader: asyncio.StreamReader, wait_s: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and how long that took."""
    started = time.monotonic()
    data = await asyncio.wait_for(reader.read(), wait_s)
    return data, time.monotonic() - started


def _head(length: int, extra: str = "") -> bytes:
    return (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n{extra}\r\n"
    ).encode()


async def _nothing_stored(h: GatewayHarness) -> None:
    assert await h.gw.store.list_reports(None, 10) == []
    status, _ = await h.get("/healthz")
    assert status == 200


async def test_idle_connection_is_closed(gw: GatewayHarness) -> None:
    reader, writer = await _open(gw)
    data, took = await _read_all(reader, 5)
    assert data == b"" and took < 3
    writer.close()


async def test_headers_trickled_in_are_cut_off(gw: GatewayHarness) -> None:
    reader, writer = await _open(gw)
    writer.write(b"POST /v1/web/reports HTTP/1.1\r\nHost: x\r\n")

    async def trickle() -> None:
        for _ in range(40):
            await asyncio.sleep(0.1)
            writer.write(b"X")
            await writer.drain()

    trickler = asyncio.create_task(trickle())
    try:
        data, took = await _read_all(reader, 5)
    finally:
        trickler.cancel()
    assert data == b"", "no response to an incomplete request"
    assert took < 3, "the server waited for a trickled header"
    writer.close()
    await _nothing_stored(gw)


async def test_body_trickled_in_gets_408_and_close(gw: GatewayHarness) -> None:
    reader, writer = await _open(gw)
    writer.write(_head(1000) + b'{"text": "lam')

    async def trickle() -> None:
        for _ in range(40):
            await asyncio.sleep(0.1)
            writer.write(b"a")
            await writer.drain()

    trickler = asyncio.create_task(trickle())
    try:
        data, took = await _read_all(reader, 6)
    finally:
        trickler.cancel()
    assert data.startswith(b"HTTP/1.1 408"), data[:60]
    assert b'"request_timeout"' in data
    assert took < 4.5, "answered after request_timeout_s, closed after lingering_time"
    writer.close()
    await _nothing_stored(gw)


async def test_oversized_body_by_content_length_is_refused_before_reading(
    gw: GatewayHarness,
) -> None:
    reader, writer = await _open(gw)
    writer.write(_head(10_000_000))  # announce 10 MB, send none of it
    await writer.drain()
    data = await asyncio.wait_for(reader.read(4096), 3)
    assert data.startswith(b"HTTP/1.1 413"), data[:60]
    writer.close()
    await _nothing_stored(gw)


async def test_oversized_chunked_body_is_cut_off(gw: GatewayHarness) -> None:
    reader, writer = await _open(gw)
    writer.write(
        f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n".encode()
    )
    chunk = b"a" * 16384
    try:
        for _ in range(8):  # 128 KiB, twice the 64 KiB limit
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            await writer.drain()
    except ConnectionError:
        pass  # the server may close before we finish: that is the point
    data = await asyncio.wait_for(reader.read(4096), 3)
    assert data.startswith(b"HTTP/1.1 413"), data[:60]
    writer.close()
    await _nothing_stored(gw)


async def test_truncated_body_is_not_a_report(gw: GatewayHarness) -> None:
    body = json.dumps({"text": "Jalan rusak di depan sekolah dasar"}).encode()
    headers = "".join(
        f"{k}: {v}\r\n" for k, v in signing.signed_headers(WEB_SECRET.encode(), body).items()
    )
    reader, writer = await _open(gw)
    writer.write(_head(len(body), headers) + body[: len(body) // 2])
    await writer.drain()
    writer.write_eof()  # the client goes away mid-body
    data = await asyncio.wait_for(reader.read(), 5)
    assert not data.startswith(b"HTTP/1.1 5"), data[:60]
    assert not data.startswith(b"HTTP/1.1 2"), data[:60]
    writer.close()
    await _nothing_stored(gw)


async def test_oversized_header_line_is_refused(gw: GatewayHarness) -> None:
    reader, writer = await _open(gw)
    writer.write(f"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {'a' * 20000}\r\n\r\n".encode())
    await writer.drain()
    data = await asyncio.wait_for(reader.read(4096), 3)
    assert data[:9] in (b"HTTP/1.0 ", b"HTTP/1.1 ") and data[9:12] in (b"400", b"431"), data[:60]
    writer.close()
    await _nothing_stored(gw)


async def test_a_normal_request_still_works_next_to_a_slow_one(gw: GatewayHarness) -> None:
    reader, writer = await _open(gw)
    writer.write(_head(1000) + b'{"te')
    status, doc = await gw.post_signed(PATH, {"text": "Lampu jalan mati sejak seminggu"})
    assert status == 201, doc
    data, _ = await _read_all(reader, 6)
    assert data.startswith(b"HTTP/1.1 408")
    writer.close()

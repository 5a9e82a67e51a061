"""A start that fails half-way leaves nothing behind: no thread, no open store, no port.

The gateway in-process, with real failures (a port another socket holds, a modem folder
that cannot be created), so what is still running afterwards can be counted.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from gateway.adapter import StoreUnavailableError
from gateway.service import Gateway, StartError
from tests.adapters.sms.smsc_sim import free_port
from tests.conftest import make_config
from tests.system.test_start_stop import held_port, port_is_free


async def _threads_back_to(before: set[threading.Thread], wait_s: float = 5.0) -> set[str]:
    """Names of threads started since *before* still alive after *wait_s*."""
    deadline = time.monotonic() + wait_s
    while True:
        extra = {t.name for t in set(threading.enumerate()) - before if t.is_alive()}
        if not extra or time.monotonic() > deadline:
            return extra
        await asyncio.sleep(0.05)


async def _assert_store_closed(gw: Gateway) -> None:
    with pytest.raises(StoreUnavailableError):
        await gw.store.write(lambda c: c.execute("SELECT 1"))


async def test_a_busy_port_unwinds_what_had_started(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    with held_port() as port:
        gw = Gateway(make_config(tmp_path, {"http": {"port": port}}))
        with pytest.raises(StartError) as err:
            await gw.start()
    assert str(err.value) == f"http.port: 127.0.0.1:{port} is already in use"
    assert await _threads_back_to(before) == set()
    await _assert_store_closed(gw)


async def test_an_adapter_failing_after_the_port_opened_unwinds_the_port_and_modems(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    port = free_port()
    modems = [
        {"name": "good", "model": "dummy", "connection": "none", "device": str(tmp_path / "m1")},
        {"name": "bad", "model": "dummy", "connection": "none", "device": str(blocker / "m2")},
    ]
    config = make_config(
        tmp_path,
        {
            "http": {"port": port},
            "adapters": {"sms": {"gammu": {"enabled": True, "modems": modems}}},
        },
    )
    before = set(threading.enumerate())
    gw = Gateway(config)
    with pytest.raises(StartError) as err:
        await gw.start()
    assert str(err.value).startswith("adapters.sms.gammu: ")
    assert await _threads_back_to(before) == set(), "the first modem's worker still runs"
    assert port_is_free(port)
    await _assert_store_closed(gw)


async def test_a_failing_background_loop_stops_the_gateway_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The relay, the gauges and the forwarder supervision run in one task group: a loop
    that dies outside its own error handling must not leave a gateway that takes reports
    it will never deliver; ``failed`` is set (the CLI then stops and exits 1)."""
    gw = Gateway(make_config(tmp_path, {"http": {"port": free_port()}}))

    async def broken_relay() -> None:
        await asyncio.sleep(0.05)
        raise RuntimeError("relay exploded")

    monkeypatch.setattr(gw.relay, "run", broken_relay)
    await gw.start()
    try:
        await asyncio.wait_for(gw.failed.wait(), 5)
        assert gw.failure == "gateway: a background loop failed (RuntimeError: relay exploded)"
    finally:
        await gw.stop()
    await _assert_store_closed(gw)


async def test_stop_unwinds_everything_and_is_idempotent(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    port = free_port()
    gw = Gateway(make_config(tmp_path, {"http": {"port": port}}))
    await gw.start()
    assert gw.relay.alive or await _relay_alive_soon(gw)
    await gw.stop()
    await gw.stop()
    assert not gw.failed.is_set()
    assert not gw.relay.alive
    assert port_is_free(port)
    assert await _threads_back_to(before) == set()
    await _assert_store_closed(gw)


async def _relay_alive_soon(gw: Gateway) -> bool:
    for _ in range(50):
        if gw.relay.alive:
            return True
        await asyncio.sleep(0.02)
    return False

"""Harness for SMPP integration tests: a real Gateway (SQLite file, pipeline, outbox relay)
with the SMPP adapter bound to a simulator on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters.sms.smpp import SmppAdapter
from tests.conftest import GatewayHarness, make_config


def sms_overrides(port: int, smpp: dict[str, Any] | None = None, **bind: Any) -> dict[str, Any]:
    bind_cfg: dict[str, Any] = {
        "name": "tsel",
        "host": "127.0.0.1",
        "port": port,
        "system_id": "lapor",
        "password": "secret",
        "enquire_link_s": 1.0,
        "response_timeout_s": 2.0,
        "tps": 200.0,
        "window": 20,
        "reconnect_initial_s": 0.05,
        "reconnect_max_s": 0.5,
    }
    bind_cfg.update(bind)
    smpp_cfg: dict[str, Any] = {
        "enabled": True,
        "binds": [bind_cfg],
        "sweep_interval_s": 0.2,
        "multipart_timeout_s": 60.0,
    }
    smpp_cfg.update(smpp or {})
    return {
        "core": {"retry": {"initial_backoff_s": 0.05, "max_backoff_s": 0.2}},
        "outbox": {"poll_interval_s": 0.05},
        "adapters": {
            "sms": {
                "regional_prefixes": {"PAPUA": "Papua"},
                "smpp": smpp_cfg,
            }
        },
    }


async def start_gateway(
    factory: Callable[..., Any],
    tmp_path: Path,
    port: int,
    smpp: dict[str, Any] | None = None,
    **bind: Any,
) -> tuple[GatewayHarness, SmppAdapter]:
    """Start a Gateway; use the registry's SMPP adapter if it has a row, else add ours."""
    config = make_config(tmp_path, sms_overrides(port, smpp, **bind))
    harness: GatewayHarness = await factory(config)
    adapter = harness.gw.adapters.get("sms.smpp")
    if adapter is None:
        adapter = SmppAdapter(harness.gw.ctx, config.adapters.sms)
        harness.gw.adapters["sms.smpp"] = adapter
        await adapter.start()
    assert isinstance(adapter, SmppAdapter)
    await adapter.wait_bound()
    return harness, adapter


class Db:
    """Read-only look into the gateway's SQLite file."""

    def __init__(self, tmp_path: Path) -> None:
        self.path = tmp_path / "lapor.db"

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        con = sqlite3.connect(self.path)
        con.row_factory = sqlite3.Row
        try:
            return list(con.execute(sql, params))
        finally:
            con.close()

    def reports(self) -> list[dict[str, Any]]:
        return [
            json.loads(r["body"]) for r in self.rows("SELECT body FROM reports ORDER BY created_at")
        ]

    def acks(self) -> list[sqlite3.Row]:
        return self.rows("SELECT * FROM outbox WHERE kind = 'ack' ORDER BY id")


async def eventually(pred: Callable[[], Any], wait_s: float = 5.0, step: float = 0.05) -> Any:
    """Poll *pred* until it returns something truthy (state in SQLite has no event to await)."""
    for _ in range(int(wait_s / step)):
        value = pred()
        if value:
            return value
        await asyncio.sleep(step)
    raise AssertionError("condition not reached in time")

"""SIGKILL while Meta delivers webhooks: nothing answered 200 is lost, nothing is filed twice.

The gateway runs as a real process (``python -m gateway.cli run``) on a real SQLite file,
sending acks to the fake Graph API on 127.0.0.1. The sender behaves like Meta: batches of
10 messages per signed POST, each batch redelivered until it gets a 200 (a connection cut by
the kill, a 5xx, anything else: again). Invariants after the last restart and drain:

* every message exists as exactly one report (its ``wamid`` is the external id);
* every report's citizen got at least one ack quoting their message; a second ack is the
  documented at-least-once of the outbox (rows are marked done after the send, so a kill
  may repeat the sends in flight: at most ``outbox.concurrency`` per kill), counted and
  printed.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import time
from collections import Counter
from pathlib import Path

import aiohttp
from fake_graph import TOKEN, VERSION, FakeGraph
from wa_harness import APP_SECRET, NUMBER, VERIFY_TOKEN, envelope, text_msg

from adapters.whatsapp.webhook import PATH, signature
from tests.adapters.sms.smsc_sim import free_port
from tests.process_config import config_head
from tests.system.gateway_process import GatewayProcess

BATCH = 10
OUTBOX_CONCURRENCY = 16  # the [outbox] default


def _config(tmp: Path, graph: FakeGraph, port: int) -> Path:
    path = tmp / "config.toml"
    path.write_text(
        config_head(tmp, port)
        + f"""
[core]
events_secret = "x"
[outbox]
poll_interval_s = 0.05
[adapters.web]
enabled = false
[adapters.mobile]
enabled = false
[adapters.whatsapp]
enabled = true
app_secret = "{APP_SECRET}"
verify_token = "{VERIFY_TOKEN}"
access_token = "{TOKEN}"
phone_number_ids = ["{NUMBER}"]
api_base_url = "{graph.base_url}"
api_version = "{VERSION}"
"""
    )
    return path


def _batch(b: int) -> bytes:
    messages = [
        text_msg(
            f"wamid.CRASH{b:03d}{i}",
            f"Laporan {b}-{i}: saluran air tersumbat di RT {b} blok {i}, banjir tiap hujan",
            sender=f"62812{b:04d}{i:03d}",
        )
        for i in range(BATCH)
    ]
    return json.dumps(envelope(messages)).encode()


async def _deliver(session: aiohttp.ClientSession, port: int, body: bytes) -> bool:
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": signature(APP_SECRET.encode(), body),
    }
    try:
        async with session.post(
            f"http://127.0.0.1:{port}{PATH}",
            data=body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=10),
        ) as resp:
            return resp.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def test_sigkill_during_webhook_delivery(tmp_path: Path, graph: FakeGraph) -> None:
    port = free_port()
    gateway = GatewayProcess(_config(tmp_path, graph, port), port, tmp_path / "gateway.log")
    rng = random.Random(17)
    batches = 30
    delivered: set[int] = set()
    cut = 0
    kills = 3
    for _ in range(kills):
        await gateway.start()
        todo = [b for b in range(batches) if b not in delivered]
        target = len(delivered) + max(1, int(len(todo) * rng.uniform(0.2, 0.5)))
        enough = asyncio.Event()

        async def sender(mine: list[int], target: int = target, enough: asyncio.Event = enough):
            nonlocal cut
            async with aiohttp.ClientSession() as session:
                for b in mine:
                    if await _deliver(session, port, _batch(b)):
                        delivered.add(b)
                        if len(delivered) >= target:
                            enough.set()
                    else:
                        cut += 1

        senders = asyncio.gather(*(sender(todo[k::4]) for k in range(4)))
        waiter = asyncio.ensure_future(enough.wait())
        await asyncio.wait({senders, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        gateway.kill()
        await senders
    assert delivered, "the kills must land mid-stream"
    # last start: Meta redelivers every batch that never got a 200, and some that did
    await gateway.start()
    try:
        async with aiohttp.ClientSession() as session:
            for b in range(batches):
                if b not in delivered or rng.random() < 0.3:
                    assert await _deliver(session, port, _batch(b))
        expected = {f"wamid.CRASH{b:03d}{i}" for b in range(batches) for i in range(BATCH)}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            quoted = {m["context"]["message_id"] for m in graph.texts()}
            if quoted >= expected:
                break
            await asyncio.sleep(0.1)
    finally:
        assert gateway.terminate() == 0, "graceful shutdown must exit 0"
    db = sqlite3.connect(tmp_path / "lapor.db")
    rows = db.execute("SELECT external_id FROM reports WHERE channel = 'whatsapp'").fetchall()
    stored = [r[0] for r in rows]
    assert len(stored) == len(set(stored)) == len(expected), "one report per message"
    assert set(stored) == expected
    acks = Counter(m["context"]["message_id"] for m in graph.texts())
    assert set(acks) == expected, "every citizen acknowledged"
    extra = sum(n - 1 for n in acks.values())
    print(f"batches cut by kills: {cut}; acks sent twice: {extra}")
    assert extra <= kills * OUTBOX_CONCURRENCY

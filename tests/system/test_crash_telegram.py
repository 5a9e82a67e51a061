"""SIGKILL while the Telegram poller files a stream of messages: nothing lost, nothing doubled.

The gateway runs as a real process (``lapor-gateway run``) on a real SQLite file, polling the
fake Bot API (127.0.0.1) in this test process, and is killed with SIGKILL several times
while messages keep arriving. After the last restart and drain:

* every message is exactly one report (the offset only moves with the commit, and a
  redelivered update is absorbed by its inbound key);
* every citizen got the acknowledgement carrying their own tracking ID; a repeat of an ack
  can only come from a kill between ``sendMessage`` and recording its outcome (the
  documented at-least-once of the outbox), so each kill repeats at most the sends that were
  in flight (``[outbox] concurrency``);
* the run logs at DEBUG, and the log holds no token, chat id, username or confidential text.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from pathlib import Path

from normalizer.tracking import display
from tests.adapters.sms.smsc_sim import free_port
from tests.adapters.telegram.fake_bot_api import TOKEN, FakeBotApi
from tests.process_config import config_head
from tests.system.gateway_process import GatewayProcess

MESSAGES = 60
CONFIDENTIAL = "camat menerima suap proyek drainase"
KILLS = 3
FIRST_CHAT = 7_770_000
#: the outbox's default concurrency: sends that may be in flight when the process dies
IN_FLIGHT = 16


def _config(tmp: Path, port: int, api: str) -> Path:
    path = tmp / "config.toml"
    path.write_text(
        config_head(tmp, port, log_level="DEBUG")
        + f"""
[core]
events_secret = "x"
[outbox]
poll_interval_s = 0.05
[adapters.web]
secret = "x"
[adapters.telegram]
enabled = true
bot_token = "{TOKEN}"
api_base_url = "{api}"
poll_timeout_s = 1
batch_size = 7
backoff_floor_s = 0.05
backoff_max_s = 0.5
"""
    )
    return path


def _reports(db: Path) -> list[tuple[str, str]]:
    if not db.exists():
        return []
    con = sqlite3.connect(db)
    try:
        return con.execute(
            "SELECT tracking_id, external_id FROM reports WHERE channel = 'telegram'"
        ).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()


def _pending_acks(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        row = con.execute(
            "SELECT COUNT(*) FROM outbox WHERE target = 'telegram' AND state != 'done'"
        ).fetchone()
        return int(row[0])
    finally:
        con.close()


async def test_sigkill_during_polling_loses_and_doubles_nothing(tmp_path: Path) -> None:
    rng = random.Random(17)
    api = FakeBotApi()
    await api.start()
    port = free_port()
    gateway = GatewayProcess(_config(tmp_path, port, api.base_url), port, tmp_path / "gw.log")
    db = tmp_path / "lapor.db"
    try:
        await gateway.start()
        sent = 0
        for kill in range(KILLS + 1):
            for _ in range(MESSAGES // (KILLS + 1)):
                chat = FIRST_CHAT + sent
                text = f"Laporan {sent}: jalan rusak di RT {sent % 9 + 1} Desa Maju"
                if sent % 10 == 3:
                    text = f"/rahasia {CONFIDENTIAL} nomor {sent}"
                api.message(chat, text)
                sent += 1
                await asyncio.sleep(rng.uniform(0.0, 0.03))
            if kill < KILLS:
                await asyncio.sleep(rng.uniform(0.05, 0.4))
                gateway.kill()
                await gateway.start()

        def drained() -> bool:
            return len(_reports(db)) >= MESSAGES and not _pending_acks(db)

        async with asyncio.timeout(120):
            while not drained():  # noqa: ASYNC110 - polls the SQLite file of another process
                await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        assert gateway.terminate() == 0
    finally:
        gateway.kill()
        await api.stop()
    reports = _reports(db)
    assert len(reports) == MESSAGES
    assert len({external for _, external in reports}) == MESSAGES
    by_chat = {int(external.split(":")[0]): tid for tid, external in reports}
    assert sorted(by_chat) == list(range(FIRST_CHAT, FIRST_CHAT + MESSAGES))
    acks: dict[int, list[str]] = {}
    for message in api.sent:
        acks.setdefault(message["chat_id"], []).append(message["text"])
    for chat, tid in by_chat.items():
        texts = acks.get(chat, [])
        assert texts, f"chat {chat} got no ack"
        assert all(display(tid) in text for text in texts)
    assert len(api.sent) - MESSAGES <= KILLS * IN_FLIGHT
    assert gateway.starts == KILLS + 1
    # a DEBUG run: the token, chat ids, usernames and confidential text never reach the log
    log = (tmp_path / "gw.log").read_text(errors="replace")
    assert TOKEN.split(":")[1] not in log
    assert "budi_s" not in log and CONFIDENTIAL not in log
    leaked = [chat for chat in by_chat if str(chat) in log]
    assert leaked == []

"""Benchmark: WhatsApp webhook intake (signed batches of 10 messages) vs a bare aiohttp handler.

Starts (as separate processes, all on 127.0.0.1): a fast local core, a Graph API stand-in
that accepts every send (the acks), the gateway on a temp config with the WhatsApp door
enabled (real SQLite file, as in ``bench/web_intake.py``), and the bare handler. wrk then
posts pre-signed webhook bodies, each carrying 10 text messages from 10 citizens (distinct
``wamid``s: every message is a new report), to each, and prints POSTs/s, messages/s and the
ratio gateway / bare.

Usage: python bench/whatsapp_intake.py [--seconds 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import (
    PY,
    free_port,
    machine,
    presigned_lua,
    run_wrk,
    spawn,
    stop,
    wait_http,
    write_gateway_config,
)
from bench.web_intake import complaint

APP_SECRET = "bench-wa-secret"
NUMBER = "106540352242922"
PATH = "/v1/whatsapp/webhook"
BATCH = 10


def make_posts(n: int, salt: str) -> list[tuple[bytes, dict[str, str]]]:
    """*n* signed webhook bodies of :data:`BATCH` messages each, every message distinct."""
    rng = random.Random(salt)
    now = str(int(time.time()))
    posts = []
    for p in range(n):
        messages = [
            {
                "from": f"62812{(p * BATCH + i) % 10_000_000:07d}",
                "id": f"wamid.{salt}{p:06d}{i}",
                "timestamp": now,
                "type": "text",
                "text": {"body": f"{complaint(rng)} ({salt}-{p}-{i})"},
            }
            for i in range(BATCH)
        ]
        doc = {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "1",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "628111708",
                                    "phone_number_id": NUMBER,
                                },
                                "contacts": [
                                    {"profile": {"name": "Warga"}, "wa_id": m["from"]}
                                    for m in messages
                                ],
                                "messages": messages,
                            },
                        }
                    ],
                }
            ],
        }
        body = json.dumps(doc).encode()
        mac = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        posts.append(
            (body, {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={mac}"})
        )
    return posts


def count_reports(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0])
    finally:
        conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--posts", type=int, default=4000, help="distinct pre-signed POSTs")
    args = ap.parse_args()
    bare_port, core_port, graph_port, gw_port = (free_port() for _ in range(4))
    procs = [
        spawn([PY, "bench/_servers.py", "bare", str(bare_port)]),
        spawn([PY, "bench/_servers.py", "core", str(core_port)]),
        spawn([PY, "bench/_servers.py", "graph", str(graph_port)]),
    ]
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        config = write_gateway_config(tmp, gw_port, f"http://127.0.0.1:{core_port}/cases", "x")
        with config.open("a") as fh:
            fh.write(
                f"""
[adapters.whatsapp]
enabled = true
app_secret = "{APP_SECRET}"
verify_token = "bench"
access_token = "bench-token"
phone_number_ids = ["{NUMBER}"]
api_base_url = "http://127.0.0.1:{graph_port}"
"""
            )
        gw = spawn([PY, "-m", "gateway.cli", "run", "--config", str(config)])
        try:
            wait_http(f"http://127.0.0.1:{gw_port}/healthz")
            time.sleep(0.5)  # the bare and graph servers answer POST only
            script = tmp / "presigned.lua"
            presigned_lua(script, make_posts(args.posts, "b"), PATH)
            bare_rps = run_wrk(
                f"http://127.0.0.1:{bare_port}", script, args.seconds, args.connections
            )
            gw_rps = run_wrk(f"http://127.0.0.1:{gw_port}", script, args.seconds, args.connections)
            stored = count_reports(tmp / "lapor.db")
        finally:
            stop(gw)
            for proc in procs:
                stop(proc)
    print(f"machine: {machine()}; date: {time.strftime('%Y-%m-%d')}")
    print(f"bare aiohttp handler:        {bare_rps:10.0f} POSTs/s")
    print(
        f"gateway (signed, durable):   {gw_rps:10.0f} POSTs/s = {gw_rps * BATCH:.0f} messages/s"
        f"  ({stored} reports committed)"
    )
    print(f"ratio gateway/bare (POSTs):  {gw_rps / bare_rps:10.1%}")
    if stored >= args.posts * BATCH:
        print("  (every pre-signed POST was used: later ones were redeliveries; raise --posts)")


if __name__ == "__main__":
    main()

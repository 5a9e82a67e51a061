"""Fixtures and builders shared by the WhatsApp door tests (imported by name; the
conftest here registers the fixtures)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fake_graph import TOKEN, VERSION, FakeGraph

from adapters.whatsapp.webhook import PATH, signature
from tests.db_view import DbView

APP_SECRET = "wa-test-app-secret"
VERIFY_TOKEN = "wa-test-verify-token"
NUMBER = "106540352242922"
NUMBER2 = "106540352242923"
CITIZEN = "6281234567890"  # wa_id: international digits, no '+'
CITIZEN2 = "6281398765432"


def wa_section(graph: FakeGraph, **extra: Any) -> dict[str, Any]:
    section: dict[str, Any] = {
        "enabled": True,
        "app_secret": APP_SECRET,
        "verify_token": VERIFY_TOKEN,
        "access_token": TOKEN,
        "phone_number_ids": [NUMBER, NUMBER2],
        "api_base_url": graph.base_url,
        "api_version": VERSION,
        "backoff_floor_s": 0.05,
        "backoff_max_s": 0.2,
        "request_timeout_s": 5,
        "templates": {
            "status_update": {
                "name": "lapor_status_update",
                "language": "id",
                "params": ["tracking_id", "status"],
            },
            "default": {"name": "lapor_pesan", "language": "id", "params": ["tracking_id"]},
        },
    }
    section.update(extra)
    return {"adapters": {"whatsapp": section}}


# -- webhook documents (the Cloud API's shapes) --------------------------------------------


def text_msg(wamid: str, body: str, sender: str = CITIZEN, at: float | None = None) -> dict:
    return {
        "from": sender,
        "id": wamid,
        "timestamp": str(int(at if at is not None else time.time())),
        "type": "text",
        "text": {"body": body},
    }


def typed_msg(wamid: str, kind: str, body: dict[str, Any], sender: str = CITIZEN) -> dict:
    return {
        "from": sender,
        "id": wamid,
        "timestamp": str(int(time.time())),
        "type": kind,
        kind: body,
    }


def envelope(
    messages: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    number: str = NUMBER,
    name: str = "Budi Santoso",
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "628111708", "phone_number_id": number},
    }
    if messages:
        value["contacts"] = [
            {"profile": {"name": name}, "wa_id": m["from"]} for m in messages if "from" in m
        ]
        value["messages"] = messages
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }


def merge(*docs: dict[str, Any]) -> dict[str, Any]:
    """One POST carrying the entries of several documents."""
    return {"object": "whatsapp_business_account", "entry": [e for d in docs for e in d["entry"]]}


def status_item(
    wamid: str,
    state: str,
    recipient: str = CITIZEN,
    errors: list[int] | None = None,
    opaque: str | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": wamid,
        "status": state,
        "timestamp": str(int(time.time())),
        "recipient_id": recipient,
    }
    if state != "failed":
        item["conversation"] = {"id": "c1", "origin": {"type": "service"}}
        item["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "service"}
    if errors:
        item["errors"] = [
            {"code": c, "title": "Re-engagement message", "message": "Re-engagement message"}
            for c in errors
        ]
    if opaque is not None:
        item["biz_opaque_callback_data"] = opaque
    return item


async def post_webhook(
    h: Any,
    doc: Any = None,
    *,
    raw: bytes | None = None,
    sig: str | None = None,
    secret: str = APP_SECRET,
) -> tuple[int, Any]:
    body = raw if raw is not None else json.dumps(doc).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": sig if sig is not None else signature(secret.encode(), body),
    }
    async with h.session.post(h.base + PATH, data=body, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None)


class Db(DbView):
    """What was committed for the whatsapp door."""

    channel = "whatsapp"
    order_by = "rowid"

    def reports(self, channel: str = "whatsapp") -> list[sqlite3.Row]:
        return self.rows("SELECT * FROM reports WHERE channel = ? ORDER BY rowid", (channel,))

    def report_docs(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.reports()]


@pytest.fixture
def db(tmp_path: Path) -> Db:
    return Db(tmp_path / "lapor.db")


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    server = FakeGraph()
    await server.start()
    yield server
    await server.stop()

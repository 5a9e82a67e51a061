"""The Telegram adapter inside the real Gateway: polling and the webhook on the one
listener, the outbox relay replying through ``sendMessage``, status updates from
``POST /v1/core/events``, 429 and 403 from the Bot API, /readyz and /metrics. Real SQLite,
real HTTP on 127.0.0.1, the fake Bot API."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from fake_bot_api import FakeBotApi
from tg_harness import CITIZEN, CITIZEN2, WEBHOOK_SECRET, Db, tg_section

from adapters.telegram.config import DEFAULT_HELP
from adapters.telegram.conversation import BLOCKED_PREFIX
from adapters.telegram.webhook import PATH, SECRET_HEADER
from normalizer.tracking import display
from tests.conftest import CORE_EVENTS_SECRET, GatewayHarness
from tests.db_view import wait_for

COMPLAINT = "Jembatan di Desa Sukamaju retak parah sejak banjir kemarin"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + bytes(range(256)) * 40


async def start(gateway_factory: Any, config_factory: Any, bot_api: FakeBotApi, **extra: Any):
    h: GatewayHarness = await gateway_factory(config_factory(tg_section(bot_api, **extra)))
    return h


def sent_to(bot_api: FakeBotApi, chat: int) -> list[dict[str, Any]]:
    return [m for m in bot_api.sent if m["chat_id"] == chat]


def body(row: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(row["body"])
    return doc


async def core_event(h: GatewayHarness, **doc: Any) -> tuple[int, Any]:
    return await h.post_signed("/v1/core/events", doc, secret=CORE_EVENTS_SECRET)


async def test_message_to_reply_quoting_it(
    bot_api: FakeBotApi, config_factory: Any, gateway_factory: Any, db: Db
) -> None:
    update = bot_api.message(CITIZEN, COMPLAINT)
    h = await start(gateway_factory, config_factory, bot_api)
    await wait_for(lambda: bool(bot_api.sent))
    (report,) = db.reports()
    (reply,) = bot_api.sent
    assert reply["chat_id"] == CITIZEN
    assert reply["reply_parameters"]["message_id"] == update["message"]["message_id"]
    assert display(report["tracking_id"]) in reply["text"]
    doc = body(report)
    assert doc["reporter"]["telegram_user_id"] == str(CITIZEN)
    assert doc["reply_to"] == {
        "adapter": "telegram",
        "address": str(CITIZEN),
        "in_reply_to": str(update["message"]["message_id"]),
        "route": None,
        "mode": None,
    }
    await wait_for(lambda: db.outbox()[0]["state"] == "done")
    assert db.outbox()[0]["message_id"] == str(reply["message_id"])
    status, ready = await h.get("/readyz")
    assert status == 200 and ready["adapters"]["telegram"]["ok"] is True
    assert ready["adapters"]["telegram"]["mode"] == "polling"


async def test_commands_greetings_and_opt_out(
    bot_api: FakeBotApi, config_factory: Any, gateway_factory: Any, db: Db
) -> None:
    bot_api.message(CITIZEN, "/start")
    bot_api.message(CITIZEN, "halo min 🙏")
    bot_api.message(CITIZEN, "tes")
    h = await start(gateway_factory, config_factory, bot_api)
    await wait_for(lambda: len(bot_api.sent) == 3)
    assert [m["text"] for m in bot_api.sent] == [DEFAULT_HELP] * 3
    assert db.reports() == []
    _, metrics_text = await h.get("/metrics")
    assert 'lapor_telegram_inbound_total{outcome="non_complaint",source="polling"} 2.0' in (
        metrics_text
    )
    # /cek: a known ID, a typo, then STOP: no status updates any more
    bot_api.message(CITIZEN, COMPLAINT)
    await wait_for(lambda: len(db.reports()) == 1)
    tid = db.reports()[0]["tracking_id"]
    bot_api.message(CITIZEN, f"/cek {display(tid)}")
    typo = tid[:5] + str((int(tid[5]) + 1) % 10) + tid[6:]
    bot_api.message(CITIZEN, f"CEK {typo}")
    await wait_for(lambda: len(bot_api.sent) == 6)
    status_text, typo_text = bot_api.sent[4]["text"], bot_api.sent[5]["text"]
    assert display(tid) in status_text and "diterima" in status_text
    assert "salah ketik" in typo_text
    bot_api.message(CITIZEN, "STOP")
    await wait_for(lambda: len(bot_api.sent) == 7)
    assert "tidak akan menerima kabar" in bot_api.sent[6]["text"]
    status, result = await core_event(
        h, tracking_id=tid, status="forwarded", at="2030-01-01T00:00:00Z"
    )
    assert (status, result) == (200, {"applied": True, "current": True})
    await asyncio.sleep(0.5)  # the relay polls every 50 ms: give a wrong update time to show
    assert len(bot_api.sent) == 7
    assert [r for r in db.outbox() if "status_update" in r["payload"]] == []


async def test_status_update_reaches_the_citizen_on_telegram(
    bot_api: FakeBotApi, config_factory: Any, gateway_factory: Any, db: Db
) -> None:
    update = bot_api.message(CITIZEN, COMPLAINT)
    h = await start(gateway_factory, config_factory, bot_api)
    await wait_for(lambda: len(bot_api.sent) == 1)
    tid = db.reports()[0]["tracking_id"]
    status, result = await core_event(
        h,
        tracking_id=tid,
        status="forwarded",
        at="2030-02-03T10:00:00+07:00",
        note="Diteruskan ke Dinas PU",
        agency="Dinas PU Kabupaten Sleman",
    )
    assert (status, result) == (200, {"applied": True, "current": True})
    await wait_for(lambda: len(bot_api.sent) == 2)
    news = bot_api.sent[1]
    assert news["chat_id"] == CITIZEN
    assert news["reply_parameters"]["message_id"] == update["message"]["message_id"]
    assert display(tid) in news["text"] and "Diteruskan ke Dinas PU" in news["text"]


async def test_photo_and_location(
    bot_api: FakeBotApi, config_factory: Any, gateway_factory: Any, db: Db, tmp_path: Path
) -> None:
    bot_api.photo(CITIZEN, JPEG, caption="Sampah menumpuk di pasar Beringharjo")
    bot_api.photo(CITIZEN2, JPEG)  # no caption: asked for one, not filed
    bot_api.location(CITIZEN2, -7.7956, 110.3695)
    bot_api.message(CITIZEN2, "Saluran air tersumbat, banjir tiap hujan di sini")
    big = bot_api.photo(
        CITIZEN, JPEG, caption="Trotoar rusak di depan Malioboro Mall", size1=9 * 1024 * 1024
    )
    await start(gateway_factory, config_factory, bot_api)
    await wait_for(lambda: len(db.reports()) == 3)
    by_text = {body(r)["text"]: body(r) for r in db.reports()}
    photo_doc = by_text["Sampah menumpuk di pasar Beringharjo"]
    (attachment,) = photo_doc["attachments"]
    assert attachment["content_type"] == "image/jpeg" and attachment["size"] == len(JPEG)
    stored = tmp_path / "data" / "attachments" / f"{attachment['sha256']}.jpg"
    assert stored.read_bytes() == JPEG
    located = by_text["Saluran air tersumbat, banjir tiap hujan di sini"]
    assert (located["location"]["lat"], located["location"]["lon"]) == (-7.7956, 110.3695)
    # the full size is over max_photo_bytes: the preview is stored instead
    fallback = by_text["Trotoar rusak di depan Malioboro Mall"]
    (small,) = fallback["attachments"]
    assert small["size"] == len(JPEG) // 4
    assert big["message"]["photo"][0]["file_id"] in [
        c.params["file_id"] for c in bot_api.method_calls("getFile")
    ]
    await wait_for(lambda: len(sent_to(bot_api, CITIZEN2)) == 3)
    assert sent_to(bot_api, CITIZEN2)[0]["text"] == DEFAULT_HELP


async def test_429_retry_after_is_honoured(
    bot_api: FakeBotApi, config_factory: Any, gateway_factory: Any, db: Db
) -> None:
    fault = bot_api.fail("sendMessage", 429, retry_after=1)
    bot_api.message(CITIZEN, COMPLAINT)
    await start(gateway_factory, config_factory, bot_api)
    await fault.hit.wait()
    await wait_for(lambda: len(bot_api.sent) == 1)
    first, second = bot_api.method_calls("sendMessage")[:2]
    assert second.at - first.at >= 0.95
    await wait_for(lambda: db.outbox()[0]["state"] == "done")
    (row,) = db.outbox()
    # the throttled try spent no attempt: only the successful one is counted
    assert row["state"] == "done" and row["attempts"] == 1


async def test_blocked_chat_stops_sends_and_is_visible(
    bot_api: FakeBotApi, config_factory: Any, gateway_factory: Any, db: Db
) -> None:
    bot_api.blocked.add(CITIZEN)
    bot_api.message(CITIZEN, COMPLAINT)
    h = await start(gateway_factory, config_factory, bot_api)
    await wait_for(lambda: bool(db.outbox()) and db.outbox()[0]["state"] == "dead")
    assert "blocked" in db.outbox()[0]["last_error"]
    assert str(CITIZEN) not in db.outbox()[0]["last_error"]
    assert db.checkpoint(BLOCKED_PREFIX + str(CITIZEN))
    _, metrics_text = await h.get("/metrics")
    assert "lapor_telegram_blocked_chats_total 1.0" in metrics_text
    calls = len(bot_api.method_calls("sendMessage"))
    tid = db.reports()[0]["tracking_id"]
    await core_event(h, tracking_id=tid, status="verified", at="2030-01-01T00:00:00Z")
    await wait_for(lambda: len(db.outbox()) == 2 and db.outbox()[1]["state"] == "dead")
    assert len(bot_api.method_calls("sendMessage")) == calls  # no further call to that chat
    # the citizen unblocks and writes again: answered again
    bot_api.blocked.discard(CITIZEN)
    bot_api.message(CITIZEN, "/bantuan")
    await wait_for(lambda: len(sent_to(bot_api, CITIZEN)) == 1)
    assert db.checkpoint(BLOCKED_PREFIX + str(CITIZEN)) == ""


async def test_webhook_secret_and_commit(
    bot_api: FakeBotApi, config_factory: Any, gateway_factory: Any, db: Db
) -> None:
    h = await start(gateway_factory, config_factory, bot_api, mode="webhook")
    update = {
        "update_id": 1,
        "message": {
            "message_id": 11,
            "from": {"id": CITIZEN, "is_bot": False, "first_name": "Budi"},
            "chat": {"id": CITIZEN, "type": "private"},
            "date": 1764000000,
            "text": COMPLAINT,
        },
    }

    async def post(secret: str | None, doc: Any = update) -> tuple[int, Any]:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with h.session.post(h.base + PATH, json=doc, headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)

    for wrong in (None, "", WEBHOOK_SECRET + "x", WEBHOOK_SECRET[:-1]):
        status, doc = await post(wrong)
        assert status == 401 and doc["error"]["code"] == "bad_secret"
    assert db.reports() == [] and db.outbox() == []
    status, doc = await post(WEBHOOK_SECRET)
    assert (status, doc["outcome"], doc["repeat"]) == (200, "report", False)
    status, doc = await post(WEBHOOK_SECRET)  # Telegram redelivers: one report
    assert (status, doc["repeat"]) == (200, True)
    assert len(db.reports()) == 1
    status, doc = await post(WEBHOOK_SECRET, {"update_id": 2, "edited_message": {}})
    assert status == 200 and doc["handled"] == 0
    await wait_for(lambda: len(bot_api.sent) == 1)
    assert bot_api.method_calls("getUpdates") == []  # webhook mode never polls
    assert bot_api.sent[0]["reply_parameters"]["message_id"] == 11
    _, spec = await h.get("/openapi.json")
    assert SECRET_HEADER in json.dumps(spec["paths"][PATH])


async def test_rejected_token_shows_in_readyz(
    bot_api: FakeBotApi, config_factory: Any, gateway_factory: Any
) -> None:
    other = "987654321:AAH-another_token_the_fake_refuses_x"
    h = await start(gateway_factory, config_factory, bot_api, bot_token=other)
    await wait_for(
        lambda: len(bot_api.calls) == 0 and h.gw.adapters["telegram"].auth.problem is not None
    )
    status, ready = await h.get("/readyz")
    assert status == 503 and ready["adapters"]["telegram"]["ok"] is False
    assert "token" in ready["adapters"]["telegram"]["detail"]
    assert other not in json.dumps(ready)
    _, metrics_text = await h.get("/metrics")
    assert "lapor_telegram_auth_ok 0.0" in metrics_text


async def test_webhook_photo_deferred_while_the_bot_api_fails_and_flags(
    bot_api: FakeBotApi, config_factory: Any, gateway_factory: Any, db: Db
) -> None:
    h = await start(gateway_factory, config_factory, bot_api, mode="webhook")
    photo = bot_api.photo(CITIZEN, JPEG, caption=f"/rahasia /anonim {COMPLAINT}")
    bot_api.updates.clear()  # delivered by the webhook, not polled
    headers = {SECRET_HEADER: WEBHOOK_SECRET}
    bot_api.fail("getFile", 502)

    async def post() -> tuple[int, Any]:
        async with h.session.post(h.base + PATH, json=photo, headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)

    status, doc = await post()
    assert status == 503 and doc["error"]["code"] == "bot_api_unavailable"
    assert db.reports() == []  # not committed: Telegram delivers it again
    status, doc = await post()
    assert (status, doc["outcome"]) == (200, "report")
    (row,) = db.reports()
    assert (row["confidential"], row["anonymous"]) == (1, 1)
    stored = body(row)
    assert stored["text"] == COMPLAINT and stored["attachments"][0]["size"] == len(JPEG)

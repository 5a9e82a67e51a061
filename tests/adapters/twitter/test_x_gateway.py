"""The X adapter inside the real Gateway: webhook on the one listener, polling, the outbox
relay sending the ack tweet, /readyz. Real SQLite, real HTTP on 127.0.0.1, fake X API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from fake_x import (
    ACCESS_SECRET,
    ACCESS_TOKEN,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    FakeX,
)
from x_harness import CITIZEN, Db

from adapters.twitter.webhook import crc_response_token, signature
from normalizer.tracking import display

PATH = "/v1/twitter/webhook"


def twitter_section(fake_x: FakeX, **extra: Any) -> dict[str, Any]:
    section = {
        "enabled": True,
        "api_base_url": fake_x.base_url,
        "user_id": fake_x.user_id,
        "consumer_key": CONSUMER_KEY,
        "consumer_secret": CONSUMER_SECRET,
        "access_token": ACCESS_TOKEN,
        "access_token_secret": ACCESS_SECRET,
        "poll_interval_s": 0.05,
        "backoff_floor_s": 0.05,
        "backoff_max_s": 0.2,
        "start_time": "2020-01-01T00:00:00Z",
        "reply_rate_per_min": 6000,
    }
    section.update(extra)
    return {"adapters": {"twitter": section}}


async def post_event(h: Any, doc: Any, *, sig: str | None = None, raw: bytes | None = None):
    body = raw if raw is not None else json.dumps(doc).encode()
    headers = {"Content-Type": "application/json"}
    headers["x-twitter-webhooks-signature"] = sig or signature(CONSUMER_SECRET.encode(), body)
    async with h.session.post(h.base + PATH, data=body, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None)


def v1_mention(tweet_id: str, text: str, user_id: str = CITIZEN) -> dict[str, Any]:
    return {
        "id_str": tweet_id,
        "text": text,
        "user": {"id_str": user_id, "screen_name": "budi_s", "name": "Budi"},
        "entities": {"user_mentions": [{"id_str": "1708000000", "screen_name": "lapor1708"}]},
        "timestamp_ms": "1764000000000",
    }


async def wait_for(predicate: Callable[[], bool], limit_s: float = 5.0) -> None:
    async with asyncio.timeout(limit_s):
        while not predicate():  # noqa: ASYNC110 - polls SQLite and the fake; no event exists
            await asyncio.sleep(0.02)


async def test_mention_to_reply_tweet_end_to_end(
    fake_x: FakeX, config_factory, gateway_factory, db: Db
) -> None:
    tid = fake_x.mention(CITIZEN, "@lapor1708 #lapor jembatan di Desa Sukamaju retak")
    h = await gateway_factory(config_factory(twitter_section(fake_x)))
    await wait_for(lambda: bool(fake_x.posted))
    (report,) = db.reports()
    (reply,) = fake_x.posted
    assert reply["reply"] == {"in_reply_to_tweet_id": tid}
    assert display(report["tracking_id"]) in reply["text"]
    assert "jembatan" not in reply["text"]  # the complaint is never repeated in public
    await wait_for(lambda: db.acks()[0]["state"] == "done")
    assert db.acks()[0]["message_id"] == reply["id"]
    _, ready = await h.get("/readyz")
    assert ready["adapters"]["twitter"]["ok"] is True


async def test_readyz_shows_rejected_credentials(
    fake_x: FakeX, config_factory, gateway_factory
) -> None:
    fake_x.reject_auth = True
    h = await gateway_factory(config_factory(twitter_section(fake_x)))
    await wait_for(lambda: len(fake_x.calls("/2/users/")) > 0)
    await asyncio.sleep(0.1)
    status, ready = await h.get("/readyz")
    assert status == 503
    assert ready["adapters"]["twitter"]["ok"] is False
    assert "credentials" in ready["adapters"]["twitter"]["detail"]
    assert CONSUMER_SECRET not in json.dumps(ready)
    _, metrics_text = await h.get("/metrics")
    assert "lapor_twitter_auth_ok 0.0" in metrics_text


async def test_webhook_crc_signature_and_events(
    fake_x: FakeX, config_factory, gateway_factory, db: Db
) -> None:
    config = config_factory(
        twitter_section(fake_x, webhook_enabled=True, poll_mentions=False, poll_dms=False)
    )
    h = await gateway_factory(config)
    # CRC
    status, doc = await h.get(f"{PATH}?crc_token=abc123")
    assert status == 200
    assert doc == {"response_token": crc_response_token(CONSUMER_SECRET.encode(), "abc123")}
    status, doc = await h.get(PATH)
    assert status == 400 and doc["error"]["field"] == "crc_token"
    # forged and missing signatures, broken JSON
    event = {
        "for_user_id": fake_x.user_id,
        "tweet_create_events": [v1_mention("1860000000000000001", "@lapor1708 got mampet")],
    }
    status, doc = await post_event(h, event, sig="sha256=Zm9yZ2Vk")
    assert status == 401 and doc["error"]["code"] == "bad_signature"
    status, _ = await post_event(h, None, raw=b"{not json")
    assert status == 400
    status, doc = await post_event(h, None, raw=b"[" + b" " * 70_000 + b"]")
    assert status == 413 and doc["error"]["code"] == "too_large"
    assert db.reports() == []
    # delivered twice: one report
    for _ in range(2):
        status, doc = await post_event(h, event)
        assert status == 200
    assert doc["outcomes"] == ["repeat"]
    assert db.external_ids() == ["1860000000000000001"]
    # a DM, a broken DM and our own DM in one delivery
    dm_event = {
        "for_user_id": fake_x.user_id,
        "direct_message_events": [
            {
                "type": "message_create",
                "id": "1860000000000000009",
                "created_timestamp": "1764000000000",
                "message_create": {
                    "target": {"recipient_id": fake_x.user_id},
                    "sender_id": CITIZEN,
                    "message_data": {"text": "Ada calo di kantor imigrasi", "entities": {}},
                },
            },
            {"type": "message_create", "id": "oops"},
            {
                "type": "message_create",
                "id": "1860000000000000010",
                "message_create": {
                    "sender_id": fake_x.user_id,
                    "message_data": {"text": "terima kasih"},
                },
            },
        ],
        "users": {CITIZEN: {"id": CITIZEN, "screen_name": "budi_s"}},
    }
    status, doc = await post_event(h, dm_event)
    assert status == 200
    assert doc["outcomes"] == ["report", "own"] and len(doc["skipped"]) == 1
    dm_row = next(r for r in db.reports() if r["external_id"] == "1860000000000000009")
    assert dm_row["confidential"] == 1


async def test_webhook_and_poller_file_one_report(
    fake_x: FakeX, config_factory, gateway_factory, db: Db
) -> None:
    tid = fake_x.mention(CITIZEN, "@lapor1708 sekolah bocor")
    config = config_factory(twitter_section(fake_x, webhook_enabled=True, poll_interval_s=0.3))
    h = await gateway_factory(config)
    event = {
        "for_user_id": fake_x.user_id,
        "tweet_create_events": [v1_mention(tid, "@lapor1708 sekolah bocor")],
    }
    status, _ = await post_event(h, event)
    assert status == 200
    await wait_for(lambda: len(fake_x.calls("/2/users/")) >= 2)
    assert db.external_ids() == [tid]
    await wait_for(lambda: bool(fake_x.posted))
    await asyncio.sleep(0.1)
    assert len(fake_x.posted) == 1

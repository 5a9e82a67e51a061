"""Outbound replies (tweet and DM) and the DM poller, against the fake X API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fake_x import FakeX
from x_harness import CITIZEN, CITIZEN2, Db

from adapters.twitter.dms import CURSOR as DM_CURSOR
from adapters.twitter.replies import DM_INVITE, weighted_length
from gateway.adapter import OutboundMessage, SendError
from normalizer import ReplyAddress

TID = "123456789018"


def message(text: str, **reply: str | None) -> OutboundMessage:
    address = {"adapter": "twitter", "address": CITIZEN, "in_reply_to": "555", "mode": "tweet"}
    address.update(reply)  # type: ignore[arg-type]
    return OutboundMessage(
        outbox_id=1,
        kind="received",
        tracking_id=TID,
        reply_to=ReplyAddress.model_validate(address),
        text=text,
    )


async def test_tweet_reply_threads_and_fits(fake_x: FakeX, make_adapter) -> None:
    adapter = make_adapter()
    long = "LAPOR! Laporan Anda diterima. No: 1234-5678-9018. " + "Info lebih lanjut " * 30
    result = await adapter.send(message(long + " https://lapor.go.id"))
    (posted,) = fake_x.posted
    assert result.message_id == posted["id"]
    assert posted["reply"] == {"in_reply_to_tweet_id": "555"}
    assert weighted_length(posted["text"]) <= 280
    assert "1234-5678-9018" in posted["text"] and "http" not in posted["text"]


async def test_invite_and_confidential(fake_x: FakeX, make_adapter) -> None:
    adapter = make_adapter()
    await adapter.send(message("LAPOR! No: 1234-5678-9018", route="dm_invite"))
    secret = OutboundMessage(
        outbox_id=2,
        kind="status_update",
        tracking_id=TID,
        reply_to=ReplyAddress(adapter="twitter", address=CITIZEN, in_reply_to="556", mode="tweet"),
        text="LAPOR! No 1234-5678-9018 kini ditanggapi. Oknum Pak X sudah diperiksa",
        confidential=True,
    )
    await adapter.send(secret)
    first, second = (p["text"] for p in fake_x.posted)
    assert DM_INVITE in first
    assert DM_INVITE in second and "Oknum" not in second and "1234-5678-9018" in second


async def test_duplicate_content_is_already_acknowledged(fake_x: FakeX, make_adapter) -> None:
    adapter = make_adapter()
    await adapter.send(message("LAPOR! No: 1234-5678-9018"))
    again = await adapter.send(message("LAPOR! No: 1234-5678-9018"))
    assert again.message_id is None and len(fake_x.posted) == 1


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        pytest.param(503, True, id="503-retry"),
        pytest.param(400, False, id="400-dead-letter"),
    ],
)
async def test_send_errors_are_data(
    fake_x: FakeX, make_adapter, status: int, retryable: bool
) -> None:
    fake_x.fail("POST", "/2/tweets", status, body=b"<html/>", content_type="text/html")
    adapter = make_adapter()
    with pytest.raises(SendError) as err:
        await adapter.send(message("LAPOR! No: 1234-5678-9018"))
    assert err.value.retryable is retryable


async def test_send_429_blocks_writes_until_reset(fake_x: FakeX, make_adapter) -> None:
    fake_x.rate_limit("POST", "/2/tweets", reset_in_s=120)
    adapter = make_adapter()
    with pytest.raises(SendError) as err:
        await adapter.send(message("LAPOR! No: 1234-5678-9018"))
    assert err.value.retryable and 110 < (err.value.retry_after or 0) <= 120
    with pytest.raises(SendError) as again:
        await adapter.send(message("LAPOR! No: 1234-5678-9018"))
    assert again.value.retry_after and len(fake_x.calls("/2/tweets", "POST")) == 1


async def test_reply_rate_defers_instead_of_bursting(fake_x: FakeX, make_adapter) -> None:
    adapter = make_adapter(reply_rate_per_min=1, max_send_wait_s=0)
    await adapter.send(message("LAPOR! satu No: 1234-5678-9018"))
    with pytest.raises(SendError) as err:
        await adapter.send(message("LAPOR! dua No: 1234-5678-9018"))
    assert err.value.retryable and 55 < (err.value.retry_after or 0) <= 60
    assert len(fake_x.posted) == 1


async def test_dm_reply_and_closed_dms(fake_x: FakeX, make_adapter) -> None:
    adapter = make_adapter()
    result = await adapter.send(message("LAPOR! No: 1234-5678-9018", mode="dm", in_reply_to=None))
    assert result.message_id and fake_x.sent_dms[0]["participant_id"] == CITIZEN
    fake_x.closed_dm_users.add(CITIZEN)
    with pytest.raises(SendError) as err:
        await adapter.send(message("LAPOR! No: 1234-5678-9018", mode="dm"))
    assert not err.value.retryable


async def test_dm_becomes_confidential_report(fake_x: FakeX, make_adapter, db: Db) -> None:
    now = datetime.now(UTC)
    fake_x.dm(CITIZEN, "laporan lama sebelum start", at=now - timedelta(days=2))
    event = fake_x.dm(
        CITIZEN, "Ada pungli di kantor samsat", media={"type": "photo", "url": "https://x/p.jpg"}
    )
    fake_x.dm(fake_x.user_id, "balasan kami", to=CITIZEN)  # our own outgoing DM
    adapter = make_adapter(start_time=(now - timedelta(hours=1)).isoformat())
    assert await adapter.run_job("dm") == 2
    (row,) = db.reports()
    body = json.loads(row["body"])
    assert row["external_id"] == event and row["confidential"] == 1
    assert body["text"] == "Ada pungli di kantor samsat"  # t.co media link removed
    assert body["attachments"][0]["url"] == "https://x/p.jpg"
    assert body["reply_to"]["mode"] == "dm" and body["reply_to"]["address"] == CITIZEN
    assert db.checkpoint(DM_CURSOR) == max(fake_x.dm_events, key=lambda e: int(e["id"]))["id"]
    assert await adapter.run_job("dm") == 0
    assert len(db.reports()) == 1


async def test_dm_status_query_and_paging_to_checkpoint(
    fake_x: FakeX, make_adapter, db: Db
) -> None:
    adapter = make_adapter(page_size=5)
    fake_x.dm(CITIZEN2, "Lampu merah rusak di perempatan")
    await adapter.run_job("dm")
    (row,) = db.reports()
    for i in range(12):
        fake_x.dm(CITIZEN, f"pesan {i} tentang sampah di sungai nomor {i}")
    ask = fake_x.dm(CITIZEN2, f"cek {row['tracking_id']}")
    assert await adapter.run_job("dm") == 13
    assert len(db.reports()) == 13
    answer = json.loads(db.acks()[-1]["payload"])
    assert answer["reply_to"] == {
        "adapter": "twitter",
        "address": CITIZEN2,
        "route": None,
        "in_reply_to": None,
        "mode": "dm",
    }
    assert "diterima" in answer["text"]
    assert db.checkpoint(DM_CURSOR) == ask
    pages = fake_x.calls("/2/dm_events")
    assert len(pages) == 1 + 3  # stopped at the page that reached the checkpoint

"""The mentions poller against the fake X API and the real Pipeline on a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from fake_x import FakeX
from x_harness import CITIZEN, CITIZEN2, Db

from adapters.twitter.mentions import CURSOR
from gateway.adapter import StoreUnavailableError
from normalizer.tracking import display

PLACE = {
    "id": "01a9a39529b27f36",
    "full_name": "Kota Bandung, Jawa Barat",
    "name": "Kota Bandung",
    "country_code": "ID",
    "place_type": "city",
    "geo": {"type": "Feature", "bbox": [107.54, -6.97, 107.74, -6.84], "properties": {}},
}


async def test_mention_becomes_report_with_everything(fake_x: FakeX, make_adapter, db: Db) -> None:
    long_text = "@lapor1708 #lapor Jalan Soekarno-Hatta berlubang besar " + "sangat berbahaya " * 30
    tid = fake_x.mention(
        CITIZEN,
        long_text,
        note=long_text,
        media=[{"type": "photo", "url": "https://pbs.twimg.com/media/abc.jpg"}],
        place=PLACE,
    )
    adapter = make_adapter()
    assert await adapter.run_job("mentions") == 1
    (row,) = db.reports()
    report = json.loads(row["body"])
    assert row["external_id"] == tid and row["transport"] == "x:mentions"
    assert report["text"].startswith("#lapor Jalan Soekarno-Hatta")
    assert report["text"].endswith("sangat berbahaya")  # full note_tweet, not the 280 cut
    assert report["reporter"]["x_user_id"] == CITIZEN
    assert report["reporter"]["x_handle"] == "budi_s"
    assert report["attachments"] == [
        {
            "url": "https://pbs.twimg.com/media/abc.jpg",
            "content_type": "image/jpeg",
            "sha256": None,
            "size": None,
        }
    ]
    assert report["location"]["address"] == "Kota Bandung, Jawa Barat"
    assert round(report["location"]["lat"], 3) == -6.905
    assert report["reply_to"] == {
        "adapter": "twitter",
        "address": CITIZEN,
        "route": None,
        "in_reply_to": tid,
        "mode": "tweet",
    }
    assert report["confidential"] is False
    assert db.checkpoint(CURSOR) == tid
    (ack,) = db.acks()
    assert json.loads(ack["payload"])["reply_to"]["in_reply_to"] == tid


async def test_ignored_tweets_move_the_cursor(fake_x: FakeX, make_adapter, db: Db) -> None:
    original = fake_x.mention(CITIZEN, "@lapor1708 sampah menumpuk di pasar")
    fake_x.mention(CITIZEN2, "RT @budi_s: sampah menumpuk", retweet_of=original)
    fake_x.mention(fake_x.user_id, "@budi_s terima kasih")  # our own tweet
    fake_x.mention(CITIZEN2, "@lapor1708")  # only the mention, no text
    fake_x.mention(CITIZEN2, "@lapor1708 #lapor")  # only the hashtag
    last = fake_x.mention(CITIZEN2, "@lapor1708 lampu jalan mati")
    adapter = make_adapter()
    assert await adapter.run_job("mentions") == 6
    assert db.external_ids() == sorted([original, last], key=int)
    assert db.checkpoint(CURSOR) == last


async def test_require_hashtag(fake_x: FakeX, make_adapter, db: Db) -> None:
    fake_x.mention(CITIZEN, "@lapor1708 tanpa tagar")
    tagged = fake_x.mention(CITIZEN2, "@lapor1708 banjir di Kemang #Lapor")
    adapter = make_adapter(require_hashtag=True)
    await adapter.run_job("mentions")
    assert db.external_ids() == [tagged]


async def test_rahasia_is_confidential_and_invites_dm(fake_x: FakeX, make_adapter, db: Db) -> None:
    fake_x.mention(CITIZEN, "@lapor1708 RAHASIA pungli di kantor kelurahan")
    adapter = make_adapter()
    await adapter.run_job("mentions")
    (row,) = db.reports()
    assert row["confidential"] == 1
    assert json.loads(row["body"])["reply_to"]["route"] == "dm_invite"


async def test_first_start_begins_at_start_time(fake_x: FakeX, make_adapter, db: Db) -> None:
    now = datetime.now(UTC)
    fake_x.mention(CITIZEN, "@lapor1708 keluhan lama", at=now - timedelta(days=3))
    new = fake_x.mention(CITIZEN, "@lapor1708 keluhan baru", at=now - timedelta(minutes=1))
    start = (now - timedelta(hours=1)).isoformat()
    adapter = make_adapter(start_time=start)
    await adapter.run_job("mentions")
    assert db.external_ids() == [new]


async def test_first_start_without_start_time_is_now_and_survives_restart(
    fake_x: FakeX,
    make_adapter,
    db: Db,
) -> None:
    fake_x.mention(
        CITIZEN, "@lapor1708 sebelum gateway jalan", at=datetime.now(UTC) - timedelta(hours=2)
    )
    first = make_adapter(start_time="")
    assert await first.run_job("mentions") == 0
    await first.stop()
    # a mention arrives while the gateway is down, before any cursor existed
    missed = fake_x.mention(CITIZEN, "@lapor1708 saat gateway mati")
    second = make_adapter(start_time="")
    await second.run_job("mentions")
    assert db.external_ids() == [missed]


async def test_overlap_catches_late_indexed_mention(fake_x: FakeX, make_adapter, db: Db) -> None:
    now = datetime.now(UTC)
    late = fake_x.mention(
        CITIZEN, "@lapor1708 terindeks terlambat", at=now - timedelta(seconds=30), indexed=False
    )
    seen = fake_x.mention(CITIZEN2, "@lapor1708 langsung terindeks", at=now - timedelta(seconds=5))
    adapter = make_adapter(overlap_s=120)
    await adapter.run_job("mentions")
    assert db.external_ids() == [seen]
    fake_x.index(late)
    await adapter.run_job("mentions")
    assert sorted(db.external_ids()) == sorted([late, seen])
    assert db.checkpoint(CURSOR) == seen  # the late one did not move the cursor back
    assert len(db.acks()) == 2  # the repeat of `seen` in the overlap sent nothing new


async def test_thousand_mentions_in_one_poll(fake_x: FakeX, make_adapter, db: Db) -> None:
    base = datetime.now(UTC) - timedelta(minutes=30)
    ids = [
        fake_x.mention(
            CITIZEN if i % 2 else CITIZEN2,
            f"@lapor1708 keluhan nomor {i}",
            at=base + timedelta(milliseconds=i),
        )
        for i in range(1000)
    ]
    adapter = make_adapter(page_size=100, max_pages=20)
    assert await adapter.run_job("mentions") == 1000
    assert sorted(db.external_ids(), key=int) == sorted(ids, key=int)
    assert db.checkpoint(CURSOR) == max(ids, key=int)
    # the timeline stops at 800: the oldest 200 came from search, below the oldest seen
    (search,) = [q for q in fake_x.calls("/2/tweets/search/recent")][:1]
    assert search["until_id"] == sorted(ids, key=int)[200]


async def test_storm_with_search_refused_is_reported_not_hidden(
    fake_x: FakeX,
    make_adapter,
    db: Db,
) -> None:
    from prometheus_client import REGISTRY

    def gaps() -> float:
        return (
            REGISTRY.get_sample_value(
                "lapor_twitter_inbound_total",
                {"source": "mentions", "outcome": "gap_unrecoverable"},
            )
            or 0.0
        )

    before = gaps()
    base = datetime.now(UTC) - timedelta(minutes=30)
    for i in range(805):
        fake_x.mention(CITIZEN, f"@lapor1708 badai {i}", at=base + timedelta(milliseconds=i))
    fake_x.search_forbidden = True
    adapter = make_adapter(page_size=100)
    assert await adapter.run_job("mentions") == 800
    assert gaps() == before + 1


class CrashingIntake:
    """The real pipeline, but the store 'dies' after *n* successful submits."""

    def __init__(self, pipeline: Any, n: int) -> None:
        self._pipeline = pipeline
        self.left = n

    async def submit(self, *args: Any, **kwargs: Any) -> Any:
        if self.left <= 0:
            raise StoreUnavailableError("disk gone")
        self.left -= 1
        return await self._pipeline.submit(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pipeline, name)


async def test_restart_mid_pagination_loses_and_duplicates_nothing(
    fake_x: FakeX,
    make_adapter,
    db: Db,
    pipeline: Any,
) -> None:
    base = datetime.now(UTC) - timedelta(minutes=10)
    ids = [
        fake_x.mention(CITIZEN, f"@lapor1708 aduan {i}", at=base + timedelta(seconds=i))
        for i in range(35)
    ]
    # 1) the API dies on page 3 of 4: nothing handled, cursor untouched
    fake_x.fail("GET", "/2/users/", None, delay_s=0)  # page 1 passes
    fake_x.fail("GET", "/2/users/", None, delay_s=0)  # page 2 passes
    fake_x.fail("GET", "/2/users/", 503, body=b"<html>down</html>", content_type="text/html")
    first = make_adapter()
    assert await first.run_job("mentions") is None
    assert db.external_ids() == [] and db.checkpoint(CURSOR) is None
    await first.stop()
    # 2) the gateway is stopped while page 2 is in flight
    fake_x.fail("GET", "/2/users/", None, delay_s=0)
    slow = fake_x.fail("GET", "/2/users/", None, delay_s=0.5)
    second = make_adapter()
    job = asyncio.create_task(second.run_job("mentions"))
    await asyncio.wait_for(slow.hit.wait(), 5)
    await second.stop()
    await job
    assert db.external_ids() == []
    # 3) the store dies after 12 commits, in the middle of handling the oldest-first list
    third = make_adapter(intake=CrashingIntake(pipeline, 12))
    assert await third.run_job("mentions") is None
    assert db.external_ids() == sorted(ids, key=int)[:12]
    assert db.checkpoint(CURSOR) == sorted(ids, key=int)[11]
    await third.stop()
    # 4) a clean restart finishes the job: every mention exactly once, one ack each
    fourth = make_adapter()
    await fourth.run_job("mentions")
    assert db.external_ids() == sorted(ids, key=int)
    assert len(db.acks()) == 35
    assert db.checkpoint(CURSOR) == max(ids, key=int)
    assert await fourth.run_job("mentions") == 0


async def test_status_query_by_mention(fake_x: FakeX, make_adapter, db: Db) -> None:
    fake_x.mention(CITIZEN, "@lapor1708 got macet parah")
    adapter = make_adapter()
    await adapter.run_job("mentions")
    (row,) = db.reports()
    tracking_id = row["tracking_id"]
    query = fake_x.mention(CITIZEN2, f"@lapor1708 CEK {display(tracking_id)}")
    typo = fake_x.mention(
        CITIZEN2, f"@lapor1708 cek {tracking_id[:-1]}{(int(tracking_id[-1]) + 1) % 10}"
    )
    await adapter.run_job("mentions")
    assert len(db.reports()) == 1
    answers = [json.loads(a["payload"]) for a in db.acks()][1:]
    assert [a["reply_to"]["in_reply_to"] for a in answers] == [query, typo]
    assert "diterima" in answers[0]["text"] and display(tracking_id) in answers[0]["text"]
    assert "salah ketik" in answers[1]["text"]


async def test_reply_in_thread_is_a_followup(fake_x: FakeX, make_adapter, db: Db) -> None:
    root = fake_x.mention(CITIZEN, "@lapor1708 pohon tumbang di Jl. Merdeka")
    adapter = make_adapter()
    await adapter.run_job("mentions")
    fake_x.mention(CITIZEN, "@lapor1708 update: sudah menutup jalan", reply_to=root)
    other = fake_x.mention(CITIZEN2, "@lapor1708 di depan rumah saya juga", reply_to=root)
    await adapter.run_job("mentions")
    (followup,) = db.followups()
    assert followup["text"] == "update: sudah menutup jalan"
    assert followup["tracking_id"] == db.reports()[0]["tracking_id"]
    assert sorted(db.external_ids(), key=int) == [root, other]  # a stranger files their own


async def test_rate_limit_backs_off_until_latest_reset(fake_x: FakeX, make_adapter, db: Db) -> None:
    fake_x.rate_limit("GET", "/2/users/", reset_in_s=60, reset_24h_in_s=7200)
    adapter = make_adapter()
    assert await adapter.run_job("mentions") is None
    remaining = adapter.backoff["mentions"].remaining_s()
    assert 7100 < remaining <= 7200
    calls = len(fake_x.calls("/2/users/"))
    assert await adapter.run_job("mentions") is None
    assert len(fake_x.calls("/2/users/")) == calls  # did not call while blocked
    assert adapter.health().ok  # a rate limit is not a configuration problem


async def test_rate_limit_without_headers_uses_floor(fake_x: FakeX, make_adapter) -> None:
    fake_x.fail("GET", "/2/users/", 429, body=b"slow down", content_type="text/plain")
    adapter = make_adapter(backoff_floor_s=30)
    started = time.time()
    await adapter.run_job("mentions")
    assert 29 <= adapter.backoff["mentions"].blocked_until - started <= 31


async def test_401_is_unhealthy_until_credentials_work(fake_x: FakeX, make_adapter) -> None:
    fake_x.reject_auth = True
    adapter = make_adapter()
    await adapter.run_job("mentions")
    health = adapter.health()
    assert not health.ok and "credentials" in health.detail
    fake_x.reject_auth = False
    adapter.backoff["mentions"].blocked_until = 0
    assert await adapter.run_job("mentions") == 0
    assert adapter.health().ok


async def test_scheduler_polls_and_slows_down_when_idle(
    fake_x: FakeX, make_adapter, db: Db
) -> None:
    adapter = make_adapter(poll_interval_s=0.05, idle_poll_interval_s=0.3, idle_after_polls=2)
    await adapter.start()
    tid = fake_x.mention(CITIZEN, "@lapor1708 air PDAM mati tiga hari")
    for _ in range(100):
        if db.external_ids():
            break
        await asyncio.sleep(0.05)
    assert db.external_ids() == [tid]
    for _ in range(100):
        if adapter._idle["mentions"]:
            break
        await asyncio.sleep(0.05)
    assert adapter._idle["mentions"]
    polls = len(fake_x.calls("/2/users/"))
    await asyncio.sleep(0.25)
    assert len(fake_x.calls("/2/users/")) - polls <= 1  # idle interval, not 5 more polls
    again = fake_x.mention(CITIZEN2, "@lapor1708 lampu taman mati")
    # the poll that finds it makes the poller fast again, for idle_after_polls empty polls;
    # sampled on every turn of the loop, so a loaded machine cannot hide the fast phase
    fast_again = False
    for _ in range(500):
        fast_again = fast_again or not adapter._idle["mentions"]
        if again in db.external_ids() and fast_again:
            break
        await asyncio.sleep(0.01)
    assert again in db.external_ids() and fast_again
    await adapter.stop()


async def test_garbage_answers_never_kill_the_poller(fake_x: FakeX, make_adapter, db: Db) -> None:
    fake_x.fail("GET", "/2/users/", 200, body=b"<html>maintenance</html>", content_type="text/html")
    fake_x.fail("GET", "/2/users/", 200, body=b'{"data": "nope", "includes": 3}')
    fake_x.fail("GET", "/2/users/", 503, body=b"", content_type="text/plain")
    adapter = make_adapter()
    assert await adapter.run_job("mentions") is None  # not JSON: back off
    adapter.backoff["mentions"].blocked_until = 0
    assert await adapter.run_job("mentions") == 0  # JSON of the wrong shape: nothing to do
    assert await adapter.run_job("mentions") is None  # 503
    adapter.backoff["mentions"].blocked_until = 0
    tid = fake_x.mention(CITIZEN, "@lapor1708 saluran air tersumbat")
    assert await adapter.run_job("mentions") == 1
    assert db.external_ids() == [tid] and adapter.health().ok

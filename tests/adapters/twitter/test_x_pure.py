"""Pure parts of the X adapter: tables of input -> expected output."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from typing import Any

import pytest
from pydantic import ValidationError

from adapters.twitter.config import TwitterConfig
from adapters.twitter.inbound import (
    parse_tweet_page,
    snowflake_at,
    snowflake_ms,
    status_query,
    strip_leading_mentions,
)
from adapters.twitter.ratelimit import Backoff, ReplyPacer, rate_limit_wait_s
from adapters.twitter.replies import (
    DM_INVITE,
    asks_for_secrecy,
    compose_public_reply,
    strip_urls,
    weighted_length,
)
from adapters.twitter.webhook import (
    crc_response_token,
    dm_from_v1,
    signature,
    signature_valid,
    tweet_from_v1,
)

TID = "123456789018"  # valid Damm check digit
SHOWN = "1234-5678-9018"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("halo", 4, id="ascii"),
        pytest.param("jalan rusak é", 13, id="latin-accent"),
        pytest.param("日本", 4, id="cjk-weighs-2"),
        pytest.param("😀", 2, id="emoji-weighs-2"),
        pytest.param("lihat https://lapor.go.id/x/y/z ya", 6 + 23 + 3, id="url-23"),
        pytest.param("lapor.go.id", 23, id="bare-domain-is-url"),
        pytest.param("\u2014", 1, id="em-dash-light-range"),
    ],
)
def test_weighted_length(text: str, expected: int) -> None:
    assert weighted_length(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("cek https://t.co/abc sekarang", "cek sekarang", id="scheme"),
        pytest.param("buka www.lapor.go.id", "buka", id="www"),
        pytest.param("lapor.go.id/status", "", id="bare-with-path"),
        pytest.param("No: 1234-5678-9018.", "No: 1234-5678-9018.", id="ids-untouched"),
    ],
)
def test_strip_urls(text: str, expected: str) -> None:
    assert strip_urls(text) == expected


@pytest.mark.parametrize(
    ("kwargs", "must_contain", "must_not_contain"),
    [
        pytest.param(
            {"text": f"LAPOR! Laporan Anda diterima. No: {SHOWN}. Cek lapor.go.id"},
            [SHOWN],
            ["lapor.go.id", DM_INVITE],
            id="plain-ack-url-removed",
        ),
        pytest.param(
            {"text": f"LAPOR! No: {SHOWN}", "invite_dm": True},
            [SHOWN, DM_INVITE],
            [],
            id="invite",
        ),
        pytest.param(
            {
                "text": f"No {SHOWN} kini ditanggapi. Pak Budi di Jl. Mawar 3 sudah",
                "confidential": True,
                "kind": "status_update",
            },
            [SHOWN, DM_INVITE],
            ["Budi", "Mawar"],
            id="confidential-drops-rendered-text",
        ),
        pytest.param(
            {"text": "kata " * 200 + f"No: {SHOWN}"},
            [SHOWN, "…"],
            [],
            id="long-text-keeps-id",
        ),
        pytest.param(
            {"text": "Terima kasih, laporan diterima."},
            [f"No: {SHOWN}"],
            [],
            id="template-without-id-gets-it",
        ),
    ],
)
def test_compose_public_reply(
    kwargs: dict[str, Any], must_contain: list[str], must_not_contain: list[str]
) -> None:
    args: dict[str, Any] = {"tracking_id": TID, "invite_dm": False, "confidential": False}
    args.update(kwargs)
    text = args.pop("text")
    reply = compose_public_reply(text, **args)
    assert weighted_length(reply) <= 280
    for part in must_contain:
        assert part in reply
    for part in must_not_contain:
        assert part not in reply


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("RAHASIA ada pungli", (True, False), id="rahasia"),
        pytest.param("anonim: jalan rusak", (False, True), id="anonim-lower"),
        pytest.param("#RAHASIA #ANONIM x", (True, True), id="both-hashtags"),
        pytest.param("rahasiakan saja", (False, False), id="substring-no"),
    ],
)
def test_asks_for_secrecy(text: str, expected: tuple[bool, bool]) -> None:
    assert asks_for_secrecy(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("@lapor1708 CEK 1234-5678-9018", "1234-5678-9018", id="dashed"),
        pytest.param("@lapor1708 @pemkot cek 123456789018", "123456789018", id="two-mentions"),
        pytest.param(
            "@lapor1708 #lapor STATUS: 1234 5678 9018", "1234 5678 9018", id="status-hashtag"
        ),
        pytest.param("@lapor1708 CEK", "", id="bare-cek"),
        pytest.param("@lapor1708 tolong cek jalan ini", None, id="cek-mid-sentence"),
        pytest.param("@lapor1708 cek jalan rusak", None, id="cek-then-words"),
        pytest.param("CEK 1234-5678-9018", "1234-5678-9018", id="dm-no-mention"),
    ],
)
def test_status_query(text: str, expected: str | None) -> None:
    assert status_query(text, "lapor") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("@lapor1708 @a_b jalan", "jalan", id="leading"),
        pytest.param("jalan @lapor1708 rusak", "jalan @lapor1708 rusak", id="inner-kept"),
        pytest.param("@lapor1708", "", id="only-mention"),
    ],
)
def test_strip_leading_mentions(text: str, expected: str) -> None:
    assert strip_leading_mentions(text) == expected


def test_snowflake_roundtrip() -> None:
    tweet_id = 1860000000000000000
    ms = snowflake_ms(tweet_id)
    assert snowflake_at(ms) <= tweet_id < snowflake_at(ms + 1)


@pytest.mark.parametrize(
    ("doc", "ids", "skipped"),
    [
        pytest.param({"meta": {"result_count": 0}}, [], 0, id="empty"),
        pytest.param(
            {"data": [{"id": "11", "text": "@lapor1708 x", "author_id": "5"}]},
            ["11"],
            0,
            id="missing-includes",
        ),
        pytest.param(
            {
                "data": [
                    {"id": "11", "text": "a", "author_id": "5", "brand_new_field": {"x": 1}},
                    {"id": "12", "text": "b"},
                    "garbage",
                    {"id": "13", "author_id": "5"},
                ],
                "includes": "not-an-object",
            },
            ["11"],
            3,
            id="unknown-fields-and-broken-items",
        ),
        pytest.param({"data": {"id": "1"}}, [], 1, id="data-not-list"),
    ],
)
def test_parse_tweet_page_is_lenient(doc: dict[str, Any], ids: list[str], skipped: int) -> None:
    tweets, skips = parse_tweet_page(doc)
    assert [t.id for t in tweets] == ids
    assert len(skips) == skipped
    assert all(s.reason for s in skips)


def test_parse_tweet_retweet_and_dangling_author() -> None:
    doc = {
        "data": [
            {
                "id": "20",
                "text": "RT @x: y",
                "author_id": "77",
                "referenced_tweets": [{"type": "retweeted", "id": "19"}],
                "attachments": {"media_keys": ["3_missing"]},
                "geo": {"place_id": "nowhere"},
            }
        ],
        "includes": {"users": [{"id": "other", "username": "o"}]},
    }
    (tweet,), _ = parse_tweet_page(doc)
    assert tweet.retweet and tweet.author_handle is None
    assert tweet.attachments == [] and tweet.location is None


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({}, 60.0, id="no-headers-floor"),
        pytest.param({"x-rate-limit-reset": "1030"}, 30.0, id="window-reset"),
        pytest.param(
            {"x-rate-limit-reset": "1030", "x-user-limit-24hour-reset": "5000"},
            4000.0,
            id="daily-user-cap-wins",
        ),
        pytest.param(
            {"X-Rate-Limit-Reset": "1010", "x-app-limit-24hour-reset": "1500"},
            500.0,
            id="daily-app-cap-case-insensitive",
        ),
        pytest.param({"x-rate-limit-reset": "900"}, 1.0, id="reset-in-the-past"),
        pytest.param({"x-rate-limit-reset": "soon"}, 60.0, id="garbage-floor"),
        pytest.param({"x-rate-limit-reset": "nan"}, 60.0, id="nan-floor"),
    ],
)
def test_rate_limit_wait(headers: dict[str, str], expected: float) -> None:
    assert rate_limit_wait_s(headers, now=1000.0, floor_s=60.0) == expected


def test_backoff_jitter_grows_and_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr(random, "uniform", lambda low, high: high)
    backoff = Backoff(floor_s=10, max_s=100, clock=lambda: now[0])
    waits = [backoff.on_transient() for _ in range(6)]
    assert waits == [10.0, 20.0, 40.0, 80.0, 100.0, 100.0]
    monkeypatch.setattr(random, "uniform", lambda low, high: low)
    low = Backoff(floor_s=10, max_s=100, clock=lambda: now[0])
    assert low.on_transient() == 5.0  # jitter: never below half the base
    backoff.on_success()
    assert backoff.remaining_s() == 0 and backoff.failures == 0


def test_reply_pacer_spaces_slots() -> None:
    now = [100.0]
    pacer = ReplyPacer(per_min=30, clock=lambda: now[0])
    assert [pacer.reserve() for _ in range(3)] == [0.0, 2.0, 4.0]
    pacer.release()
    assert pacer.reserve() == 4.0


def test_crc_known_vector() -> None:
    # computed independently: base64(HMAC-SHA256(key="secret", msg="challenge"))
    mac = hmac.new(b"secret", b"challenge", hashlib.sha256).digest()
    assert crc_response_token(b"secret", "challenge") == "sha256=" + base64.b64encode(mac).decode()


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        pytest.param("GOOD", True, id="valid"),
        pytest.param(None, False, id="missing"),
        pytest.param("sha256=AAAA", False, id="forged"),
        pytest.param("GOOD-other-body", False, id="other-body"),
    ],
)
def test_signature_valid(header: str | None, ok: bool) -> None:
    body = b'{"for_user_id":"1"}'
    if header == "GOOD":
        header = signature(b"k", body)
    elif header == "GOOD-other-body":
        header = signature(b"k", body + b" ")
    assert signature_valid(b"k", header, body) is ok


def test_v1_tweet_and_dm_conversion() -> None:
    tweet = tweet_from_v1(
        {
            "id_str": "30",
            "text": "@lapor1708 banjir",
            "truncated": True,
            "extended_tweet": {
                "full_text": "@lapor1708 banjir setinggi lutut di Kampung Melayu #lapor",
                "entities": {
                    "hashtags": [{"text": "lapor"}],
                    "user_mentions": [{"id_str": "1708"}],
                },
            },
            "user": {"id_str": "5", "screen_name": "budi"},
            "in_reply_to_status_id_str": "29",
            "timestamp_ms": "1764000000000",
            "place": {
                "full_name": "Jakarta Timur",
                "bounding_box": {
                    "coordinates": [[[106.8, -6.3], [106.9, -6.3], [106.9, -6.2], [106.8, -6.2]]]
                },
            },
        },
        "1708",
    )
    assert not isinstance(tweet, str)
    assert tweet.text.endswith("#lapor") and "lapor" in tweet.hashtags
    assert tweet.in_reply_to_id == "29" and tweet.location is not None
    assert round(tweet.location.lat or 0, 2) == -6.25
    assert (
        tweet_from_v1({"id_str": "31", "text": "x", "user": {"id_str": "5"}}, "1708")
        == "not a mention"
    )
    dm = dm_from_v1(
        {
            "type": "message_create",
            "id": "40",
            "created_timestamp": "1764000000000",
            "message_create": {"sender_id": "5", "message_data": {"text": "CEK 1234"}},
        },
        {"5": {"screen_name": "budi"}},
    )
    assert not isinstance(dm, str) and dm.kind == "dm" and dm.author_handle == "budi"
    assert dm_from_v1({"type": "message_create", "id": "x"}, {}) != dm


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        pytest.param({"enabled": True}, "user_id", id="enabled-needs-user"),
        pytest.param({"enabled": True, "user_id": "1"}, "credentials", id="enabled-needs-creds"),
        pytest.param(
            {"enabled": True, "user_id": "1", "bearer_token": "t", "webhook_enabled": True},
            "consumer_secret",
            id="webhook-needs-secret",
        ),
        pytest.param({"api_base_url": "api.x.com"}, "http", id="base-url-scheme"),
        pytest.param({"start_time": "yesterday"}, "start_time", id="bad-start-time"),
        pytest.param({"page_size": 500}, "page_size", id="page-size-range"),
        pytest.param({"surprise": 1}, "surprise", id="unknown-key"),
    ],
)
def test_config_rejects(values: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError) as err:
        TwitterConfig.model_validate(values)
    assert problem in str(err.value)


def test_config_disabled_needs_nothing_and_normalizes() -> None:
    config = TwitterConfig.model_validate(
        {"api_base_url": "http://127.0.0.1:9/", "hashtag": "#Lapor"}
    )
    assert config.api_base_url == "http://127.0.0.1:9" and config.hashtag == "lapor"
    assert TwitterConfig().enabled is False

"""tweepy's real AsyncClient, routed to the local fake X API over 127.0.0.1."""

from __future__ import annotations

import time

import pytest
from fake_x import BEARER, DUPLICATE_DETAIL, FakeX, problem
from x_harness import CITIZEN, x_config

from adapters.twitter.client import XClient
from adapters.twitter.errors import (
    AuthError,
    ClientError,
    DuplicateContentError,
    ForbiddenError,
    RateLimitedError,
    TransientError,
)


@pytest.fixture
async def client(fake_x: FakeX):
    c = XClient(x_config(fake_x.base_url))
    yield c
    await c.close()


async def test_oauth1_signed_request_reaches_local_server(fake_x: FakeX, client: XClient) -> None:
    fake_x.mention(CITIZEN, "@lapor1708 jalan rusak")
    doc = await client.mentions(fake_x.user_id, since_id="1", max_results=10)
    assert doc["meta"]["result_count"] == 1
    assert doc["data"][0]["conversation_id"]  # the requested tweet.fields came back
    assert doc["includes"]["users"][0]["username"] == "budi_s"
    (query,) = fake_x.calls("/2/users/")
    assert query["since_id"] == "1"
    assert "referenced_tweets.id" in query["expansions"]


async def test_oauth2_user_token_uses_bearer(fake_x: FakeX) -> None:
    config = x_config(
        fake_x.base_url,
        consumer_key="",
        consumer_secret="",
        access_token="",
        access_token_secret="",
        bearer_token=BEARER,
    )
    client = XClient(config)
    try:
        doc = await client.mentions(fake_x.user_id, start_time="2020-01-01T00:00:00Z")
    finally:
        await client.close()
    assert doc == {"meta": {"result_count": 0}}


async def test_wrong_secret_is_auth_error(fake_x: FakeX) -> None:
    client = XClient(x_config(fake_x.base_url, access_token_secret="wrong"))
    try:
        with pytest.raises(AuthError) as err:
            await client.mentions(fake_x.user_id, since_id="1")
    finally:
        await client.close()
    assert err.value.status == 401
    assert "wrong" not in str(err.value)


async def test_429_carries_reset_headers(fake_x: FakeX, client: XClient) -> None:
    fake_x.rate_limit("GET", "/2/users/", reset_in_s=30, reset_24h_in_s=3600)
    with pytest.raises(RateLimitedError) as err:
        await client.mentions(fake_x.user_id, since_id="1")
    reset = int(err.value.headers["x-user-limit-24hour-reset"])
    assert reset >= int(time.time()) + 3590


@pytest.mark.parametrize(
    ("status", "body", "content_type", "error"),
    [
        pytest.param(
            503, b"<html>Service Unavailable</html>", "text/html", TransientError, id="503-html"
        ),
        pytest.param(500, b"", "text/plain", TransientError, id="500-empty"),
        pytest.param(502, b"[1,2]", "application/json", TransientError, id="502-json-list"),
        pytest.param(400, b"not json", "text/plain", ClientError, id="400-text"),
        pytest.param(408, b"", "text/plain", TransientError, id="408-retryable"),
        pytest.param(
            404, problem(404, "Not Found", "x"), "application/json", ClientError, id="404"
        ),
        pytest.param(
            403,
            problem(403, "Forbidden", "suspended"),
            "application/json",
            AuthError,
            id="403-on-read",
        ),
        pytest.param(200, b"<html>ok</html>", "text/html", TransientError, id="200-not-json"),
    ],
)
async def test_error_bodies_never_crash(
    fake_x: FakeX,
    client: XClient,
    status: int,
    body: bytes,
    content_type: str,
    error: type,
) -> None:
    fake_x.fail("GET", "/2/users/", status, body=body, content_type=content_type)
    with pytest.raises(error):
        await client.mentions(fake_x.user_id, since_id="1")


async def test_duplicate_tweet_is_its_own_error(fake_x: FakeX, client: XClient) -> None:
    first = await client.create_tweet("LAPOR! No: 1234", in_reply_to="99")
    assert first
    assert fake_x.posted[0]["reply"] == {"in_reply_to_tweet_id": "99"}
    with pytest.raises(DuplicateContentError) as err:
        await client.create_tweet("LAPOR! No: 1234", in_reply_to="99")
    assert DUPLICATE_DETAIL.split()[0] in str(err.value)


async def test_dm_send_and_closed_dms(fake_x: FakeX, client: XClient) -> None:
    event_id = await client.send_dm(CITIZEN, "halo")
    assert event_id and fake_x.sent_dms[0]["text"] == "halo"
    fake_x.closed_dm_users.add(CITIZEN)
    with pytest.raises(ForbiddenError):
        await client.send_dm(CITIZEN, "halo lagi")


async def test_unreachable_server_is_transient() -> None:
    client = XClient(x_config("http://127.0.0.1:9", request_timeout_s=2))
    try:
        with pytest.raises(TransientError):
            await client.mentions("1708000000", since_id="1")
    finally:
        await client.close()

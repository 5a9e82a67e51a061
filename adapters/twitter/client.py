"""The X API v2 client: tweepy's ``AsyncClient``, routed to ``api_base_url``.

Why a subclass: tweepy 4.x builds every URL as ``"https://api.twitter.com" + route`` inside
``AsyncBaseClient.request``, so neither a session nor a parameter can point it elsewhere.
:class:`RoutedAsyncClient` overrides that one method to use the configured base URL (the
real API, or a local compatible server in tests) and fixes three things on the way:

* the OAuth 1.0a signature is computed over the URL actually requested;
* a non-JSON (or non-object) error body does not raise inside tweepy's parsing: the error
  keeps its status and headers;
* request headers (``Authorization``) are never logged.

:class:`XClient` is the narrow surface the rest of the adapter uses. It returns the raw
JSON documents of the v2 API (``data``/``includes``/``meta``) and converts every tweepy or
aiohttp failure into the :mod:`.errors` tree, so nothing above it imports tweepy.
"""

from __future__ import annotations

import json
import logging
from typing import Any, cast

import aiohttp
import tweepy
from oauthlib.oauth1 import Client as OAuthClient
from tweepy.asynchronous import AsyncClient
from yarl import URL

from adapters.twitter.config import TwitterConfig
from adapters.twitter.errors import (
    AuthError,
    ClientError,
    DuplicateContentError,
    ForbiddenError,
    RateLimitedError,
    TransientError,
    XApiError,
)
from gateway.resilience.errors import TRANSPORT_ERRORS, retryable_status, transport_failure

log = logging.getLogger(__name__)

TWEET_FIELDS = (
    "id,text,author_id,conversation_id,created_at,entities,geo,in_reply_to_user_id,"
    "referenced_tweets,attachments,note_tweet,lang"
)
EXPANSIONS = (
    "author_id,attachments.media_keys,geo.place_id,referenced_tweets.id,"
    "referenced_tweets.id.author_id,in_reply_to_user_id"
)
USER_FIELDS = "id,name,username"
MEDIA_FIELDS = "media_key,type,url,preview_image_url,alt_text"
PLACE_FIELDS = "id,full_name,country_code,geo,name,place_type"
DM_EVENT_FIELDS = "id,event_type,text,sender_id,dm_conversation_id,created_at,attachments"


def _json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or ``{}`` (HTML error pages, empty bodies, lists)."""
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


class RoutedAsyncClient(AsyncClient):  # type: ignore[misc]  # tweepy is untyped
    """tweepy's v2 client with the host taken from *base_url* instead of hard-coded."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    async def request(
        self,
        method: str,
        route: str,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        user_auth: bool = False,
    ) -> aiohttp.ClientResponse:
        session = self.session or aiohttp.ClientSession()
        url: str | URL = self.base_url + route
        headers = {"User-Agent": self.user_agent}
        if json is not None:
            headers["Content-Type"] = "application/json"
        if user_auth:
            oauth_client = OAuthClient(
                self.consumer_key,
                self.consumer_secret,
                self.access_token,
                self.access_token_secret,
            )
            signed = str(URL(str(url)).with_query(sorted((params or {}).items())))
            signed, headers, _body = oauth_client.sign(signed, method, headers=headers)
            # oauthlib signs ':' percent-encoded; aiohttp would send it raw (tweepy does the same)
            before, _, query = signed.partition("?")
            url = URL(f"{before}?{query.replace(':', '%3A')}" if query else before, encoded=True)
            params = None
        else:
            headers["Authorization"] = f"Bearer {self.bearer_token}"
        log.debug("X API %s %s", method, route)
        try:
            async with session.request(
                method, url, params=params, json=json, headers=headers
            ) as response:
                body = await response.read()
        finally:
            if self.session is None:
                await session.close()
        status = response.status
        if 200 <= status < 300:
            return response
        doc = _json_object(body)
        if status == 400:
            raise tweepy.BadRequest(response, response_json=doc)
        if status == 401:
            raise tweepy.Unauthorized(response, response_json=doc)
        if status == 403:
            raise tweepy.Forbidden(response, response_json=doc)
        if status == 404:
            raise tweepy.NotFound(response, response_json=doc)
        if status == 429:
            raise tweepy.TooManyRequests(response, response_json=doc)
        if status >= 500:
            raise tweepy.TwitterServerError(response, response_json=doc)
        raise tweepy.HTTPException(response, response_json=doc)


def _is_duplicate(exc: tweepy.HTTPException) -> bool:
    return any("duplicate" in str(m).lower() for m in exc.api_messages)


def _convert(exc: BaseException, *, write: bool) -> XApiError:
    """Map a tweepy/aiohttp failure to the :mod:`.errors` tree (the message has no secrets)."""
    if isinstance(exc, tweepy.HTTPException):
        status = int(exc.response.status)
        headers = dict(exc.response.headers)
        message = f"X API {status}: " + "; ".join(str(m) for m in exc.api_messages)[:300]
        if isinstance(exc, tweepy.TooManyRequests):
            return RateLimitedError(message, status=status, headers=headers)
        if isinstance(exc, tweepy.Unauthorized):
            return AuthError(message, status=status, headers=headers)
        if isinstance(exc, tweepy.Forbidden):
            if write and _is_duplicate(exc):
                return DuplicateContentError(message, status=status, headers=headers)
            if write:
                return ForbiddenError(message, status=status, headers=headers)
            return AuthError(message, status=status, headers=headers)
        if retryable_status(status):
            return TransientError(message, status=status, headers=headers)
        return ClientError(message, status=status, headers=headers)
    if isinstance(exc, TRANSPORT_ERRORS):
        return TransientError(f"X API {transport_failure(exc)}")
    if isinstance(exc, ValueError):  # 2xx with a body that is not JSON
        return TransientError("X API answered with a body that is not JSON")
    return TransientError(f"X API call failed: {type(exc).__name__}")


class XClient:
    """The calls the adapter makes, as plain JSON documents, failures as :mod:`.errors`."""

    def __init__(self, config: TwitterConfig) -> None:
        self._config = config
        self._user_auth = config.oauth1
        self._session: aiohttp.ClientSession | None = None
        self._api = RoutedAsyncClient(
            config.api_base_url,
            bearer_token=config.bearer_token.get_secret_value() or None,
            consumer_key=config.consumer_key.get_secret_value() or None,
            consumer_secret=config.consumer_secret.get_secret_value() or None,
            access_token=config.access_token.get_secret_value() or None,
            access_token_secret=config.access_token_secret.get_secret_value() or None,
            return_type=dict,
            wait_on_rate_limit=False,
        )

    async def _call(self, coro_fn: Any, *args: Any, write: bool = False, **kwargs: Any) -> Any:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=self._config.request_timeout_s)
            self._session = aiohttp.ClientSession(timeout=timeout)
            self._api.session = self._session
        try:
            result = await coro_fn(*args, user_auth=self._user_auth, **kwargs)
        except XApiError:
            raise
        except Exception as exc:  # re-raised at the boundary as data
            raise _convert(exc, write=write) from exc
        if not isinstance(result, dict):
            raise TransientError("X API answered with JSON that is not an object")
        return result

    async def mentions(
        self,
        user_id: str,
        *,
        since_id: str | None = None,
        start_time: str | None = None,
        pagination_token: str | None = None,
        max_results: int = 100,
    ) -> dict[str, Any]:
        """One page of ``GET /2/users/:id/mentions`` (newest first) with every expansion."""
        params: dict[str, Any] = {
            "max_results": max_results,
            "tweet_fields": TWEET_FIELDS,
            "expansions": EXPANSIONS,
            "user_fields": USER_FIELDS,
            "media_fields": MEDIA_FIELDS,
            "place_fields": PLACE_FIELDS,
        }
        if since_id:
            params["since_id"] = since_id
        elif start_time:
            params["start_time"] = start_time
        if pagination_token:
            params["pagination_token"] = pagination_token
        doc = await self._call(self._api.get_users_mentions, user_id, **params)
        return cast(dict[str, Any], doc)

    async def search_mentions(
        self,
        screen_name: str,
        *,
        since_id: str,
        until_id: str,
        next_token: str | None = None,
        max_results: int = 100,
    ) -> dict[str, Any]:
        """One page of ``GET /2/tweets/search/recent`` for ``@screen_name`` between two ids:
        the way to reach mentions older than the mentions timeline's 800-tweet depth."""
        params: dict[str, Any] = {
            "since_id": since_id,
            "until_id": until_id,
            "max_results": max(max_results, 10),
            "tweet_fields": TWEET_FIELDS,
            "expansions": EXPANSIONS,
            "user_fields": USER_FIELDS,
            "media_fields": MEDIA_FIELDS,
            "place_fields": PLACE_FIELDS,
        }
        if next_token:
            params["next_token"] = next_token
        doc = await self._call(self._api.search_recent_tweets, f"@{screen_name}", **params)
        return cast(dict[str, Any], doc)

    async def dm_events(
        self, *, pagination_token: str | None = None, max_results: int = 100
    ) -> dict[str, Any]:
        """One page of ``GET /2/dm_events`` (newest first)."""
        params: dict[str, Any] = {
            "max_results": max_results,
            "dm_event_fields": DM_EVENT_FIELDS,
            "event_types": "MessageCreate",
            "expansions": "sender_id,attachments.media_keys",
            "user_fields": USER_FIELDS,
            "media_fields": MEDIA_FIELDS,
        }
        if pagination_token:
            params["pagination_token"] = pagination_token
        return cast(
            dict[str, Any], await self._call(self._api.get_direct_message_events, **params)
        )

    async def create_tweet(self, text: str, *, in_reply_to: str | None) -> str:
        """Post *text* (in reply to *in_reply_to*); returns the new tweet id."""
        doc = await self._call(
            self._api.create_tweet, text=text, in_reply_to_tweet_id=in_reply_to, write=True
        )
        return str((doc.get("data") or {}).get("id", ""))

    async def send_dm(self, participant_id: str, text: str) -> str:
        """Send a one-to-one DM; returns the DM event id."""
        doc = await self._call(
            self._api.create_direct_message, participant_id=participant_id, text=text, write=True
        )
        return str((doc.get("data") or {}).get("dm_event_id", ""))

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
        self._api.session = None

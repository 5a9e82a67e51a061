"""A local stand-in for the X API v2 endpoints the adapter uses, on 127.0.0.1.

Real response shapes (``data``/``includes``/``meta``, ``next_token`` pagination, only the
requested ``tweet.fields``, snowflake ids that encode their creation time), real OAuth 1.0a
signature verification (so the routed tweepy client must sign the URL it really calls),
and a script of faults: 429 with reset headers, 503 with an HTML body, duplicate-content
403, delays. Endpoints:

* ``GET  /2/users/:id/mentions``  (since_id, start_time, pagination_token, max_results)
* ``POST /2/tweets``
* ``GET  /2/dm_events``
* ``POST /2/dm_conversations/with/:participant_id/messages``
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from aiohttp import web
from oauthlib.oauth1.rfc5849 import signature as oauth_sig

EPOCH_MS = 1288834974657
CONSUMER_KEY = "ck-test"
CONSUMER_SECRET = "cs-test"
ACCESS_TOKEN = "1708-at-test"
ACCESS_SECRET = "as-test"
BEARER = "oauth2-user-token-test"
DEFAULT_FIELDS = ("id", "text", "edit_history_tweet_ids")
DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."


@dataclass
class Fault:
    method: str
    path_prefix: str
    status: int | None  # None: only delay, then answer normally
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    content_type: str = "application/json"
    delay_s: float = 0.0
    #: set when a request hits this fault (tests wait on it instead of polling)
    hit: asyncio.Event = field(default_factory=asyncio.Event)


def problem(status: int, title: str, detail: str) -> bytes:
    return json.dumps(
        {"title": title, "detail": detail, "type": "about:blank", "status": status}
    ).encode()


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class FakeX:
    def __init__(self, user_id: str = "1708000000", username: str = "lapor1708") -> None:
        self.user_id = user_id
        self.username = username
        self.users: dict[str, dict[str, Any]] = {
            user_id: {"id": user_id, "name": "LAPOR! 1708", "username": username}
        }
        self.tweets: dict[str, dict[str, Any]] = {}
        self.mention_ids: list[str] = []
        self.unindexed: set[str] = set()
        self.media: dict[str, dict[str, Any]] = {}
        self.places: dict[str, dict[str, Any]] = {}
        self.dm_events: list[dict[str, Any]] = []
        self.posted: list[dict[str, Any]] = []
        self.sent_dms: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        #: (monotonic time, Host header, method, path) of each request: which client asked
        #: when, for clients reaching this server through different proxies
        self.origins: list[tuple[float, str, str, str]] = []
        self.faults: list[Fault] = []
        self.reject_auth = False
        self.closed_dm_users: set[str] = set()
        self.search_forbidden = False
        self._seq = itertools.count(1)
        self._tokens: dict[str, int] = {}
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/2/users/{id}/mentions", self._mentions)
        app.router.add_post("/2/tweets", self._create_tweet)
        app.router.add_get("/2/tweets/search/recent", self._search_recent)
        app.router.add_get("/2/dm_events", self._dm_events)
        app.router.add_post("/2/dm_conversations/with/{pid}/messages", self._create_dm)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- scripting -----------------------------------------------------------------------

    def next_id(self, at: datetime | None = None) -> str:
        ms = int((at or datetime.now(UTC)).timestamp() * 1000)
        return str(((ms - EPOCH_MS) << 22) | (next(self._seq) & 0x3FFFFF))

    def add_user(self, user_id: str, username: str, name: str | None = None) -> str:
        self.users[user_id] = {"id": user_id, "name": name or username, "username": username}
        return user_id

    def mention(
        self,
        author_id: str,
        text: str,
        *,
        at: datetime | None = None,
        conversation_id: str | None = None,
        reply_to: str | None = None,
        retweet_of: str | None = None,
        quote_of: str | None = None,
        note: str | None = None,
        media: list[dict[str, Any]] | None = None,
        place: dict[str, Any] | None = None,
        coordinates: tuple[float, float] | None = None,
        indexed: bool = True,
        is_mention: bool = True,
    ) -> str:
        """Create a tweet (mentioning us unless *is_mention* is False); returns its id."""
        tweet_id = self.next_id(at)
        created = at or datetime.now(UTC)
        refs = []
        if reply_to:
            refs.append({"type": "replied_to", "id": reply_to})
        if retweet_of:
            refs.append({"type": "retweeted", "id": retweet_of})
        if quote_of:
            refs.append({"type": "quoted", "id": quote_of})
        tweet: dict[str, Any] = {
            "id": tweet_id,
            "text": text if note is None else text[:275] + "…",
            "edit_history_tweet_ids": [tweet_id],
            "author_id": author_id,
            "created_at": _iso(created),
            "conversation_id": conversation_id
            or (self.tweets[reply_to]["conversation_id"] if reply_to in self.tweets else tweet_id),
            "lang": "in",
            "entities": {
                "mentions": [
                    {"start": 0, "end": 10, "username": self.username, "id": self.user_id}
                ],
                "hashtags": [
                    {"start": 0, "end": 0, "tag": w[1:].strip(".,!?")}
                    for w in text.split()
                    if w.startswith("#")
                ],
            },
        }
        if refs:
            tweet["referenced_tweets"] = refs
        if reply_to and reply_to in self.tweets:
            tweet["in_reply_to_user_id"] = self.tweets[reply_to]["author_id"]
        if note is not None:
            tweet["note_tweet"] = {"text": note}
        if media:
            keys = []
            for item in media:
                key = f"3_{next(self._seq)}"
                self.media[key] = {"media_key": key, **item}
                keys.append(key)
            tweet["attachments"] = {"media_keys": keys}
        geo: dict[str, Any] = {}
        if place:
            self.places[place["id"]] = place
            geo["place_id"] = place["id"]
        if coordinates:
            geo["coordinates"] = {"type": "Point", "coordinates": list(coordinates)}
        if geo:
            tweet["geo"] = geo
        self.tweets[tweet_id] = tweet
        if is_mention:
            self.mention_ids.append(tweet_id)
        if not indexed:
            self.unindexed.add(tweet_id)
        return tweet_id

    def index(self, tweet_id: str) -> None:
        """A late-indexed mention becomes visible (with its old id)."""
        self.unindexed.discard(tweet_id)

    def dm(
        self,
        sender_id: str,
        text: str,
        *,
        at: datetime | None = None,
        to: str | None = None,
        media: dict[str, Any] | None = None,
    ) -> str:
        event_id = self.next_id(at)
        peer = to or self.user_id
        a, b = sorted([sender_id, peer if sender_id != peer else self.user_id])
        event: dict[str, Any] = {
            "id": event_id,
            "event_type": "MessageCreate",
            "text": text,
            "sender_id": sender_id,
            "dm_conversation_id": f"{a}-{b}",
            "created_at": _iso(at or datetime.now(UTC)),
        }
        if media:
            key = f"3_{next(self._seq)}"
            self.media[key] = {"media_key": key, **media}
            event["attachments"] = {"media_keys": [key]}
            event["text"] = text + " https://t.co/abcdEFGH12"
        self.dm_events.append(event)
        return event_id

    def fail(self, method: str, path_prefix: str, status: int | None, **kwargs: Any) -> Fault:
        fault = Fault(method, path_prefix, status, **kwargs)
        self.faults.append(fault)
        return fault

    def rate_limit(
        self,
        method: str,
        path_prefix: str,
        *,
        reset_in_s: float | None = 60,
        reset_24h_in_s: float | None = None,
        times: int = 1,
    ) -> Fault:
        now = time.time()
        headers = {"x-rate-limit-limit": "180", "x-rate-limit-remaining": "0"}
        if reset_in_s is not None:
            headers["x-rate-limit-reset"] = str(int(now + reset_in_s))
        if reset_24h_in_s is not None:
            headers["x-user-limit-24hour-limit"] = "100"
            headers["x-user-limit-24hour-remaining"] = "0"
            headers["x-user-limit-24hour-reset"] = str(int(now + reset_24h_in_s))
        return self.fail(
            method,
            path_prefix,
            429,
            headers=headers,
            times=times,
            body=problem(429, "Too Many Requests", "Too Many Requests"),
        )

    def calls(self, path_prefix: str, method: str = "GET") -> list[dict[str, str]]:
        return [q for m, p, q in self.requests if m == method and p.startswith(path_prefix)]

    # -- plumbing ------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.method, request.path, dict(request.query)))
        self.origins.append((time.monotonic(), request.host, request.method, request.path))
        for fault in list(self.faults):
            if fault.method == request.method and request.path.startswith(fault.path_prefix):
                fault.times -= 1
                fault.hit.set()
                if fault.times <= 0:
                    self.faults.remove(fault)
                if fault.delay_s:
                    await asyncio.sleep(fault.delay_s)
                if fault.status is None:
                    break
                return web.Response(
                    status=fault.status,
                    body=fault.body,
                    headers={"Content-Type": fault.content_type, **fault.headers},
                )
        if self.reject_auth or not self._authorized(request):
            return web.Response(
                status=401,
                body=problem(401, "Unauthorized", "Unauthorized"),
                content_type="application/problem+json",
            )
        return await handler(request)

    def _authorized(self, request: web.Request) -> bool:
        auth = request.headers.get("Authorization", "")
        if auth == f"Bearer {BEARER}":
            return True
        if not auth.startswith("OAuth "):
            return False
        params = oauth_sig.collect_parameters(
            uri_query=request.query_string,
            headers={"Authorization": auth},
            exclude_oauth_signature=True,
        )
        oauth = dict(
            oauth_sig.collect_parameters(
                headers={"Authorization": auth}, exclude_oauth_signature=False
            )
        )
        if (
            oauth.get("oauth_consumer_key") != CONSUMER_KEY
            or oauth.get("oauth_token") != ACCESS_TOKEN
        ):
            return False
        req = SimpleNamespace(
            params=params,
            uri=f"{self.base_url}{request.path}",
            http_method=request.method,
            signature=oauth.get("oauth_signature", ""),
        )
        return bool(oauth_sig.verify_hmac_sha1(req, CONSUMER_SECRET, ACCESS_SECRET))

    def _page(
        self, items: list[dict[str, Any]], query: Any
    ) -> tuple[list[dict[str, Any]], str | None]:
        try:
            size = int(query.get("max_results", "10"))
        except ValueError:
            size = 10
        token = query.get("pagination_token")
        offset = self._tokens.get(token, 0) if token else 0
        page = items[offset : offset + size]
        next_token = None
        if offset + size < len(items):
            next_token = secrets.token_hex(12)
            self._tokens[next_token] = offset + size
        return page, next_token

    def _bad_request(self, message: str) -> web.Response:
        return web.json_response(
            {
                "errors": [{"parameters": {}, "message": message}],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request",
            },
            status=400,
        )

    # -- endpoints -----------------------------------------------------------------------

    async def _search_recent(self, request: web.Request) -> web.Response:
        if self.search_forbidden:
            return web.Response(
                status=403,
                body=problem(
                    403, "Client Forbidden", "This endpoint requires a higher access level."
                ),
                content_type="application/problem+json",
            )
        if request.query.get("query") != f"@{self.username}":
            return self._bad_request("unsupported query")
        return await self._mentions(request, search=True)

    async def _mentions(self, request: web.Request, *, search: bool = False) -> web.Response:
        q = request.query
        if not search and request.match_info["id"] != self.user_id:
            return self._bad_request("not our user")
        try:
            size = int(q.get("max_results", "10"))
        except ValueError:
            return self._bad_request("max_results")
        if not (10 if search else 5) <= size <= 100:
            return self._bad_request(
                "The `max_results` query parameter value must be between 5 and 100"
            )
        since = int(q["since_id"]) if q.get("since_id") else 0
        until = int(q["until_id"]) if q.get("until_id") else None
        start = (
            datetime.fromisoformat(q["start_time"].replace("Z", "+00:00"))
            if q.get("start_time")
            else None
        )
        ids = [
            i
            for i in self.mention_ids
            if int(i) > since
            and i not in self.unindexed
            and (until is None or int(i) < until)
            and (
                start is None
                or datetime.fromisoformat(self.tweets[i]["created_at"].replace("Z", "+00:00"))
                >= start
            )
        ]
        ids.sort(key=int, reverse=True)
        if not search:
            ids = ids[:800]  # the timeline's documented depth
        query = dict(q)
        if search and q.get("next_token"):
            query["pagination_token"] = q["next_token"]
        page_ids, next_token = self._page([{"id": i} for i in ids], query)
        if not page_ids:
            return web.json_response({"meta": {"result_count": 0}})
        fields = set(DEFAULT_FIELDS) | set(filter(None, q.get("tweet.fields", "").split(",")))
        expansions = set(filter(None, q.get("expansions", "").split(",")))
        data = [{k: v for k, v in self.tweets[p["id"]].items() if k in fields} for p in page_ids]
        doc: dict[str, Any] = {"data": data}
        includes = self._includes([self.tweets[p["id"]] for p in page_ids], expansions)
        if includes:
            doc["includes"] = includes
        meta: dict[str, Any] = {
            "result_count": len(data),
            "newest_id": data[0]["id"],
            "oldest_id": data[-1]["id"],
        }
        if next_token:
            meta["next_token"] = next_token
        doc["meta"] = meta
        return web.json_response(doc)

    def _includes(self, tweets: list[dict[str, Any]], expansions: set[str]) -> dict[str, Any]:
        users: dict[str, dict[str, Any]] = {}
        media: dict[str, dict[str, Any]] = {}
        places: dict[str, dict[str, Any]] = {}
        refs: dict[str, dict[str, Any]] = {}
        for t in tweets:
            if "author_id" in expansions and t["author_id"] in self.users:
                users[t["author_id"]] = self.users[t["author_id"]]
            if "attachments.media_keys" in expansions:
                for key in t.get("attachments", {}).get("media_keys", []):
                    media[key] = self.media[key]
            if "geo.place_id" in expansions and t.get("geo", {}).get("place_id"):
                places[t["geo"]["place_id"]] = self.places[t["geo"]["place_id"]]
            if "referenced_tweets.id" in expansions:
                for ref in t.get("referenced_tweets", []):
                    if ref["id"] in self.tweets:
                        refs[ref["id"]] = {
                            k: v
                            for k, v in self.tweets[ref["id"]].items()
                            if k in ("id", "text", "author_id", "edit_history_tweet_ids")
                        }
        out: dict[str, Any] = {}
        if users:
            out["users"] = list(users.values())
        if media:
            out["media"] = list(media.values())
        if places:
            out["places"] = list(places.values())
        if refs:
            out["tweets"] = list(refs.values())
        return out

    async def _create_tweet(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return self._bad_request("body is not JSON")
        text = body.get("text", "")
        if not text or len(text) > 280:
            return self._bad_request("text must be 1..280 characters")
        if any(p["text"] == text for p in self.posted):
            return web.Response(
                status=403,
                body=problem(403, "Forbidden", DUPLICATE_DETAIL),
                content_type="application/problem+json",
            )
        tweet_id = self.next_id()
        self.posted.append({"id": tweet_id, **body})
        return web.json_response(
            {"data": {"id": tweet_id, "text": text, "edit_history_tweet_ids": [tweet_id]}},
            status=201,
        )

    async def _dm_events(self, request: web.Request) -> web.Response:
        events = sorted(self.dm_events, key=lambda e: int(e["id"]), reverse=True)
        page, next_token = self._page(events, request.query)
        if not page:
            return web.json_response({"meta": {"result_count": 0}})
        senders = {e["sender_id"] for e in page}
        doc: dict[str, Any] = {
            "data": page,
            "includes": {"users": [self.users[s] for s in senders if s in self.users]},
            "meta": {"result_count": len(page)},
        }
        keys = [k for e in page for k in e.get("attachments", {}).get("media_keys", [])]
        if keys:
            doc["includes"]["media"] = [self.media[k] for k in keys]
        if next_token:
            doc["meta"]["next_token"] = next_token
        return web.json_response(doc)

    async def _create_dm(self, request: web.Request) -> web.Response:
        pid = request.match_info["pid"]
        body = await request.json()
        if pid in self.closed_dm_users:
            return web.Response(
                status=403,
                body=problem(403, "Forbidden", "You cannot send messages to this user."),
                content_type="application/problem+json",
            )
        event_id = self.next_id()
        self.sent_dms.append({"id": event_id, "participant_id": pid, **body})
        a, b = sorted([pid, self.user_id])
        return web.json_response(
            {"data": {"dm_conversation_id": f"{a}-{b}", "dm_event_id": event_id}}, status=201
        )

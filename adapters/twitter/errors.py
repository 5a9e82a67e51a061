"""What can go wrong talking to the X API, as data the poller and ``send`` can act on.

tweepy raises its own exceptions and aiohttp raises transport errors; :mod:`.client`
re-raises all of them at its boundary as one of these, so nothing above the client knows
about tweepy or aiohttp::

    XApiError                 any failure; ``status`` (None: no HTTP answer), ``headers``
    +-- RateLimitedError      429: wait for the reset headers (see :mod:`.ratelimit`)
    +-- AuthError             401, or 403 on a read: a configuration problem, shown in /readyz
    +-- DuplicateContentError 403 "duplicate content" on create tweet: already acknowledged
    +-- ForbiddenError        any other 403 (user blocks DMs, reply not allowed...)
    +-- TransientError        5xx, 408, 425, network error, timeout, unparsable 2xx body:
                              retry later (:mod:`gateway.resilience.errors` decides)
    +-- ClientError           other 4xx: our request is wrong; retrying will not help
"""

from __future__ import annotations

from collections.abc import Mapping


class XApiError(Exception):
    """An X API call failed. The message never contains credentials or request bodies."""

    def __init__(
        self, message: str, *, status: int | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers: dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}


class RateLimitedError(XApiError):
    """HTTP 429."""


class AuthError(XApiError):
    """HTTP 401 (or 403 where the account itself is refused): fix the credentials."""


class DuplicateContentError(XApiError):
    """X refused a tweet identical to one we already posted: the citizen has the ack."""


class ForbiddenError(XApiError):
    """HTTP 403 for this one request (blocked, protected, DMs closed)."""


class TransientError(XApiError):
    """5xx, network failure, timeout or a garbled answer: back off and try again."""


class ClientError(XApiError):
    """Another 4xx: retrying the same request will fail the same way."""

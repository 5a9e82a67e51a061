"""What can go wrong talking to the Bot API, as data the poller and ``send`` act on.

The client (:mod:`.client`) raises only these; aiohttp's transport errors are re-raised at
its boundary. The Bot API answers ``{"ok": false, "error_code", "description",
"parameters"}``; the classes follow ``error_code``::

    BotApiError              any failure; ``status`` (None: no answer), ``description``
    +-- RateLimitedError     429: ``retry_after`` seconds from ``parameters.retry_after``
    +-- BlockedError         403: the user blocked the bot (or deleted the account, or the
    |                        bot was removed from the chat): no message can reach that chat
    +-- AuthError            401, or 404 on a method: the token is wrong (a configuration
    |                        problem, shown in /readyz)
    +-- ConflictError        409: another getUpdates runs with this token, or a webhook is set
    +-- TransientError       5xx, network failure, timeout, a body that is not the API's JSON:
    |                        try again later (:mod:`gateway.resilience.errors` decides)
    +-- ClientError          another 4xx: this request is wrong; retrying will not help

Messages never contain the token (it is part of every URL, so URLs are never logged).
"""

from __future__ import annotations


class BotApiError(Exception):
    """A Bot API call failed."""

    def __init__(self, message: str, *, status: int | None = None, description: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.description = description


class RateLimitedError(BotApiError):
    """HTTP 429 ``Too Many Requests: retry after N``."""

    def __init__(self, message: str, *, retry_after: float, description: str = "") -> None:
        super().__init__(message, status=429, description=description)
        self.retry_after = retry_after


class BlockedError(BotApiError):
    """HTTP 403: the chat cannot be written to (bot blocked, user deactivated, kicked)."""


class AuthError(BotApiError):
    """HTTP 401 (or 404 for a method): the bot token is not accepted."""


class ConflictError(BotApiError):
    """HTTP 409: a webhook is set, or another instance polls with the same token."""


class TransientError(BotApiError):
    """5xx, network failure, timeout, garbled answer: back off and retry."""


class ClientError(BotApiError):
    """Another 4xx: the same request will fail the same way."""

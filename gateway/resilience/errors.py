"""Which failures of an HTTP peer are worth retrying: the one classifier every client uses
(the core case store, signed callbacks, the X API).

* an answer: 408, 425, 429 and every 5xx are retryable (the peer is busy, overloaded or
  restarting), with the delay it asked for in ``Retry-After``; any other 4xx is permanent
  (the same request fails the same way);
* no answer: a timeout or an aiohttp connection/transport error is retryable.

Each caller turns the verdict into its own error type (``SendError``, the X error tree), so
errors stay data and this module imports nothing of the project.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass

import aiohttp

#: 4xx answers that mean "not now" rather than "never"
RETRYABLE_STATUS = frozenset({408, 425, 429})
#: exceptions that mean the request got no answer (raised by aiohttp and asyncio timeouts)
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (TimeoutError, aiohttp.ClientError)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do about a failed HTTP answer."""

    retryable: bool
    #: seconds the peer asked us to wait (``Retry-After``), only when retryable
    retry_after: float | None = None


def retryable_status(status: int) -> bool:
    """Whether an HTTP error status is worth retrying."""
    return status in RETRYABLE_STATUS or status >= 500


def classify_status(status: int, retry_after: str | None = None) -> Verdict:
    """The verdict on an error answer *status* with its ``Retry-After`` header value."""
    if not retryable_status(status):
        return Verdict(retryable=False)
    return Verdict(retryable=True, retry_after=parse_retry_after(retry_after))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` value (delta-seconds or HTTP date); None if absent or
    unreadable. A date in the past is 0."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def transport_failure(exc: BaseException) -> str:
    """A log-safe description of a request that got no answer: ``timed out`` or
    ``unreachable: <exception type>`` (never the URL or the exception text)."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    return f"unreachable: {type(exc).__name__}"

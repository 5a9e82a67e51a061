"""HMAC request signing shared by every signed webhook (web, mobile, core events, callbacks).

Scheme (the README's "File a report" signs one with openssl and curl):
``X-Lapor-Timestamp: <unix seconds>`` and
``X-Lapor-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>``.
The timestamp is inside the MAC so a captured request cannot be replayed after the
window; the comparison is constant-time. One implementation, used everywhere, so a fix
lands once.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

TIMESTAMP_HEADER = "X-Lapor-Timestamp"
SIGNATURE_HEADER = "X-Lapor-Signature"
DEFAULT_MAX_SKEW_S = 300


class SignatureError(Exception):
    """The request is not authentic; the message says why without revealing the secret."""


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The ``X-Lapor-Signature`` header value for *body* sent at *timestamp*."""
    mac = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(secret: bytes, body: bytes, now: float | None = None) -> dict[str, str]:
    """Both headers for an outgoing signed request (callbacks, tests, the README's curl)."""
    ts = int(time.time() if now is None else now)
    return {TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: sign(secret, ts, body)}


def verify(
    secret: bytes,
    headers: Mapping[str, str],
    body: bytes,
    *,
    max_skew_s: int = DEFAULT_MAX_SKEW_S,
    now: float | None = None,
) -> None:
    """Raise :class:`SignatureError` unless *headers* carry a fresh, valid signature."""
    if not secret:
        raise SignatureError("signing secret is not configured")
    ts_raw = headers.get(TIMESTAMP_HEADER)
    sig = headers.get(SIGNATURE_HEADER)
    if not ts_raw or not sig:
        raise SignatureError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    try:
        ts = int(ts_raw.strip())
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} is not unix seconds") from None
    current = time.time() if now is None else now
    if abs(current - ts) > max_skew_s:
        raise SignatureError(f"{TIMESTAMP_HEADER} is outside the {max_skew_s} s window")
    expected = sign(secret, ts, body)
    if not hmac.compare_digest(expected.encode(), sig.strip().encode()):
        raise SignatureError("signature does not match")

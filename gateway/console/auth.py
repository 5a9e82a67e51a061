"""Console access: password check, signed session cookies, CSRF tokens, login lockout.

* **Passwords** are argon2 hashes in ``[console] operators`` (``lapor-gateway operator add``).
  A check runs in a thread (argon2 is deliberately slow) and an unknown name is checked
  against a dummy hash, so the answer time does not tell which names exist.
* **Sessions** are stateless signed cookies (``HMAC-SHA256`` with a key derived from
  ``session_secret``): every instance behind a load balancer accepts them, and they survive
  a restart. The signature also covers a fingerprint of the operator's password hash, so
  changing a password (or removing the operator) ends their sessions. A session ends after
  ``session_ttl_s``; logging out drops the cookie and remembers the nonce in this process.
* **CSRF**: each session carries a random nonce; the token in every form is
  ``HMAC(csrf key, nonce)``, compared in constant time. The login form has its own token,
  bound to a short-lived cookie (double submit), so a foreign site cannot log a browser in.
* **Lockout**: failures per account and per client address are counted in the resilience
  kit's token buckets (``N`` failures refilled over ``window_s``); an empty bucket is
  blocked for ``lock_s``, and while it is, the password is not even checked. The counts are
  per process: several instances multiply the attempts an attacker gets by their number.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gateway.resilience.bucket import MAX_CLIENTS, KeyedBuckets
from gateway.sections import ConsoleSection, LockoutSection

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))
#: the shortest password ``operator add`` accepts
MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    """The argon2id hash of *password* (the line ``operator add`` prints)."""
    return _HASHER.hash(password)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    """A logged-in operator, as read from a valid cookie."""

    operator: str
    issued_at: float
    nonce: str


class Access:
    """Operators, sessions and CSRF tokens of one ``[console]`` section."""

    def __init__(self, config: ConsoleSection) -> None:
        self.config = config
        secret = config.session_secret.get_secret_value().encode()
        self._session_key = hmac.new(secret, b"lapor-console-session", hashlib.sha256).digest()
        self._csrf_key = hmac.new(secret, b"lapor-console-csrf", hashlib.sha256).digest()
        self._hashes = {op.name: op.password_hash.get_secret_value() for op in config.operators}
        #: nonces of sessions logged out in this process (until they would have expired)
        self._revoked: dict[str, float] = {}

    # -- passwords -------------------------------------------------------------------------

    async def check_password(self, name: str, password: str) -> bool:
        """True when *name* is an operator and *password* is theirs."""
        hashed = self._hashes.get(name)
        ok = await asyncio.to_thread(_verify, hashed or _DUMMY_HASH, password)
        return ok and hashed is not None

    # -- sessions --------------------------------------------------------------------------

    def _fingerprint(self, operator: str) -> bytes:
        return hashlib.sha256(self._hashes.get(operator, "").encode()).digest()[:16]

    def _sign(self, payload: str, operator: str) -> str:
        mac = hmac.new(self._session_key, payload.encode(), hashlib.sha256)
        mac.update(self._fingerprint(operator))
        return _b64(mac.digest())

    def issue(self, operator: str, now: float | None = None) -> str:
        """A cookie value for a session of *operator* starting *now*."""
        body = {
            "op": operator,
            "iat": int(time.time() if now is None else now),
            "n": secrets.token_urlsafe(16),
        }
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload, operator)}"

    def read(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session a cookie value carries, or None when it is missing, forged, expired,
        logged out, or its operator is gone or has a new password."""
        if not cookie or cookie.count(".") != 1:
            return None
        payload, signature = cookie.split(".")
        try:
            body = json.loads(_unb64(payload))
            operator, issued, nonce = str(body["op"]), float(body["iat"]), str(body["n"])
        except (ValueError, KeyError, TypeError):
            return None
        if operator not in self._hashes:
            return None
        if not hmac.compare_digest(signature, self._sign(payload, operator)):
            return None
        t = time.time() if now is None else now
        if not issued <= t + 60 or t - issued > self.config.session_ttl_s:
            return None
        if nonce in self._revoked:
            return None
        return Session(operator=operator, issued_at=issued, nonce=nonce)

    def revoke(self, session: Session) -> None:
        """Refuse *session* from now on in this process (logout)."""
        now = time.time()
        ttl = self.config.session_ttl_s
        self._revoked = {n: at for n, at in self._revoked.items() if now - at <= ttl}
        self._revoked[session.nonce] = session.issued_at

    # -- CSRF ------------------------------------------------------------------------------

    def csrf_token(self, nonce: str) -> str:
        """The token forms of the session (or login form) with *nonce* carry."""
        return _b64(hmac.new(self._csrf_key, nonce.encode(), hashlib.sha256).digest())

    def csrf_ok(self, nonce: str, token: str | None) -> bool:
        """Whether *token* is the one of *nonce* (constant-time comparison)."""
        if not token or not nonce:
            return False
        return hmac.compare_digest(token.encode(), self.csrf_token(nonce).encode())


class Lockout:
    """Failed logins per account and per client address (see the module docstring)."""

    def __init__(self, config: LockoutSection) -> None:
        self.config = config
        self._accounts = KeyedBuckets(
            config.account_failures, config.account_failures / config.window_s, max_keys=10_000
        )
        self._sources = KeyedBuckets(
            config.source_failures, config.source_failures / config.window_s, max_keys=MAX_CLIENTS
        )

    def locked(self, account: str, source: str, now: float | None = None) -> float:
        """Seconds the account or the address stays locked; 0 when neither is."""
        t = time.monotonic() if now is None else now
        waits = [
            bucket.seconds_until_available(t)
            for bucket in (self._accounts.get(account), self._sources.get(source))
            if bucket is not None
        ]
        return max(waits, default=0.0)

    def failed(self, account: str, source: str, now: float | None = None) -> None:
        """Count a failure; a bucket emptied by it is blocked for ``lock_s``."""
        t = time.monotonic() if now is None else now
        for table, key in ((self._accounts, account), (self._sources, source)):
            bucket = table.bucket(key, t)
            bucket.take(t)
            if not bucket.available(t):
                bucket.block_for(self.config.lock_s, t)

"""Whether a platform accepts the gateway's credentials (X, Telegram, WhatsApp).

A refusal (401, a revoked token) is a configuration problem an operator must fix, not an
outage to wait out: the adapter is unhealthy on ``/readyz`` (and its ``*_auth_ok`` gauge
is 0, where it has one) until a call succeeds again.
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import Gauge

from gateway.adapter import Health


class AuthState:
    """The credentials' state of one adapter. *accepted_again* is logged (to *log*) when a
    call succeeds after a refusal; *detail_prefix* comes before the refusal in the health
    detail."""

    def __init__(
        self,
        log: logging.Logger,
        accepted_again: str,
        *,
        gauge: Gauge | None = None,
        detail_prefix: str = "",
    ) -> None:
        self.problem: str | None = None
        self._log = log
        self._accepted_again = accepted_again
        self._gauge = gauge
        self._detail_prefix = detail_prefix

    def refused(self, detail: str) -> None:
        """The platform refused the credentials: unhealthy until :meth:`accepted`."""
        self.problem = detail
        if self._gauge is not None:
            self._gauge.set(0)

    def accepted(self) -> None:
        """A call succeeded: healthy again."""
        if self.problem is not None:
            self._log.info(self._accepted_again)
        self.problem = None
        if self._gauge is not None:
            self._gauge.set(1)

    def health(self, extra: dict[str, Any]) -> Health:
        """The adapter's health with *extra*: not ok while the credentials are refused."""
        if self.problem is not None:
            return Health(ok=False, detail=f"{self._detail_prefix}{self.problem}", extra=extra)
        return Health(ok=True, extra=extra)

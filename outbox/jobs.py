"""What the relay works on: due outbox rows (jobs) and the verdict on each attempt.

Defined here, not in the store, so the relay depends on nothing but these types; the
store returns them and persists the outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OutboxItem:
    """A due outbox row.

    ``kind``: ``forward`` (report to the core case store), ``addendum`` (a repeat or
    follow-up for an existing case), ``ack`` (text to the citizen through ``target``, the
    adapter's registry name).

    ``report_json``: for ``forward`` and ``addendum``, the report as stored, read with the
    row (one read per relay pass, not one per forwarded report); None otherwise.
    """

    id: int
    kind: str
    tracking_id: str | None
    target: str
    payload: dict[str, Any]
    attempts: int
    created_at: float
    report_json: str | None = None


@dataclass(frozen=True)
class OutboxOutcome:
    """``done``, ``retry`` (due again at ``retry_at``, unix seconds), ``deferred`` (the peer
    throttled us: due again at ``retry_at`` without spending an attempt) or ``dead``
    (dead-letter table). ``retry_at`` is absolute so that the row and its paused target
    become due at the same moment, however late the outcome is committed.

    ``similar_to``: the level-3 links sent with a forwarded report (JSON objects with
    ``tracking_id`` and ``score``), stored with the report when the outcome is committed."""

    id: int
    state: str
    error: str | None = None
    retry_at: float = 0.0
    message_id: str | None = None
    core_case_id: str | None = None
    similar_to: list[dict[str, Any]] | None = None


class SendError(Exception):
    """A delivery attempt failed. Errors are data: ``retryable`` decides between backoff and
    the dead-letter table; ``retry_after`` (seconds) is honoured when the peer sent one.

    ``throttled``: the peer asked us to slow down (SMPP ``ESME_RTHROTTLED``). That is flow
    control, not a failure of the message: the relay backs off with growing waits without
    spending the row's attempts, and gives up only after the policy's time budget."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        throttled: bool = False,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable or throttled
        self.retry_after = retry_after
        self.throttled = throttled

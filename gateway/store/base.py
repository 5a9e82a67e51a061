"""The store interface: what the pipeline, relay and CLI need from durable storage.

SQLite (:mod:`gateway.store.sqlite`) is the only backend today. PostgreSQL is planned for
several gateway instances (outbox claims with ``FOR UPDATE SKIP LOCKED``, the same unique
constraints for dedup); everything above the store talks to :class:`Store` only, so a second
backend does not touch adapters or the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from gateway.adapter import Fragment, IntakeResult, StatusView
from normalizer import PossibleDuplicate, Report
from outbox.jobs import OutboxItem, OutboxOutcome


@dataclass
class OutboxRow:
    """A row to enqueue in the same transaction as the change that caused it.

    ``state`` is ``pending`` (relay picks it up) or ``held`` (flood control: waits for an
    operator or for the sender to calm down).
    """

    kind: str
    target: str
    payload: dict[str, Any]
    tracking_id: str | None = None
    state: str = "pending"


@dataclass(frozen=True)
class PriorReport:
    """A report by the same reporter identity, inside the dedup window."""

    tracking_id: str
    text: str
    received_at: datetime
    duplicate_of: str | None
    anonymous: bool
    confidential: bool


@dataclass
class Plan:
    """What the pipeline decided for a new report, computed inside the write transaction."""

    status: str = "received"
    duplicate_of: str | None = None
    #: a new case that may repeat an earlier one of the same reporter (for case handlers)
    possible_duplicate_of: PossibleDuplicate | None = None
    outbox: list[OutboxRow] = field(default_factory=list)
    throttled: bool = False


#: Called inside the write transaction with the report (tracking ID assigned) and the same
#: reporter's recent reports; returns the plan to persist atomically with the report.
Planner = Callable[[Report, list[PriorReport]], Plan]


@dataclass(frozen=True)
class FileRequest:
    report: Report
    inbound_key: str
    body_hash: str | None
    checkpoint: tuple[str, str] | None
    dedup_since: datetime
    planner: Planner
    new_tracking_id: Callable[[], str]


@dataclass(frozen=True)
class CoreEvent:
    tracking_id: str
    status: str
    at: datetime
    note: str | None = None
    agency: str | None = None
    event_key: str | None = None


@dataclass(frozen=True)
class EventResult:
    """``applied`` False for a repeat; ``current`` False when a newer event already won.

    ``silent`` says why a current status change queued no update to the citizen
    (``"not_notified_status"``: not in ``acks.notify_statuses``; ``"opted_out"``;
    ``"no_reply_address"``); empty when one was queued or nothing changed."""

    known: bool
    applied: bool
    current: bool
    silent: str = ""

    @property
    def notified(self) -> bool:
        """A status_update to the citizen was queued in the outbox."""
        return self.current and not self.silent


class Store(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def healthy(self) -> bool: ...

    async def file_report(self, request: FileRequest) -> IntakeResult: ...
    async def answer_once(
        self, inbound_key: str, rows: list[OutboxRow], identity_opt_out: tuple[str, bool] | None
    ) -> bool: ...
    async def add_followup(self, tracking_id: str, inbound_key: str, text: str) -> bool: ...
    async def is_opted_out(self, identities: list[str]) -> bool: ...
    async def delivery_receipt(self, target: str, message_id: str, state: str) -> bool: ...
    async def store_fragment(
        self, group: str, part: int, total: int, data: bytes, meta: dict[str, Any]
    ) -> list[Fragment] | None: ...
    async def expired_fragment_groups(self, older_than_s: float) -> dict[str, list[Fragment]]: ...
    async def drop_fragments(self, group: str) -> None: ...
    async def inbound_key_age(self, key: str) -> float | None: ...
    async def get_checkpoint(self, name: str) -> str | None: ...
    async def set_checkpoint(self, name: str, value: str) -> None: ...

    async def get_report(self, tracking_id: str) -> tuple[Report, str] | None: ...
    async def status_view(self, tracking_id: str) -> StatusView | None: ...
    async def apply_event(
        self, event: CoreEvent, make_rows: Callable[[Report, str], list[OutboxRow]]
    ) -> EventResult: ...
    async def list_reports(self, status: str | None, limit: int) -> list[dict[str, Any]]: ...

    async def due_outbox(
        self,
        now: float,
        limit: int,
        exclude_targets: frozenset[str] = frozenset(),
        only_targets: frozenset[str] | None = None,
    ) -> list[OutboxItem]: ...
    async def finish_outbox(self, outcomes: list[OutboxOutcome]) -> None: ...
    async def outbox_depth(self) -> dict[str, int]: ...
    async def dead_letters(self, limit: int) -> list[dict[str, Any]]: ...
    async def outbox_states(self, ids: list[int]) -> dict[int, str]: ...
    async def replay(self, ids: list[int] | None) -> int: ...
    async def release_held(self, tracking_ids: list[str] | None) -> int: ...
    async def embedded_core_receive(self, tracking_id: str, payload: dict[str, Any]) -> str: ...
    async def embedded_core_addendum(self, tracking_id: str, payload: dict[str, Any]) -> None: ...

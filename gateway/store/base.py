"""The values that cross the store interfaces (:mod:`gateway.store.interfaces`): what a
consumer hands a backend and what a backend returns, the same for every backend."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypedDict

from gateway.adapter import IntakeResult
from normalizer import PossibleDuplicate, Report
from outbox.jobs import Job, OutboxState


@dataclass
class OutboxRow:
    """A job to enqueue in the same transaction as the change that caused it, ``pending``
    or ``held`` (:class:`~outbox.jobs.OutboxState`)."""

    job: Job
    tracking_id: str | None = None
    state: OutboxState = OutboxState.PENDING

    @property
    def target(self) -> str:
        return self.job.target


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

    def plan(
        self, report: Report, tracking_id: str, prior: list[PriorReport]
    ) -> tuple[Plan, Report]:
        """The planner's plan for *report* filed as *tracking_id*, and the report as it is
        stored: with that ID and the plan's duplicate links and throttled flag."""
        report = report.model_copy(update={"tracking_id": tracking_id})
        plan = self.planner(report, prior)
        report = report.model_copy(
            update={
                "duplicate_of": plan.duplicate_of,
                "possible_duplicate_of": plan.possible_duplicate_of,
                "throttled": plan.throttled,
            }
        )
        return plan, report

    def repeat(
        self,
        tracking_id: str | None,
        body_hash: str | None,
        first_status: str | None,
        duplicate_of: str | None,
    ) -> IntakeResult:
        """The answer to a repeat of a known inbound key: the original result (the status
        it was filed with, not where the core has moved it since; ``answered`` for a key
        that filed no report), and a conflict when the stored body hash differs."""
        conflict = (
            self.body_hash is not None and body_hash is not None and body_hash != self.body_hash
        )
        return IntakeResult(
            tracking_id=tracking_id or "",
            status=first_status or "answered",
            repeat=True,
            duplicate_of=duplicate_of,
            conflict=conflict,
        )


@dataclass(frozen=True)
class CoreEvent:
    tracking_id: str
    status: str
    at: datetime
    note: str | None = None
    agency: str | None = None
    event_key: str | None = None

    @property
    def history_key(self) -> str:
        """The key of the event's status history row, unique per report: the core's
        ``event_key``, else the status and its UTC time (a repeat records nothing)."""
        key = self.event_key or f"{self.status}|{self.at.astimezone(UTC).isoformat()}"
        return f"{self.tracking_id}|{key}"


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


#: a report that warms the level-3 index (:meth:`gateway.linker.Linker.load`):
#: (tracking_id, text, identity_keys, received_at, region, category, address)
DedupRow = tuple[str, str, list[str], datetime, str | None, str | None, str | None]


class ReportSummary(TypedDict):
    """One line of ``lapor-gateway case list`` (flags as 0/1)."""

    tracking_id: str
    channel: str
    status: str
    received_at: str
    duplicate_of: str | None
    #: the earlier report of the same reporter this new case may repeat
    possible_duplicate_of: str | None
    throttled: int
    confidential: int
    anonymous: int
    core_case_id: str | None


class DeadLetter(TypedDict):
    """An outbox row that gave up (``lapor-gateway outbox dead-letters``)."""

    id: int
    kind: str
    tracking_id: str | None
    target: str
    attempts: int
    last_error: str | None
    updated_at: float


class OutboxRecord(TypedDict):
    """An outbox row of one report as the operator sees it (``payload`` is its JSON)."""

    id: int
    kind: str
    target: str
    state: str
    attempts: int
    last_error: str | None
    message_id: str | None
    delivery_state: str | None
    payload: str


class CoreCase(TypedDict):
    """A case the embedded case store received."""

    tracking_id: str
    case_id: str
    received_at: float


class IntakeCount(TypedDict):
    """Reports of one channel received in one UTC hour (``hour``: ``YYYY-MM-DDTHH``)."""

    channel: str
    hour: str
    count: int


class TargetBacklog(TypedDict):
    """What waits in the outbox for one target (``core`` or an adapter)."""

    target: str
    pending: int
    #: pending rows that have failed at least once (waiting for their next try)
    retrying: int
    held: int
    dead: int
    #: ``created_at`` (unix seconds) of the oldest pending row, None when none is pending
    oldest_pending_at: float | None


class RetryingRow(TypedDict):
    """A pending row that failed before and waits for its next attempt."""

    id: int
    kind: str
    tracking_id: str | None
    target: str
    attempts: int
    last_error: str | None
    next_attempt_at: float


@dataclass(frozen=True)
class HeldReport:
    """A report whose outbox rows flood control holds; ``held_rows`` is how many."""

    tracking_id: str
    report: Report
    held_rows: int

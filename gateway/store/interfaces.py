"""Durable storage as each consumer sees it: one protocol per consumer, typed with the
domain values of :mod:`gateway.store.base`.

A consumer is typed with the narrowest protocol it calls, so what it may do to the
database is visible in its signature, and a backend is known to be complete when it
satisfies :class:`Store`, the union. The SQLite backend (:mod:`gateway.store.sqlite`) and
the PostgreSQL backend (:mod:`gateway.store.postgres`) implement them all; their read-only
halves (:class:`gateway.store.reader.SqliteReader`,
:class:`gateway.store.postgres.PostgresReader`) implement :class:`ForwarderReader`. Every
backend passes the one contract suite in
``tests/store/``, which fixes the behaviour behind each method.

=========================  ====================================================
protocol                   consumer
=========================  ====================================================
:class:`IntakeStore`       the pipeline filing messages (:mod:`gateway.pipeline`)
:class:`FragmentStore`,    per-adapter state (SMS parts, X cursors), reached
:class:`CheckpointStore`   through the pipeline's :class:`gateway.adapter.Intake`
:class:`ReportReader`      delivery (report body), the pipeline (status, events)
:class:`DueRows`,          the outbox relay (:class:`outbox.relay.OutboxQueue`)
:class:`ClaimRows`,        (claims when several instances share the database)
:class:`OutboxStore`       and the operator's outbox commands
:class:`HeldRows`          flood control's release (the pipeline)
:class:`CaseStore`         the embedded core case store (:mod:`gateway.delivery`)
:class:`ReadModel`         operator views (``lapor-gateway case ...``)
:class:`OpsView`           the operator console's overview (:mod:`gateway.console`)
:class:`WarmupSource`      the level-3 index warm-up (:mod:`gateway.linker`)
:class:`LeaseStore`        singletons under a leader lease (the X pollers)
:class:`ForwarderReader`   the forwarder process (reads only)
:class:`PipelineStore`     what :class:`gateway.pipeline.Pipeline` is built on
:class:`Store`             the whole backend, opened and closed by the wiring
=========================  ====================================================
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from gateway.adapter import (
    CheckpointStore,
    FragmentStore,
    IntakeResult,
    StatusView,
)
from gateway.store.base import (
    CoreCase,
    CoreEvent,
    DeadLetter,
    DedupRow,
    EventResult,
    FileRequest,
    HeldReport,
    IntakeCount,
    OutboxRecord,
    OutboxRow,
    ReportSummary,
    RetryingRow,
    TargetBacklog,
)
from normalizer import Report
from outbox.jobs import OutboxItem, OutboxOutcome

__all__ = [
    "CaseStore",
    "CheckpointStore",
    "ClaimRows",
    "DueRows",
    "ForwarderReader",
    "FragmentStore",
    "HeldRows",
    "IntakeStore",
    "LeaseStore",
    "OpsView",
    "OutboxStore",
    "PipelineStore",
    "ReadModel",
    "ReportReader",
    "Store",
    "WarmupSource",
]


class IntakeStore(Protocol):
    """What the pipeline commits for inbound messages. Every write returns after its
    COMMIT; an inbound key is claimed once, so a redelivered message changes nothing."""

    async def file_report(self, request: FileRequest) -> IntakeResult:
        """File a report with its inbound key, identities, first history row and the
        planner's outbox rows (and ``request.checkpoint``) in one transaction; a known
        inbound key answers with the original result (``repeat``, ``conflict`` when the
        body hash differs). The planner sees the same reporter's reports received since
        ``request.dedup_since``."""
        ...

    async def answer_once(
        self, inbound_key: str, rows: list[OutboxRow], identity_opt_out: tuple[str, bool] | None
    ) -> bool:
        """Claim *inbound_key* and queue *rows* (and record an opt-out change); False, with
        nothing written, when the key was claimed before."""
        ...

    async def add_followup(self, tracking_id: str, inbound_key: str, text: str) -> bool:
        """Attach *text* to a report once per *inbound_key*; :class:`KeyError` when the
        report is unknown."""
        ...

    async def is_opted_out(self, identities: list[str]) -> bool:
        """True when any of *identities* asked for no status updates."""
        ...

    async def delivery_receipt(self, target: str, message_id: str, state: str) -> bool:
        """Record a receipt on the ack *target* sent as *message_id*; False when none was."""
        ...

    async def inbound_key_age(self, key: str) -> float | None:
        """Seconds since *key* was claimed, or None."""
        ...

    async def apply_event(
        self, event: CoreEvent, make_rows: Callable[[Report, str], list[OutboxRow]]
    ) -> EventResult:
        """Record a status event from the core once per event key; only one newer than
        the current status changes it and queues ``make_rows(report, status)``."""
        ...


class ReportReader(Protocol):
    """One stored report, by tracking ID."""

    async def get_report(self, tracking_id: str) -> tuple[Report, str] | None:
        """The report as filed (links included) and its current status, or None."""
        ...

    async def status_view(self, tracking_id: str) -> StatusView | None:
        """The public status and its history, oldest first, or None."""
        ...


class DueRows(Protocol):
    """Reading the outbox queue: what the relay delivers next."""

    async def due_outbox(
        self,
        now: float,
        limit: int,
        exclude_targets: frozenset[str] = frozenset(),
        only_targets: frozenset[str] | None = None,
    ) -> list[OutboxItem]:
        """Pending rows due at *now*, oldest first, at most *limit*; rows of
        *exclude_targets* are skipped and, with *only_targets*, nothing else is returned.
        Rows bound for the core carry the report JSON (:attr:`OutboxItem.report_json`)."""
        ...


class HeldRows(Protocol):
    """Rows held by flood control."""

    async def release_held(self, tracking_ids: list[str] | None) -> int:
        """Make held rows of *tracking_ids* (None: all) pending now and clear the reports'
        throttled flag; returns the number of rows released."""
        ...


class ClaimRows(Protocol):
    """Taking due rows for one deliverer among several (instances sharing a database)."""

    async def claim_outbox(
        self,
        claimer: str,
        now: float,
        limit: int,
        lease_s: float,
        exclude_targets: frozenset[str] = frozenset(),
        only_targets: frozenset[str] | None = None,
    ) -> list[OutboxItem]:
        """The due rows of :meth:`DueRows.due_outbox` that no other claim holds, claimed
        for *claimer* until ``now + lease_s``: no other claimer gets them until
        :meth:`OutboxStore.finish_outbox` records their outcome (which ends the claim) or
        the lease runs out (the claimer died: another takes the row over)."""
        ...

    async def unclaim_outbox(self, claimer: str, ids: list[int]) -> None:
        """End *claimer*'s claim on rows *ids* it claimed but did not attempt (their target
        failed earlier in the pass, or only a probe of it was sent): they are due again at
        once, here or on another instance, instead of when the lease runs out. Rows that
        another claimer holds by now are left alone."""
        ...


class OutboxStore(DueRows, ClaimRows, HeldRows, Protocol):
    """The outbox: the relay's queue and outcomes, and the operator's commands on it."""

    async def finish_outbox(self, outcomes: list[OutboxOutcome]) -> None:
        """Record attempts: ``done`` (with message id, core case id, level-3 links),
        ``retry`` (due at ``retry_at``, one attempt spent), ``deferred`` (due at
        ``retry_at``, none spent) or ``dead``."""
        ...

    async def outbox_depth(self) -> dict[str, int]:
        """Number of rows by state."""
        ...

    async def dead_letters(self, limit: int) -> list[DeadLetter]:
        """Dead rows, oldest first."""
        ...

    async def outbox_states(self, ids: list[int]) -> dict[int, str]:
        """The state of each row of *ids* that exists (what ``outbox replay`` checks)."""
        ...

    async def replay(self, ids: list[int] | None) -> int:
        """Make dead rows *ids* (None: all) pending again with no attempts spent."""
        ...


class CaseStore(Protocol):
    """The embedded core case store (no ``core.url``): cases kept in the same database."""

    async def embedded_core_receive(self, tracking_id: str, payload: dict[str, Any]) -> str:
        """Open a case for *tracking_id* and return its id; a repeat returns the same id."""
        ...

    async def embedded_core_addendum(self, tracking_id: str, payload: dict[str, Any]) -> None:
        """Add *payload* to the case of *tracking_id*."""
        ...

    async def core_cases(self) -> list[CoreCase]:
        """Every case received."""
        ...


class ReadModel(ReportReader, Protocol):
    """What an operator reads about reports."""

    async def list_reports(self, status: str | None, limit: int) -> list[ReportSummary]:
        """Reports (of *status*, or all), newest first."""
        ...

    async def outbox_rows(self, tracking_id: str) -> list[OutboxRecord]:
        """Every outbox row of a report, in the order queued."""
        ...

    async def followups(self, tracking_id: str) -> list[str]:
        """Follow-up texts of a report, in the order received."""
        ...


class OpsView(Protocol):
    """What the operator console's overview reads: intake, backlog, retries, held rows."""

    async def intake_counts(self, since: datetime) -> list[IntakeCount]:
        """Reports received at or after *since* (UTC), counted per channel and UTC hour."""
        ...

    async def outbox_backlog(self) -> list[TargetBacklog]:
        """Per target with anything pending, held or dead: the counts and the age of the
        oldest pending row; targets in name order."""
        ...

    async def retrying_rows(self, limit: int) -> list[RetryingRow]:
        """Pending rows that failed at least once, most attempts first."""
        ...

    async def held_reports(self, limit: int) -> list[HeldReport]:
        """Reports with held outbox rows (flood control), oldest first: what
        :meth:`HeldRows.release_held` would release."""
        ...


class WarmupSource(Protocol):
    """The reports that warm the level-3 similarity index."""

    async def dedup_rows(self, since: datetime) -> list[DedupRow]:
        """Original reports (not level-2 duplicates) received at or after *since*, oldest
        first, with their reporter identities; a report whose forward is still waiting
        (pending, held, dead) is left out: it is indexed when it is forwarded."""
        ...


class ForwarderReader(DueRows, ReportReader, WarmupSource, Protocol):
    """The forwarder process's view: it reads due rows, reports and warm-up rows, and
    sends its outcomes to the main process, which commits them."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...


class PipelineStore(IntakeStore, FragmentStore, CheckpointStore, ReportReader, HeldRows, Protocol):
    """What :class:`gateway.pipeline.Pipeline` needs: intake, the adapters' state it
    passes through, status reads and flood release."""


class LeaseStore(Protocol):
    """Leader leases: at most one holder of a named singleton (the X pollers) at a time.

    A lease runs for ``ttl_s`` from each acquire or renew; a holder that dies stops
    renewing and another takes the lease over once it has run out. A backend that serves
    one instance only (SQLite) grants every request: there is nobody to share with."""

    async def acquire_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        """Take *name* for *holder* when it is free, run out or already *holder*'s."""
        ...

    async def renew_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        """Extend *holder*'s lease; False when another holder has taken it over."""
        ...

    async def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up at once (a clean stop), so nobody waits for it to run out."""
        ...


class Store(
    PipelineStore, OutboxStore, CaseStore, ReadModel, OpsView, WarmupSource, LeaseStore, Protocol
):
    """A whole backend. ``open`` creates or migrates the schema; ``close`` finishes queued
    writes; ``healthy`` is True when a write can commit now. ``async with store:`` opens
    and closes it (a failed open closes what it had opened)."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def __aenter__(self) -> Store: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def healthy(self) -> bool: ...

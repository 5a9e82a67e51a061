"""The pipeline: normalized report -> dedupe -> tracking ID -> persist (with outbox rows).

:class:`Pipeline` implements :class:`gateway.adapter.Intake`, the one narrow interface
through which every adapter files reports. Each call returns after the durable commit;
only then may the adapter acknowledge to its transport.

Everything that must happen "exactly once" for a report (its forward to the core case
store, its ack to the citizen) is an outbox row written in the same transaction as the
report; the outbox relay delivers them afterwards (see :mod:`outbox.relay`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from gateway import metrics
from gateway.adapter import Fragment, IntakeResult, StatusView
from gateway.dedup import Deduplicator
from gateway.sections import GatewayConfig
from gateway.store import CoreEvent, EventResult, FileRequest, OutboxRow, Plan, PriorReport
from gateway.store.interfaces import PipelineStore
from gateway.templates import Templates
from normalizer import PossibleDuplicate, ReplyAddress, Report
from normalizer.privacy import mask_phone
from normalizer.tracking import new_tracking_id
from outbox.jobs import AckJob, AddendumJob, ForwardJob, OutboxState, StatusUpdateJob

log = logging.getLogger(__name__)

EVENT_STATUSES = frozenset(
    {"verified", "forwarded", "in_progress", "responded", "closed", "rejected"}
)
#: every status a stored report can have: set at intake, or by the core's events
REPORT_STATUSES = EVENT_STATUSES | {"received", "duplicate", "addendum"}


class FloodGate(Protocol):
    """Flood control (see :mod:`gateway.flood`): ``allow`` charges the sender's and the
    channel's buckets; a throttled report is ``hold``-ed and handed back by ``due`` once its
    sender has calmed down."""

    def allow(self, report: Report) -> bool: ...

    def hold(self, tracking_id: str, report: Report) -> None: ...

    def due(self) -> list[str]: ...


class Pipeline:
    """Implements :class:`gateway.adapter.Intake` on a
    :class:`~gateway.store.interfaces.PipelineStore`."""

    def __init__(
        self,
        store: PipelineStore,
        config: GatewayConfig,
        *,
        dedup: Deduplicator | None = None,
        flood: FloodGate | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.templates = Templates(config.acks, config.gateway.timezone)
        self.dedup = dedup
        self.flood = flood
        #: called after every commit that queued outbox rows (the relay's wake-up)
        self.after_commit: Callable[[], None] | None = None

    async def release_calmed(self) -> int:
        """Release reports held by flood control whose senders have calmed down; returns the
        number of outbox rows released (called periodically by the service)."""
        if self.flood is None:
            return 0
        due = self.flood.due()
        if not due:
            return 0
        released = await self.store.release_held(due)
        if released:
            self._committed()
        return released

    def _committed(self) -> None:
        if self.after_commit is not None:
            self.after_commit()

    # -- Intake ----------------------------------------------------------------------------

    async def submit(
        self,
        report: Report,
        *,
        inbound_key: str,
        body_hash: str | None = None,
        checkpoint: tuple[str, str] | None = None,
    ) -> IntakeResult:
        throttled = self.flood is not None and not self.flood.allow(report)
        since = datetime.now(UTC) - timedelta(hours=self.config.dedup.window_hours)
        prepared = self.dedup.prepare(report) if self.dedup is not None else None

        def planner(r: Report, prior: list[PriorReport]) -> Plan:
            return self._plan(r, prior, throttled, prepared)

        request = FileRequest(
            report=report,
            inbound_key=inbound_key,
            body_hash=body_hash,
            checkpoint=checkpoint,
            dedup_since=since,
            planner=planner,
            new_tracking_id=new_tracking_id,
        )
        with metrics.COMMIT_LATENCY.time():
            result = await self.store.file_report(request)
        channel = report.channel.value
        self._committed()
        if result.conflict:
            pass  # not a repeat: the adapter refuses it (409), counted with the rejections
        elif result.repeat:
            metrics.REPEATS.labels(channel).inc()
        else:
            metrics.RECEIVED.labels(channel).inc()
            if result.duplicate_of:
                metrics.DUPLICATES.labels(channel).inc()
            if throttled:
                metrics.THROTTLED.labels(channel).inc()
                if self.flood is not None:
                    filed = report.model_copy(
                        update={
                            "tracking_id": result.tracking_id,
                            "duplicate_of": result.duplicate_of,
                        }
                    )
                    self.flood.hold(result.tracking_id, filed)
            log.info(
                "report filed",
                extra={
                    "tracking_id": result.tracking_id,
                    "channel": channel,
                    "transport": report.transport,
                    "reporter": mask_phone(report.reporter.phone),
                    "duplicate_of": result.duplicate_of,
                    "throttled": throttled,
                },
            )
        return result

    def _plan(
        self, report: Report, prior: list[PriorReport], throttled: bool, prepared: Any = None
    ) -> Plan:
        """Decide duplicates and the outbox rows; runs inside the write transaction."""
        assert report.tracking_id is not None
        tid = report.tracking_id
        duplicate_of: str | None = None
        possible: PossibleDuplicate | None = None
        addendum = False
        if self.dedup is not None:
            decision = self.dedup.decide(report, prior, prepared)
            duplicate_of, addendum = decision.duplicate_of, decision.addendum
            possible = decision.possible_duplicate_of
        state = OutboxState.HELD if throttled else OutboxState.PENDING
        rows: list[OutboxRow] = []
        if duplicate_of is not None:
            rows.append(
                OutboxRow(AddendumJob(original=duplicate_of, addendum=addendum), tid, state)
            )
            status = "addendum" if addendum else "duplicate"
        else:
            rows.append(OutboxRow(ForwardJob(), tid, state))
            status = "received"
        # a throttled report is not acknowledged one by one (the sender is flooding); the
        # reply for a duplicate only ever shows the reporter's own original (level 2 links
        # by identity), never a level-3 link to someone else's report
        if report.reply_to is not None and not throttled:
            template = "received" if duplicate_of is None else "duplicate"
            if addendum and "addendum" in self.config.acks.templates:
                template = "addendum"
            shown = tid if duplicate_of is None else duplicate_of
            rows.append(
                self._ack_row(
                    report.reply_to,
                    template,
                    tracking_id=shown,
                    kind=template,
                    state=state,
                    report_id=tid,
                    confidential=report.confidential,
                    extra={"tracking_id": tid, "status": status, "duplicate_of": duplicate_of},
                )
            )
        return Plan(
            status=status,
            duplicate_of=duplicate_of,
            possible_duplicate_of=possible,
            outbox=rows,
            throttled=throttled,
        )

    def _ack_row(
        self,
        reply_to: ReplyAddress,
        template: str,
        *,
        tracking_id: str | None,
        kind: str,
        state: OutboxState = OutboxState.PENDING,
        report_id: str | None = None,
        confidential: bool = False,
        status: str | None = None,
        note: str | None = None,
        agency: str | None = None,
        at: datetime | None = None,
        extra: dict[str, Any] | None = None,
    ) -> OutboxRow:
        text = self.templates.render(
            template, tracking_id=tracking_id, status=status, note=note, agency=agency, at=at
        )
        job: AckJob | StatusUpdateJob
        if kind == "status_update":
            job = StatusUpdateJob(
                reply_to=reply_to, text=text, confidential=confidential, data=extra or {}
            )
        else:
            job = AckJob(
                reply_to=reply_to, text=text, kind=kind, confidential=confidential, data=extra or {}
            )
        return OutboxRow(job, report_id or tracking_id, state)

    async def answer(
        self,
        *,
        inbound_key: str,
        reply_to: ReplyAddress,
        template: str,
        params: dict[str, str] | None = None,
        tracking_id: str | None = None,
    ) -> bool:
        p = params or {}
        row = self._ack_row(
            reply_to,
            template,
            tracking_id=tracking_id or p.get("tracking_id"),
            kind=template,
            status=p.get("status"),
            note=p.get("note"),
            agency=p.get("agency"),
            extra={"tracking_id": tracking_id, "template": template},
        )
        row.tracking_id = tracking_id
        queued = await self.store.answer_once(inbound_key, [row], None)
        self._committed()
        return queued

    async def status(self, tracking_id: str) -> StatusView | None:
        return await self.store.status_view(tracking_id)

    async def add_followup(self, tracking_id: str, *, inbound_key: str, text: str) -> bool:
        return await self.store.add_followup(tracking_id, inbound_key, text)

    async def set_opt_out(self, identity: str, opted_out: bool, *, inbound_key: str) -> bool:
        return await self.store.answer_once(inbound_key, [], (identity, opted_out))

    async def delivery_receipt(self, adapter: str, message_id: str, state: str) -> bool:
        return await self.store.delivery_receipt(adapter, message_id, state)

    async def store_fragment(
        self, group: str, part: int, total: int, data: bytes, meta: dict[str, Any]
    ) -> list[Fragment] | None:
        return await self.store.store_fragment(group, part, total, data, meta)

    async def expired_fragment_groups(self, older_than_s: float) -> dict[str, list[Fragment]]:
        return await self.store.expired_fragment_groups(older_than_s)

    async def drop_fragments(self, group: str) -> None:
        await self.store.drop_fragments(group)

    async def inbound_key_age(self, key: str) -> float | None:
        return await self.store.inbound_key_age(key)

    async def get_checkpoint(self, name: str) -> str | None:
        return await self.store.get_checkpoint(name)

    async def set_checkpoint(self, name: str, value: str) -> None:
        await self.store.set_checkpoint(name, value)

    # -- status events from the core case store ---------------------------------------------

    async def apply_core_event(self, event: CoreEvent) -> EventResult:
        """Record a status change (from ``POST /v1/core/events`` or ``case set-status``) and,
        for statuses the operator notifies, queue the update to the citizen's channel."""
        found = await self.store.get_report(event.tracking_id)
        opted_out = False
        if found is not None:
            opted_out = await self.store.is_opted_out(found[0].reporter.identity_keys())
        notify = event.status in self.config.acks.notify_statuses and not opted_out

        def make_rows(report: Report, status: str) -> list[OutboxRow]:
            if not notify or report.reply_to is None:
                return []
            return [
                self._ack_row(
                    report.reply_to,
                    "status_update",
                    tracking_id=report.tracking_id,
                    kind="status_update",
                    confidential=report.confidential,
                    status=status,
                    note=event.note,
                    agency=event.agency,
                    at=event.at,
                    extra={
                        "tracking_id": report.tracking_id,
                        "status": status,
                        "note": event.note,
                        "agency": event.agency,
                        "at": event.at.isoformat(),
                    },
                )
            ]

        result = await self.store.apply_event(event, make_rows)
        if result.applied:
            metrics.CORE_EVENTS.labels(event.status).inc()
            self._committed()
        if result.current and not notify:
            silent = "opted_out" if opted_out else "not_notified_status"
            return dataclasses.replace(result, silent=silent)
        if result.current and found is not None and found[0].reply_to is None:
            return dataclasses.replace(result, silent="no_reply_address")
        return result

"""What the store contract tests file: reports, a planner's decisions, timestamps.

Shared by the contract files and by other store tests that need a filed report."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from gateway.adapter import IntakeResult
from gateway.store.base import FileRequest, OutboxRow, Plan, PriorReport
from gateway.store.interfaces import Store
from normalizer import Channel, Location, ReplyAddress, Report, Reporter
from normalizer.tracking import new_tracking_id
from outbox.jobs import AckJob, ForwardJob

PHONE = "081234567890"
REPLY = ReplyAddress(adapter="sms.test", address="+6281234567890")
NOW = datetime.now(UTC)


def report(
    text: str = "Lampu jalan mati di Jl. Merdeka",
    *,
    phone: str | None = PHONE,
    at: datetime | None = None,
    region: str | None = None,
    reply: bool = True,
) -> Report:
    return Report(
        channel=Channel.SMS,
        transport="test",
        text=text,
        received_at=at or datetime.now(UTC),
        reporter=Reporter(phone=phone),
        location=Location(address="Jl. Merdeka 1", region=region) if region else None,
        category="jalan",
        reply_to=ReplyAddress(adapter="sms.test", address="+6281234567890") if reply else None,
    )


def forward_and_ack(r: Report, prior: list[PriorReport]) -> Plan:
    """A plan like the pipeline's for a new report: forward to the core, ack the citizen."""
    tid = r.tracking_id
    rows = [OutboxRow(ForwardJob(), tid)]
    if r.reply_to is not None:
        rows.append(OutboxRow(AckJob(reply_to=r.reply_to, text=f"Diterima {tid}"), tid))
    return Plan(outbox=rows)


async def file(
    store: Store,
    r: Report,
    key: str,
    *,
    planner: Callable[[Report, list[PriorReport]], Plan] = forward_and_ack,
    body_hash: str | None = None,
    checkpoint: tuple[str, str] | None = None,
    since: datetime | None = None,
    new_id: Callable[[], str] = new_tracking_id,
) -> IntakeResult:
    return await store.file_report(
        FileRequest(
            report=r,
            inbound_key=key,
            body_hash=body_hash,
            checkpoint=checkpoint,
            dedup_since=since or datetime.now(UTC) - timedelta(hours=24),
            planner=planner,
            new_tracking_id=new_id,
        )
    )


def later(seconds: float = 1.0) -> float:
    return time.time() + seconds

"""Typed outbox jobs: the stored format (``kind`` column + ``payload`` JSON) read and written,
rows written by the version before the jobs were typed still delivered, and an unreadable
row dead-lettered alone with an error that names fields, never their values."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.adapter import OutboundMessage, SendResult
from gateway.delivery import GatewayDeliverer
from gateway.store.base import FileRequest, Plan, PriorReport
from gateway.store.sqlite import SqliteStore
from normalizer import Channel, ReplyAddress, Report, Reporter
from normalizer.tracking import new_tracking_id
from outbox.backoff import RetryPolicy
from outbox.jobs import (
    AckJob,
    AddendumJob,
    ForwardJob,
    StatusUpdateJob,
    job_payload,
    read_job,
)
from outbox.relay import Relay

E164 = "+6281234567890"
REPLY = {"adapter": "sms.smpp", "address": E164, "route": None, "in_reply_to": None, "mode": None}

#: (kind column, payload) exactly as the version before typed jobs wrote them
#: (``json.dumps`` of the dicts assembled in gateway/pipeline.py)
OLD_ROWS = {
    "forward": ("forward", "{}"),
    "addendum": ("addendum", '{"original": "LPR-ORIGINAL", "addendum": true}'),
    "ack": (
        "ack",
        json.dumps(
            {
                "reply_to": REPLY,
                "text": "Laporan diterima",
                "kind": "received",
                "confidential": False,
                "data": {"tracking_id": "T", "status": "received", "duplicate_of": None},
            }
        ),
    ),
    "status_update": (
        "ack",
        json.dumps(
            {
                "reply_to": REPLY,
                "text": "Status: diproses",
                "kind": "status_update",
                "confidential": True,
                "data": {"tracking_id": "T", "status": "in_progress", "note": None},
            }
        ),
    ),
}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("forward", ForwardJob, id="forward"),
        pytest.param("addendum", AddendumJob, id="addendum"),
        pytest.param("ack", AckJob, id="ack"),
        pytest.param("status_update", StatusUpdateJob, id="status-update"),
    ],
)
def test_old_rows_read_as_typed_jobs_and_are_written_back_the_same(
    name: str, expected: type
) -> None:
    kind, payload = OLD_ROWS[name]
    job = read_job(kind, payload)
    assert type(job) is expected
    assert job.row_kind == kind
    assert json.loads(job_payload(job)) == json.loads(payload)


@pytest.mark.parametrize(
    ("kind", "payload", "error"),
    [
        pytest.param("fax", "{}", "unknown outbox kind 'fax'", id="unknown-kind"),
        pytest.param("ack", "{not json", "ack payload is not JSON", id="not-json"),
        pytest.param("ack", "[]", "ack payload is not a JSON object", id="not-object"),
        pytest.param(
            "ack",
            json.dumps({"reply_to": REPLY}),
            "unreadable ack payload (text: missing)",
            id="ack-without-text",
        ),
        pytest.param(
            "addendum", "{}", "unreadable addendum payload (original: missing)", id="no-original"
        ),
        pytest.param(
            "ack",
            json.dumps({"reply_to": {"address": E164}, "text": "x"}),
            "unreadable ack payload (reply_to.adapter: missing)",
            id="no-adapter-and-no-phone-in-error",
        ),
    ],
)
def test_unreadable_rows_name_the_field_not_its_value(kind: str, payload: str, error: str) -> None:
    with pytest.raises(ValueError) as caught:
        read_job(kind, payload)
    assert str(caught.value) == error
    assert E164 not in str(caught.value)


class Recorder:
    """Stands in for the adapter that replies (the relay's only use of it is ``send``)."""

    name = "sms.smpp"

    def __init__(self) -> None:
        self.sent: list[OutboundMessage] = []

    async def send(self, message: OutboundMessage) -> SendResult:
        self.sent.append(message)
        return SendResult(message_id=f"m{len(self.sent)}")


def _no_rows(r: Report, prior: list[PriorReport]) -> Plan:
    return Plan()


async def test_rows_written_by_the_previous_version_are_delivered(
    store: SqliteStore, tmp_path: Path
) -> None:
    report = Report(
        channel=Channel.SMS,
        transport="smpp:test",
        text="Lampu jalan mati di Jl. Merdeka",
        reporter=Reporter(phone=E164),
        reply_to=ReplyAddress(adapter="sms.smpp", address=E164),
    )
    filed = await store.file_report(
        FileRequest(
            report=report,
            inbound_key="sms:old",
            body_hash=None,
            checkpoint=None,
            dedup_since=datetime.now(UTC) - timedelta(hours=1),
            planner=_no_rows,
            new_tracking_id=new_tracking_id,
        )
    )
    tid = filed.tracking_id
    now = time.time()
    rows = [("forward", "core", OLD_ROWS["forward"][1])]
    rows += [("ack", "sms.smpp", OLD_ROWS[n][1]) for n in ("ack", "status_update")]
    rows += [("ack", "sms.smpp", '{"text": "no reply address"}')]  # unreadable: dead alone
    with sqlite3.connect(tmp_path / "lapor.db") as db:
        db.executemany(
            "INSERT INTO outbox (kind, tracking_id, target, payload, state, next_attempt_at, "
            "created_at, updated_at) VALUES (?,?,?,?,'pending',?,?,?)",
            [(k, tid, t, p, now, now, now) for k, t, p in rows],
        )
    db.close()
    sms = Recorder()
    relay = Relay(
        store,
        GatewayDeliverer(store, {"sms.smpp": sms}, None, case_store=store),  # type: ignore[dict-item]
        policy_for=lambda _: RetryPolicy(1.0, 1.0, 3),
    )
    assert await relay.run_once() == 4
    states = {(r["kind"], r["id"]): r for r in await store.outbox_rows(tid)}
    assert [r["state"] for r in states.values()] == ["done", "done", "done", "dead"]
    dead = list(states.values())[-1]
    assert dead["last_error"] == "unreadable ack payload (reply_to: missing)"
    assert [c["tracking_id"] for c in await store.core_cases()] == [tid]
    assert [(m.kind, m.text, m.confidential, m.tracking_id) for m in sms.sent] == [
        ("received", "Laporan diterima", False, tid),
        ("status_update", "Status: diproses", True, tid),
    ]
    assert sms.sent[1].payload["status"] == "in_progress"
    assert sms.sent[0].reply_to == ReplyAddress(adapter="sms.smpp", address=E164)

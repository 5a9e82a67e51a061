"""Write operations of the SQLite store.

Each function runs on the event loop's thread, inside the writer's group-commit transaction
(:mod:`gateway.store.writer`); when one raises, the batch is re-run with a SAVEPOINT per
operation (:mod:`gateway.store.batch`), so it either completes entirely or leaves no trace.
They take and return plain values so they are easy to test directly.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from gateway.adapter import Fragment, IntakeResult
from gateway.store.base import (
    CoreEvent,
    EventResult,
    FileRequest,
    OutboxRow,
    Plan,
    PriorReport,
)
from gateway.store.reader import target_filter
from normalizer import Report
from outbox.jobs import Attempt, OutboxOutcome, job_payload


def file_report(c: sqlite3.Connection, req: FileRequest) -> IntakeResult:
    """Persist a new report with its inbound key, identities, history and outbox rows, or
    answer a repeat of a known inbound key with the original result (the status it was
    filed with, the first history row, not where the core has moved it since)."""
    row = c.execute(
        "SELECT k.tracking_id, k.body_hash, (SELECT h.status FROM status_history h "
        "WHERE h.tracking_id = k.tracking_id ORDER BY h.id LIMIT 1), r.duplicate_of "
        "FROM inbound_keys k "
        "LEFT JOIN reports r ON r.tracking_id = k.tracking_id WHERE k.key = ?",
        (req.inbound_key,),
    ).fetchone()
    if row is not None:
        tracking_id, body_hash, first_status, duplicate_of = row
        return req.repeat(tracking_id, body_hash, first_status, duplicate_of)

    report = req.report
    identities = report.reporter.identity_keys()
    prior = prior_reports(c, identities, req.dedup_since)
    now = time.time()
    for _ in range(10):
        tracking_id = req.new_tracking_id()
        plan, report, inserted = _insert_report(c, req, report, prior, tracking_id, now)
        if inserted:
            break
    else:
        raise RuntimeError("could not draw an unused tracking ID")
    received = report.received_at.isoformat()
    c.execute(
        "INSERT INTO inbound_keys (key, tracking_id, body_hash, created_at) VALUES (?,?,?,?)",
        (req.inbound_key, tracking_id, req.body_hash, now),
    )
    c.executemany(
        "INSERT OR IGNORE INTO report_identities (identity, received_at, tracking_id) "
        "VALUES (?,?,?)",
        [(identity, received, tracking_id) for identity in identities],
    )
    c.execute(
        "INSERT INTO status_history (tracking_id, at, status, created_at) VALUES (?,?,?,?)",
        (tracking_id, received, plan.status, now),
    )
    insert_outbox(c, plan.outbox, now)
    if req.checkpoint is not None:
        set_checkpoint(c, *req.checkpoint)
    return IntakeResult(tracking_id=tracking_id, status=plan.status, duplicate_of=plan.duplicate_of)


def _insert_report(
    c: sqlite3.Connection,
    req: FileRequest,
    report: Report,
    prior: list[PriorReport],
    tracking_id: str,
    now: float,
) -> tuple[Plan, Report, bool]:
    """Plan and insert the report under *tracking_id*; ``False`` on an ID collision (1 in
    10^11 per stored report), in which case the caller draws again. The primary key, not a
    prior SELECT, is what guarantees uniqueness."""
    plan, report = req.plan(report, tracking_id, prior)
    received = report.received_at.isoformat()
    try:
        c.execute(
            "INSERT INTO reports (tracking_id, channel, transport, external_id, received_at, "
            "status, status_at, anonymous, confidential, throttled, duplicate_of, region, "
            "category, body, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                tracking_id,
                report.channel.value,
                report.transport,
                report.external_id,
                received,
                plan.status,
                received,
                int(report.anonymous),
                int(report.confidential),
                int(plan.throttled),
                plan.duplicate_of,
                report.location.region if report.location else None,
                report.category,
                report.model_dump_json(),
                now,
            ),
        )
    except sqlite3.IntegrityError:
        return plan, report, False
    return plan, report, True


def prior_reports(
    c: sqlite3.Connection, identities: list[str], since: datetime
) -> list[PriorReport]:
    """Reports by any of *identities* received at or after *since*, oldest first."""
    if not identities:
        return []
    marks = ",".join("?" * len(identities))
    rows = c.execute(
        "SELECT DISTINCT r.tracking_id, r.body, r.received_at, r.duplicate_of, r.anonymous, "
        "r.confidential FROM report_identities i JOIN reports r ON r.tracking_id = i.tracking_id "
        f"WHERE i.identity IN ({marks}) AND i.received_at >= ? ORDER BY r.received_at",
        (*identities, since.isoformat()),
    ).fetchall()
    return [
        PriorReport(
            tracking_id=r[0],
            text=json.loads(r[1])["text"],
            received_at=datetime.fromisoformat(r[2]),
            duplicate_of=r[3],
            anonymous=bool(r[4]),
            confidential=bool(r[5]),
        )
        for r in rows
    ]


def insert_outbox(c: sqlite3.Connection, rows: list[OutboxRow], now: float) -> None:
    c.executemany(
        "INSERT INTO outbox (kind, tracking_id, target, payload, state, next_attempt_at, "
        "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
        [
            (
                r.job.row_kind.value,
                r.tracking_id,
                r.target,
                job_payload(r.job),
                r.state,
                now,
                now,
                now,
            )
            for r in rows
        ],
    )


def set_checkpoint(c: sqlite3.Connection, name: str, value: str) -> None:
    c.execute(
        "INSERT INTO checkpoints (name, value, updated_at) VALUES (?,?,?) "
        "ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (name, value, time.time()),
    )


def _claim_key(c: sqlite3.Connection, inbound_key: str, tracking_id: str | None) -> bool:
    cur = c.execute(
        "INSERT OR IGNORE INTO inbound_keys (key, tracking_id, body_hash, created_at) "
        "VALUES (?,?,NULL,?)",
        (inbound_key, tracking_id, time.time()),
    )
    return cur.rowcount == 1


def answer_once(
    c: sqlite3.Connection,
    inbound_key: str,
    rows: list[OutboxRow],
    identity_opt_out: tuple[str, bool] | None,
) -> bool:
    if not _claim_key(c, inbound_key, None):
        return False
    if identity_opt_out is not None:
        identity, opted_out = identity_opt_out
        if opted_out:
            c.execute(
                "INSERT OR REPLACE INTO opt_outs (identity, updated_at) VALUES (?,?)",
                (identity, time.time()),
            )
        else:
            c.execute("DELETE FROM opt_outs WHERE identity = ?", (identity,))
    insert_outbox(c, rows, time.time())
    return True


def add_followup(c: sqlite3.Connection, tracking_id: str, inbound_key: str, text: str) -> bool:
    if c.execute("SELECT 1 FROM reports WHERE tracking_id = ?", (tracking_id,)).fetchone() is None:
        raise KeyError(tracking_id)
    if not _claim_key(c, inbound_key, tracking_id):
        return False
    c.execute(
        "INSERT INTO followups (tracking_id, text, created_at) VALUES (?,?,?)",
        (tracking_id, text, time.time()),
    )
    return True


def delivery_receipt(c: sqlite3.Connection, target: str, message_id: str, state: str) -> bool:
    cur = c.execute(
        "UPDATE outbox SET delivery_state = ?, updated_at = ? WHERE target = ? AND message_id = ?",
        (state, time.time(), target, message_id),
    )
    return cur.rowcount > 0


def store_fragment(
    c: sqlite3.Connection, group: str, part: int, total: int, data: bytes, meta: dict[str, Any]
) -> list[Fragment] | None:
    c.execute(
        "INSERT OR IGNORE INTO fragments (grp, part, total, data, meta, created_at) "
        "VALUES (?,?,?,?,?,?)",
        (group, part, total, data, json.dumps(meta), time.time()),
    )
    rows = c.execute(
        "SELECT part, data, meta FROM fragments WHERE grp = ? ORDER BY part", (group,)
    ).fetchall()
    if len(rows) < total:
        return None
    return [Fragment(part=r[0], data=bytes(r[1]), meta=json.loads(r[2])) for r in rows]


def apply_event(
    c: sqlite3.Connection,
    event: CoreEvent,
    make_rows: Callable[[Report, str], list[OutboxRow]],
) -> EventResult:
    """Record a status event; only an event newer than the current status changes it and
    notifies the citizen. Repeats (same event key) change nothing."""
    row = c.execute(
        "SELECT status_at, body FROM reports WHERE tracking_id = ?", (event.tracking_id,)
    ).fetchone()
    if row is None:
        return EventResult(known=False, applied=False, current=False)
    # stored in UTC: the history is ordered by this text, which is chronological only when
    # every row has the same offset (a core may send +07:00 one day and Z the next)
    at = event.at.astimezone(UTC).isoformat()
    cur = c.execute(
        "INSERT OR IGNORE INTO status_history (tracking_id, at, status, note, agency, event_key, "
        "created_at) VALUES (?,?,?,?,?,?,?)",
        (
            event.tracking_id,
            at,
            event.status,
            event.note,
            event.agency,
            event.history_key,
            time.time(),
        ),
    )
    if cur.rowcount == 0:
        return EventResult(known=True, applied=False, current=False)
    if datetime.fromisoformat(row[0]) > event.at:
        return EventResult(known=True, applied=True, current=False)
    c.execute(
        "UPDATE reports SET status = ?, status_at = ?, agency = COALESCE(?, agency) "
        "WHERE tracking_id = ?",
        (event.status, at, event.agency, event.tracking_id),
    )
    report = Report.model_validate_json(row[1])
    insert_outbox(c, make_rows(report, event.status), time.time())
    return EventResult(known=True, applied=True, current=True)


def finish_outbox(c: sqlite3.Connection, outcomes: list[OutboxOutcome]) -> None:
    now = time.time()
    for o in outcomes:
        if o.state == Attempt.DONE:
            c.execute(
                "UPDATE outbox SET state = 'done', attempts = attempts + 1, message_id = ?, "
                "last_error = NULL, updated_at = ?, claimed_by = NULL, lease_until = NULL "
                "WHERE id = ?",
                (o.message_id, now, o.id),
            )
            if o.core_case_id:
                c.execute(
                    "UPDATE reports SET core_case_id = ? WHERE tracking_id = "
                    "(SELECT tracking_id FROM outbox WHERE id = ?)",
                    (o.core_case_id, o.id),
                )
            if o.similar_to:  # level-3 links computed at forward time (gateway.linker)
                c.execute(
                    "UPDATE reports SET body = json_set(body, '$.similar_to', json(?)) "
                    "WHERE tracking_id = (SELECT tracking_id FROM outbox WHERE id = ?)",
                    (json.dumps(o.similar_to), o.id),
                )
        elif o.state in (Attempt.RETRY, Attempt.DEFERRED):  # a deferral spends no attempt
            c.execute(
                "UPDATE outbox SET attempts = attempts + ?, next_attempt_at = ?, last_error = ?, "
                "updated_at = ?, claimed_by = NULL, lease_until = NULL WHERE id = ?",
                (int(o.state == Attempt.RETRY), o.retry_at, o.error, now, o.id),
            )
        else:
            c.execute(
                "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ?, "
                "updated_at = ?, claimed_by = NULL, lease_until = NULL WHERE id = ?",
                (o.error, now, o.id),
            )


def claim_outbox(
    c: sqlite3.Connection,
    claimer: str,
    now: float,
    limit: int,
    lease_s: float,
    exclude_targets: frozenset[str],
    only_targets: frozenset[str] | None,
) -> list[int]:
    """Claim due, unclaimed (or lease-expired) rows for *claimer*; their ids, oldest first.
    The writer's transaction is the only one, so no row can be claimed twice."""
    skip, params = target_filter(exclude_targets, only_targets)
    ids = [
        int(r[0])
        for r in c.execute(
            "SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? "
            f"AND (lease_until IS NULL OR lease_until <= ?){skip} ORDER BY id LIMIT ?",
            (now, now, *params, limit),
        )
    ]
    c.executemany(
        "UPDATE outbox SET claimed_by = ?, lease_until = ? WHERE id = ?",
        [(claimer, now + lease_s, i) for i in ids],
    )
    return ids


def unclaim_outbox(c: sqlite3.Connection, claimer: str, ids: list[int]) -> None:
    c.executemany(
        "UPDATE outbox SET claimed_by = NULL, lease_until = NULL WHERE id = ? AND claimed_by = ?",
        [(i, claimer) for i in ids],
    )


def replay(c: sqlite3.Connection, ids: list[int] | None) -> int:
    now = time.time()
    if ids is None:
        cur = c.execute(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, "
            "updated_at = ? WHERE state = 'dead'",
            (now, now),
        )
        return cur.rowcount
    total = 0
    for outbox_id in ids:
        cur = c.execute(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, "
            "updated_at = ? WHERE state = 'dead' AND id = ?",
            (now, now, outbox_id),
        )
        total += cur.rowcount
    return total


def release_held(c: sqlite3.Connection, tracking_ids: list[str] | None) -> int:
    now = time.time()
    if tracking_ids is None:
        cur = c.execute(
            "UPDATE outbox SET state = 'pending', next_attempt_at = ? WHERE state = 'held'", (now,)
        )
        c.execute("UPDATE reports SET throttled = 0 WHERE throttled = 1")
        return cur.rowcount
    total = 0
    for tid in tracking_ids:
        cur = c.execute(
            "UPDATE outbox SET state = 'pending', next_attempt_at = ? "
            "WHERE state = 'held' AND tracking_id = ?",
            (now, tid),
        )
        c.execute("UPDATE reports SET throttled = 0 WHERE tracking_id = ?", (tid,))
        total += cur.rowcount
    return total


def embedded_core_receive(c: sqlite3.Connection, tracking_id: str, payload: dict[str, Any]) -> str:
    """The embedded case store: idempotent on the tracking ID, like a real core's
    Idempotency-Key."""
    row = c.execute(
        "SELECT case_id FROM core_cases WHERE tracking_id = ?", (tracking_id,)
    ).fetchone()
    if row is not None:
        return str(row[0])
    case_id = f"CASE-{tracking_id}"
    c.execute(
        "INSERT INTO core_cases (tracking_id, case_id, payload, received_at) VALUES (?,?,?,?)",
        (tracking_id, case_id, json.dumps(payload), time.time()),
    )
    return case_id


def embedded_core_addendum(
    c: sqlite3.Connection, tracking_id: str, payload: dict[str, Any]
) -> None:
    c.execute(
        "INSERT INTO core_addenda (tracking_id, payload, received_at) VALUES (?,?,?)",
        (tracking_id, json.dumps(payload), time.time()),
    )

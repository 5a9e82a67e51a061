"""Write operations of the PostgreSQL store: each runs inside one transaction that
:class:`gateway.store.postgres.store.PostgresStore` opens and commits.

They mirror :mod:`gateway.store.queries` (the SQLite backend) with what several instances
on one database add: the level-2 decision for a reporter is serialized across instances by
``pg_advisory_xact_lock`` on the reporter's identities, and an inbound key is claimed with
``INSERT ... ON CONFLICT DO NOTHING`` so the database, not a prior SELECT, decides which of
two instances filing the same message wins.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC
from typing import Any

from gateway.adapter import Fragment, IntakeResult
from gateway.store.base import CoreEvent, EventResult, FileRequest, OutboxRow, PriorReport
from gateway.store.postgres.reader import Conn
from gateway.store.rows import outbox_item
from normalizer import Report
from outbox.jobs import Attempt, OutboxItem, OutboxOutcome, job_payload

#: first key of the two-key advisory locks that serialize one reporter's dedup decisions
#: ("LP" in ASCII); the second is the hash of the identity
IDENTITY_LOCK_SPACE = 0x4C50
#: the same for the parts of one multipart message ("LF")
FRAGMENT_LOCK_SPACE = 0x4C46


async def _repeat(c: Conn, req: FileRequest) -> IntakeResult | None:
    """The original answer for a known inbound key, or None."""
    row = await c.fetchrow(
        "SELECT k.tracking_id, k.body_hash, (SELECT h.status FROM status_history h "
        "WHERE h.tracking_id = k.tracking_id ORDER BY h.id LIMIT 1) AS status, r.duplicate_of "
        "FROM inbound_keys k LEFT JOIN reports r ON r.tracking_id = k.tracking_id "
        "WHERE k.key = $1",
        req.inbound_key,
    )
    if row is None:
        return None
    return req.repeat(row["tracking_id"], row["body_hash"], row["status"], row["duplicate_of"])


async def file_report(c: Conn, req: FileRequest) -> IntakeResult:
    """Persist a new report, or answer a repeat of a known inbound key (as SQLite does).

    Round trips are the cost here (each one is client and server CPU), so a new report
    takes six: the reporter's locks, the key claim (with the tracking ID drawn up front),
    the prior reports, the report, identities with the first history row, the outbox."""
    report = req.report
    identities = sorted(set(report.reporter.identity_keys()))
    if identities:
        # one reporter's decisions one at a time, across instances; in sorted order, so two
        # transactions locking the same identities never deadlock
        await c.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext(i)) FROM unnest($2::text[]) AS i",
            IDENTITY_LOCK_SPACE,
            identities,
        )
    now = time.time()
    tracking_id = req.new_tracking_id()
    claimed = await c.fetchval(
        "INSERT INTO inbound_keys (key, tracking_id, body_hash, created_at) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING RETURNING 1",
        req.inbound_key,
        tracking_id,
        req.body_hash,
        now,
    )
    if claimed is None:  # a repeat (filed before, or by another instance meanwhile)
        known = await _repeat(c, req)
        assert known is not None
        return known
    prior = await prior_reports(c, identities, req)
    for draw in range(10):
        if draw:  # the ID was taken (1 in 10^11 per stored report): draw again
            tracking_id = req.new_tracking_id()
            await c.execute(
                "UPDATE inbound_keys SET tracking_id = $2 WHERE key = $1",
                req.inbound_key,
                tracking_id,
            )
        plan, drafted = req.plan(report, tracking_id, prior)
        inserted = await c.fetchval(
            "INSERT INTO reports (tracking_id, channel, transport, external_id, received_at, "
            "status, status_at, anonymous, confidential, throttled, duplicate_of, region, "
            "category, body, created_at) "
            "VALUES ($1,$2,$3,$4,$5,$6,$5,$7,$8,$9,$10,$11,$12,$13::jsonb,$14) "
            "ON CONFLICT (tracking_id) DO NOTHING RETURNING 1",
            tracking_id,
            drafted.channel.value,
            drafted.transport,
            drafted.external_id,
            drafted.received_at,
            plan.status,
            drafted.anonymous,
            drafted.confidential,
            plan.throttled,
            plan.duplicate_of,
            drafted.location.region if drafted.location else None,
            drafted.category,
            drafted.model_dump_json(),
            now,
        )
        if inserted is not None:
            break
    else:
        raise RuntimeError("could not draw an unused tracking ID")
    await c.execute(
        "WITH identities AS (INSERT INTO report_identities (identity, received_at, tracking_id) "
        "  SELECT i, $2, $3 FROM unnest($1::text[]) AS i ON CONFLICT DO NOTHING) "
        "INSERT INTO status_history (tracking_id, at, status, created_at) VALUES ($3,$2,$4,$5)",
        identities,
        drafted.received_at,
        tracking_id,
        plan.status,
        now,
    )
    await insert_outbox(c, plan.outbox, now)
    if req.checkpoint is not None:
        await set_checkpoint(c, *req.checkpoint)
    return IntakeResult(tracking_id=tracking_id, status=plan.status, duplicate_of=plan.duplicate_of)


async def prior_reports(c: Conn, identities: list[str], req: FileRequest) -> list[PriorReport]:
    """Reports by any of *identities* received at or after ``req.dedup_since``."""
    if not identities:
        return []
    rows = await c.fetch(
        "SELECT r.tracking_id, r.body->>'text' AS text, r.received_at, r.duplicate_of, "
        "r.anonymous, r.confidential FROM reports r WHERE r.tracking_id IN "
        "(SELECT i.tracking_id FROM report_identities i "
        " WHERE i.identity = ANY($1) AND i.received_at >= $2) ORDER BY r.received_at",
        identities,
        req.dedup_since,
    )
    return [
        PriorReport(
            tracking_id=r["tracking_id"],
            text=r["text"],
            received_at=r["received_at"],
            duplicate_of=r["duplicate_of"],
            anonymous=r["anonymous"],
            confidential=r["confidential"],
        )
        for r in rows
    ]


async def insert_outbox(c: Conn, rows: list[OutboxRow], now: float) -> None:
    if not rows:
        return
    await c.executemany(
        "INSERT INTO outbox (kind, tracking_id, target, payload, state, next_attempt_at, "
        "created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$6,$6)",
        [
            (r.job.row_kind.value, r.tracking_id, r.target, job_payload(r.job), r.state, now)
            for r in rows
        ],
    )


async def set_checkpoint(c: Conn, name: str, value: str) -> None:
    await c.execute(
        "INSERT INTO checkpoints (name, value, updated_at) VALUES ($1,$2,$3) ON CONFLICT (name) "
        "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        name,
        value,
        time.time(),
    )


async def _claim_key(c: Conn, inbound_key: str, tracking_id: str | None) -> bool:
    claimed = await c.fetchval(
        "INSERT INTO inbound_keys (key, tracking_id, body_hash, created_at) "
        "VALUES ($1,$2,NULL,$3) ON CONFLICT (key) DO NOTHING RETURNING 1",
        inbound_key,
        tracking_id,
        time.time(),
    )
    return claimed is not None


async def answer_once(
    c: Conn,
    inbound_key: str,
    rows: list[OutboxRow],
    identity_opt_out: tuple[str, bool] | None,
) -> bool:
    if not await _claim_key(c, inbound_key, None):
        return False
    if identity_opt_out is not None:
        identity, opted_out = identity_opt_out
        if opted_out:
            await c.execute(
                "INSERT INTO opt_outs (identity, updated_at) VALUES ($1,$2) "
                "ON CONFLICT (identity) DO UPDATE SET updated_at = excluded.updated_at",
                identity,
                time.time(),
            )
        else:
            await c.execute("DELETE FROM opt_outs WHERE identity = $1", identity)
    await insert_outbox(c, rows, time.time())
    return True


async def add_followup(c: Conn, tracking_id: str, inbound_key: str, text: str) -> bool:
    if await c.fetchval("SELECT 1 FROM reports WHERE tracking_id = $1", tracking_id) is None:
        raise KeyError(tracking_id)
    if not await _claim_key(c, inbound_key, tracking_id):
        return False
    await c.execute(
        "INSERT INTO followups (tracking_id, text, created_at) VALUES ($1,$2,$3)",
        tracking_id,
        text,
        time.time(),
    )
    return True


async def delivery_receipt(c: Conn, target: str, message_id: str, state: str) -> bool:
    status = await c.execute(
        "UPDATE outbox SET delivery_state = $1, updated_at = $2 "
        "WHERE target = $3 AND message_id = $4",
        state,
        time.time(),
        target,
        message_id,
    )
    return _count(status) > 0


async def store_fragment(
    c: Conn, group: str, part: int, total: int, data: bytes, meta: dict[str, Any]
) -> list[Fragment] | None:
    """Store a part; all parts once this one completes the group. Parts of one group
    are filed one after the other (an advisory lock on the group): two instances filing
    the last two parts at once would each see the other's uncommitted part missing, and
    neither would complete the message."""
    await c.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", FRAGMENT_LOCK_SPACE, group)
    await c.execute(
        "INSERT INTO fragments (grp, part, total, data, meta, created_at) "
        "VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING",
        group,
        part,
        total,
        data,
        json.dumps(meta),
        time.time(),
    )
    rows = await c.fetch(
        "SELECT part, data, meta FROM fragments WHERE grp = $1 ORDER BY part", group
    )
    if len(rows) < total:
        return None
    return [Fragment(part=r[0], data=bytes(r[1]), meta=json.loads(r[2])) for r in rows]


async def apply_event(
    c: Conn,
    event: CoreEvent,
    make_rows: Callable[[Report, str], list[OutboxRow]],
) -> EventResult:
    """Record a status event once per key; only one newer than the current status changes
    it and queues ``make_rows``. The report row is locked so two instances applying events
    to one report decide "newer" one after the other."""
    row = await c.fetchrow(
        "SELECT status_at, body::text AS body FROM reports WHERE tracking_id = $1 FOR UPDATE",
        event.tracking_id,
    )
    if row is None:
        return EventResult(known=False, applied=False, current=False)
    at = event.at.astimezone(UTC)
    inserted = await c.fetchval(
        "INSERT INTO status_history (tracking_id, at, status, note, agency, event_key, "
        "created_at) VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (event_key) DO NOTHING RETURNING 1",
        event.tracking_id,
        at,
        event.status,
        event.note,
        event.agency,
        event.history_key,
        time.time(),
    )
    if inserted is None:
        return EventResult(known=True, applied=False, current=False)
    if row["status_at"] > event.at:
        return EventResult(known=True, applied=True, current=False)
    await c.execute(
        "UPDATE reports SET status = $1, status_at = $2, agency = COALESCE($3, agency) "
        "WHERE tracking_id = $4",
        event.status,
        at,
        event.agency,
        event.tracking_id,
    )
    report = Report.model_validate_json(row["body"])
    await insert_outbox(c, make_rows(report, event.status), time.time())
    return EventResult(known=True, applied=True, current=True)


async def finish_outbox(c: Conn, outcomes: list[OutboxOutcome]) -> None:
    """Record attempts (as SQLite does) and release each row's claim."""
    now = time.time()
    for o in outcomes:
        if o.state == Attempt.DONE:
            tracking_id = await c.fetchval(
                "UPDATE outbox SET state = 'done', attempts = attempts + 1, message_id = $1, "
                "last_error = NULL, updated_at = $2, claimed_by = NULL, lease_until = NULL "
                "WHERE id = $3 RETURNING tracking_id",
                o.message_id,
                now,
                o.id,
            )
            if o.core_case_id:
                await c.execute(
                    "UPDATE reports SET core_case_id = $1 WHERE tracking_id = $2",
                    o.core_case_id,
                    tracking_id,
                )
            if o.similar_to:  # level-3 links computed at forward time (gateway.linker)
                await c.execute(
                    "UPDATE reports SET body = jsonb_set(body, '{similar_to}', $1::jsonb) "
                    "WHERE tracking_id = $2",
                    json.dumps(o.similar_to),
                    tracking_id,
                )
        elif o.state in (Attempt.RETRY, Attempt.DEFERRED):  # a deferral spends no attempt
            await c.execute(
                "UPDATE outbox SET attempts = attempts + $1, next_attempt_at = $2, "
                "last_error = $3, updated_at = $4, claimed_by = NULL, lease_until = NULL "
                "WHERE id = $5",
                int(o.state == Attempt.RETRY),
                o.retry_at,
                o.error,
                now,
                o.id,
            )
        else:
            await c.execute(
                "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = $1, "
                "updated_at = $2, claimed_by = NULL, lease_until = NULL WHERE id = $3",
                o.error,
                now,
                o.id,
            )


async def claim_outbox(
    c: Conn,
    claimer: str,
    now: float,
    limit: int,
    lease_s: float,
    exclude_targets: frozenset[str],
    only_targets: frozenset[str] | None,
) -> list[OutboxItem]:
    """Claim due rows for *claimer* until ``now + lease_s``: rows another claimer holds
    are skipped (``SKIP LOCKED`` while its claim is uncommitted, the lease after), and a
    row whose lease ran out is taken over."""
    rows = await c.fetch(
        "WITH picked AS (SELECT id FROM outbox "
        "  WHERE state = 'pending' AND next_attempt_at <= $1 "
        "  AND (lease_until IS NULL OR lease_until <= $1) "
        "  AND NOT (target = ANY($2)) AND ($3::text[] IS NULL OR target = ANY($3)) "
        "  ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED), "
        "claimed AS (UPDATE outbox o SET claimed_by = $5, lease_until = $6 FROM picked "
        "  WHERE o.id = picked.id RETURNING o.*) "
        "SELECT c.id, c.kind, c.tracking_id, c.target, c.payload, c.attempts, c.created_at, "
        "CASE WHEN c.kind IN ('forward', 'addendum') THEN r.body::text END AS body "
        "FROM claimed c LEFT JOIN reports r ON r.tracking_id = c.tracking_id ORDER BY c.id",
        now,
        sorted(exclude_targets),
        None if only_targets is None else sorted(only_targets),
        limit,
        claimer,
        now + lease_s,
    )
    return [outbox_item(r) for r in rows]


async def unclaim_outbox(c: Conn, claimer: str, ids: list[int]) -> None:
    await c.execute(
        "UPDATE outbox SET claimed_by = NULL, lease_until = NULL "
        "WHERE id = ANY($1) AND claimed_by = $2",
        ids,
        claimer,
    )


async def replay(c: Conn, ids: list[int] | None) -> int:
    now = time.time()
    status = await c.execute(
        "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $1, "
        "updated_at = $1 WHERE state = 'dead' AND ($2::bigint[] IS NULL OR id = ANY($2))",
        now,
        ids,
    )
    return _count(status)


async def release_held(c: Conn, tracking_ids: list[str] | None) -> int:
    status = await c.execute(
        "UPDATE outbox SET state = 'pending', next_attempt_at = $1 "
        "WHERE state = 'held' AND ($2::text[] IS NULL OR tracking_id = ANY($2))",
        time.time(),
        tracking_ids,
    )
    await c.execute(
        "UPDATE reports SET throttled = FALSE "
        "WHERE throttled AND ($1::text[] IS NULL OR tracking_id = ANY($1))",
        tracking_ids,
    )
    return _count(status)


async def embedded_core_receive(c: Conn, tracking_id: str, payload: dict[str, Any]) -> str:
    """Idempotent on the tracking ID, like a real core's Idempotency-Key."""
    case_id = f"CASE-{tracking_id}"
    await c.execute(
        "INSERT INTO core_cases (tracking_id, case_id, payload, received_at) "
        "VALUES ($1,$2,$3,$4) ON CONFLICT (tracking_id) DO NOTHING",
        tracking_id,
        case_id,
        json.dumps(payload),
        time.time(),
    )
    found = await c.fetchval("SELECT case_id FROM core_cases WHERE tracking_id = $1", tracking_id)
    return str(found)


async def embedded_core_addendum(c: Conn, tracking_id: str, payload: dict[str, Any]) -> None:
    await c.execute(
        "INSERT INTO core_addenda (tracking_id, payload, received_at) VALUES ($1,$2,$3)",
        tracking_id,
        json.dumps(payload),
        time.time(),
    )


def _count(status: str) -> int:
    """Rows touched, from a command tag such as ``UPDATE 3``."""
    return int(status.rsplit(" ", 1)[-1])

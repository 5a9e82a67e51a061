"""SQLite store: WAL, group commit (:mod:`gateway.store.writer`), reads through aiosqlite.

Durability: ``journal_mode=WAL`` with ``synchronous=FULL``, so a commit that returned is on
disk even if the power goes. All writes go through the one :class:`GroupCommitWriter`;
the queries they run are in :mod:`gateway.store.queries`.

Reads go through aiosqlite on a second connection: they can be long (listings, outbox
scans) and must not stall the loop; in WAL mode readers never block the writer and never
see uncommitted data.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from gateway.adapter import Fragment, IntakeResult, StatusEntry, StatusView, StoreUnavailableError
from gateway.store import queries as q
from gateway.store.base import (
    CoreEvent,
    EventResult,
    FileRequest,
    OutboxRow,
)
from gateway.store.writer import GroupCommitWriter
from normalizer import Report
from outbox.jobs import OutboxItem, OutboxOutcome

log = logging.getLogger(__name__)
# aiosqlite logs every statement *with its parameters* at DEBUG: phone numbers, e-mails and
# report text would reach the logs of anyone who turns on debug logging. Its INFO and above
# carry no data, so that is as far as it may go.
logging.getLogger("aiosqlite").setLevel(logging.INFO)
T = TypeVar("T")
#: payload key under which due_outbox() attaches the report JSON to core-bound rows
REPORT_BODY_KEY = "_report_json"


class SqliteStore:
    """The :class:`gateway.store.base.Store` on one SQLite file."""

    def __init__(self, path: Path, *, max_batch: int = 256, checkpoints: bool = True) -> None:
        self.path = path
        self.writer = GroupCommitWriter(path, max_batch=max_batch, checkpoints=checkpoints)
        self._reader: aiosqlite.Connection | None = None
        #: how long a failed commit keeps :meth:`healthy` false; a probe alone cannot tell
        #: a full disk (an empty transaction commits fine), so a real failure is remembered
        self.failure_memory_s = 5.0

    @property
    def batches(self) -> int:
        return self.writer.batches

    @property
    def lock_wait_s(self) -> float:
        """How long a batch waits for another process's write lock before it fails."""
        return self.writer.lock_wait_s

    @lock_wait_s.setter
    def lock_wait_s(self, value: float) -> None:
        self.writer.lock_wait_s = value

    # -- lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:
        await self.writer.open()  # creates the file and runs the migrations
        self._reader = await aiosqlite.connect(self.path, isolation_level=None)
        await self._reader.execute("PRAGMA busy_timeout=5000")
        self._reader.row_factory = aiosqlite.Row

    async def close(self) -> None:
        """Finish queued writes, then close. Idempotent."""
        await self.writer.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader.close()
            self._reader = None

    async def healthy(self) -> bool:
        """True when a write transaction can commit (disk writable, file not locked) and no
        real commit failed within ``failure_memory_s``."""
        failed_at = self.writer.failed_at
        if failed_at is not None and time.monotonic() - failed_at < self.failure_memory_s:
            return False
        try:
            await self.write(lambda c: c.execute("SELECT 1").fetchone())
        except StoreUnavailableError:
            return False
        return True

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run *fn* inside a group-committed transaction; return after the commit."""
        return await self.writer.write(fn)

    async def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[aiosqlite.Row]:
        if self._reader is None:
            raise StoreUnavailableError("store is closed")
        try:
            return list(await self._reader.execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"read failed: {exc}") from exc

    # -- intake ----------------------------------------------------------------------------

    async def file_report(self, request: FileRequest) -> IntakeResult:
        return await self.write(lambda c: q.file_report(c, request))

    async def answer_once(
        self, inbound_key: str, rows: list[OutboxRow], identity_opt_out: tuple[str, bool] | None
    ) -> bool:
        return await self.write(lambda c: q.answer_once(c, inbound_key, rows, identity_opt_out))

    async def add_followup(self, tracking_id: str, inbound_key: str, text: str) -> bool:
        return await self.write(lambda c: q.add_followup(c, tracking_id, inbound_key, text))

    async def is_opted_out(self, identities: list[str]) -> bool:
        if not identities:
            return False
        marks = ",".join("?" * len(identities))
        rows = await self._read(
            f"SELECT 1 FROM opt_outs WHERE identity IN ({marks})", tuple(identities)
        )
        return bool(rows)

    async def delivery_receipt(self, target: str, message_id: str, state: str) -> bool:
        return await self.write(lambda c: q.delivery_receipt(c, target, message_id, state))

    async def store_fragment(
        self, group: str, part: int, total: int, data: bytes, meta: dict[str, Any]
    ) -> list[Fragment] | None:
        return await self.write(lambda c: q.store_fragment(c, group, part, total, data, meta))

    async def expired_fragment_groups(self, older_than_s: float) -> dict[str, list[Fragment]]:
        cutoff = time.time() - older_than_s
        rows = await self._read(
            "SELECT grp, part, data, meta FROM fragments WHERE grp IN "
            "(SELECT grp FROM fragments GROUP BY grp HAVING MIN(created_at) < ?) "
            "ORDER BY grp, part",
            (cutoff,),
        )
        groups: dict[str, list[Fragment]] = {}
        for row in rows:
            groups.setdefault(row["grp"], []).append(
                Fragment(part=row["part"], data=bytes(row["data"]), meta=json.loads(row["meta"]))
            )
        return groups

    async def drop_fragments(self, group: str) -> None:
        await self.write(lambda c: c.execute("DELETE FROM fragments WHERE grp = ?", (group,)))

    async def inbound_key_age(self, key: str) -> float | None:
        rows = await self._read("SELECT created_at FROM inbound_keys WHERE key = ?", (key,))
        return max(0.0, time.time() - float(rows[0]["created_at"])) if rows else None

    async def get_checkpoint(self, name: str) -> str | None:
        rows = await self._read("SELECT value FROM checkpoints WHERE name = ?", (name,))
        return str(rows[0]["value"]) if rows else None

    async def set_checkpoint(self, name: str, value: str) -> None:
        await self.write(lambda c: q.set_checkpoint(c, name, value))

    # -- reports and status ----------------------------------------------------------------

    async def get_report(self, tracking_id: str) -> tuple[Report, str] | None:
        rows = await self._read(
            "SELECT body, status FROM reports WHERE tracking_id = ?", (tracking_id,)
        )
        if not rows:
            return None
        return Report.model_validate_json(rows[0]["body"]), str(rows[0]["status"])

    async def status_view(self, tracking_id: str) -> StatusView | None:
        rows = await self._read(
            "SELECT status, channel, received_at, agency, category FROM reports "
            "WHERE tracking_id = ?",
            (tracking_id,),
        )
        if not rows:
            return None
        history = await self._read(
            "SELECT at, status, note FROM status_history WHERE tracking_id = ? ORDER BY at, id",
            (tracking_id,),
        )
        row = rows[0]
        return StatusView(
            tracking_id=tracking_id,
            status=row["status"],
            channel=row["channel"],
            received_at=datetime.fromisoformat(row["received_at"]),
            agency=row["agency"],
            category=row["category"],
            history=[
                StatusEntry(at=datetime.fromisoformat(h["at"]), status=h["status"], note=h["note"])
                for h in history
            ],
        )

    async def apply_event(
        self, event: CoreEvent, make_rows: Callable[[Report, str], list[OutboxRow]]
    ) -> EventResult:
        return await self.write(lambda c: q.apply_event(c, event, make_rows))

    async def list_reports(self, status: str | None, limit: int) -> list[dict[str, Any]]:
        sql = (
            "SELECT tracking_id, channel, status, received_at, duplicate_of, "
            "json_extract(body, '$.possible_duplicate_of.tracking_id') AS possible_duplicate_of, "
            "throttled, confidential, anonymous, core_case_id FROM reports"
        )
        params: tuple[Any, ...] = ()
        if status:
            sql += " WHERE status = ?"
            params = (status,)
        sql += " ORDER BY received_at DESC LIMIT ?"
        rows = await self._read(sql, (*params, limit))
        return [dict(r) for r in rows]

    # -- outbox ----------------------------------------------------------------------------

    async def due_outbox(
        self,
        now: float,
        limit: int,
        exclude_targets: frozenset[str] = frozenset(),
        only_targets: frozenset[str] | None = None,
    ) -> list[OutboxItem]:
        """Due rows, oldest first; *exclude_targets* (paused, or served by another process)
        are skipped, and with *only_targets* nothing else is returned."""
        skip = ""
        params: list[Any] = [now]
        if exclude_targets:
            skip = " AND target NOT IN (" + ",".join("?" * len(exclude_targets)) + ")"
            params += sorted(exclude_targets)
        if only_targets is not None:
            skip += " AND target IN (" + ",".join("?" * len(only_targets)) + ")"
            params += sorted(only_targets)
        # rows bound for the core carry the report body, read in the same query: one read
        # per relay pass instead of one per forwarded report
        rows = await self._read(
            "SELECT o.id, o.kind, o.tracking_id, o.target, o.payload, o.attempts, o.created_at, "
            "CASE WHEN o.kind IN ('forward', 'addendum') THEN r.body END AS body "
            "FROM outbox o LEFT JOIN reports r ON r.tracking_id = o.tracking_id "
            f"WHERE o.state = 'pending' AND o.next_attempt_at <= ?{skip} ORDER BY o.id LIMIT ?",
            (*params, limit),
        )
        items = []
        for r in rows:
            payload = json.loads(r["payload"])
            if r["body"] is not None:
                payload[REPORT_BODY_KEY] = r["body"]
            items.append(
                OutboxItem(
                    id=r["id"],
                    kind=r["kind"],
                    tracking_id=r["tracking_id"],
                    target=r["target"],
                    payload=payload,
                    attempts=r["attempts"],
                    created_at=r["created_at"],
                )
            )
        return items

    async def finish_outbox(self, outcomes: list[OutboxOutcome]) -> None:
        if outcomes:
            await self.write(lambda c: q.finish_outbox(c, outcomes))

    async def outbox_depth(self) -> dict[str, int]:
        rows = await self._read("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
        return {r["state"]: r["n"] for r in rows}

    async def pending_count(self) -> int:
        rows = await self._read("SELECT COUNT(*) AS n FROM outbox WHERE state = 'pending'")
        return int(rows[0]["n"])

    async def dead_letters(self, limit: int) -> list[dict[str, Any]]:
        rows = await self._read(
            "SELECT id, kind, tracking_id, target, attempts, last_error, updated_at FROM outbox "
            "WHERE state = 'dead' ORDER BY id LIMIT ?",
            (limit,),
        )
        return [dict(r) for r in rows]

    async def outbox_rows(self, tracking_id: str) -> list[dict[str, Any]]:
        rows = await self._read(
            "SELECT id, kind, target, state, attempts, last_error, message_id, delivery_state, "
            "payload FROM outbox WHERE tracking_id = ? ORDER BY id",
            (tracking_id,),
        )
        return [dict(r) for r in rows]

    async def sent_acks(self, target_prefix: str, limit: int) -> list[dict[str, Any]]:
        rows = await self._read(
            "SELECT id, tracking_id, target, state, payload, message_id, delivery_state, "
            "updated_at FROM outbox WHERE kind = 'ack' AND target LIKE ? ORDER BY id DESC LIMIT ?",
            (target_prefix + "%", limit),
        )
        return [dict(r) for r in rows]

    async def outbox_states(self, ids: list[int]) -> dict[int, str]:
        """The state of each outbox row in *ids* that exists."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = await self._read(f"SELECT id, state FROM outbox WHERE id IN ({marks})", tuple(ids))
        return {int(r["id"]): str(r["state"]) for r in rows}

    async def replay(self, ids: list[int] | None) -> int:
        return await self.write(lambda c: q.replay(c, ids))

    async def dedup_rows(
        self, since: datetime
    ) -> list[tuple[str, str, list[str], datetime, str | None, str | None, str | None]]:
        """Rows that warm the similarity index (:meth:`gateway.linker.Linker.load`):
        original reports (not level-2 duplicates) received at or after *since* whose forward
        to the core is done, with their reporter identities (so the index can leave a
        reporter's own reports out). A report still waiting (pending, held, dead-lettered)
        is indexed when it is forwarded, so it links only to reports that went before it."""
        waiting = await self._read(
            "SELECT tracking_id FROM outbox "
            "WHERE state IN ('pending', 'held', 'dead') AND kind = 'forward'"
        )
        skip = {r[0] for r in waiting}
        identities: dict[str, list[str]] = {}
        for tracking_id, identity in await self._read(
            "SELECT tracking_id, identity FROM report_identities WHERE received_at >= ?",
            (since.isoformat(),),
        ):
            identities.setdefault(tracking_id, []).append(identity)
        rows = await self._read(
            "SELECT tracking_id, json_extract(body, '$.text') AS text, received_at, region, "
            "category, json_extract(body, '$.location.address') AS address FROM reports "
            "WHERE received_at >= ? AND duplicate_of IS NULL ORDER BY received_at",
            (since.isoformat(),),
        )
        return [
            (
                r[0],
                r[1] or "",
                identities.get(r[0], []),
                datetime.fromisoformat(r[2]),
                r[3],
                r[4],
                r[5],
            )
            for r in rows
            if r[0] not in skip
        ]

    async def release_held(self, tracking_ids: list[str] | None) -> int:
        return await self.write(lambda c: q.release_held(c, tracking_ids))

    async def embedded_core_receive(self, tracking_id: str, payload: dict[str, Any]) -> str:
        return await self.write(lambda c: q.embedded_core_receive(c, tracking_id, payload))

    async def embedded_core_addendum(self, tracking_id: str, payload: dict[str, Any]) -> None:
        await self.write(lambda c: q.embedded_core_addendum(c, tracking_id, payload))

    async def core_cases(self) -> list[dict[str, Any]]:
        rows = await self._read("SELECT tracking_id, case_id, received_at FROM core_cases")
        return [dict(r) for r in rows]

    async def followups(self, tracking_id: str) -> list[str]:
        rows = await self._read(
            "SELECT text FROM followups WHERE tracking_id = ? ORDER BY id", (tracking_id,)
        )
        return [str(r["text"]) for r in rows]

"""Reads of the SQLite store, through aiosqlite on a connection of their own.

Reads can be long (listings, outbox scans) and must not stall the loop; in WAL mode
readers never block the writer and never see uncommitted data. The one read every SMS
makes (:meth:`SqliteReader.inbound_key_age`, one row by primary key) is the exception: a
thread hop costs far more CPU than the read itself, so it runs on the loop's thread (as
the writer's statements do, :mod:`gateway.store.writer`), on a third connection that never
waits for a lock: busy, it falls back to aiosqlite.

:class:`SqliteReader` alone is the forwarder process's store (:class:`ForwarderReader`):
it opens the file read-only, with no writer thread and no migrations (the main process
owns both, and has migrated the file before it starts a forwarder). :class:`SqliteStore`
(:mod:`gateway.store.sqlite`) adds the writes on top.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import aiosqlite

from gateway.adapter import Fragment, StatusView, StoreUnavailableError
from gateway.store import rows as m
from gateway.store.base import (
    CoreCase,
    DeadLetter,
    DedupRow,
    HeldReport,
    IntakeCount,
    OutboxRecord,
    ReportSummary,
    RetryingRow,
    TargetBacklog,
)
from normalizer import Report
from outbox.jobs import OutboxItem

# aiosqlite logs every statement *with its parameters* at DEBUG: phone numbers, e-mails and
# report text would reach the logs of anyone who turns on debug logging. Its INFO and above
# carry no data, so that is as far as it may go.
logging.getLogger("aiosqlite").setLevel(logging.INFO)


class SqliteReader:
    """Every read query of the SQLite backend, on one aiosqlite connection.

    *read_only* opens the file with ``mode=ro``: nothing through this connection can
    change the database, and the file must exist (and be migrated) already."""

    def __init__(self, path: Path, *, read_only: bool = True) -> None:
        self.path = path
        self.read_only = read_only
        self._reader: aiosqlite.Connection | None = None
        #: point reads on the loop's thread (see the module docstring)
        self._point: sqlite3.Connection | None = None

    async def open(self) -> None:
        if self.read_only:
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            self._reader = await aiosqlite.connect(uri, uri=True, isolation_level=None)
        else:
            self._reader = await aiosqlite.connect(self.path, isolation_level=None)
        await self._reader.execute("PRAGMA busy_timeout=5000")
        self._reader.row_factory = aiosqlite.Row
        point_uri = f"{self.path.resolve().as_uri()}?mode=ro"
        self._point = sqlite3.connect(point_uri, uri=True, isolation_level=None)
        self._point.execute("PRAGMA busy_timeout=0")

    async def close(self) -> None:
        """Close the connections. Idempotent."""
        if self._point is not None:
            self._point.close()
            self._point = None
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader.close()
            self._reader = None

    async def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[aiosqlite.Row]:
        if self._reader is None:
            raise StoreUnavailableError("store is closed")
        try:
            return list(await self._reader.execute_fetchall(sql, params))
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"read failed: {exc}") from exc

    # -- intake and per-adapter state ------------------------------------------------------

    async def is_opted_out(self, identities: list[str]) -> bool:
        if not identities:
            return False
        marks = ",".join("?" * len(identities))
        rows = await self._read(
            f"SELECT 1 FROM opt_outs WHERE identity IN ({marks})", tuple(identities)
        )
        return bool(rows)

    async def inbound_key_age(self, key: str) -> float | None:
        sql = "SELECT created_at FROM inbound_keys WHERE key = ?"
        created_at: float | None = None
        try:
            if self._point is None:
                raise StoreUnavailableError("store is closed")
            found = self._point.execute(sql, (key,)).fetchone()
            created_at = None if found is None else float(found[0])
        except sqlite3.OperationalError:  # busy (a checkpoint restarting the WAL): wait there
            rows = await self._read(sql, (key,))
            created_at = float(rows[0]["created_at"]) if rows else None
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"read failed: {exc}") from exc
        return None if created_at is None else max(0.0, time.time() - created_at)

    async def expired_fragment_groups(self, older_than_s: float) -> dict[str, list[Fragment]]:
        cutoff = time.time() - older_than_s
        rows = await self._read(
            "SELECT grp, part, data, meta FROM fragments WHERE grp IN "
            "(SELECT grp FROM fragments GROUP BY grp HAVING MIN(created_at) < ?) "
            "ORDER BY grp, part",
            (cutoff,),
        )
        return m.fragment_groups(rows)

    async def get_checkpoint(self, name: str) -> str | None:
        rows = await self._read("SELECT value FROM checkpoints WHERE name = ?", (name,))
        return str(rows[0]["value"]) if rows else None

    # -- reports and status ----------------------------------------------------------------

    async def get_report(self, tracking_id: str) -> tuple[Report, str] | None:
        rows = await self._read(
            "SELECT body, status FROM reports WHERE tracking_id = ?", (tracking_id,)
        )
        return m.report_and_status(rows[0]) if rows else None

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
        return m.status_view(tracking_id, rows[0], history)

    async def list_reports(self, status: str | None, limit: int) -> list[ReportSummary]:
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
        return [m.report_summary(r) for r in rows]

    async def followups(self, tracking_id: str) -> list[str]:
        rows = await self._read(
            "SELECT text FROM followups WHERE tracking_id = ? ORDER BY id", (tracking_id,)
        )
        return [str(r["text"]) for r in rows]

    async def dedup_rows(self, since: datetime) -> list[DedupRow]:
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
            m.dedup_row(r, identities.get(r["tracking_id"], []))
            for r in rows
            if r["tracking_id"] not in skip
        ]

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
        skip, params = target_filter(exclude_targets, only_targets)
        rows = await self._read(
            f"{_ITEM_SELECT} WHERE o.state = 'pending' AND o.next_attempt_at <= ?{skip} "
            "ORDER BY o.id LIMIT ?",
            (now, *params, limit),
        )
        return [m.outbox_item(r) for r in rows]

    async def outbox_items(self, ids: list[int]) -> list[OutboxItem]:
        """The rows *ids* as the relay takes them, oldest first (after a claim)."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self._read(f"{_ITEM_SELECT} WHERE o.id IN ({marks}) ORDER BY o.id", tuple(ids))
        return [m.outbox_item(r) for r in rows]

    async def outbox_depth(self) -> dict[str, int]:
        rows = await self._read("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
        return {r["state"]: r["n"] for r in rows}

    async def dead_letters(self, limit: int) -> list[DeadLetter]:
        rows = await self._read(
            "SELECT id, kind, tracking_id, target, attempts, last_error, updated_at FROM outbox "
            "WHERE state = 'dead' ORDER BY id LIMIT ?",
            (limit,),
        )
        return [cast(DeadLetter, dict(r)) for r in rows]

    async def outbox_states(self, ids: list[int]) -> dict[int, str]:
        """The state of each outbox row in *ids* that exists."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = await self._read(f"SELECT id, state FROM outbox WHERE id IN ({marks})", tuple(ids))
        return {int(r["id"]): str(r["state"]) for r in rows}

    async def outbox_rows(self, tracking_id: str) -> list[OutboxRecord]:
        rows = await self._read(
            "SELECT id, kind, target, state, attempts, last_error, message_id, delivery_state, "
            "payload FROM outbox WHERE tracking_id = ? ORDER BY id",
            (tracking_id,),
        )
        return [cast(OutboxRecord, dict(r)) for r in rows]

    # -- operator console overview ---------------------------------------------------------

    async def intake_counts(self, since: datetime) -> list[IntakeCount]:
        # received_at is stored as UTC ISO 8601: its first 13 characters are the hour
        rows = await self._read(
            "SELECT channel, substr(received_at, 1, 13) AS hour, COUNT(*) AS count "
            "FROM reports WHERE received_at >= ? GROUP BY channel, hour ORDER BY hour, channel",
            (since.isoformat(),),
        )
        return [cast(IntakeCount, dict(r)) for r in rows]

    async def outbox_backlog(self) -> list[TargetBacklog]:
        rows = await self._read(
            "SELECT target, "
            "SUM(state = 'pending') AS pending, "
            "SUM(state = 'pending' AND attempts > 0) AS retrying, "
            "SUM(state = 'held') AS held, SUM(state = 'dead') AS dead, "
            "MIN(CASE WHEN state = 'pending' THEN created_at END) AS oldest_pending_at "
            "FROM outbox WHERE state IN ('pending', 'held', 'dead') GROUP BY target ORDER BY target"
        )
        return [cast(TargetBacklog, dict(r)) for r in rows]

    async def retrying_rows(self, limit: int) -> list[RetryingRow]:
        rows = await self._read(
            "SELECT id, kind, tracking_id, target, attempts, last_error, next_attempt_at "
            "FROM outbox WHERE state = 'pending' AND attempts > 0 "
            "ORDER BY attempts DESC, id LIMIT ?",
            (limit,),
        )
        return [cast(RetryingRow, dict(r)) for r in rows]

    async def held_reports(self, limit: int) -> list[HeldReport]:
        rows = await self._read(
            "SELECT h.tracking_id, h.n, r.body FROM "
            "(SELECT tracking_id, COUNT(*) AS n, MIN(id) AS first FROM outbox "
            " WHERE state = 'held' AND tracking_id IS NOT NULL GROUP BY tracking_id) h "
            "JOIN reports r ON r.tracking_id = h.tracking_id ORDER BY h.first LIMIT ?",
            (limit,),
        )
        return [m.held_report(r) for r in rows]

    # -- embedded case store ---------------------------------------------------------------

    async def core_cases(self) -> list[CoreCase]:
        rows = await self._read("SELECT tracking_id, case_id, received_at FROM core_cases")
        return [cast(CoreCase, dict(r)) for r in rows]


def target_filter(
    exclude_targets: frozenset[str], only_targets: frozenset[str] | None
) -> tuple[str, list[str]]:
    """The SQL condition (`` AND ...``, or empty) and parameters that skip rows of
    *exclude_targets* and, with *only_targets*, keep only theirs."""
    sql = ""
    params: list[str] = []
    if exclude_targets:
        sql = " AND target NOT IN (" + ",".join("?" * len(exclude_targets)) + ")"
        params += sorted(exclude_targets)
    if only_targets is not None:
        sql += " AND target IN (" + ",".join("?" * len(only_targets)) + ")"
        params += sorted(only_targets)
    return sql, params


#: an outbox row with, for rows bound for the core, the report body: read in the same query,
#: one read per relay pass instead of one per forwarded report
_ITEM_SELECT = (
    "SELECT o.id, o.kind, o.tracking_id, o.target, o.payload, o.attempts, o.created_at, "
    "CASE WHEN o.kind IN ('forward', 'addendum') THEN r.body END AS body "
    "FROM outbox o LEFT JOIN reports r ON r.tracking_id = o.tracking_id"
)

"""Rows read from a store, as the values the store interfaces return.

Each backend keeps its own SQL (:mod:`gateway.store.reader`,
:mod:`gateway.store.postgres.reader`) and selects the same column names; turning those rows
into :mod:`gateway.store.base` values happens here once, so both backends answer alike.
SQLite returns timestamps as ISO 8601 text and PostgreSQL as ``datetime``:
:func:`as_datetime` and :func:`as_iso` take either.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol, cast

from gateway.adapter import Fragment, StatusEntry, StatusView
from gateway.store.base import DedupRow, HeldReport, ReportSummary
from normalizer import Report
from outbox.jobs import Job, OutboxItem, UnreadableJob, read_job


class Row(Protocol):
    """A result row by column name: ``sqlite3.Row`` and ``asyncpg.Record`` both are."""

    def keys(self) -> Iterable[str]: ...

    def __getitem__(self, key: str, /) -> Any: ...


def as_datetime(value: str | datetime) -> datetime:
    """A timestamp column as a ``datetime`` (SQLite stores ISO 8601 text)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def as_iso(value: str | datetime) -> str:
    """A timestamp column as ISO 8601 text (PostgreSQL returns a ``datetime``)."""
    return value if isinstance(value, str) else value.isoformat()


def row_job(kind: str, payload: str) -> Job | UnreadableJob:
    """An outbox row's job, or why it cannot be read (the relay dead-letters that row alone)."""
    try:
        return read_job(kind, payload)
    except ValueError as exc:
        return UnreadableJob(kind, str(exc))


def outbox_item(r: Row) -> OutboxItem:
    """An outbox row as the relay takes it (``body``: the report JSON of rows bound for the
    core, None for the others)."""
    return OutboxItem(
        id=r["id"],
        job=row_job(r["kind"], r["payload"]),
        tracking_id=r["tracking_id"],
        target=r["target"],
        attempts=r["attempts"],
        created_at=r["created_at"],
        report_json=r["body"],
    )


def fragment_groups(rows: Iterable[Row]) -> dict[str, list[Fragment]]:
    """Rows of ``grp, part, data, meta`` (ordered by group and part), by group."""
    groups: dict[str, list[Fragment]] = {}
    for row in rows:
        groups.setdefault(row["grp"], []).append(
            Fragment(part=row["part"], data=bytes(row["data"]), meta=json.loads(row["meta"]))
        )
    return groups


def report_and_status(row: Row) -> tuple[Report, str]:
    """A row of ``body, status``: the report as filed and its current status."""
    return Report.model_validate_json(row["body"]), str(row["status"])


def status_view(tracking_id: str, row: Row, history: Iterable[Row]) -> StatusView:
    """The report's row (``status, channel, received_at, agency, category``) and its
    ``at, status, note`` history rows, oldest first."""
    return StatusView(
        tracking_id=tracking_id,
        status=row["status"],
        channel=row["channel"],
        received_at=as_datetime(row["received_at"]),
        agency=row["agency"],
        category=row["category"],
        history=[
            StatusEntry(at=as_datetime(h["at"]), status=h["status"], note=h["note"])
            for h in history
        ],
    )


def report_summary(r: Row) -> ReportSummary:
    """A row of the :class:`ReportSummary` columns, ``received_at`` as ISO 8601 text."""
    summary = dict(r)
    summary["received_at"] = as_iso(r["received_at"])
    return cast(ReportSummary, summary)


def dedup_row(r: Row, identities: list[str]) -> DedupRow:
    """A row of ``tracking_id, text, received_at, region, category, address`` and the
    report's reporter identities, as the level-3 index loads it."""
    return (
        r["tracking_id"],
        r["text"] or "",
        identities,
        as_datetime(r["received_at"]),
        r["region"],
        r["category"],
        r["address"],
    )


def held_report(r: Row) -> HeldReport:
    """A row of ``tracking_id, n, body``: a report and how many of its rows are held."""
    return HeldReport(
        tracking_id=r["tracking_id"],
        report=Report.model_validate_json(r["body"]),
        held_rows=int(r["n"]),
    )

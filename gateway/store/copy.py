"""Moving a deployment from SQLite to PostgreSQL (``lapor-gateway store migrate``).

Every table that carries state is copied: reports, inbound keys (level-1 dedup), reporter
identities (level-2 dedup), status history, follow-ups, the outbox (ids kept, so an
operator's notes about row 123 stay true), checkpoints (the X cursors), SMS fragments,
opt-outs and the embedded case store. Rows are inserted with ``ON CONFLICT DO NOTHING``
on their key, so a run that stopped half-way, or a second run, copies only what is missing
and never doubles anything; the sequences are moved past the copied ids. Afterwards every
source row's key is looked up in the destination: the counts must match, or the command
fails naming the table.

Stop the gateway (or at least its intake) before the final run: rows written to SQLite
after the copy are not in PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from gateway.store.postgres.reader import setup_connection
from gateway.store.postgres.schema import migrate


def _ts(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _flag(value: Any) -> bool:
    return bool(value)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    #: the key that identifies a row in both databases
    key: tuple[str, ...]
    #: PostgreSQL types of the key columns (for the verification's unnest)
    key_types: tuple[str, ...]
    #: SQLite value -> PostgreSQL value, by column
    convert: dict[str, Callable[[Any], Any]]
    #: a BIGSERIAL id column whose sequence must move past the copied ids
    serial: bool = False


TABLES: list[Table] = [
    Table(
        "reports",
        (
            "tracking_id", "channel", "transport", "external_id", "received_at", "status",
            "status_at", "agency", "anonymous", "confidential", "throttled", "duplicate_of",
            "region", "category", "core_case_id", "body", "created_at",
        ),
        ("tracking_id",), ("text",),
        {
            "received_at": _ts, "status_at": _ts, "anonymous": _flag, "confidential": _flag,
            "throttled": _flag,
        },
    ),
    Table("inbound_keys", ("key", "tracking_id", "body_hash", "created_at"),
          ("key",), ("text",), {}),
    Table("report_identities", ("identity", "received_at", "tracking_id"),
          ("identity", "received_at", "tracking_id"), ("text", "timestamptz", "text"),
          {"received_at": _ts}),
    Table("status_history",
          ("id", "tracking_id", "at", "status", "note", "agency", "event_key", "created_at"),
          ("id",), ("bigint",), {"at": _ts}, serial=True),
    Table("followups", ("id", "tracking_id", "text", "created_at"), ("id",), ("bigint",), {},
          serial=True),
    Table(
        "outbox",
        (
            "id", "kind", "tracking_id", "target", "payload", "state", "attempts",
            "next_attempt_at", "last_error", "message_id", "delivery_state", "created_at",
            "updated_at",
        ),
        ("id",), ("bigint",), {}, serial=True,
    ),
    Table("checkpoints", ("name", "value", "updated_at"), ("name",), ("text",), {}),
    Table("fragments", ("grp", "part", "total", "data", "meta", "created_at"),
          ("grp", "part"), ("text", "integer"), {"data": bytes}),
    Table("opt_outs", ("identity", "updated_at"), ("identity",), ("text",), {}),
    Table("core_cases", ("tracking_id", "case_id", "payload", "received_at"),
          ("tracking_id",), ("text",), {}),
    Table("core_addenda", ("id", "tracking_id", "payload", "received_at"), ("id",),
          ("bigint",), {}, serial=True),
]  # fmt: skip


class CopyError(RuntimeError):
    """The copy could not be verified: some source rows are missing in the destination."""


@dataclass(frozen=True)
class Copied:
    table: str
    source: int
    inserted: int


async def copy_store(source: Path, dsn: str, *, batch: int = 500) -> list[Copied]:
    """Copy every table of the SQLite file *source* into the PostgreSQL database *dsn*
    (migrated first), then verify; returns per table the source rows and those new."""
    src = _open_source(source)
    conn = await asyncpg.connect(dsn)
    try:
        await setup_connection(conn)  # NUL in SQLite text: U+FFFD, as the backend writes it
        await migrate(conn)
        copied = []
        for table in TABLES:
            rows = src.execute(f"SELECT {', '.join(table.columns)} FROM {table.name}").fetchall()
            inserted = 0
            async with conn.transaction():
                for start in range(0, len(rows), batch):
                    values = [_convert(table, row) for row in rows[start : start + batch]]
                    inserted += await _insert(conn, table, values)
                if table.serial:
                    await conn.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"GREATEST((SELECT MAX(id) FROM {table.name}), 1))"
                    )
            await _verify(conn, table, rows)
            copied.append(Copied(table.name, len(rows), inserted))
        return copied
    finally:
        await conn.close()
        src.close()


def _open_source(path: Path) -> sqlite3.Connection:
    """The SQLite file, read-only (the copy never changes it)."""
    if not path.exists():
        raise CopyError(f"{path}: no such database file")
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _convert(table: Table, row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(
        table.convert[col](value) if col in table.convert and value is not None else value
        for col, value in zip(table.columns, row, strict=True)
    )


async def _insert(conn: asyncpg.Connection, table: Table, values: list[tuple[Any, ...]]) -> int:
    """Insert what is missing; the number of rows new in the destination."""
    if not values:
        return 0
    marks = ", ".join(
        f"${i + 1}::jsonb" if col == "body" else f"${i + 1}" for i, col in enumerate(table.columns)
    )
    cols = ", ".join(table.columns)
    before = await conn.fetchval(f"SELECT COUNT(*) FROM {table.name}")
    await conn.executemany(
        f"INSERT INTO {table.name} ({cols}) VALUES ({marks}) ON CONFLICT DO NOTHING", values
    )
    after = await conn.fetchval(f"SELECT COUNT(*) FROM {table.name}")
    return int(after - before)


async def _verify(conn: asyncpg.Connection, table: Table, rows: list[tuple[Any, ...]]) -> None:
    """Every source row's key is in the destination (extra destination rows are fine: a
    gateway may already run on it)."""
    positions = [table.columns.index(k) for k in table.key]
    keys = [[_convert(table, row)[p] for row in rows] for p in positions]
    args = ", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(table.key_types))
    names = ", ".join(f"k{i}" for i in range(len(table.key)))
    match = " AND ".join(f"t.{col} = s.k{i}" for i, col in enumerate(table.key))
    found = await conn.fetchval(
        f"SELECT COUNT(*) FROM {table.name} t JOIN unnest({args}) AS s({names}) ON {match}",
        *keys,
    )
    if found != len(rows):
        raise CopyError(
            f"{table.name}: {len(rows)} rows in SQLite, {found} of them found in PostgreSQL"
        )


def summary(copied: list[Copied]) -> str:
    """One line per table, for the operator."""
    return "\n".join(
        f"{c.table}: {c.source} rows verified ({c.inserted} copied now)" for c in copied
    )

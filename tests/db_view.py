"""A read-only look into a gateway's SQLite file: what was really committed.

The channel tests (X, Telegram, WhatsApp) assert on the database the adapter wrote through
the real pipeline; each subclass names its channel and the order its reports come in."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any


class DbView:
    #: the ``reports.channel`` and ``outbox.target`` this view is about
    channel: str = ""
    #: the order of :meth:`reports`
    order_by: str = "rowid"

    def __init__(self, path: Path) -> None:
        self.path = path

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        con = sqlite3.connect(self.path)
        con.row_factory = sqlite3.Row
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def reports(self) -> list[sqlite3.Row]:
        return self.rows(
            f"SELECT * FROM reports WHERE channel = ? ORDER BY {self.order_by}", (self.channel,)
        )

    def outbox(self) -> list[sqlite3.Row]:
        return self.rows("SELECT * FROM outbox WHERE target = ? ORDER BY id", (self.channel,))

    def followups(self) -> list[sqlite3.Row]:
        return self.rows("SELECT * FROM followups ORDER BY id")

    def checkpoint(self, name: str) -> str | None:
        rows = self.rows("SELECT value FROM checkpoints WHERE name = ?", (name,))
        return rows[0]["value"] if rows else None


async def wait_for(predicate: Callable[[], bool], limit_s: float = 10.0) -> None:
    """Until *predicate* holds (SQLite and the fakes have no event to wait on)."""
    async with asyncio.timeout(limit_s):
        while not predicate():  # noqa: ASYNC110 - polls SQLite and the fake; no event exists
            await asyncio.sleep(0.02)

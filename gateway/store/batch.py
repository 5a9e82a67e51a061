"""One group commit: many write operations, one transaction, one fsync.

Fast path: run every operation straight. When one raises, the whole transaction is rolled
back and the batch re-run with a SAVEPOINT per operation, so the failing operation leaves
no trace and the others still commit.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from typing import Any

#: a write operation: plain SQL on the connection, inside the batch's transaction
WriteFn = Callable[[sqlite3.Connection], Any]


def run_batch(conn: sqlite3.Connection, fns: list[WriteFn]) -> list[tuple[bool, Any]]:
    """One transaction and one COMMIT for the whole batch (runs in the db thread).

    Fast path: run every operation straight. Operations rarely fail (repeats are detected
    by a SELECT, not by an exception), so when one does, the whole transaction is rolled
    back and the batch re-run with one SAVEPOINT per operation: the failing one leaves no
    trace and the others commit. Operations are plain SQL on this connection, so running
    them again after a rollback is safe.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        results: list[tuple[bool, Any]] = [(True, fn(conn)) for fn in fns]
    except Exception:
        conn.execute("ROLLBACK")
        return _run_batch_isolated(conn, fns)
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    return results


def _run_batch_isolated(conn: sqlite3.Connection, fns: list[WriteFn]) -> list[tuple[bool, Any]]:
    """The slow path: one SAVEPOINT per operation, so one failure spoils nothing else."""
    results: list[tuple[bool, Any]] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for fn in fns:
            conn.execute("SAVEPOINT op")
            try:
                value = fn(conn)
            except Exception as exc:
                conn.execute("ROLLBACK TO op")
                conn.execute("RELEASE op")
                results.append((False, exc))
            else:
                conn.execute("RELEASE op")
                results.append((True, value))
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    return results

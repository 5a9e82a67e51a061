"""One group commit: many write operations, one transaction, one fsync.

:func:`run_batch` opens the transaction and runs the operations; :func:`commit` ends it.
They are separate so the caller can run the COMMIT (the fsync, the only slow part) in a
thread while the event loop goes on parsing the next requests.

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
    """BEGIN and run every operation; the transaction is left open for :func:`commit`.

    Fast path: run every operation straight. Operations rarely fail (repeats are detected
    by a SELECT, not by an exception), so when one does, the whole transaction is rolled
    back and the batch re-run with one SAVEPOINT per operation: the failing one leaves no
    trace and the others commit. Operations are plain SQL on this connection, so running
    them again after a rollback is safe.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        return [(True, fn(conn)) for fn in fns]
    except Exception:
        conn.execute("ROLLBACK")
        return _run_batch_isolated(conn, fns)
    except BaseException:
        rollback(conn)
        raise


def commit(conn: sqlite3.Connection) -> None:
    """COMMIT the batch's transaction (one fsync); on failure roll back and raise."""
    try:
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back whatever is open, ignoring "no transaction is active"."""
    with contextlib.suppress(sqlite3.Error):
        conn.execute("ROLLBACK")


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
    except BaseException:
        rollback(conn)
        raise
    return results

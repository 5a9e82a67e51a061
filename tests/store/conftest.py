"""The store backends the contract suite (``test_contract*.py``) runs against.

A backend is a :class:`Backend`: how to open its store (:class:`Store`) and its
forwarder's read-only reader (:class:`ForwarderReader`) on fresh storage. Every test in
this folder that takes the ``store`` fixture runs once per entry of :data:`BACKENDS`:
SQLite on a file in the test's temporary directory, PostgreSQL on a new database of the
session's throwaway cluster (``tests/pg.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.store.interfaces import ForwarderReader, Store
from gateway.store.postgres import PostgresReader, PostgresStore
from gateway.store.reader import SqliteReader
from gateway.store.sqlite import SqliteStore
from tests.pg import PgCluster


@dataclass(frozen=True)
class Backend:
    """Opens stores and readers on one database; ``new_store`` twice gives two handles on
    the same data (a restart)."""

    new_store: Callable[[], Store]
    new_reader: Callable[[], ForwarderReader]


def _sqlite(request: pytest.FixtureRequest) -> Backend:
    path: Path = request.getfixturevalue("tmp_path") / "contract.db"
    return Backend(new_store=lambda: SqliteStore(path), new_reader=lambda: SqliteReader(path))


def _postgresql(request: pytest.FixtureRequest) -> Backend:
    """A fresh database on the session's throwaway cluster (tests/pg.py)."""
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    dsn = cluster.new_database()
    return Backend(new_store=lambda: PostgresStore(dsn), new_reader=lambda: PostgresReader(dsn))


#: backend name -> factory on fresh storage (a test's temporary directory, a new database)
BACKENDS: dict[str, Callable[[pytest.FixtureRequest], Backend]] = {
    "sqlite": _sqlite,
    "postgresql": _postgresql,
}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest) -> Backend:
    return BACKENDS[request.param](request)


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[Store]:
    s = backend.new_store()
    await s.open()
    yield s
    await s.close()


@pytest.fixture
async def reader(backend: Backend, store: Store) -> AsyncIterator[ForwarderReader]:
    """The forwarder's reader, opened once *store* has created the schema."""
    r = backend.new_reader()
    await r.open()
    yield r
    await r.close()

"""The store backends the contract suite (``test_contract.py``) runs against.

A backend is a :class:`Backend`: how to open its store (:class:`Store`) and its
forwarder's read-only reader (:class:`ForwarderReader`) on fresh storage. Every test in
this folder that takes the ``store`` fixture runs once per entry of :data:`BACKENDS`; a new
backend (PostgreSQL) joins the suite by adding one entry.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.store.interfaces import ForwarderReader, Store
from gateway.store.reader import SqliteReader
from gateway.store.sqlite import SqliteStore


@dataclass(frozen=True)
class Backend:
    """Opens stores and readers on one database; ``new_store`` twice gives two handles on
    the same data (a restart)."""

    new_store: Callable[[], Store]
    new_reader: Callable[[], ForwarderReader]


def _sqlite(tmp_path: Path) -> Backend:
    path = tmp_path / "contract.db"
    return Backend(new_store=lambda: SqliteStore(path), new_reader=lambda: SqliteReader(path))


#: backend name -> factory on a fresh temporary directory
BACKENDS: dict[str, Callable[[Path], Backend]] = {"sqlite": _sqlite}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return BACKENDS[request.param](tmp_path)


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

"""The backend ``[gateway] database`` names: SQLite for ``sqlite:///PATH``, PostgreSQL for
``postgresql://...``. The wiring (service, CLI, forwarder) opens stores only through here."""

from __future__ import annotations

from gateway.sections import GatewaySection
from gateway.store.interfaces import ForwarderReader, Store
from gateway.store.postgres import PostgresReader, PostgresStore
from gateway.store.reader import SqliteReader
from gateway.store.sqlite import SqliteStore


def store_for(gateway: GatewaySection) -> Store:
    """The whole store of *gateway*'s database (not opened yet)."""
    if gateway.is_postgresql:
        return PostgresStore(gateway.database)
    return SqliteStore(gateway.database_path)


def reader_for(gateway: GatewaySection) -> ForwarderReader:
    """The forwarder process's read-only view of *gateway*'s database (not opened yet)."""
    if gateway.is_postgresql:
        return PostgresReader(gateway.database)
    return SqliteReader(gateway.database_path)

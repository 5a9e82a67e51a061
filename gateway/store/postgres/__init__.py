"""The PostgreSQL backend, for several gateway instances sharing one database:
:class:`PostgresStore` (every store interface) and :class:`PostgresReader` (the forwarder
process's read-only view)."""

from gateway.store.postgres.reader import PostgresReader
from gateway.store.postgres.store import PostgresStore

__all__ = ["PostgresReader", "PostgresStore"]

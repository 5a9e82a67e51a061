"""Durable storage: the interfaces each consumer sees (:mod:`gateway.store.interfaces`),
the values they exchange (:mod:`gateway.store.base`) and the SQLite backend."""

from gateway.store.base import (
    CoreEvent,
    EventResult,
    FileRequest,
    OutboxRow,
    Plan,
    PriorReport,
)
from gateway.store.interfaces import Store
from gateway.store.reader import SqliteReader
from gateway.store.sqlite import SqliteStore
from outbox.jobs import OutboxItem, OutboxOutcome

__all__ = [
    "CoreEvent",
    "EventResult",
    "FileRequest",
    "OutboxItem",
    "OutboxOutcome",
    "OutboxRow",
    "Plan",
    "PriorReport",
    "SqliteReader",
    "SqliteStore",
    "Store",
]

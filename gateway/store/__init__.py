"""Durable storage: the :class:`~gateway.store.base.Store` interface and its SQLite backend."""

from gateway.store.base import (
    CoreEvent,
    EventResult,
    FileRequest,
    OutboxRow,
    Plan,
    PriorReport,
    Store,
)
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
    "SqliteStore",
    "Store",
]

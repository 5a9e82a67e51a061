"""What the console needs from the running gateway (:class:`gateway.service.Gateway`
satisfies it, so the console imports no service)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from gateway.adapter import Adapter
from gateway.sections import GatewayConfig
from gateway.store.interfaces import OpsView, OutboxStore, ReadModel


class ConsoleStore(ReadModel, OutboxStore, OpsView, Protocol):
    """The store as the console uses it: the operator's read model, the outbox commands
    (the same ``replay`` and ``release_held`` as ``lapor-gateway outbox``) and the
    overview's reads."""


class ConsoleHost(Protocol):
    @property
    def config(self) -> GatewayConfig: ...

    @property
    def adapters(self) -> Mapping[str, Adapter]: ...

    @property
    def store(self) -> ConsoleStore: ...

    async def readiness(self) -> dict[str, Any]: ...

    def outbox_changed(self) -> None:
        """Rows became due (replayed, released): wake the relay instead of waiting a poll."""
        ...

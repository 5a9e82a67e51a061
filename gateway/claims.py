"""The outbox queue of one instance among several on a shared database: the relay's
``due_outbox`` becomes a claim (:meth:`gateway.store.interfaces.ClaimRows.claim_outbox`),
so each row is sent by one instance at a time, and a row claimed by an instance that died
is taken over when its lease runs out.

One instance alone (SQLite) reads due rows directly; the relay is the same either way.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

from gateway.store.interfaces import ClaimRows, OutboxStore
from outbox.jobs import OutboxItem, OutboxOutcome


def instance_name() -> str:
    """This process's name in claims and leases: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class ClaimingQueue:
    """:class:`outbox.relay.OutboxQueue` over claims; outcomes end the claims."""

    def __init__(
        self,
        store: OutboxStore,
        claimer: str,
        *,
        lease_s: float,
        serves: Callable[[], frozenset[str]],
    ) -> None:
        """*lease_s* (``outbox.claim_lease_s``): how long a claimed row stays this
        instance's; longer than one delivery attempt, and the wait before the rows of a
        dead instance go out from another. *serves*: the targets this instance can deliver
        to now (its enabled adapters and the core); rows for others are left to the
        instances that serve them, instead of spending attempts here."""
        self.store: OutboxStore = store
        self.claims: ClaimRows = store
        self.claimer = claimer
        self.lease_s = lease_s
        self.serves = serves

    async def due_outbox(
        self,
        now: float,
        limit: int,
        exclude_targets: frozenset[str] = frozenset(),
        only_targets: frozenset[str] | None = None,
    ) -> list[OutboxItem]:
        served = self.serves()
        only = served if only_targets is None else only_targets & served
        return await self.claims.claim_outbox(
            self.claimer, now, limit, self.lease_s, exclude_targets, only
        )

    async def finish_outbox(self, outcomes: list[OutboxOutcome]) -> None:
        await self.store.finish_outbox(outcomes)

    async def unclaim(self, items: list[OutboxItem]) -> None:
        await self.claims.unclaim_outbox(self.claimer, [i.id for i in items])

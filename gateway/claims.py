"""The outbox queue of one instance among several on a shared database: the relay's
``due_outbox`` becomes a claim (:meth:`gateway.store.interfaces.ClaimRows.claim_outbox`),
so each row is sent by one instance at a time, and a row claimed by an instance that died
is taken over when its lease runs out.

The rows bound for the core go through a :class:`LeaderQueue` on top: only the holder of
the ``core-forwarder`` lease claims them, so there is one level-3 similarity index (see
:mod:`gateway.linker`) that sees every forwarded report, whichever instance filed it.

One instance alone (SQLite) reads due rows directly; the relay is the same either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Literal

from gateway.leadership import Leadership
from gateway.store.interfaces import ClaimRows, OutboxStore
from outbox.jobs import OutboxItem, OutboxOutcome
from outbox.relay import OutboxQueue, Unclaiming

log = logging.getLogger(__name__)

#: the lease whose holder forwards to the core (and keeps the level-3 index)
CORE_FORWARDER_LEASE = "core-forwarder"


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


class LeaderQueue:
    """:class:`outbox.relay.OutboxQueue` of work that one instance at a time does: rows
    are claimed only while this instance holds the leader lease *lease*.

    On gaining the lease, *prepare* (warm the level-3 index from the database) runs to
    its end before the first claim. It runs in a task of its own, and meanwhile each pass
    claims nothing: the relay's loop keeps turning (``/readyz`` stays ready while a large
    index warms) and a lease lost during the warm-up is noticed. On losing the lease --
    or on finding that it was lost and taken again between two passes
    (:meth:`gateway.leadership.Leadership.term`) -- *release* runs: what was prepared
    misses whatever the other holder did meanwhile, so the next gain prepares again.

    Passes of one relay run one after another, so *release* never runs while a row this
    queue handed out is still being delivered."""

    def __init__(
        self,
        queue: OutboxQueue,
        leadership: Leadership,
        lease: str,
        *,
        prepare: Callable[[], Awaitable[object]],
        release: Callable[[], None],
    ) -> None:
        self.queue = queue
        self.leadership = leadership
        self.lease = lease
        self.prepare = prepare
        self.release = release
        self._preparing: asyncio.Task[object] | None = None
        #: the lease term the prepared state belongs to (None: nothing prepared)
        self._ready_term: int | None = None

    @property
    def state(self) -> Literal["standby", "preparing", "active"]:
        """``/readyz``: waiting for the lease, preparing after gaining it, or claiming."""
        if self._ready_term is not None:
            return "active"
        return "standby" if self._preparing is None else "preparing"

    async def due_outbox(
        self,
        now: float,
        limit: int,
        exclude_targets: frozenset[str] = frozenset(),
        only_targets: frozenset[str] | None = None,
    ) -> list[OutboxItem]:
        held = await self.leadership.holds(self.lease)
        term = self.leadership.term(self.lease)
        if not held or (self._ready_term is not None and self._ready_term != term):
            await self._drop()
            if not held:
                return []
        if self._ready_term is None and not await self._prepared(term):
            return []
        return await self.queue.due_outbox(now, limit, exclude_targets, only_targets)

    async def _prepared(self, term: int) -> bool:
        """Start or check the preparation; True once it finished for this term. A failed
        one raises (the relay logs the pass) and the next pass starts it again."""
        if self._preparing is None:
            log.info("preparing to act as the lease holder", extra={"lease": self.lease})
            self._preparing = asyncio.create_task(self._prepare(term), name=self.lease)
            return False
        if not self._preparing.done():
            return False
        task, self._preparing = self._preparing, None
        prepared_term = task.result()
        if prepared_term != term:  # lost and taken again while preparing: stale already
            self.release()
            return False
        self._ready_term = term
        log.info("acting as the lease holder", extra={"lease": self.lease})
        return True

    async def _prepare(self, term: int) -> int:
        await self.prepare()
        return term

    async def _drop(self) -> None:
        task, self._preparing = self._preparing, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if task is not None or self._ready_term is not None:
            self._ready_term = None
            self.release()
            log.info("standing by: the lease is not held", extra={"lease": self.lease})

    async def finish_outbox(self, outcomes: list[OutboxOutcome]) -> None:
        await self.queue.finish_outbox(outcomes)

    async def close(self) -> None:
        """Stop a preparation still running (the gateway stops)."""
        task, self._preparing = self._preparing, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def unclaim(self, items: list[OutboxItem]) -> None:
        """Give back rows a pass took but did not attempt (see :class:`ClaimingQueue`)."""
        if isinstance(self.queue, Unclaiming):
            await self.queue.unclaim(items)

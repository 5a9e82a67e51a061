"""Singletons among several instances: leader leases kept alive for this instance.

Work that must run on one instance at a time (the X pollers, lease ``x-pollers``) asks
:meth:`Leadership.holds` before each run: the first ask takes the lease if it is free, a
background task renews every lease asked for, and takes over one whose holder died once
it has run out. The local view of a lease ends ``margin_s`` before the lease itself (the
time is measured from before the acquiring statement was sent), so this instance stops
before another may start. With the defaults (10 s lease, renewed every 3 s) a dead leader
is replaced within about 13 s.

On one instance (SQLite) there is no :class:`Leadership`: the default
:attr:`gateway.adapter.AdapterContext.leader` grants every lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from gateway.adapter import StoreUnavailableError
from gateway.store.interfaces import LeaseStore

log = logging.getLogger(__name__)


class Leadership:
    """This instance's leases on a shared database, by name."""

    def __init__(
        self,
        store: LeaseStore,
        holder: str,
        *,
        ttl_s: float = 10.0,
        renew_every_s: float = 3.0,
        margin_s: float = 1.0,
    ) -> None:
        self.store = store
        self.holder = holder
        self.ttl_s = ttl_s
        self.renew_every_s = renew_every_s
        self.margin_s = margin_s
        #: lease name -> monotonic time until which this instance may act as its holder
        self._until: dict[str, float] = {}
        #: lease name -> how many times this instance gained it (see :meth:`term`)
        self._terms: dict[str, int] = {}
        #: lease name -> set once the first try to take it has its answer
        self._first: dict[str, asyncio.Event] = {}
        self._task: asyncio.Task[None] | None = None

    async def holds(self, name: str) -> bool:
        """True while this instance holds *name*; the first ask tries to take it (an ask
        made meanwhile waits for that answer)."""
        if name not in self._until:
            self._until[name] = 0.0
            self._first[name] = asked = asyncio.Event()
            try:
                await self._try(name)
            finally:
                del self._first[name]
                asked.set()
            if self._task is None:
                self._task = asyncio.create_task(self._loop(), name="leases")
        elif (asking := self._first.get(name)) is not None:
            await asking.wait()
        return time.monotonic() < self._until[name]

    def term(self, name: str) -> int:
        """How many times this instance has gained *name*: state built while holding it
        is stale when the term changed (the lease was lost, maybe used by another
        instance, and taken again)."""
        return self._terms.get(name, 0)

    def held(self) -> list[str]:
        """The leases held now (``/readyz``)."""
        now = time.monotonic()
        return sorted(name for name, until in self._until.items() if until > now)

    def asked(self) -> list[str]:
        """Every lease asked for, held or not."""
        return sorted(self._until)

    async def stop(self) -> None:
        """Stop renewing and give up every lease held, so another instance takes over at
        once instead of waiting for them to run out."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for name in self.held():
            self._until[name] = 0.0
            try:
                await self.store.release_lease(name, self.holder)
            except StoreUnavailableError:
                pass  # it runs out by itself
            log.info("lease released", extra={"lease": name})

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.renew_every_s)
            for name in list(self._until):
                try:
                    await self._try(name)
                except Exception:  # renewals must outlive any one failure
                    log.exception("lease renewal failed", extra={"lease": name})

    async def _try(self, name: str) -> None:
        """Take or extend *name*; a database that does not answer keeps the local view,
        which runs out by itself."""
        was = time.monotonic() < self._until[name]
        asked_at = time.monotonic()
        try:
            got = await self.store.acquire_lease(name, self.holder, self.ttl_s)
        except StoreUnavailableError:
            return
        self._until[name] = asked_at + self.ttl_s - self.margin_s if got else 0.0
        if got and not was:
            self._terms[name] = self._terms.get(name, 0) + 1
            log.info("lease taken", extra={"lease": name})
        elif was and not got:
            log.warning("lease lost to another instance", extra={"lease": name})

"""The running gateway: store, pipeline, adapters, outbox relay and HTTP listener.

Start order: store (migrations) -> level-3 index warmed (when this process
forwards to the core; otherwise the forwarder process warms its own; on PostgreSQL the
instance that takes the ``core-forwarder`` lease warms it then) -> adapters built ->
HTTP listening -> adapters started -> core client -> forwarder process -> background loops
(the relays, gauges, forwarder supervision) in one task group. Stop order (SIGTERM) is the
reverse, with the listener first: gauges stop -> stop listening and let in-flight requests
finish their commits -> the forwarder process exits -> the relays stop (their batches in
flight are recorded) -> core client closed -> adapters stop (they finish in-flight commits and
disconnect) -> close the store (queued writes commit). A start step that fails undoes the
steps before it, in reverse, and :class:`StartError` names the config key to fix.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway import metrics
from gateway.adapter import Adapter, AdapterContext, StoreUnavailableError
from gateway.app import build_app
from gateway.claims import CORE_FORWARDER_LEASE, ClaimingQueue, LeaderQueue, instance_name
from gateway.config import Config
from gateway.dedup import Deduplicator
from gateway.delivery import GatewayDeliverer
from gateway.flood import FloodControl, retry_after_for
from gateway.forwarder import ForwarderProcess, core_client, retry_policies
from gateway.leadership import Leadership
from gateway.linker import Linker
from gateway.outbox_gauges import BacklogGauges
from gateway.pipeline import Pipeline
from gateway.registry import build_adapters, openapi_paths
from gateway.resilience.periodic import Periodic
from gateway.status_api import StatusApi
from gateway.store.backends import store_for
from gateway.store.interfaces import Store
from outbox.core_client import CoreClient
from outbox.jobs import CORE_TARGET, AckJob, Attempt, OutboxItem, OutboxState
from outbox.relay import OutboxQueue, Relay

log = logging.getLogger(__name__)


class StartError(Exception):
    """A start step failed for a reason the operator can fix; the message is one line
    that begins with the config key concerned (``http.port: 127.0.0.1:8080 is already in
    use``). Whatever had started is stopped before it is raised."""


@contextlib.contextmanager
def _step(key: str) -> Iterator[None]:
    """Turn an OS or SQLite error of a start step into a :class:`StartError` naming *key*."""
    try:
        yield
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise StartError(f"{key}: {where}{exc.strerror or exc}") from exc
    except (sqlite3.Error, StoreUnavailableError) as exc:
        raise StartError(f"{key}: {exc}") from exc


class Gateway:
    def __init__(self, config: Config, *, config_path: Path | None = None) -> None:
        """*config_path* is needed only with ``outbox.core_forwarder = "process"`` (the
        forwarder process reads the same file)."""
        self.config = config
        self.store: Store = store_for(config.gateway)
        self.flood = FloodControl(config.flood)
        self.pipeline = Pipeline(
            self.store, config, dedup=Deduplicator(config.dedup), flood=self.flood
        )
        #: this instance's name in outbox claims and leases
        self.instance = instance_name()
        # singletons (the X pollers) under leader leases when instances share a database
        self.leadership: Leadership | None = (
            Leadership(self.store, self.instance) if config.gateway.is_postgresql else None
        )
        self.ctx = AdapterContext(
            intake=self.pipeline,
            data_dir=config.gateway.data_dir,
            country=config.gateway.country,
            max_body_bytes=config.gateway.max_body_bytes,
            overloaded=self.overloaded,
            **({"leader": self.leadership.holds} if self.leadership else {}),
        )
        self.adapters: dict[str, Adapter] = {}
        self.forwarder: ForwarderProcess | None = None
        # with the embedded case store forwarding is a local write: it stays here; on
        # PostgreSQL the instance holding the core-forwarder lease forwards what it claims
        # (a forwarder process reads only, so it cannot claim): check-config warns about it
        if (
            config.outbox.core_forwarder == "process"
            and config.core.url
            and not config.gateway.is_postgresql
        ):
            if config_path is None:
                raise ValueError("core_forwarder = 'process' needs the config file's path")
            self.forwarder = ForwarderProcess(
                config_path,
                on_outcomes=self.store.finish_outbox,
                on_delivery=self._count_delivery,
                on_forwarded=metrics.FORWARD_LATENCY.observe,
                grace_s=config.gateway.shutdown_grace_s,
            )
        # with a forwarder process, the core is its business alone
        self.core: CoreClient | None = None if self.forwarder else core_client(config)
        # level-3 links are made by whoever forwards to the core (gateway.linker)
        self.linker: Linker | None = None if self.forwarder else Linker(config.dedup)
        deliverer = GatewayDeliverer(
            self.store, self.adapters, self.core, case_store=self.store, linker=self.linker
        )
        # several instances on one PostgreSQL database claim rows; one on SQLite reads them
        queue: OutboxQueue = (
            ClaimingQueue(
                self.store,
                self.instance,
                lease_s=config.outbox.claim_lease_s,
                serves=lambda: frozenset({CORE_TARGET, *self.adapters}),
            )
            if config.gateway.is_postgresql
            else self.store
        )
        # one forwarder among instances, so one level-3 index sees every forwarded report:
        # the lease holder warms its index from the database when it takes the lease (a
        # standby keeps none: no memory or CPU spent on an index it may never use)
        self.core_lease: LeaderQueue | None = None
        if self.leadership is not None and self.linker is not None:
            linker = self.linker
            self.core_lease = LeaderQueue(
                queue,
                self.leadership,
                CORE_FORWARDER_LEASE,
                prepare=lambda: linker.warm(self.store, fresh=True),
                release=linker.reset,
            )

        def relay(
            queue: OutboxQueue,
            only: frozenset[str] | None = None,
            skip: frozenset[str] = frozenset(),
        ) -> Relay:
            return Relay(
                queue,
                deliverer,
                policy_for=retry_policies(config).for_item,
                poll_interval_s=config.outbox.poll_interval_s,
                batch_size=config.outbox.batch_size,
                concurrency=config.outbox.concurrency,
                observe=self._observe,
                linger_s=config.outbox.linger_s,
                linger_from_per_s=config.outbox.linger_from_per_s,
                only_targets=only,
                skip_targets=skip,
            )

        # acks never wait behind forwards: the rows bound for the core (and with them the
        # level-3 linking) have a relay of their own, here or in the forwarder process
        core = frozenset({CORE_TARGET})
        #: the relay of everything but the core (acks, status updates, callbacks)
        self.relay = relay(queue, skip=core)
        self.relays = (
            [self.relay] if self.forwarder else [self.relay, relay(self.core_lease or queue, core)]
        )
        self.pipeline.after_commit = self._committed
        self.status_api = StatusApi(
            self.pipeline,
            events_secret=config.core.events_secret.get_secret_value().encode(),
            max_body=config.gateway.max_body_bytes,
            rate_per_min=config.http.status_rate_per_min,
        )
        self._runner: web.AppRunner | None = None
        self._monitor = Periodic("gauges", self._monitor_tick, 2.0, run_at_start=True)
        self._stack: contextlib.AsyncExitStack | None = None
        self._tasks: asyncio.Task[None] | None = None
        #: set when a background loop failed; :attr:`failure` is the one line to print
        self.failed = asyncio.Event()
        self.failure = ""
        self._pending = 0
        self._store_ok = True
        self._backlog = BacklogGauges()
        self.port: int | None = None

    def _committed(self) -> None:
        for relay in self.relays:
            relay.wake()
        if self.forwarder is not None:
            self.forwarder.wake()

    def outbox_changed(self) -> None:
        """Rows became due outside the pipeline (an operator's replay or release in the
        console): deliver them now rather than at the next poll."""
        self._committed()

    def _observe(self, item: OutboxItem, result: Attempt, started: float) -> None:
        self._count_delivery(item.kind, item.target, result)
        if result == Attempt.DONE and isinstance(item.job, AckJob):
            metrics.ACK_LATENCY.labels(item.target).observe(time.time() - item.created_at)

    def _count_delivery(self, kind: str, target: str, result: str) -> None:
        metrics.DELIVERIES.labels(kind, target, result).inc()
        if result == Attempt.DEAD:
            metrics.DEAD_LETTERS.labels(kind, target).inc()

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, *, before_listening: Callable[[], None] | None = None) -> None:
        """Start everything; *before_listening* runs once the state is warm and before the
        port opens (the CLI settles the heap there, see :mod:`gateway.heap`).

        Every component is an async context manager entered on one :class:`AsyncExitStack`,
        so a failed step unwinds what already started (threads, the store, the port, the
        adapters, the forwarder process) before :class:`StartError` (naming the config key)
        or the unexpected exception propagates: a supervisor sees the process exit instead
        of a half-started gateway that never serves. The stack is entered in an order whose
        reverse is the stop order (module docstring); the loops that run until stop (relays,
        gauges, forwarder supervision) share one task group, :meth:`_background`."""
        if self._stack is not None:
            raise RuntimeError("the gateway is already started")
        async with contextlib.AsyncExitStack() as stack:
            with _step("gateway.data_dir"):
                self.config.gateway.data_dir.mkdir(parents=True, exist_ok=True)
            with _step("gateway.database"):
                await stack.enter_async_context(self.store)
            if self.leadership is not None:  # gives up the leases adapters took, on failure
                stack.push_async_callback(self.leadership.stop)
            if self.linker is not None and self.core_lease is None:
                await self.linker.warm(self.store)
            self.adapters.update(build_adapters(self.ctx, self.config.adapters))
            metrics.declare(self.adapters)
            self._runner = web.AppRunner(
                build_app(self),
                access_log=None,
                shutdown_timeout=self.config.gateway.shutdown_grace_s,
                keepalive_timeout=self.config.http.idle_timeout_s,
                # after an early answer (413, 408) read the rest of a body for at most this
                # long, so a client still trickling cannot hold the connection (default 10 s)
                lingering_time=2.0,
            )
            await self._runner.setup()
            stack.push_async_callback(self._cleanup_runner)
            if before_listening is not None:
                before_listening()
            await self._listen()
            for name, adapter in self.adapters.items():
                with _step(f"adapters.{name}"):
                    await stack.enter_async_context(adapter)
            if self.core is not None:
                await stack.enter_async_context(self.core)
            if self.core_lease is not None:  # after the relays: a warm-up still running
                stack.push_async_callback(self.core_lease.close)
            # the loops below run in the task group; their stop() waits for them to end
            for relay in self.relays:
                stack.push_async_callback(relay.stop)
            if self.forwarder is not None:
                await stack.enter_async_context(self.forwarder)
            # unwound first: stop listening and let in-flight requests finish their commits
            stack.push_async_callback(self._shutdown_listener)
            stack.push_async_callback(self._monitor.stop)
            self._tasks = asyncio.create_task(self._background(), name="gateway-background")
            self._tasks.add_done_callback(self._background_ended)
            # started: stop() unwinds it all
            self._stack = stack.pop_all()
        log.info(
            "gateway started",
            extra={
                "host": self.config.http.host,
                "port": self.port,
                "adapters": sorted(self.adapters),
                "core": "http" if self.core else "embedded",
            },
        )

    async def _background(self) -> None:
        """The loops that run from start to stop, in one task group: if one of them fails
        outside its own error handling, the others are cancelled and :attr:`failed` says
        why, so the process exits (non-zero) instead of serving without a relay."""
        async with asyncio.TaskGroup() as group:
            for n, relay in enumerate(self.relays):
                group.create_task(relay.run(), name=f"outbox-relay-{n}")
            group.create_task(self._monitor.run(), name="gauges")
            if self.forwarder is not None:
                group.create_task(self.forwarder.supervise(), name="forwarder-supervisor")

    def _background_ended(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        causes = error.exceptions if isinstance(error, BaseExceptionGroup) else (error,)
        reason = "; ".join(f"{type(e).__name__}: {e}" for e in causes)
        log.error("a background loop of the gateway failed; stopping", extra={"error": reason})
        self.failure = f"gateway: a background loop failed ({reason})"
        self.failed.set()

    async def _listen(self) -> None:
        """Open the HTTP port; a port in use or a host that is not ours is a StartError."""
        assert self._runner is not None
        host, port = self.config.http.host, self.config.http.port
        site = web.TCPSite(self._runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise StartError(f"http.port: {host}:{port} is already in use") from exc
            if exc.errno == errno.EACCES:
                raise StartError(f"http.port: {host}:{port}: permission denied") from exc
            reason = exc.strerror or str(exc)
            raise StartError(f"http.host: cannot listen on {host}:{port}: {reason}") from exc
        addresses = self._runner.addresses
        self.port = int(addresses[0][1]) if addresses else port

    async def _cleanup_runner(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _shutdown_listener(self) -> None:
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await self._runner.shutdown()

    async def stop(self) -> None:
        """Unwind what :meth:`start` entered, in reverse. Idempotent."""
        stack, self._stack = self._stack, None
        if stack is None:
            return
        log.info("gateway stopping")
        await stack.aclose()
        if self._tasks is not None:
            with contextlib.suppress(BaseException):
                await self._tasks
            self._tasks = None
        log.info("gateway stopped")

    # -- health ----------------------------------------------------------------------------

    async def refresh_gauges(self) -> None:
        """Set the gauges from the current state. Health and readiness come first: when the
        store fails, ``lapor_ready`` says so before the outbox reads raise."""
        self._store_ok = await self.store.healthy()
        for name, adapter in self.adapters.items():
            health = adapter.health()
            metrics.ADAPTER_UP.labels(name).set(1 if health.ok else 0)
            for transport, up in (health.transports or {name: health.ok}).items():
                metrics.TRANSPORT_UP.labels(name, transport).set(1 if up else 0)
        metrics.READY.set(1 if self._readiness(self._store_ok)["ready"] else 0)
        database = "postgresql" if self.config.gateway.is_postgresql else "sqlite"
        metrics.INSTANCE.labels(self.instance, database).set(1)
        if self.leadership is not None:
            held = self.leadership.held()
            for name in self.leadership.asked():
                metrics.LEASE_HELD.labels(name).set(1 if name in held else 0)
        depth = await self.store.outbox_depth()
        for state in OutboxState:
            metrics.OUTBOX_DEPTH.labels(state.value).set(depth.get(state, 0))
        self._pending = depth.get(OutboxState.PENDING, 0)
        await self._backlog.refresh(self.store, [CORE_TARGET, *self.adapters])

    async def _monitor_tick(self) -> None:
        """Every 2 s: gauges and readiness inputs, then flood control's release."""
        try:
            await self.refresh_gauges()
        except Exception:
            self._store_ok = False
            log.warning("could not refresh gauges")
        try:
            await self.pipeline.release_calmed()
            self.flood.prune()
        except Exception:
            log.warning("could not release held reports")

    def openapi_paths(self) -> dict[str, Any]:
        """The running doors' paths, from the hooks on their registry rows."""
        return openapi_paths(self.config.adapters, self.adapters)

    def overloaded(self) -> float | None:
        """Retry-After seconds when the outbox backlog is past the configured bound or the
        store is not answering (see :func:`gateway.flood.retry_after_for`)."""
        return retry_after_for(self._pending, self.config.flood.max_outbox_backlog, self._store_ok)

    async def readiness(self) -> dict[str, Any]:
        return self._readiness(await self.store.healthy())

    def _readiness(self, store_ok: bool) -> dict[str, Any]:
        """The ``/readyz`` report, given whether the store answers."""
        relay_ok = all(r.alive and time.time() - r.last_loop_at < 60 for r in self.relays)
        paused = {t: s for r in self.relays for t, s in r.paused_targets().items()}
        if self.forwarder is not None:
            relay_ok = relay_ok and self.forwarder.healthy()
            paused.update(self.forwarder.paused_targets())
        adapters = {}
        all_ok = store_ok and relay_ok
        for name, adapter in self.adapters.items():
            health = adapter.health()
            adapters[name] = {"ok": health.ok, "detail": health.detail, **health.extra}
            all_ok = all_ok and health.ok
        return {
            "ready": all_ok,
            "store": {"ok": store_ok},
            "relay": {
                "ok": relay_ok,
                "paused_targets": paused,
                "core_forwarder": "process" if self.forwarder else "inline",
                **({"core_lease": self.core_lease.state} if self.core_lease else {}),
                **({"forwarder_restarts": self.forwarder.restarts} if self.forwarder else {}),
            },
            "outbox_pending": self._pending,
            "instance": {
                "name": self.instance,
                "database": "postgresql" if self.config.gateway.is_postgresql else "sqlite",
                "leases": self.leadership.held() if self.leadership else None,
            },
            "flood": {**self.flood.stats(), "retry_after": self.overloaded()},
            "adapters": adapters,
        }

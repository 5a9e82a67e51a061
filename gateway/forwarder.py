"""The core forwarder in its own process (``[outbox] core_forwarder = "process"``).

Why: forwarding a report to the core case store costs about as much CPU as receiving it
(an HTTP request, with TLS in production; the report's JSON; the outcome's commit). Inside
the intake process it competes with citizens' requests for one core; in a process of its
own it runs on the other one. Level-3 similarity (``similar_to`` links, see
:mod:`gateway.linker`) is computed just before a forward, so its index and its CPU live here
too; the forwarder warms the index from the database before it starts forwarding. Acks stay
in the main process: they go out through the adapters (SMPP bind, modems, X client) that
live there. The two relays never share a row: the forwarder takes only rows whose target is
``core`` and the main relay skips them.

The two processes talk over a socketpair (messages: :mod:`outbox.link`): the main
process wakes the forwarder when rows were committed; the forwarder sends back the
verdicts of its attempts, which the main process commits through its own group commit,
with what ``/metrics`` counts, and a heartbeat every second, for readiness.

The forwarder only reads the database, through a read-only reader
(:func:`gateway.store.backends.reader_for`: no writer thread, no migrations): two writers
on one SQLite file would fight for the write lock and stall the intake's commits. With one
writer there is nothing to fight over. With the embedded case store (no ``core.url``)
forwarding *is* a local write, so it stays in the main process.

End of file on the socket means the main process is gone or stopping: the forwarder
finishes the pass in flight (outcomes recorded), then exits, so a SIGKILLed gateway never
leaves an orphan behind. The main process restarts a forwarder that died, with backoff.
Nothing is lost either way: a row stays pending until an outcome is committed, and a row
sent twice (a kill between the core's answer and our commit) carries the same
Idempotency-Key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from gateway import heap
from gateway.delivery import GatewayDeliverer
from gateway.linker import Linker
from gateway.resilience.backoff import Backoff, exponential
from gateway.resilience.periodic import Periodic
from gateway.sections import GatewayConfig
from gateway.store.backends import reader_for
from gateway.store.interfaces import DueRows
from outbox import link
from outbox.backoff import RetryPolicy
from outbox.core_client import CoreClient
from outbox.jobs import CORE_TARGET, Attempt, OutboxItem, OutboxOutcome
from outbox.policy import TargetPolicies
from outbox.relay import Relay

log = logging.getLogger(__name__)

#: a forwarder silent for this long is reported not ready
HEARTBEAT_STALE_S = 5.0
HEARTBEAT_EVERY_S = 1.0
#: a row whose final outcome (done, dead) went to the main process is not read again for
#: this long
UNCONFIRMED_TTL_S = 30.0
#: outcomes are sent to the main process in one message per this many seconds
OUTCOME_FLUSH_S = 0.005
#: at most this many outcomes per message (the core client's error texts are one short
#: line), far below the main process's LINE_LIMIT per line
OUTCOMES_PER_MESSAGE = 200
LINE_LIMIT = 8 * 1024 * 1024


def retry_policies(config: GatewayConfig) -> TargetPolicies:
    """The relays' retry policies from ``[core.retry]`` and ``[outbox]``: the same backoff
    for both, ``core.retry.max_attempts`` toward the core, ``outbox.max_attempts`` toward
    the adapters."""
    retry = config.core.retry
    throttled = config.outbox.throttled_give_up_after_s
    return TargetPolicies(
        core=RetryPolicy(
            retry.initial_backoff_s, retry.max_backoff_s, retry.max_attempts, throttled
        ),
        adapters=RetryPolicy(
            retry.initial_backoff_s, retry.max_backoff_s, config.outbox.max_attempts, throttled
        ),
    )


def core_client(config: GatewayConfig) -> CoreClient | None:
    """The HTTP client for ``core.url``; None means the embedded case store."""
    if not config.core.url:
        return None
    return CoreClient(
        config.core.url,
        config.core.token.get_secret_value(),
        connect_timeout_s=config.core.connect_timeout_s,
        timeout_s=config.core.timeout_s,
    )


# -- main-process side ----------------------------------------------------------------------


class ForwarderProcess:
    """Starts, feeds, watches and stops the forwarder child process."""

    def __init__(
        self,
        config_path: Path,
        *,
        on_outcomes: Callable[[list[OutboxOutcome]], Awaitable[None]],
        on_delivery: Callable[[str, str, str], None],
        on_forwarded: Callable[[float], None],
        grace_s: float = 10.0,
    ) -> None:
        self.config_path = config_path
        self.on_outcomes = on_outcomes
        self.on_delivery = on_delivery
        self.on_forwarded = on_forwarded
        self._recording: set[asyncio.Task[None]] = set()
        self.grace_s = grace_s
        self._proc: asyncio.subprocess.Process | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._wake_pending = False
        self._heartbeat_at = 0.0
        self._loop_at = 0.0
        self._paused: dict[str, float] = {}
        self.restarts = 0

    async def start(self) -> None:
        """Spawn the child; :meth:`supervise` (run by the gateway's task group) restarts it."""
        await self._spawn()

    async def __aenter__(self) -> ForwarderProcess:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _spawn(self) -> None:
        mine, theirs = socket.socketpair()
        with theirs:
            self._proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "gateway.cli",
                "--config",
                str(self.config_path),
                "forwarder",
                "--link-fd",
                str(theirs.fileno()),
                pass_fds=(theirs.fileno(),),
            )
        reader, self._writer = await asyncio.open_unix_connection(sock=mine, limit=LINE_LIMIT)
        self._heartbeat_at = time.monotonic()  # grace until its first heartbeat
        self._reader_task = asyncio.create_task(self._read(reader), name="forwarder-reader")
        self.wake()  # rows may have waited while no forwarder ran

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            try:
                msg = link.decode(line)
            except ValueError:
                log.warning("unreadable message from the forwarder process")
                continue
            match msg:
                case link.Outcomes():
                    if msg.outcomes:
                        task = asyncio.create_task(self._record(msg.outcomes))
                        self._recording.add(task)
                        task.add_done_callback(self._recording.discard)
                    for d in msg.deliveries:
                        self.on_delivery(d.kind, d.target, d.result)
                    for seconds in msg.forwarded_s:
                        self.on_forwarded(seconds)
                case link.Heartbeat():
                    self._heartbeat_at = time.monotonic()
                    self._loop_at = msg.loop_at
                    self._paused = msg.paused

    async def _record(self, outcomes: list[OutboxOutcome]) -> None:
        try:
            await self.on_outcomes(outcomes)
        except Exception as exc:  # the rows stay pending and are sent again (same key)
            log.error("could not record forwarder outcomes: %s", type(exc).__name__)

    async def supervise(self) -> None:
        """Restart the child whenever it exits, with backoff, until :meth:`stop`."""
        self._supervisor = asyncio.current_task()
        backoff = Backoff(exponential(1.0, 30.0))
        while not self._stopping:
            assert self._proc is not None
            started = time.monotonic()
            code = await self._proc.wait()
            if self._stopping:
                return
            if time.monotonic() - started > 60:
                backoff.reset()
            delay = backoff.next()
            log.error(
                "core forwarder process exited; restarting",
                extra={"exit_code": code, "restart_in_s": delay},
            )
            self._writer = None
            await asyncio.sleep(delay)
            if self._stopping:
                return
            try:
                await self._spawn()
                self.restarts += 1
            except OSError as exc:
                log.error("could not start the core forwarder: %s", type(exc).__name__)

    def wake(self) -> None:
        """Tell the forwarder rows were committed; many calls in one loop turn send one byte."""
        if self._wake_pending or self._writer is None:
            return
        self._wake_pending = True
        asyncio.get_running_loop().call_soon(self._send_wake)

    def _send_wake(self) -> None:
        self._wake_pending = False
        if self._writer is not None and not self._writer.is_closing():
            self._writer.write(link.WAKE)

    def healthy(self) -> bool:
        """Running, heard from within HEARTBEAT_STALE_S, and its relay loop not stuck."""
        if self._proc is None or self._proc.returncode is not None:
            return False
        if time.monotonic() - self._heartbeat_at > HEARTBEAT_STALE_S:
            return False
        return self._loop_at == 0.0 or time.time() - self._loop_at < 60

    def paused_targets(self) -> dict[str, float]:
        return dict(self._paused)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    async def stop(self) -> None:
        """Close the link (the forwarder finishes its pass and exits), wait, then insist."""
        self._stopping = True
        writer, self._writer = self._writer, None
        if writer is not None and not writer.is_closing():
            # half-close: the forwarder sees end of file and stops, while its last outcomes
            # can still come back on the other half
            with contextlib.suppress(OSError):
                writer.write_eof()
        proc = self._proc
        if proc is not None and proc.returncode is None:
            try:
                await asyncio.wait_for(proc.wait(), self.grace_s)
            except TimeoutError:
                log.error("core forwarder did not stop in time; killing it")
                proc.kill()
                await proc.wait()
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        # the forwarder has exited: read its last outcomes and commit them before the store
        # closes (the caller closes it after this returns)
        if self._reader_task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader_task, self.grace_s)
        if self._recording:
            await asyncio.gather(*self._recording, return_exceptions=True)
        if writer is not None:
            writer.close()


# -- forwarder-process side -----------------------------------------------------------------


class ReportingQueue:
    """The forwarder's outbox: due rows from the database, outcomes (and what /metrics
    counts) to the main process, which commits them.

    Until the main process has committed an outcome the row still reads as it was, so a row
    whose outcome was sent is skipped until that outcome takes effect: a retry (or deferral)
    until its ``retry_at``, when it is due again whether or not the commit has landed, so a
    ``Retry-After`` is kept to the second and the oldest row goes first; a final outcome
    for UNCONFIRMED_TTL_S (after that, one that never got committed is sent again, under the
    same Idempotency-Key)."""

    def __init__(self, store: DueRows, send: Callable[[link.Outcomes], None]) -> None:
        self.store = store
        self.send = send
        #: outbox id -> unix time until which the row is not read again
        self.sent: dict[int, float] = {}
        self.unsent: list[OutboxOutcome] = []
        self.deliveries: list[link.Delivery] = []
        self.forwarded: list[float] = []
        self._flush_at: asyncio.TimerHandle | None = None

    async def due_outbox(
        self,
        now: float,
        limit: int,
        exclude_targets: frozenset[str] = frozenset(),
        only_targets: frozenset[str] | None = None,
    ) -> list[OutboxItem]:
        self.sent = {i: until for i, until in self.sent.items() if until > now}
        wanted = min(limit + len(self.sent), limit * 5)
        rows = await self.store.due_outbox(now, wanted, exclude_targets, only_targets)
        return [r for r in rows if r.id not in self.sent][:limit]

    async def finish_outbox(self, outcomes: list[OutboxOutcome]) -> None:
        final_until = time.time() + UNCONFIRMED_TTL_S
        self.sent.update(
            (o.id, o.retry_at if o.state in (Attempt.RETRY, Attempt.DEFERRED) else final_until)
            for o in outcomes
        )
        self.unsent += outcomes
        self._soon()

    def observe(self, item: OutboxItem, result: Attempt, started: float) -> None:
        """The relay's observer: one attempt's result, for the main process's /metrics."""
        self.deliveries.append(link.Delivery(kind=item.kind, target=item.target, result=result))
        self._soon()

    def note_forwarded(self, seconds: float) -> None:
        """Receipt-to-forward latency of one report, for the main process's /metrics."""
        self.forwarded.append(seconds)
        self._soon()

    def _soon(self) -> None:
        """Send within OUTCOME_FLUSH_S (what a few ms gathers travels in one message), or
        now when the message is full."""
        if len(self.unsent) >= OUTCOMES_PER_MESSAGE or len(self.deliveries) >= OUTCOMES_PER_MESSAGE:
            self.flush()
        elif self._flush_at is None:
            self._flush_at = asyncio.get_running_loop().call_later(OUTCOME_FLUSH_S, self.flush)

    def flush(self) -> None:
        if self._flush_at is not None:
            self._flush_at.cancel()
            self._flush_at = None
        if self.unsent or self.deliveries or self.forwarded:
            self.send(
                link.Outcomes(
                    outcomes=self.unsent, deliveries=self.deliveries, forwarded_s=self.forwarded
                )
            )
            self.unsent, self.deliveries, self.forwarded = [], [], []


async def run_forwarder(config: GatewayConfig, link_fd: int) -> int:
    """Main of the forwarder process: warm the level-3 index, then relay rows bound for the
    core until the link closes. The link and the heartbeats run from the start, so the
    main process sees a live forwarder while a large window warms, and a main process that
    goes away during the warm-up stops it too."""
    core = core_client(config)
    if core is None:  # the main process forwards itself to the embedded case store
        log.error("the core forwarder process needs core.url")
        return 2
    store = reader_for(config.gateway)
    await store.open()  # reads only, see the module docstring
    reader, writer = await asyncio.open_unix_connection(sock=socket.socket(fileno=link_fd))

    def send(msg: link.Outcomes | link.Heartbeat) -> None:
        if not writer.is_closing():
            writer.write(link.encode(msg))

    loop = asyncio.get_running_loop()
    linker = Linker(config.dedup)
    queue = ReportingQueue(store, send)
    relay = Relay(
        queue,
        GatewayDeliverer(store, {}, core, linker=linker, on_forwarded=queue.note_forwarded),
        policy_for=retry_policies(config).for_item,
        poll_interval_s=config.outbox.poll_interval_s,
        batch_size=config.outbox.batch_size,
        concurrency=config.outbox.concurrency,
        observe=queue.observe,
        linger_s=config.outbox.linger_s,
        linger_from_per_s=config.outbox.linger_from_per_s,
        only_targets=frozenset({CORE_TARGET}),
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def listen() -> None:
        try:
            while await reader.read(4096):
                relay.wake()
        except OSError:  # a SIGKILLed main process with unread data resets the link
            pass
        finally:
            stop.set()  # the main process closed the link or died

    parent = os.getppid()

    async def heartbeat() -> None:
        if os.getppid() != parent:  # belt and braces: adopted by init, main is gone
            stop.set()
        send(link.Heartbeat(loop_at=relay.last_loop_at, paused=relay.paused_targets()))

    beat = Periodic("forwarder-heartbeat", heartbeat, HEARTBEAT_EVERY_S, run_at_start=True)
    beat.start()
    tasks = [asyncio.create_task(listen())]
    warming = asyncio.create_task(linker.warm(store))
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({warming, stopping}, return_when=asyncio.FIRST_COMPLETED)
    code = 0
    if warming.done() and warming.exception() is None:
        heap.settle()  # the warmed index is long-lived: keep full collections off it
        await core.start()
        relay.start()
        log.info("core forwarder started")
        await stopping
        await relay.stop()
    else:  # stopped while warming, or the warm-up failed (the main process restarts us)
        warming.cancel()
        stopping.cancel()
        try:
            await warming
        except asyncio.CancelledError:
            pass
        except Exception as exc:
            log.error("similarity index warm-up failed: %s", type(exc).__name__)
            code = 1
    queue.flush()
    await beat.stop()
    for task in tasks:
        task.cancel()
    await core.close()
    await store.close()
    with contextlib.suppress(OSError):  # the main process may be gone already
        await writer.drain()
        writer.close()
        await writer.wait_closed()
    log.info("core forwarder stopped")
    return code

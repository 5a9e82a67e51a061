"""One SMPP bind as the adapter drives it: reconnect loop, keep-alive, throttled submit_sm.

This module owns a bind's session life (connect + bind_transceiver with tenacity backoff,
``enquire_link`` dead-link detection, rebind after any end of session) and its send side
(the kit's token bucket for ``tps``, a window of outstanding ``submit_sm``, status ->
:class:`SendError`). The session itself is :class:`~adapters.sms.smpp.session.SmppSession`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
)

from adapters.sms.config import SmppBindConfig
from adapters.sms.smpp import metrics
from adapters.sms.smpp.pdu import (
    ESME_RMSGQFUL,
    ESME_ROK,
    ESME_RSYSERR,
    ESME_RTHROTTLED,
    Inbound,
    encode_submit_sm,
)
from adapters.sms.smpp.session import SmppSession
from adapters.sms.smpp.status import LinkClosedError, failure_text
from gateway.adapter import SendError
from gateway.resilience.backoff import exponential_jitter
from gateway.resilience.bucket import TokenBucket

log = logging.getLogger(__name__)

DeliverCallback = Callable[["SmppBind", SmppSession, Inbound], None]

RETRYABLE_STATUSES = {ESME_RTHROTTLED, ESME_RMSGQFUL, ESME_RSYSERR}
THROTTLE_PAUSE_S = 1.0


def reason_label(reason: str) -> str:
    """A low-cardinality label for why a session ended."""
    for key in ("unbind", "dead link", "closed by SMSC", "malformed", "socket", "stop"):
        if key in reason:
            return key.replace(" ", "_")
    return "other"


def text_field(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.rstrip(b"\x00").decode("latin-1")
    return str(value)


class SendPace:
    """``tps`` sends per second with a burst of ``max(1, tps)`` (the kit's token bucket);
    senders queue in turn; ``pause`` after the SMSC throttled us."""

    def __init__(self, tps: float) -> None:
        self.bucket = TokenBucket.full(max(1.0, tps), tps, time.monotonic())
        self.lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self.lock:
            while True:
                now = time.monotonic()
                wait = self.bucket.seconds_until_available(now)
                if wait <= 0:
                    self.bucket.take(now)
                    return
                await asyncio.sleep(wait)

    def pause(self, seconds: float) -> None:
        """Nothing goes out for about *seconds* (SMSC said slow down)."""
        self.bucket.block_for(seconds, time.monotonic())


class SmppBind:
    """One configured bind: its current link, reconnect loop, send throttle.

    *on_deliver* receives every deliver_sm/data_sm with the bind and the session it came
    in on; the adapter answers it on that session."""

    def __init__(self, config: SmppBindConfig, on_deliver: DeliverCallback) -> None:
        self.on_deliver = on_deliver
        self.config = config
        self.link: SmppSession | None = None
        self.pace = SendPace(config.tps)
        self.window = asyncio.Semaphore(config.window)
        self.refs = itertools.count(1)
        self.task: asyncio.Task[None] | None = None
        self.state = "starting"
        self.stopping = False
        self.bound_event = asyncio.Event()
        #: when each submit_sm of the last minute went out (monotonic), for the TPS in use
        self._sent: deque[float] = deque()
        #: submit_sm answered ESME_RTHROTTLED or ESME_RMSGQFUL since start
        self.throttled = 0

    def usage(self, now: float | None = None) -> dict[str, Any]:
        """State, configured ``tps``, the rate actually used over the last minute and the
        throttling seen (the operator console's overview shows them)."""
        t = time.monotonic() if now is None else now
        self._forget_sends(t)
        return {
            "state": self.state,
            "tps": self.config.tps,
            "tps_1m": round(len(self._sent) / 60.0, 2),
            "throttled": self.throttled,
        }

    def _forget_sends(self, now: float) -> None:
        while self._sent and now - self._sent[0] > 60.0:
            self._sent.popleft()

    @property
    def bound(self) -> bool:
        return self.link is not None and self.link.is_open

    async def run(self) -> None:
        cfg = self.config
        while not self.stopping:
            try:
                link = await self._connect()
            except Exception as exc:
                self.state = f"unreachable ({failure_text(exc)})"
                log.error(
                    "smpp %s: bind failed %d times (%s); retrying in %.0fs",
                    cfg.name,
                    cfg.reconnect_attempts,
                    failure_text(exc),
                    cfg.reconnect_max_s,
                )
                await asyncio.sleep(cfg.reconnect_max_s)
                continue
            self.link, self.state = link, "bound"
            self.bound_event.set()
            metrics.BOUND.labels(cfg.name).set(1)
            log.info("smpp %s: bound to %s:%d", cfg.name, cfg.host, cfg.port)
            started = time.monotonic()
            keepalive = asyncio.create_task(self._keepalive(link))
            try:
                await link.closed.wait()
            finally:
                keepalive.cancel()
                self.link = None
                self.bound_event.clear()
                metrics.BOUND.labels(cfg.name).set(0)
                metrics.RECONNECTS.labels(cfg.name, reason_label(link.close_reason)).inc()
            if self.stopping:  # our own unbind: the SMSC hangs up as asked
                self.state = "stopped"
                return
            self.state = f"reconnecting ({link.close_reason})"
            log.warning("smpp %s: link down: %s", cfg.name, link.close_reason)
            if time.monotonic() - started < 5 and not self.stopping:
                # a session that dies at once must not turn into a tight reconnect loop
                await asyncio.sleep(cfg.reconnect_initial_s)

    async def _connect(self) -> SmppSession:
        cfg = self.config
        retrying = AsyncRetrying(
            wait=exponential_jitter(cfg.reconnect_initial_s, cfg.reconnect_max_s),
            stop=stop_after_attempt(cfg.reconnect_attempts),
            retry=retry_if_exception_type(Exception),
            reraise=True,
            before_sleep=self._connect_failed,
        )
        async for attempt in retrying:
            with attempt:
                if self.stopping:
                    raise asyncio.CancelledError
                return await SmppSession.open(cfg, self._deliver, max_inflight=cfg.max_inflight)
        raise AssertionError("unreachable")

    def _connect_failed(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        why = failure_text(exc) if exc is not None else "error"
        self.state = f"connecting (attempt {state.attempt_number} failed: {why})"
        log.warning("smpp %s: %s", self.config.name, self.state)

    def _deliver(self, session: SmppSession, message: Inbound) -> None:
        self.on_deliver(self, session, message)

    async def _keepalive(self, link: SmppSession) -> None:
        cfg = self.config
        while link.is_open:
            await asyncio.sleep(cfg.enquire_link_s)
            try:
                await link.call("enquire_link", cfg.response_timeout_s)
            except TimeoutError:
                if link.seems_alive(cfg.response_timeout_s):
                    continue
                log.warning("smpp %s: no enquire_link_resp: dead link", cfg.name)
                link.close("dead link (enquire_link timeout)")
                return
            except LinkClosedError:
                return

    async def submit(self, dest: str, part: bytes, data_coding: int, esm_class: int) -> str:
        cfg = self.config
        await self.pace.acquire()
        async with self.window:
            link = self.link
            if link is None or not link.is_open:
                raise SendError(f"smpp bind {cfg.name} is not bound", retryable=True)
            seq = link.next_sequence()
            sent_at = time.monotonic()
            self._forget_sends(sent_at)
            self._sent.append(sent_at)
            data = encode_submit_sm(
                seq,
                source_addr=cfg.source_addr,
                source_addr_ton=cfg.source_addr_ton,
                source_addr_npi=cfg.source_addr_npi,
                destination_addr=dest,
                dest_addr_ton=cfg.dest_addr_ton,
                dest_addr_npi=cfg.dest_addr_npi,
                esm_class=esm_class,
                data_coding=data_coding,
                registered_delivery=1 if cfg.registered_delivery else 0,
                short_message=part,
            )
            try:
                resp = await link.request(seq, data, cfg.response_timeout_s)
            except TimeoutError:
                raise SendError("submit_sm_resp timed out", retryable=True) from None
            except LinkClosedError as exc:
                raise SendError(f"link closed: {exc}", retryable=True) from None
        if resp is None:
            # the SMSC answered with bytes we could not parse: it may have accepted the
            # message, so a retry could send the citizen a second copy; treat as permanent
            raise SendError("unparseable submit_sm_resp", retryable=False)
        if resp.command == "generic_nack":
            raise SendError(f"submit_sm rejected by generic_nack ({resp.status})", retryable=False)
        status = int(resp.status)
        metrics.SUBMIT.labels(cfg.name, "ok" if status == ESME_ROK else f"0x{status:02X}").inc()
        if status == ESME_ROK:
            return text_field(getattr(resp, "message_id", None))
        if status in (ESME_RTHROTTLED, ESME_RMSGQFUL):
            self.throttled += 1
            self.pace.pause(THROTTLE_PAUSE_S)
        # throttling is flow control: the relay backs off with growing waits and spends no
        # attempt on it (outbox.relay), so no fixed retry_after here
        throttled = status == ESME_RTHROTTLED
        raise SendError(
            f"submit_sm failed with status 0x{status:08X}",
            retryable=status in RETRYABLE_STATUSES,
            retry_after=THROTTLE_PAUSE_S
            if status in RETRYABLE_STATUSES and not throttled
            else None,
            throttled=throttled,
        )

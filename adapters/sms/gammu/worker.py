"""One GSM modem: its libgammu worker thread, inbox polling, receipts and sending.

One :class:`ModemWorker` per configured modem. A Gammu state machine is single-threaded and
blocking, so each worker owns a single-thread executor: every libgammu call for that modem
runs on that one thread, serialised, while the worker's poll loop and the adapter's sends
are asyncio code awaiting it. Incoming-SMS callbacks are unreliable on real modems, so the
worker polls the inbox (phone and SIM folders) every ``poll_interval_s``.

Receive, per message read from the modem, in this order (the rule: the modem is told
nothing, i.e. nothing is deleted, before the durable commit):

* single SMS: the SMS conversation layer (keywords, report, answers) commits, then the
  message is deleted from the modem;
* part of a concatenated SMS: stored durably in the pipeline's fragment store, then deleted
  (SIM memory holds a few dozen messages, so parts must not pile up waiting for the rest).
  The part that completes the set triggers the conversation layer first, then its deletion,
  then the fragment group is dropped. A set still incomplete after ``multipart_timeout_s``
  becomes a report with the missing parts marked in the text and listed in ``raw``;
* status report: ``intake.delivery_receipt`` for the ack it refers to, then deleted. It is
  never taken for a citizen message.

A message read again after a crash between commit and deletion maps to the same inbound key
(see ``inbox``) and the pipeline absorbs it. A message the conversation layer cannot
process (a bug, bad data) is logged once with the exception type and left on the modem.

Errors are classified (``errors``); device-level ones (timeout, unplugged, no SIM,
SIM locked) tear the state machine down and the worker reconnects with exponential
backoff, forever, capped at ``reconnect_max_s``: a modem that comes back is used again
without restarting the gateway.

Why not ``gammu.LinkSMS``: it links only the parts present in one read, so it cannot wait
across polls or restarts, and leaving parts on the modem until the set is complete fills a
SIM's few dozen slots. Parts are grouped by their UDH (reference, count) and kept in the
fragment store instead; ``gammu.DecodeSMS`` is what the tests use to check injected sets.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from adapters.sms import multipart
from adapters.sms.config import GammuConfig, ModemConfig
from adapters.sms.conversation import InboundSms, SmsConversation, normalize_sender
from adapters.sms.gammu.device import ModemDevice
from adapters.sms.gammu.errors import (
    ERRORS,
    MODEM_UP,
    NETWORK_REGISTERED,
    RECEIVED,
    RECONNECTS,
    SENT,
    SIGNAL_PERCENT,
    ErrorKind,
    ModemError,
)
from adapters.sms.gammu.inbox import (
    InboxPart,
    PartKind,
    delivery_state,
    encode_part_text,
    group_name,
    group_prefix,
    multipart_id,
    parse_part,
    part_meta,
    receipt_id,
    single_id,
)
from gateway.adapter import (
    AdapterContext,
    Fragment,
    StoreUnavailableError,
)
from gateway.resilience.backoff import Backoff, exponential

log = logging.getLogger(__name__)

T = TypeVar("T")
ADAPTER_NAME = "sms.gammu"
#: an SMSC timestamp further in the future than this is not trusted as the receive time
FUTURE_SKEW = timedelta(minutes=5)
#: stop() waits this long for an in-flight modem call (a hung modem must not block shutdown)
STOP_TIMEOUT_S = 5.0


class ModemWorker:
    """One modem: its thread, poll loop, reconnect backoff, pacing and health."""

    def __init__(
        self,
        modem: ModemConfig,
        device: str,
        config: GammuConfig,
        ctx: AdapterContext,
        conversation: SmsConversation,
    ) -> None:
        self.modem = modem
        self.name = modem.name
        self.config = config
        self.ctx = ctx
        self.conversation = conversation
        self.device = ModemDevice(modem, device)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"gammu-{modem.name}")
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._send_lock = asyncio.Lock()
        self._poisoned: set[str] = set()
        self._polls = 0
        self._pending: Counter[int] = Counter()
        self.next_free_at = 0.0
        self._queued = 0
        self._stopped = False
        self.up = False
        self.state = "starting"
        self.last_error: str | None = None
        self.errors = 0
        self.signal_percent: int | None = None
        self.network: str = "unknown"
        self.operator: str | None = None
        self.sim: str = "unknown"
        self.registered: bool | None = None
        MODEM_UP.labels(modem=self.name).set(0)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"gammu-{self.name}")

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._stopping.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=STOP_TIMEOUT_S)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
        try:
            await asyncio.wait_for(self._call(self.device.disconnect), timeout=STOP_TIMEOUT_S)
        except (ModemError, TimeoutError):
            pass
        self._set_down("stopped")
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run one blocking libgammu operation on this modem's thread, with a deadline."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, fn, *args)
        try:
            return await asyncio.wait_for(future, timeout=self.modem.command_timeout_s)
        except TimeoutError:
            raise ModemError(
                ErrorKind.TIMEOUT, f"no answer within {self.modem.command_timeout_s:g}s"
            ) from None

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _run(self) -> None:
        backoff = Backoff(exponential(self.config.reconnect_min_s, self.config.reconnect_max_s))
        while not self._stopping.is_set():
            if not self.up:
                try:
                    await self.connect()
                    backoff.reset()
                except ModemError as exc:
                    self._record(exc)
                    await self._sleep(backoff.next())
                    continue
            try:
                await self.poll_once()
            except ModemError as exc:
                self._record(exc)
                if exc.device_level:
                    await self._drop()
                    await self._sleep(backoff.next())
                    continue
            except StoreUnavailableError:
                log.warning("modem %s: store unavailable; messages stay on the modem", self.name)
            except Exception:  # never let one bad poll end the worker
                log.exception("modem %s: unexpected error in poll", self.name)
            await self._sleep(self.config.poll_interval_s)

    async def connect(self) -> None:
        RECONNECTS.labels(modem=self.name).inc()
        await self._call(self.device.connect)
        self.up = True
        self.state = "connected"
        MODEM_UP.labels(modem=self.name).set(1)
        log.info("modem %s connected%s", self.name, " (simulated)" if self.modem.is_dummy else "")
        await self.refresh_signal()

    async def _drop(self) -> None:
        self._set_down(self.last_error or "down")
        try:
            await self._call(self.device.disconnect)
        except ModemError:
            pass

    def _set_down(self, state: str) -> None:
        self.up = False
        self.state = state
        MODEM_UP.labels(modem=self.name).set(0)

    def _record(self, exc: ModemError) -> None:
        self.errors += 1
        self.last_error = exc.kind.value
        if exc.device_level:
            self.state = exc.kind.value
        ERRORS.labels(modem=self.name, kind=exc.kind.value).inc()
        log.warning("modem %s: %s", self.name, exc)

    async def refresh_signal(self) -> None:
        signal = await self._call(self.device.signal)
        self.signal_percent = signal.percent
        self.network = signal.network_state
        self.operator = signal.operator
        self.sim = signal.sim
        if signal.percent is not None:
            SIGNAL_PERCENT.labels(modem=self.name).set(signal.percent)
        self.registered = signal.registered
        if signal.registered is not None:
            NETWORK_REGISTERED.labels(modem=self.name).set(1 if signal.registered else 0)
            if not signal.registered:
                ERRORS.labels(modem=self.name, kind=ErrorKind.NO_NETWORK.value).inc()
                self.last_error = ErrorKind.NO_NETWORK.value

    # -- receive ---------------------------------------------------------------------------

    async def poll_once(self) -> int:
        """Read the inbox once and process every message; returns how many parts were read."""
        raws = await self._call(self.device.read_inbox)
        self._polls += 1
        if self._polls % self.config.signal_every_polls == 0:
            await self.refresh_signal()
        parts = [parse_part(self.name, raw) for raw in raws]
        # one stored location may hold several messages (a dummy-phone file can); it is
        # deleted only once every message in it has been committed
        self._pending = Counter(p.location for p in parts)
        for part in parts:
            if self._stopping.is_set():
                break
            if not part.inbox or part.kind is PartKind.OTHER:
                continue
            await self._process(part)
        await self.sweep_expired()
        return len(raws)

    async def _release(self, part: InboxPart) -> None:
        """This message is committed: delete its location once nothing else there is pending."""
        left = self._pending.get(part.location, 1) - 1
        self._pending[part.location] = left
        if left <= 0:
            await self._call(self.device.delete, part.folder, part.location)

    async def _process(self, part: InboxPart) -> None:
        tag = (
            f"{group_name(part)}#{part.concat.part}" if part.concat else single_id(part)
        ) + f"@{part.kind.value}"
        if tag in self._poisoned:
            return
        try:
            if part.kind is PartKind.STATUS_REPORT:
                await self._receipt(part)
            elif part.concat is None:
                await self._single(part)
            else:
                await self._fragment(part)
        except (ModemError, StoreUnavailableError):
            raise
        except Exception as exc:
            self._poisoned.add(tag)
            ERRORS.labels(modem=self.name, kind=ErrorKind.BAD_MESSAGE.value).inc()
            log.error(
                "modem %s: message at location %d not processed (%s); left on the modem",
                self.name,
                part.location,
                type(exc).__name__,
            )

    def _received_at(self, sent_at: datetime | None) -> datetime:
        now = datetime.now(UTC)
        if sent_at is None:
            return now
        if sent_at > now + FUTURE_SKEW:
            log.warning("modem %s: SMSC timestamp in the future; using receive time", self.name)
            return now
        return sent_at

    def _inbound(
        self, sender: str, text: str, unique: str, sent_at: datetime | None, raw: dict[str, Any]
    ) -> InboundSms:
        return InboundSms(
            adapter=ADAPTER_NAME,
            transport=f"gammu:{self.name}",
            route=self.name,
            sender=sender,
            text=text,
            received_at=self._received_at(sent_at),
            unique_id=unique,
            external_id=unique,
            raw={"modem": self.name, "smsc_time": sent_at.isoformat() if sent_at else None, **raw},
        )

    async def _single(self, part: InboxPart) -> None:
        raw = {"parts": 1, "coding": part.coding}
        sms = self._inbound(part.sender, part.text, single_id(part), part.sent_at, raw)
        await self.conversation.handle(sms)
        await self._release(part)
        RECEIVED.labels(modem=self.name).inc()

    async def _fragment(self, part: InboxPart) -> None:
        assert part.concat is not None
        group = group_name(part)
        complete = await self.ctx.intake.store_fragment(
            group, part.concat.part, part.concat.total, encode_part_text(part.text), part_meta(part)
        )
        if complete is not None:
            await self._deliver_group(group, part.concat.total, complete)
        await self._release(part)
        RECEIVED.labels(modem=self.name).inc()
        if complete is not None:
            await self.ctx.intake.drop_fragments(group)

    async def _deliver_group(self, group: str, total: int, fragments: list[Fragment]) -> None:
        text, missing = multipart.assemble(fragments, total)
        first = min(fragments, key=lambda f: f.part)
        sent_at = _parse_ts(str(first.meta.get("sent_at", "")))
        unique = multipart_id(group, [(f.part, f.data, f.meta) for f in fragments])
        raw: dict[str, Any] = {"parts": total, "coding": first.meta.get("coding")}
        if missing:
            raw["missing_parts"] = missing
            log.info(
                "modem %s: multipart message incomplete after %.0fs, filed with %d of %d parts",
                self.name,
                self.config.multipart_timeout_s,
                total - len(missing),
                total,
            )
        sender = str(first.meta.get("sender", ""))
        await self.conversation.handle(self._inbound(sender, text, unique, sent_at, raw))

    async def sweep_expired(self) -> None:
        """File multipart sets of this modem whose parts stopped arriving."""
        await multipart.sweep_once(
            self.ctx.intake,
            prefix=group_prefix(self.name),
            older_than_s=self.config.multipart_timeout_s,
            handle=self._file_expired,
        )

    async def _file_expired(self, group: str, fragments: list[Fragment]) -> None:
        total = int(fragments[0].meta.get("total") or group.split(":", 5)[4])
        await self._deliver_group(group, total, fragments)
        await self.ctx.intake.drop_fragments(group)

    async def _receipt(self, part: InboxPart) -> None:
        recipient = normalize_sender(part.sender, self.ctx.country) or part.sender
        await self.ctx.intake.delivery_receipt(
            ADAPTER_NAME,
            receipt_id(self.name, part.reference, recipient),
            delivery_state(part.delivery_status),
        )
        await self._release(part)

    # -- send ------------------------------------------------------------------------------

    def queue_delay(self) -> float:
        """Seconds before a new send would start here: pacing plus sends waiting in line."""
        return max(0.0, self.next_free_at - time.monotonic()) + self._queued / self.modem.rate

    async def send(self, number: str, text: str) -> list[int]:
        """Send *text* (all its parts) to *number*, paced at this modem's rate."""
        self._queued += 1  # before any await, so concurrent sends see this modem as busier
        try:
            return await self._send(number, text)
        finally:
            self._queued -= 1

    async def _send(self, number: str, text: str) -> list[int]:
        async with self._send_lock:
            parts = await self._call(self.device.encode, number, text)
            refs: list[int] = []
            for part in parts:
                wait = max(0.0, self.next_free_at - time.monotonic())
                if wait:
                    await asyncio.sleep(wait)
                self.next_free_at = time.monotonic() + 1.0 / self.modem.rate
                try:
                    refs.append(await self._call(self.device.send_part, part))
                except ModemError as exc:
                    self._record(exc)
                    if exc.device_level:
                        await self._drop()
                    raise
                SENT.labels(modem=self.name).inc()
            return refs

    # -- health ----------------------------------------------------------------------------

    @property
    def usable(self) -> bool:
        """Connected and not known to be off the network."""
        return self.up and self.registered is not False

    def status(self) -> dict[str, Any]:
        return {
            "ok": self.usable,
            "state": self.state if self.registered is not False else ErrorKind.NO_NETWORK.value,
            "simulated": self.modem.is_dummy,
            "signal_percent": self.signal_percent,
            "network": self.network,
            "operator": self.operator,
            "sim": self.sim,
            "errors": self.errors,
            "last_error": self.last_error,
        }


def _parse_ts(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None

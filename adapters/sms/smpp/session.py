"""One bound SMPP transceiver session: ``smpplib`` socket, reader thread, writer thread.

``smpplib`` is synchronous, so each bind gets two threads and talks to asyncio through
thread-safe hand-offs:

* the **reader thread** frames PDUs off the socket (its own framing, so a read timeout in
  the middle of a PDU cannot desynchronise the stream), parses them with ``smpplib``
  (``allow_unknown_opt_params=True``: vendor TLVs are skipped, not fatal) and hands
  requests and responses to the event loop with ``call_soon_threadsafe``;
* the **writer thread** is the only one that writes to the socket, which serialises every
  write (responses from the loop, keep-alive answers from the reader) without a lock held
  across a blocking ``sendall``.

Back-pressure: the reader takes a slot of ``max_inflight`` before handing a ``deliver_sm``
to the loop and the slot is returned when its ``deliver_sm_resp`` is queued. When the store
is slow the reader stops reading, TCP fills, and the SMSC holds further traffic in its own
window instead of us buffering without bound (10,000 messages per second from one number
cannot exhaust memory).

Bad bytes: a PDU whose command_length is impossible (< 16 or > 64 KiB) means the stream is
lost; we answer ``generic_nack`` (ESME_RINVCMDLEN) and drop the link so it is rebuilt. An
unknown command id or a body ``smpplib`` cannot parse gets ``generic_nack`` with that PDU's
sequence number and the session continues.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.smpp

from adapters.sms.config import SmppBindConfig
from adapters.sms.smpp.status import bind_refusal

log = logging.getLogger(__name__)

MAX_PDU = 64 * 1024
ESME_ROK = 0x00
ESME_RINVCMDLEN = 0x02
ESME_RINVCMDID = 0x03
ESME_RSYSERR = 0x08
ESME_RMSGQFUL = 0x14
ESME_RTHROTTLED = 0x58
ESME_RX_T_APPN = 0x64
CMD_GENERIC_NACK = 0x80000000
CMD_DELIVER_SM_RESP = 0x80000005
CMD_DATA_SM_RESP = 0x80000103
_RESPONSE_BIT = 0x80000000
_KNOWN_REQUESTS_WE_REFUSE = {"query_sm", "alert_notification"}


class LinkClosedError(ConnectionError):
    """The session ended (SMSC unbind, dead link, socket error, local stop)."""


class _LockedSequence(smpplib.client.SimpleSequenceGenerator):  # type: ignore[misc]
    """smpplib's generator is not thread-safe; the loop and reader threads both build PDUs."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def next_sequence(self) -> int:
        with self._lock:
            return int(super().next_sequence())


class _NoSequence:
    """Client stand-in for PDUs we parse or whose sequence we set ourselves."""

    sequence = 0

    def next_sequence(self) -> int:
        return 0


_PARSER = _NoSequence()


def make_response(command: str, sequence: int, status: int = ESME_ROK, **fields: Any) -> bytes:
    """Encode a response PDU echoing *sequence* (smpplib ignores a ``sequence`` kwarg)."""
    pdu = smpplib.smpp.make_pdu(command, client=_PARSER, status=status, **fields)
    pdu.sequence = sequence
    return bytes(pdu.generate())


def _c(value: str) -> bytes:
    return value.encode("latin-1", errors="replace") + b"\x00"


def encode_submit_sm(
    sequence: int,
    *,
    source_addr: str,
    source_addr_ton: int,
    source_addr_npi: int,
    destination_addr: str,
    dest_addr_ton: int,
    dest_addr_npi: int,
    esm_class: int,
    data_coding: int,
    registered_delivery: int,
    short_message: bytes,
) -> bytes:
    """A submit_sm (SMPP 3.4 4.4.1), packed directly: it is on the ack path and smpplib's
    generic field-by-field generator costs several times more. Tested against smpplib's
    own encoding in ``tests/adapters/sms/test_sms_smpp_codec.py``."""
    body = b"".join(
        (
            b"\x00",  # service_type
            bytes((source_addr_ton, source_addr_npi)),
            _c(source_addr),
            bytes((dest_addr_ton, dest_addr_npi)),
            _c(destination_addr),
            bytes((esm_class, 0, 0)),  # protocol_id, priority_flag
            b"\x00\x00",  # schedule_delivery_time, validity_period
            bytes((registered_delivery, 0, data_coding, 0, len(short_message))),
            short_message,
        )
    )
    return struct.pack(">LLLL", 16 + len(body), 0x00000004, 0, sequence) + body


def generic_nack(sequence: int, status: int) -> bytes:
    return struct.pack(">LLLL", 16, CMD_GENERIC_NACK, status, sequence)


_LAX = 65


def _cstring(body: bytes, pos: int, max_len: int) -> int:
    end = body.find(b"\x00", pos, pos + max_len)
    if end < 0:
        raise ValueError("C-string unterminated or too long")
    return end + 1


def check_deliver_sm(body: bytes) -> str | None:
    """Why a deliver_sm body is malformed (SMPP 3.4 4.6.1), or None when it is well formed:
    every mandatory field present, short_message within the body, TLVs within bounds."""
    try:
        # C-string limits are generous (spec: 6/21/21/17/17): an over-long sender from a
        # sloppy SMSC is still a citizen's message; we only refuse what cannot be framed
        pos = _cstring(body, 0, _LAX)  # service_type
        pos = _cstring(body, pos + 2, _LAX)  # source_addr_ton, _npi, source_addr
        pos = _cstring(body, pos + 2, _LAX)  # dest_addr_ton, _npi, destination_addr
        pos += 3  # esm_class, protocol_id, priority_flag
        pos = _cstring(body, pos, _LAX)  # schedule_delivery_time
        pos = _cstring(body, pos, _LAX)  # validity_period
        pos += 4  # registered_delivery, replace_if_present_flag, data_coding, sm_default_msg_id
        if pos >= len(body):
            return "body ends before sm_length"
        sm_length = body[pos]
        pos += 1 + sm_length
        if pos > len(body):
            return f"sm_length {sm_length} overruns the PDU"
    except ValueError as exc:
        return str(exc)
    return _check_tlvs(body, pos)


def check_data_sm(body: bytes) -> str | None:
    """Like :func:`check_deliver_sm` for data_sm (SMPP 3.4 4.7.1), whose text is a TLV."""
    try:
        pos = _cstring(body, 0, _LAX)  # service_type
        pos = _cstring(body, pos + 2, _LAX)  # source_addr_ton, _npi, source_addr
        pos = _cstring(body, pos + 2, _LAX)  # dest_addr_ton, _npi, destination_addr
    except ValueError as exc:
        return str(exc)
    pos += 3  # esm_class, registered_delivery, data_coding
    if pos > len(body):
        return "body ends before data_coding"
    return _check_tlvs(body, pos)


def _check_tlvs(body: bytes, pos: int) -> str | None:
    while pos < len(body):
        if pos + 4 > len(body):
            return "truncated TLV header"
        length = struct.unpack(">H", body[pos + 2 : pos + 4])[0]
        pos += 4 + length
        if pos > len(body):
            return "TLV overruns the PDU"
    return None


class SmppLink:
    """A bound session. ``open()`` (blocking: run it in a thread) connects and binds;
    ``start()`` launches the threads; ``closed`` is set when the session is over."""

    def __init__(
        self,
        config: SmppBindConfig,
        loop: asyncio.AbstractEventLoop,
        on_deliver: Callable[[Any], None],
        *,
        max_inflight: int,
    ) -> None:
        self.config = config
        self.loop = loop
        self.on_deliver = on_deliver
        self.client = smpplib.client.Client(
            config.host,
            config.port,
            timeout=config.response_timeout_s,
            sequence_generator=_LockedSequence(),
            allow_unknown_opt_params=True,
            logger_name=f"smpplib.{config.name}",
        )
        # smpplib logs whole PDUs in hex at DEBUG: the bind (with the password), citizens'
        # numbers and texts. Never, whatever the gateway's log level.
        logging.getLogger(f"smpplib.{config.name}").setLevel(logging.WARNING)
        self.closed = asyncio.Event()
        self.close_reason = ""
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._out: queue.Queue[bytes | None] = queue.Queue()
        self._stop = threading.Event()
        self._slots = threading.BoundedSemaphore(max_inflight)
        self._threads: list[threading.Thread] = []
        #: monotonic time of the last bytes from the SMSC, and whether the reader is waiting
        #: for a back-pressure slot (then it is *we* who are slow, not the link that is dead)
        self.last_rx = time.monotonic()
        self.backpressured = False

    # -- lifecycle -------------------------------------------------------------------------

    def open(self) -> None:
        """Connect and bind_transceiver (blocking). Raises OSError, smpplib errors, or
        :class:`~adapters.sms.smpp.status.BindRefusedError` naming the SMSC's status."""
        cfg = self.config
        try:
            self.client.connect()
        except smpplib.exceptions.ConnectionError as exc:
            # smpplib says "Connection refused" for any socket error and keeps the socket
            # it opened: close it, and raise the socket's own error (refused, timed out...)
            if self.client._socket is not None:
                self.client._socket.close()
                self.client._socket = None
            if isinstance(exc.__context__, OSError):
                raise exc.__context__ from None
            raise
        try:
            self.client.bind_transceiver(
                system_id=cfg.system_id,
                password=cfg.password.get_secret_value(),
                system_type=cfg.system_type,
                addr_ton=cfg.addr_ton,
                addr_npi=cfg.addr_npi,
                address_range=cfg.address_range,
            )
        except smpplib.exceptions.PDUError as exc:
            self.client.disconnect()
            refused = bind_refusal("bind_transceiver", exc)
            if refused is None:
                raise
            raise refused from exc
        except BaseException:
            self.client.disconnect()
            raise

    def start(self) -> None:
        for target, label in ((self._read_loop, "rd"), (self._write_loop, "wr")):
            thread = threading.Thread(
                target=target, name=f"smpp-{self.config.name}-{label}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def close(self, reason: str, *, flush: bool = False) -> None:
        """End the session from any thread; idempotent. With *flush* what is already queued
        (a generic_nack, an unbind_resp) is written before the socket is shut."""
        if self._stop.is_set():
            return
        self.close_reason = reason
        self._stop.set()
        self._out.put(None)
        if not flush:
            self._shutdown()
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._closed_in_loop)

    def _shutdown(self) -> None:
        sock = self.client._socket
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _closed_in_loop(self) -> None:
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(LinkClosedError(self.close_reason))
        self._pending.clear()
        self.closed.set()

    def join(self, timeout: float = 2.0) -> None:
        """Wait for the threads (blocking) and release the socket."""
        for thread in self._threads:
            thread.join(timeout)
        with contextlib.suppress(Exception):
            self.client.state = smpplib.consts.SMPP_CLIENT_STATE_OPEN
            self.client.disconnect()

    @property
    def is_open(self) -> bool:
        return not self._stop.is_set()

    def seems_alive(self, within_s: float) -> bool:
        """Traffic from the SMSC within *within_s*, or our own back-pressure holding the
        reader (the enquire_link_resp is then unread in our socket, not missing)."""
        return self.backpressured or time.monotonic() - self.last_rx < within_s

    # -- writing ---------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Queue bytes for the writer thread (thread-safe)."""
        if not self._stop.is_set():
            self._out.put(data)

    def respond(self, sequence: int, status: int, command_id: int = CMD_DELIVER_SM_RESP) -> None:
        """Answer a deliver_sm (or data_sm) and give its back-pressure slot back."""
        try:
            # the resp body is one empty C-string (message_id, unused); packed by hand
            # because it is on the hot path (smpplib's generic generator costs ~50 us)
            self.write(struct.pack(">LLLLB", 17, command_id, status, sequence, 0))
        finally:
            with contextlib.suppress(ValueError):
                self._slots.release()

    async def request(self, pdu: Any, wait_s: float) -> Any:
        """Send a request PDU (an smpplib PDU, or ``(sequence, bytes)``) and await its
        response PDU."""
        if self._stop.is_set():
            raise LinkClosedError(self.close_reason or "closed")
        if isinstance(pdu, tuple):
            seq, data = pdu
        else:
            seq, data = int(pdu.sequence), bytes(pdu.generate())
        fut: asyncio.Future[Any] = self.loop.create_future()
        self._pending[seq] = fut
        try:
            self.write(data)
            return await asyncio.wait_for(fut, wait_s)
        finally:
            self._pending.pop(seq, None)

    def next_sequence(self) -> int:
        return int(self.client.next_sequence())

    def _write_loop(self) -> None:
        sock = self.client._socket
        try:
            while True:
                item = self._out.get()
                if item is None:
                    return
                batch = [item]
                # coalesce what is queued: one syscall for many responses under load
                while len(batch) < 256:
                    try:
                        nxt = self._out.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None:
                        self._send(sock, batch)
                        return
                    batch.append(nxt)
                if not self._send(sock, batch):
                    return
        finally:
            self._shutdown()

    def _send(self, sock: socket.socket, batch: list[bytes]) -> bool:
        try:
            sock.sendall(b"".join(batch))
            return True
        except OSError as exc:
            self.close(f"write failed: {exc.__class__.__name__}")
            return False

    # -- reading ---------------------------------------------------------------------------

    def _read_loop(self) -> None:
        sock = self.client._socket
        buf = bytearray()
        try:
            while not self._stop.is_set():
                readable, _, _ = select.select([sock], [], [], 0.25)
                if not readable:
                    continue
                chunk = sock.recv(65536)
                if not chunk:
                    self.close("connection closed by SMSC")
                    return
                self.last_rx = time.monotonic()
                buf += chunk
                batch: list[Any] = []
                while len(buf) >= 4:
                    length = struct.unpack(">L", buf[:4])[0]
                    if length < 16 or length > MAX_PDU:
                        seq = struct.unpack(">L", buf[12:16])[0] if len(buf) >= 16 else 0
                        log.warning("smpp %s: impossible PDU length %d", self.config.name, length)
                        self.write(generic_nack(seq, ESME_RINVCMDLEN))
                        self.close("malformed PDU length", flush=True)
                        return
                    if len(buf) < length:
                        break
                    raw = bytes(buf[:length])
                    del buf[:length]
                    self._dispatch(raw, batch)
                if batch:
                    # one loop wake-up per socket read, not per PDU
                    self.loop.call_soon_threadsafe(self._deliver_batch, batch)
        except (OSError, ValueError) as exc:
            self.close(f"read failed: {exc.__class__.__name__}")
        except Exception:
            log.exception("smpp %s: reader crashed", self.config.name)
            self.close("reader crashed")

    def _deliver_batch(self, batch: list[Any]) -> None:
        for pdu in batch:
            self.on_deliver(pdu)

    def _dispatch(self, raw: bytes, batch: list[Any]) -> None:
        command_id, status, seq = struct.unpack(">LLL", raw[4:16])
        try:
            pdu = smpplib.smpp.parse_pdu(raw, client=_PARSER, allow_unknown_opt_params=True)
        except smpplib.exceptions.UnknownCommandError:
            pdu = None
            log.warning("smpp %s: unknown command id 0x%08X", self.config.name, command_id)
            if not command_id & _RESPONSE_BIT:
                self.write(generic_nack(seq, ESME_RINVCMDID))
            return
        except Exception as exc:
            log.warning(
                "smpp %s: unparseable PDU 0x%08X (%s)",
                self.config.name,
                command_id,
                exc.__class__.__name__,
            )
            if command_id & _RESPONSE_BIT:
                self._resolve(seq, None)
            else:
                self.write(generic_nack(seq, ESME_RINVCMDLEN))
            return
        command = pdu.command
        if command in ("deliver_sm", "data_sm"):
            check = check_deliver_sm if command == "deliver_sm" else check_data_sm
            if (problem := check(raw[16:])) is not None:
                # smpplib parses truncated or garbled bodies leniently; we file no guesses
                log.warning("smpp %s: malformed %s: %s", self.config.name, command, problem)
                self.write(generic_nack(seq, ESME_RINVCMDLEN))
                return
        if command in ("deliver_sm", "data_sm"):
            if not self._slots.acquire(blocking=False):
                # out of slots: hand over what this read collected (it holds slots) first
                if batch:
                    self.loop.call_soon_threadsafe(self._deliver_batch, list(batch))
                    batch.clear()
                while not self._slots.acquire(timeout=0.25):
                    self.backpressured = True
                    if self._stop.is_set():
                        return
                self.backpressured = False
            batch.append(pdu)
        elif command == "enquire_link":
            self.write(make_response("enquire_link_resp", seq))
        elif command == "unbind":
            self.write(make_response("unbind_resp", seq))
            log.info("smpp %s: SMSC sent unbind", self.config.name)
            self.close("unbind from SMSC", flush=True)
        elif command_id & _RESPONSE_BIT:
            if command == "generic_nack":
                log.warning(
                    "smpp %s: generic_nack 0x%08X for sequence %d", self.config.name, status, seq
                )
            self._resolve(seq, pdu)
        elif command in _KNOWN_REQUESTS_WE_REFUSE:
            self.write(generic_nack(seq, ESME_RINVCMDID))
        else:
            log.warning("smpp %s: unexpected %s", self.config.name, command)
            self.write(generic_nack(seq, ESME_RINVCMDID))

    def _resolve(self, seq: int, pdu: Any) -> None:
        def settle() -> None:
            fut = self._pending.get(seq)
            if fut is not None and not fut.done():
                fut.set_result(pdu)

        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(settle)

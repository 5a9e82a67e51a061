"""One SMPP session: an ``asyncio.Protocol`` on one TCP connection to the SMSC.

Everything runs in the event loop; the codec (:mod:`adapters.sms.smpp.pdu`) only turns
bytes into PDUs and back. The session frames PDUs off the stream, answers what needs no
decision (``enquire_link``, ``unbind``, malformed PDUs), matches responses to the requests
awaiting them, and hands every ``deliver_sm``/``data_sm`` to ``on_deliver``; its
response is written later by :meth:`SmppSession.respond`, after the commit.

Back-pressure: at most ``max_inflight`` deliver_sm are handed out unanswered. At the limit
the session stops parsing and calls ``transport.pause_reading()``; TCP fills and the SMSC
holds further traffic in its own window instead of us buffering without bound. An answer
resumes reading.

Bad bytes: a ``command_length`` that is impossible (< 16 or > 64 KiB) means the stream is
lost; we answer ``generic_nack`` (ESME_RINVCMDLEN) and drop the connection so the bind is
rebuilt. An unknown command id or a body that cannot be decoded gets ``generic_nack`` with
that PDU's sequence number and the session continues.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import smpplib.exceptions

from adapters.sms.config import SmppBindConfig
from adapters.sms.smpp import pdu
from adapters.sms.smpp.pdu import Inbound
from adapters.sms.smpp.status import BindRefusedError, LinkClosedError

log = logging.getLogger(__name__)

_REFUSED_REQUESTS = {0x00000003, 0x00000102}  # query_sm, alert_notification
_MAX_SEQUENCE = 0x7FFFFFFF


class SmppSession(asyncio.Protocol):
    """A connected session; :meth:`open` connects and binds. ``closed`` is set when the
    connection is gone, with ``close_reason`` saying why."""

    def __init__(
        self,
        name: str,
        on_deliver: Callable[[SmppSession, Inbound], None],
        *,
        max_inflight: int,
    ) -> None:
        self.name = name
        self.on_deliver = on_deliver
        self.max_inflight = max_inflight
        self.closed = asyncio.Event()
        self.close_reason = ""
        #: monotonic time of the last bytes from the SMSC
        self.last_rx = time.monotonic()
        #: reading is paused because ``max_inflight`` deliver_sm await their commit (then it
        #: is *we* who are slow, not the link that is dead)
        self.backpressured = False
        self._transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._inflight = 0
        self._sequence = 0
        self._closing = False

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        config: SmppBindConfig,
        on_deliver: Callable[[SmppSession, Inbound], None],
        *,
        max_inflight: int,
    ) -> SmppSession:
        """Connect and ``bind_transceiver``. Raises OSError, TimeoutError,
        :class:`LinkClosedError`, or :class:`BindRefusedError` naming the SMSC's status."""
        session = cls(config.name, on_deliver, max_inflight=max_inflight)
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(config.response_timeout_s):
            await loop.create_connection(lambda: session, config.host, config.port)
        try:
            resp = await session.call(
                "bind_transceiver",
                config.response_timeout_s,
                system_id=config.system_id,
                password=config.password.get_secret_value(),
                system_type=config.system_type,
                addr_ton=config.addr_ton,
                addr_npi=config.addr_npi,
                address_range=config.address_range,
            )
            if resp is None:
                raise LinkClosedError("unparseable bind_transceiver_resp")
            if int(resp.status) != pdu.ESME_ROK:
                raise BindRefusedError("bind_transceiver", int(resp.status))
        except BaseException:
            session.close("bind failed")
            raise
        return session

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.close_reason:
            self.close_reason = (
                f"socket error: {exc.__class__.__name__}" if exc else "connection closed by SMSC"
            )
        self._closing = True
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(LinkClosedError(self.close_reason))
        self._pending.clear()
        self.closed.set()

    def close(self, reason: str, *, flush: bool = False) -> None:
        """End the session; idempotent. With *flush* what is already written (a
        generic_nack, an unbind_resp) goes out before the connection is closed."""
        if self._closing:
            return
        self.close_reason = reason
        self._closing = True
        transport = self._transport
        if transport is None:
            self.connection_lost(None)
            return
        if flush:
            transport.close()  # sends what is buffered first
        else:
            transport.abort()

    @property
    def is_open(self) -> bool:
        return not self._closing

    def seems_alive(self, within_s: float) -> bool:
        """Traffic from the SMSC within *within_s*, or our own back-pressure holding the
        reader (the enquire_link_resp is then unread in our socket, not missing)."""
        return self.backpressured or time.monotonic() - self.last_rx < within_s

    # -- writing ---------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        # written at once, not gathered for a later loop pass: an extra pass costs one more
        # GIL hand-over to the store's thread, which measured slower than a send per answer
        if not self._closing and self._transport is not None:
            self._transport.write(data)

    def respond(
        self, sequence: int, status: int, command_id: int = pdu.CMD_DELIVER_SM_RESP
    ) -> None:
        """Answer a deliver_sm (or data_sm) and give its back-pressure slot back."""
        self._write(pdu.response(command_id, sequence, status))
        self._inflight -= 1
        if self.backpressured and self._inflight < self.max_inflight and not self._closing:
            self.backpressured = False
            assert self._transport is not None
            self._transport.resume_reading()
            asyncio.get_running_loop().call_soon(self._process)

    def next_sequence(self) -> int:
        self._sequence = self._sequence % _MAX_SEQUENCE + 1
        return self._sequence

    async def request(self, sequence: int, data: bytes, wait_s: float) -> Any:
        """Send an encoded request PDU numbered *sequence* and await its response (an
        smpplib PDU, or None when the response could not be decoded)."""
        if self._closing:
            raise LinkClosedError(self.close_reason or "closed")
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[sequence] = fut
        try:
            self._write(data)
            async with asyncio.timeout(wait_s):
                return await fut
        finally:
            self._pending.pop(sequence, None)

    async def call(self, command: str, wait_s: float, **fields: Any) -> Any:
        """Send the request *command* (encoded by smpplib) and await its response."""
        sequence = self.next_sequence()
        return await self.request(sequence, pdu.encode(command, sequence, **fields), wait_s)

    # -- reading ---------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self.last_rx = time.monotonic()
        self._buf += data
        self._process()

    def _process(self) -> None:
        """Handle every complete PDU in the buffer, up to the back-pressure limit."""
        buf = self._buf
        pos = 0
        try:
            while not self._closing and len(buf) - pos >= 4:
                if self._inflight >= self.max_inflight:
                    if not self.backpressured and self._transport is not None:
                        self.backpressured = True
                        self._transport.pause_reading()
                    break
                length = int.from_bytes(buf[pos : pos + 4], "big")
                if length < 16 or length > pdu.MAX_PDU:
                    seq = (
                        int.from_bytes(buf[pos + 12 : pos + 16], "big")
                        if len(buf) - pos >= 16
                        else 0
                    )
                    log.warning("smpp %s: impossible PDU length %d", self.name, length)
                    self._write(pdu.generic_nack(seq, pdu.ESME_RINVCMDLEN))
                    self.close("malformed PDU length", flush=True)
                    return
                if len(buf) - pos < length:
                    break
                raw = bytes(buf[pos : pos + length])
                pos += length
                self._dispatch(raw)
        finally:
            del buf[:pos]

    def _dispatch(self, raw: bytes) -> None:
        command_id, status, seq = pdu.HEADER.unpack_from(raw)[1:]
        if command_id == pdu.CMD_DELIVER_SM or command_id == pdu.CMD_DATA_SM:
            self._inbound(command_id, seq, raw)
        elif command_id & pdu.RESPONSE_BIT:
            self._response(command_id, status, seq, raw)
        elif command_id == pdu.CMD_ENQUIRE_LINK:
            self._write(pdu.response("enquire_link_resp", seq))
        elif command_id == pdu.CMD_UNBIND:
            self._write(pdu.response("unbind_resp", seq))
            log.info("smpp %s: SMSC sent unbind", self.name)
            self.close("unbind from SMSC", flush=True)
        else:
            if command_id not in _REFUSED_REQUESTS:
                log.warning("smpp %s: unexpected command id 0x%08X", self.name, command_id)
            self._write(pdu.generic_nack(seq, pdu.ESME_RINVCMDID))

    def _inbound(self, command_id: int, seq: int, raw: bytes) -> None:
        deliver = command_id == pdu.CMD_DELIVER_SM
        check = pdu.check_deliver_sm if deliver else pdu.check_data_sm
        problem = check(raw[16:])
        if problem is None:
            try:
                message = pdu.decode_deliver_sm(raw) if deliver else pdu.decode_data_sm(raw)
            except Exception as exc:  # smpp34.SmppError, smpplib errors, struct errors
                problem = exc.__class__.__name__
        if problem is not None:
            # a lenient parse of a truncated or garbled body would file a guess
            name = "deliver_sm" if deliver else "data_sm"
            log.warning("smpp %s: malformed %s: %s", self.name, name, problem)
            self._write(pdu.generic_nack(seq, pdu.ESME_RINVCMDLEN))
            return
        self._inflight += 1
        self.on_deliver(self, message)

    def _response(self, command_id: int, status: int, seq: int, raw: bytes) -> None:
        if command_id == pdu.CMD_GENERIC_NACK:
            log.warning("smpp %s: generic_nack 0x%08X for sequence %d", self.name, status, seq)
        try:
            resp = pdu.parse(raw)
        except smpplib.exceptions.UnknownCommandError:
            log.warning("smpp %s: unknown command id 0x%08X", self.name, command_id)
            return
        except Exception as exc:
            log.warning(
                "smpp %s: unparseable PDU 0x%08X (%s)", self.name, command_id, type(exc).__name__
            )
            resp = None
        fut = self._pending.get(seq)
        if fut is not None and not fut.done():
            fut.set_result(resp)

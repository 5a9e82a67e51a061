"""SMSC simulators on 127.0.0.1 for the SMPP adapter's tests and benchmark.

:class:`SmscSim` wraps the ``smpp34`` server (a real SMPP 3.4 implementation): it accepts
our bind_transceiver, sends ``deliver_sm`` with any fields and TLVs, reads our
``submit_sm`` and answers them through a scriptable policy (accept, throttle, reject),
sends ``unbind`` and drops every connection (``stop``).

What ``smpp34``'s server cannot do, :class:`RawSmsc` does: a minimal SMPP server written
here on asyncio streams that writes arbitrary bytes (truncated or malformed PDUs, unknown
command ids, generic_nack), can ignore ``enquire_link`` (a dead link), and records every
PDU we send. PDUs are built with ``smpp34``'s codec.

(Observed ``smpp34`` 1.5 server quirk: it answers our correct ``unbind_resp`` to its own
``unbind`` with a generic_nack and closes after 5 s; the adapter treats the unbind as the
end of the session anyway.)
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import smpp34


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Submitted:
    """One submit_sm the simulator received from us."""

    destination_addr: str
    dest_addr_ton: int
    source_addr: str
    data_coding: int
    esm_class: int
    registered_delivery: int
    short_message: bytes
    message_id: str | None
    status: int
    at: float = field(default_factory=time.monotonic)


#: decides the answer to a submit_sm: ("accept", message_id) or ("reject", status)
Policy = Callable[[Any, int], tuple[str, Any]]


def accept_all(event: Any, n: int) -> tuple[str, Any]:
    return ("accept", f"msg{n}")


class TcpProxy:
    """Forwards 127.0.0.1:port to a backend; ``drop()`` cuts every connection, which is how
    an SMSC that goes away mid-stream looks to the ESME (smpp34's ``Server.stop`` stops
    listening but keeps established sessions alive)."""

    def __init__(self, backend_port: int, port: int | None = None) -> None:
        self.backend_port = backend_port
        self.port = port or free_port()
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._conn, "127.0.0.1", self.port)

    async def _conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            b_reader, b_writer = await asyncio.open_connection("127.0.0.1", self.backend_port)
        except OSError:
            writer.close()
            return
        self._writers += [writer, b_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, b_writer), pipe(b_reader, writer))

    def drop(self) -> None:
        for w in self._writers:
            w.close()
        self._writers.clear()

    async def stop(self) -> None:
        self.drop()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


class SmscSim:
    """The smpp34 server, scriptable, behind a :class:`TcpProxy` (``port`` is the proxy's)."""

    def __init__(self, port: int | None = None) -> None:
        self.backend_port = free_port()
        self.proxy = TcpProxy(self.backend_port, port)
        self.port = self.proxy.port
        self.server = smpp34.Server("127.0.0.1", self.backend_port, system_id="SIMSMSC")
        self.sessions: list[Any] = []
        self.submitted: list[Submitted] = []
        self.unbound = 0
        self.policy: Policy = accept_all
        self._n = 0
        self._task: asyncio.Task[None] | None = None
        self._bound = asyncio.Event()
        self._submit_event = asyncio.Event()
        self._new_session = asyncio.Event()

    async def start(self) -> SmscSim:
        await self.server.start()
        await self.proxy.start()
        self._task = asyncio.create_task(self._pump())
        return self

    async def _pump(self) -> None:
        while True:
            ev = await self.server.next()
            if isinstance(ev, smpp34.Esme):
                self.sessions.append(ev)
                self._bound.set()
                self._new_session.set()
            elif isinstance(ev, smpp34.SubmitSmEvent):
                self._n += 1
                action, value = self.policy(ev, self._n)
                msg_id: str | None = None
                status = 0
                if action == "accept":
                    msg_id = str(value)
                    ev.accept(msg_id)
                else:
                    status = int(value)
                    ev.reject(status)
                self.submitted.append(
                    Submitted(
                        ev.destination_addr,
                        ev.dest_addr_ton,
                        ev.source_addr,
                        ev.data_coding,
                        ev.esm_class,
                        ev.registered_delivery,
                        ev.short_message,
                        msg_id,
                        status,
                    )
                )
                self._submit_event.set()
            elif isinstance(ev, smpp34.Unbound):
                self.unbound += 1
                self.sessions = [s for s in self.sessions if s.session_id != ev.session_id]
                if not self.sessions:
                    self._bound.clear()

    async def wait_bound(self, wait_s: float = 5.0) -> Any:
        await asyncio.wait_for(self._bound.wait(), wait_s)
        return self.sessions[-1]

    async def wait_new_session(self, old: Any, wait_s: float = 10.0) -> Any:
        """Until an ESME session other than *old* is bound (a reconnect)."""
        async with asyncio.timeout(wait_s):
            while not self.sessions or self.sessions[-1] is old:
                self._new_session.clear()
                await self._new_session.wait()
        return self.sessions[-1]

    async def wait_submitted(self, count: int, wait_s: float = 5.0) -> list[Submitted]:
        async with asyncio.timeout(wait_s):
            while len([s for s in self.submitted if s.status == 0]) < count:
                self._submit_event.clear()
                await self._submit_event.wait()
        return [s for s in self.submitted if s.status == 0]

    async def deliver(self, short_message: bytes = b"", **fields: Any) -> int:
        """Send one deliver_sm to the bound ESME; returns our deliver_sm_resp status."""
        esme = await self.wait_bound()
        fields.setdefault("source_addr", "6281234567890")
        fields.setdefault("source_addr_ton", 1)
        fields.setdefault("source_addr_npi", 1)
        dest = fields.pop("destination_addr", "1708")
        try:
            resp = await esme.deliver_sm(dest, short_message, **fields)
        except smpp34.SmppError as exc:
            raise AssertionError(f"deliver_sm failed: {exc}") from exc
        return int(resp.command_status)

    def drop(self) -> None:
        """Cut every connection now (the SMSC or the network failing mid-stream)."""
        self.proxy.drop()

    async def drop_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self.drop()

    async def stop(self) -> None:
        """Stop listening and drop every connection (an SMSC going away)."""
        await self.proxy.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.server.stop()


# --------------------------------------------------------------------------------------
# Raw simulator


def header(length: int, command_id: int, status: int, seq: int) -> bytes:
    return struct.pack(">LLLL", length, command_id, status, seq)


def pdu(command_id: int, seq: int, body: bytes = b"", status: int = 0) -> bytes:
    return header(16 + len(body), command_id, status, seq) + body


def deliver_sm_bytes(seq: int, short_message: bytes, **fields: Any) -> bytes:
    fields.setdefault("source_addr_ton", 1)
    fields.setdefault("source_addr_npi", 1)
    source = fields.pop("source_addr", "6281234567890")
    return bytes(
        smpp34.DeliverSm(source, "1708", short_message, sequence_number=seq, **fields).encode()
    )


@dataclass
class RawPdu:
    command_id: int
    status: int
    seq: int
    body: bytes


class RawSmsc:
    """A hand-rolled SMPP server for what smpp34 will not do (bad bytes, dead links)."""

    BIND_TRX = 0x00000009
    ENQUIRE_LINK = 0x00000015

    def __init__(self) -> None:
        self.port = free_port()
        self.answer_enquire_link = True
        #: bytes to answer a submit_sm with (default: submit_sm_resp OK, id "raw<seq>")
        self.submit_reply: Callable[[RawPdu], bytes] = lambda p: pdu(
            0x80000004, p.seq, f"raw{p.seq}".encode() + b"\x00"
        )
        self.received: list[RawPdu] = []
        #: command_status of our bind_transceiver_resp; non-zero refuses the bind (with no
        #: body, as SMSCs commonly answer a refused bind)
        self.bind_status = 0
        self.binds = 0
        self._server: asyncio.Server | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._got = asyncio.Event()
        self._bound = asyncio.Event()

    async def start(self) -> RawSmsc:
        self._server = await asyncio.start_server(self._conn, "127.0.0.1", self.port)
        return self

    async def _conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        try:
            while True:
                head = await reader.readexactly(16)
                length, cid, status, seq = struct.unpack(">LLLL", head)
                body = await reader.readexactly(length - 16)
                self.received.append(RawPdu(cid, status, seq, body))
                self._got.set()
                if cid == self.BIND_TRX and self.bind_status:
                    writer.write(pdu(0x80000009, seq, status=self.bind_status))
                elif cid == self.BIND_TRX:
                    self.binds += 1
                    writer.write(pdu(0x80000009, seq, b"RAWSMSC\x00"))
                    self._bound.set()
                elif cid == self.ENQUIRE_LINK and self.answer_enquire_link:
                    writer.write(pdu(0x80000015, seq))
                elif cid == 0x00000006:  # unbind
                    writer.write(pdu(0x80000006, seq))
                elif cid == 0x00000004:  # submit_sm
                    writer.write(self.submit_reply(self.received[-1]))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def wait_bound(self, binds: int = 1, wait_s: float = 5.0) -> None:
        async with asyncio.timeout(wait_s):
            while self.binds < binds:
                self._bound.clear()
                await self._bound.wait()

    async def send(self, data: bytes) -> None:
        assert self._writer is not None
        self._writer.write(data)
        await self._writer.drain()

    async def wait_for(self, pred: Callable[[RawPdu], bool], wait_s: float = 5.0) -> RawPdu:
        async with asyncio.timeout(wait_s):
            while True:
                for p in self.received:
                    if pred(p):
                        return p
                self._got.clear()
                await self._got.wait()

    def drop(self) -> None:
        if self._writer is not None:
            self._writer.close()

    async def stop(self) -> None:
        self.drop()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

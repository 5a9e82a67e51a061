"""SMPP session handling against a hand-rolled SMSC (bad bytes, dead links, unbind) and the
smpp34 simulator (connection dropped mid-stream), through the real Pipeline/SQLite."""

from __future__ import annotations

import asyncio
import json
import struct
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.sms.smpp import SmppAdapter
from gateway.adapter import OutboundMessage, SendError
from gateway.logs import JsonFormatter
from gateway.service import Gateway
from normalizer import ReplyAddress
from tests.adapters.sms.sms_harness import Db, eventually, sms_overrides, start_gateway
from tests.adapters.sms.smsc_sim import RawSmsc, SmscSim, deliver_sm_bytes, pdu
from tests.conftest import make_config

GENERIC_NACK = 0x80000000
DELIVER_SM_RESP = 0x80000005
TEXT = b"Jalan berlubang di depan pasar sudah lama"
TEXTS = [f"Keluhan {i}: jalan rusak di desa".encode() for i in range(20)]


@pytest.fixture
async def raw() -> AsyncIterator[RawSmsc]:
    smsc = await RawSmsc().start()
    yield smsc
    await smsc.stop()


def resp_for(seq: int) -> Callable[[Any], bool]:
    return lambda p: p.seq == seq and p.command_id in (DELIVER_SM_RESP, GENERIC_NACK)


async def test_bind_uses_configured_credentials(
    raw: RawSmsc, tmp_path: Path, gateway_factory: Callable[..., Any]
) -> None:
    await start_gateway(gateway_factory, tmp_path, raw.port, system_type="LAPOR")
    bind = raw.received[0]
    fields = bind.body.split(b"\x00")
    assert fields[:3] == [b"lapor", b"secret", b"LAPOR"]
    assert bind.body[-4] == 0x34  # interface_version 3.4


@pytest.mark.parametrize(
    ("bad", "status"),
    [
        pytest.param(pdu(0x00000004 | 0x999, 77), 0x03, id="unknown-command-id"),
        pytest.param(deliver_sm_bytes(77, TEXT)[:30], None, id="truncated-deliver-sm"),
        pytest.param(pdu(0x00000005, 77, b"\x00\x01"), 0x02, id="deliver-sm-body-garbage"),
    ],
)
async def test_malformed_pdus_get_generic_nack_and_traffic_continues(
    raw: RawSmsc,
    tmp_path: Path,
    gateway_factory: Callable[..., Any],
    bad: bytes,
    status: int | None,
) -> None:
    await start_gateway(gateway_factory, tmp_path, raw.port)
    if status is None:
        # a PDU whose command_length says 30 but whose body is cut: fix up the length so the
        # stream stays framed, the body itself is then too short to parse
        bad = struct.pack(">L", len(bad)) + bad[4:]
    await raw.send(bad)
    nack = await raw.wait_for(resp_for(77))
    assert (nack.command_id, nack.status) == (GENERIC_NACK, status or 0x02)
    await raw.send(deliver_sm_bytes(78, TEXT))
    ok = await raw.wait_for(resp_for(78))
    assert (ok.command_id, ok.status) == (DELIVER_SM_RESP, 0)
    assert [r["text"] for r in Db(tmp_path).reports()] == [TEXT.decode()]
    assert raw.binds == 1


async def test_impossible_length_drops_link_and_rebinds(
    raw: RawSmsc, tmp_path: Path, gateway_factory: Callable[..., Any]
) -> None:
    await start_gateway(gateway_factory, tmp_path, raw.port)
    await raw.send(struct.pack(">LLLL", 8, 4, 0, 5))
    nack = await raw.wait_for(lambda p: p.command_id == GENERIC_NACK)
    assert nack.status == 0x02
    await raw.wait_bound(2)
    await raw.send(deliver_sm_bytes(9, TEXT))
    assert (await raw.wait_for(resp_for(9))).status == 0


async def test_dead_link_detected_by_enquire_link_and_rebound(
    raw: RawSmsc, tmp_path: Path, gateway_factory: Callable[..., Any]
) -> None:
    raw.answer_enquire_link = False
    await start_gateway(
        gateway_factory, tmp_path, raw.port, enquire_link_s=0.2, response_timeout_s=0.3
    )
    await raw.wait_bound(2, wait_s=5)
    assert any(p.command_id == 0x15 for p in raw.received)


async def test_smsc_unbind_answered_and_rebound(
    raw: RawSmsc, tmp_path: Path, gateway_factory: Callable[..., Any]
) -> None:
    await start_gateway(gateway_factory, tmp_path, raw.port)
    await raw.send(pdu(0x00000006, 4242))
    resp = await raw.wait_for(lambda p: p.command_id == 0x80000006 and p.seq == 4242)
    assert resp.status == 0
    await raw.wait_bound(2)


async def test_generic_nack_to_submit_sm_is_permanent(
    raw: RawSmsc, tmp_path: Path, gateway_factory: Callable[..., Any]
) -> None:
    raw.submit_reply = lambda p: pdu(GENERIC_NACK, p.seq, status=0x03)
    _, adapter = await start_gateway(gateway_factory, tmp_path, raw.port)
    message = OutboundMessage(
        1, "received", None, ReplyAddress(adapter="sms.smpp", address="+6281234567890"), "hai"
    )
    with pytest.raises(SendError) as err:
        await adapter.send(message)
    assert err.value.retryable is False


async def test_smsc_drops_mid_stream_then_comes_back(
    tmp_path: Path, gateway_factory: Callable[..., Any]
) -> None:
    sim = await SmscSim().start()
    try:
        _, adapter = await start_gateway(gateway_factory, tmp_path, sim.port)
        first = await sim.wait_bound()
        await asyncio.gather(
            *(sim.deliver(TEXTS[i], source_addr=f"628120000{i:04d}") for i in range(20)),
            sim.drop_after(0.01),
            return_exceptions=True,
        )
        committed = len(Db(tmp_path).reports())
        await sim.wait_new_session(first)  # reconnect: a new session on the simulator
        await adapter.wait_bound(10)
        # the SMSC redelivers everything (it cannot know which resps were lost)
        statuses = await asyncio.gather(
            *(sim.deliver(TEXTS[i], source_addr=f"628120000{i:04d}") for i in range(20))
        )
        assert statuses == [0] * 20
        assert committed <= 20 and len(Db(tmp_path).reports()) == 20
        await sim.wait_submitted(20, wait_s=10)  # every report acked exactly once
        await asyncio.sleep(0.3)
        assert len([s for s in sim.submitted if s.status == 0]) == 20
    finally:
        await sim.stop()


async def test_smsc_unbind_with_smpp34(tmp_path: Path, gateway_factory: Callable[..., Any]) -> None:
    sim = await SmscSim().start()
    try:
        _, adapter = await start_gateway(gateway_factory, tmp_path, sim.port)
        esme = await sim.wait_bound()
        await esme.unbind()
        await sim.wait_new_session(esme)
        await adapter.wait_bound(10)
        assert await sim.deliver(TEXT) == 0
    finally:
        await sim.stop()


async def test_redelivery_after_gateway_restart_creates_nothing(tmp_path: Path) -> None:
    """The gateway dies after committing; the SMSC redelivers to the new process."""
    raw = await RawSmsc().start()
    config = make_config(tmp_path, sms_overrides(raw.port))
    try:
        for attempt in range(2):
            gw = Gateway(config)
            await gw.start()
            adapter = gw.adapters.get("sms.smpp") or SmppAdapter(gw.ctx, config.adapters.sms)
            if "sms.smpp" not in gw.adapters:
                gw.adapters["sms.smpp"] = adapter
                await adapter.start()
            assert isinstance(adapter, SmppAdapter)
            await adapter.wait_bound()
            await raw.send(deliver_sm_bytes(100 + attempt, TEXT))
            assert (await raw.wait_for(resp_for(100 + attempt))).status == 0
            await asyncio.sleep(0.3)  # let the relay send the ack
            await gw.stop()
        assert len(Db(tmp_path).reports()) == 1
        submits = [p for p in raw.received if p.command_id == 0x00000004]
        assert len(submits) == 1
    finally:
        await raw.stop()


async def test_unsolicited_generic_nack_is_logged_and_session_continues(
    raw: RawSmsc, tmp_path: Path, gateway_factory: Callable[..., Any]
) -> None:
    await start_gateway(gateway_factory, tmp_path, raw.port)
    await raw.send(pdu(GENERIC_NACK, 999, status=0x03))
    await raw.send(deliver_sm_bytes(31, TEXT))
    assert (await raw.wait_for(resp_for(31))).status == 0
    assert raw.binds == 1


async def test_two_binds_reply_on_the_route_the_sms_came_in(
    tmp_path: Path, gateway_factory: Callable[..., Any]
) -> None:
    a, b = await SmscSim().start(), await SmscSim().start()
    try:
        second = {
            "name": "isat",
            "host": "127.0.0.1",
            "port": b.port,
            "system_id": "lapor",
            "enquire_link_s": 1.0,
            "response_timeout_s": 2.0,
        }
        overrides = sms_overrides(a.port)
        overrides["adapters"]["sms"]["smpp"]["binds"].append(second)
        harness = await gateway_factory(make_config(tmp_path, overrides))
        adapter = harness.gw.adapters["sms.smpp"]
        assert isinstance(adapter, SmppAdapter)
        await adapter.wait_bound()
        assert await b.deliver(TEXT, source_addr="6285600000001") == 0
        [ack] = await b.wait_submitted(1)
        assert ack.destination_addr == "6285600000001"
        assert a.submitted == []
        [report] = Db(tmp_path).reports()
        assert report["transport"] == "smpp:isat" and report["reply_to"]["route"] == "isat"
        await b.stop()
        b.drop()
        # route down: the reply falls back to the other bind
        await eventually(lambda: not adapter.binds["isat"].bound)
        await adapter.send(
            OutboundMessage(
                2,
                "status_update",
                None,
                ReplyAddress(adapter="sms.smpp", address="+6285600000001", route="isat"),
                "LAPOR! status",
            )
        )
        assert (await a.wait_submitted(1))[0].destination_addr == "6285600000001"
    finally:
        await a.stop()
        await b.stop()


def data_sm_bytes(seq: int, payload: bytes, esm_class: int = 0, tlvs: bytes = b"") -> bytes:
    body = (
        b"\x00\x01\x016281234567890\x00\x00\x001708\x00"
        + bytes((esm_class, 0, 0))
        + struct.pack(">HH", 0x0424, len(payload))
        + payload
        + tlvs
    )
    return pdu(0x00000103, seq, body)


async def test_data_sm_mo_is_filed_and_answered_data_sm_resp(
    raw: RawSmsc, tmp_path: Path, gateway_factory: Callable[..., Any]
) -> None:
    await start_gateway(gateway_factory, tmp_path, raw.port)
    await raw.send(data_sm_bytes(41, TEXT))
    resp = await raw.wait_for(lambda p: p.seq == 41 and p.command_id & 0x80000000)
    assert (resp.command_id, resp.status) == (0x80000103, 0)
    assert [r["text"] for r in Db(tmp_path).reports()] == [TEXT.decode()]
    cut = data_sm_bytes(42, TEXT)[:-5]  # the TLV overruns the (re-framed) PDU
    await raw.send(struct.pack(">L", len(cut)) + cut[4:])
    nack = await raw.wait_for(lambda p: p.seq == 42 and p.command_id & 0x80000000)
    assert (nack.command_id, nack.status) == (GENERIC_NACK, 0x02)


async def test_unreachable_smsc_retries_with_backoff_and_stops_promptly(
    tmp_path: Path, pipeline: Any
) -> None:
    from adapters.sms.config import SmsConfig
    from gateway.adapter import AdapterContext
    from tests.adapters.sms.smsc_sim import free_port

    port = free_port()  # nothing listens there
    config = SmsConfig.model_validate(sms_overrides(port)["adapters"]["sms"])
    ctx = AdapterContext(intake=pipeline, data_dir=tmp_path, country="ID", max_body_bytes=1024)
    adapter = SmppAdapter(ctx, config)
    await adapter.start()
    await asyncio.sleep(0.6)
    assert not adapter.health().ok
    assert "attempt" in adapter.health().detail and "failed" in adapter.health().detail
    assert "ConnectionRefusedError: Connection refused" in adapter.health().detail
    started = asyncio.get_running_loop().time()
    await adapter.stop()
    assert asyncio.get_running_loop().time() - started < 3.0


async def test_refused_bind_names_the_status_in_log_and_readyz_not_the_password(
    raw: RawSmsc,
    tmp_path: Path,
    gateway_factory: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    password = "Rahasia-8080"
    raw.bind_status = 0x0E  # ESME_RINVPASWD
    harness = await gateway_factory(
        make_config(tmp_path, sms_overrides(raw.port, password=password))
    )
    adapter = harness.gw.adapters.get("sms.smpp")
    if adapter is None:
        adapter = SmppAdapter(harness.gw.ctx, harness.gw.config.adapters.sms)
        harness.gw.adapters["sms.smpp"] = adapter
        await adapter.start()
    await raw.wait_for(lambda p: p.command_id == RawSmsc.BIND_TRX)
    refusal = "bind_transceiver refused: ESME_RINVPASWD (0x0000000E) Invalid Password"
    detail = await eventually(lambda: refusal in adapter.health().detail and adapter.health())
    assert not detail.ok
    status, body = await harness.get("/readyz")
    assert status == 503
    assert refusal in body["adapters"]["sms.smpp"]["detail"]
    logged = await eventually(
        lambda: [r for r in caplog.records if refusal in r.getMessage()], wait_s=2.0
    )
    assert "attempt 1 failed" in JsonFormatter().format(logged[0])
    assert password not in caplog.text and password not in json.dumps(body)


class GatedIntake:
    """The real pipeline behind a gate: every intake call of the receive path waits until
    the gate opens (a store that has stalled), so the test can count the deliver_sm handed
    out. The multipart sweeper's look-up is not gated."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        self.gate = asyncio.Event()
        self.waiting = 0

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.pipeline, name)
        if name == "expired_fragment_groups":
            return target

        async def gated(*args: Any, **kwargs: Any) -> Any:
            self.waiting += 1
            await self.gate.wait()
            return await target(*args, **kwargs)

        return gated


async def test_back_pressure_pauses_reading_at_max_inflight_without_threads(
    raw: RawSmsc, tmp_path: Path, pipeline: Any
) -> None:
    from adapters.sms.config import SmsConfig
    from gateway.adapter import AdapterContext

    config = SmsConfig.model_validate(sms_overrides(raw.port, max_inflight=3)["adapters"]["sms"])
    intake = GatedIntake(pipeline)
    ctx = AdapterContext(intake=intake, data_dir=tmp_path, country="ID", max_body_bytes=1024)
    adapter = SmppAdapter(ctx, config)
    threads = threading.active_count()
    await adapter.start()
    try:
        await adapter.wait_bound()
        await raw.send(b"".join(deliver_sm_bytes(200 + i, TEXTS[i]) for i in range(10)))
        await eventually(lambda: intake.waiting == 3)
        await asyncio.sleep(0.3)  # nothing more is handed out while the store is stalled
        assert intake.waiting == 3
        session = adapter.binds["tsel"].link
        assert session is not None and session.backpressured
        assert session.seems_alive(0.0)  # our slowness is not a dead link
        assert threading.active_count() == threads  # the session runs in the event loop
        intake.gate.set()
        for i in range(10):
            assert (await raw.wait_for(resp_for(200 + i))).status == 0
        assert not session.backpressured
        assert raw.binds == 1
    finally:
        await adapter.stop()
    assert len(Db(tmp_path).reports()) == 10

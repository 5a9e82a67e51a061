"""SMPP send path against the smpp34 simulator: acks through the real outbox relay,
throttling, permanent errors, delivery receipts, tps, segmentation and routing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import smpp34

from adapters.sms import udh
from adapters.sms.smpp import SmppAdapter
from gateway.adapter import OutboundMessage, SendError
from normalizer import ReplyAddress
from tests.adapters.sms.sms_harness import Db, eventually, start_gateway
from tests.adapters.sms.smsc_sim import SmscSim

COMPLAINT = b"Jalan rusak parah di depan SDN 3 sudah dua bulan"


@pytest.fixture
async def sim() -> AsyncIterator[SmscSim]:
    s = await SmscSim().start()
    yield s
    await s.stop()


def reject_first(n: int, status: int) -> Callable[[Any, int], tuple[str, Any]]:
    def policy(event: Any, count: int) -> tuple[str, Any]:
        return ("reject", status) if count <= n else ("accept", f"ok{count}")

    return policy


def message(
    text: str, route: str | None = "tsel", address: str = "+6281234567890"
) -> OutboundMessage:
    return OutboundMessage(
        1, "received", None, ReplyAddress(adapter="sms.smpp", address=address, route=route), text
    )


@pytest.mark.parametrize(
    "status",
    [
        pytest.param(smpp34.ESME_RTHROTTLED, id="throttled"),
        pytest.param(smpp34.ESME_RMSGQFUL, id="queue-full"),
    ],
)
async def test_throttling_backs_off_and_retries(
    sim: SmscSim, tmp_path: Path, gateway_factory: Callable[..., Any], status: int
) -> None:
    sim.policy = reject_first(2, status)
    await start_gateway(gateway_factory, tmp_path, sim.port)
    assert await sim.deliver(COMPLAINT) == 0
    [ok] = await sim.wait_submitted(1, wait_s=15)
    assert [s.status for s in sim.submitted] == [status, status, 0]
    gaps = [b.at - a.at for a, b in zip(sim.submitted, sim.submitted[1:], strict=False)]
    assert all(g >= 0.04 for g in gaps), gaps  # backed off between attempts
    rows = await eventually(lambda: [r for r in Db(tmp_path).acks() if r["state"] == "done"])
    assert rows[0]["message_id"] == ok.message_id


async def test_permanent_error_is_not_retried(
    sim: SmscSim, tmp_path: Path, gateway_factory: Callable[..., Any]
) -> None:
    sim.policy = lambda ev, n: ("reject", smpp34.ESME_RINVDSTADR)
    _, adapter = await start_gateway(gateway_factory, tmp_path, sim.port)
    with pytest.raises(SendError) as err:
        await adapter.send(message("halo"))
    assert err.value.retryable is False
    assert await sim.deliver(COMPLAINT) == 0
    rows = await eventually(
        lambda: [r for r in Db(tmp_path).acks() if r["state"] not in ("pending", "sending")]
    )
    await asyncio.sleep(0.3)
    assert len(sim.submitted) == 2  # one direct send, one ack: neither retried
    assert rows[0]["state"] == "dead"


@pytest.mark.parametrize(
    ("kwargs", "state"),
    [
        pytest.param(
            {
                "short_message_fn": lambda mid: (
                    f"id:{mid} sub:001 dlvrd:001 submit date:2611251200 "
                    f"done date:2611251201 stat:DELIVRD err:000 text:LAPOR!".encode()
                )
            },
            "delivered",
            id="text-format",
        ),
        pytest.param(
            {"tlv_state": 5, "short_message_fn": lambda mid: b""}, "undeliverable", id="tlvs"
        ),
    ],
)
async def test_delivery_receipt_updates_ack(
    sim: SmscSim,
    tmp_path: Path,
    gateway_factory: Callable[..., Any],
    kwargs: dict[str, Any],
    state: str,
) -> None:
    await start_gateway(gateway_factory, tmp_path, sim.port)
    assert await sim.deliver(COMPLAINT) == 0
    [ack] = await sim.wait_submitted(1)
    assert ack.registered_delivery == 1
    await eventually(lambda: [r for r in Db(tmp_path).acks() if r["message_id"] == ack.message_id])
    assert ack.message_id is not None
    tlvs = []
    if "tlv_state" in kwargs:
        tlvs = [
            smpp34.Tlv(smpp34.TLV_RECEIPTED_MESSAGE_ID, ack.message_id.encode() + b"\x00"),
            smpp34.Tlv(smpp34.TLV_MESSAGE_STATE, bytes([kwargs["tlv_state"]])),
        ]
    status = await sim.deliver(
        kwargs["short_message_fn"](ack.message_id), esm_class=0x04, tlvs=tlvs
    )
    assert status == 0
    assert Db(tmp_path).acks()[0]["delivery_state"] == state
    assert len(Db(tmp_path).reports()) == 1  # the receipt is not a citizen's SMS


async def test_receipt_without_id_is_ignored(
    sim: SmscSim, tmp_path: Path, gateway_factory: Callable[..., Any]
) -> None:
    await start_gateway(gateway_factory, tmp_path, sim.port)
    assert await sim.deliver(b"stat:DELIVRD", esm_class=0x04) == 0
    assert Db(tmp_path).reports() == []


async def test_send_respects_tps(
    sim: SmscSim, tmp_path: Path, gateway_factory: Callable[..., Any]
) -> None:
    _, adapter = await start_gateway(gateway_factory, tmp_path, sim.port, tps=5.0)
    started = time.monotonic()
    await asyncio.gather(*(adapter.send(message(f"pesan {i}")) for i in range(10)))
    elapsed = time.monotonic() - started
    assert elapsed >= 0.9  # burst of 5, then 5 more at 5/s
    ats = sorted(s.at for s in sim.submitted)
    # no window of one second holds more than burst + rate
    assert all(sum(1 for t in ats if a <= t < a + 1.0) <= 10 for a in ats)
    assert max(sum(1 for t in ats if a <= t < a + 0.5) for a in ats) <= 8


@pytest.mark.parametrize(
    ("text", "parts", "dc"),
    [
        pytest.param("a" * 152 + "€" + "b" * 40, 2, 0, id="gsm7-escape-at-boundary"),
        pytest.param("Status: " + "😀" * 40, 2, 8, id="ucs2-surrogates"),
    ],
)
async def test_long_reply_segmented(
    sim: SmscSim,
    tmp_path: Path,
    gateway_factory: Callable[..., Any],
    text: str,
    parts: int,
    dc: int,
) -> None:
    _, adapter = await start_gateway(gateway_factory, tmp_path, sim.port)
    result = await adapter.send(message(text))
    subs = await sim.wait_submitted(parts)
    assert result.message_id == subs[0].message_id
    assert all(s.esm_class == 0x40 and s.data_coding == dc for s in subs)
    bodies = []
    for s in subs:
        header, body = udh.parse(s.short_message)
        assert header.concat is not None and header.concat.total == parts
        bodies.append(body)
    if dc == 8:
        assert b"".join(bodies).decode("utf-16-be") == text
        assert all(len(b) % 4 == 0 or b.decode("utf-16-be") for b in bodies)
    else:
        from adapters.sms.codec import decode_gsm7

        assert [decode_gsm7(b)[1] for b in bodies] == [0, 0]
        assert "".join(decode_gsm7(b)[0] for b in bodies) == text


async def test_route_falls_back_to_any_bound_bind_and_bad_address(
    sim: SmscSim, tmp_path: Path, gateway_factory: Callable[..., Any]
) -> None:
    _, adapter = await start_gateway(gateway_factory, tmp_path, sim.port)
    assert isinstance(adapter, SmppAdapter)
    await adapter.send(message("halo", route="indosat"))
    [sub] = await sim.wait_submitted(1)
    assert sub.destination_addr == "6281234567890" and sub.dest_addr_ton == 1
    assert sub.source_addr == "1708"
    with pytest.raises(SendError) as err:
        await adapter.send(message("halo", address="TELKOMSEL"))
    assert err.value.retryable is False


async def test_send_when_unbound_is_retryable(
    sim: SmscSim, tmp_path: Path, gateway_factory: Callable[..., Any]
) -> None:
    _, adapter = await start_gateway(gateway_factory, tmp_path, sim.port)
    await sim.stop()
    sim.drop()
    await eventually(lambda: not adapter.health().ok)
    with pytest.raises(SendError) as err:
        await adapter.send(message("halo"))
    assert err.value.retryable is True


async def test_acks_do_not_wait_for_forwards_to_the_core(
    sim: SmscSim, tmp_path: Path, gateway_factory: Callable[..., Any], monkeypatch: Any
) -> None:
    """A forward that takes long (level-3 linking, a slow core) holds back no citizen's
    ack: the rows bound for the core have a relay of their own."""
    harness, _ = await start_gateway(gateway_factory, tmp_path, sim.port)
    store = harness.gw.store
    receive = store.embedded_core_receive
    release = asyncio.Event()

    async def slow_receive(tracking_id: str, payload: dict[str, Any]) -> str:
        await release.wait()
        return await receive(tracking_id, payload)

    monkeypatch.setattr(store, "embedded_core_receive", slow_receive)
    try:
        assert await sim.deliver(COMPLAINT, source_addr="6281200000001") == 0
        await sim.wait_submitted(1)
        assert await sim.deliver(COMPLAINT, source_addr="6281200000002") == 0
        acks = await sim.wait_submitted(2, wait_s=3)
        assert [a.destination_addr for a in acks] == ["6281200000001", "6281200000002"]
        assert Db(tmp_path).rows("SELECT * FROM core_cases") == []
    finally:
        release.set()
    await eventually(lambda: len(Db(tmp_path).rows("SELECT * FROM core_cases")) == 2)

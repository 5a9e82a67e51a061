"""The sms.gammu adapter against libgammu's real dummy phone (python-gammu, Model=dummy,
Connection=none, Device=<tmp folder>) and the real Pipeline on a SQLite file."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import gammu
import pytest
from prometheus_client import REGISTRY

from adapters.sms.config import GammuConfig, ModemConfig
from adapters.sms.gammu.adapter import GammuAdapter
from adapters.sms.gammu.device import ModemDevice, Signal, ensure_dummy_layout
from adapters.sms.gammu.inject import deliver_parts, read_sent, write_inbox
from adapters.sms.gammu.worker import ModemWorker
from gateway.adapter import AdapterContext, OutboundMessage, SendError
from gateway.pipeline import Pipeline
from normalizer.report import ReplyAddress

SENDER = "081234567890"
E164 = "+6281234567890"
LONG_GSM = "Jalan rusak parah di Jl. Merdeka no 5, lubang besar {sudah} 3 bulan. " * 5
LONG_UCS2 = "Lampu jalan mati 💡 sejak minggu lalu, warga takut lewat malam hari — tolong. " * 3


def inbox_files(device: Path) -> list[Path]:
    return sorted(p for f in ("1", "3") for p in (device / "sms" / f).glob("[0-9]*"))


def reports(db: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT body FROM reports ORDER BY created_at").fetchall()
    return [json.loads(r[0]) for r in rows]


def outbox(db: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM outbox ORDER BY id")]


def acks(db: Path) -> list[dict[str, Any]]:
    return [r for r in outbox(db) if r["kind"] == "ack"]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "lapor.db"


@pytest.fixture
async def make_adapter(
    pipeline: Pipeline, tmp_path: Path
) -> AsyncIterator[Callable[..., GammuAdapter]]:
    made: list[GammuAdapter] = []

    def factory(names: tuple[str, ...] = ("m1",), **settings: Any) -> GammuAdapter:
        modems = [
            ModemConfig(name=n, model="dummy", connection="none", device=f"modems/{n}", rate=50)
            for n in names
        ]
        cfg = GammuConfig(
            enabled=True,
            modems=modems,
            poll_interval_s=settings.pop("poll_interval_s", 0.05),
            reconnect_min_s=0.05,
            reconnect_max_s=0.2,
            **settings,
        )
        ctx = AdapterContext(
            intake=pipeline, data_dir=tmp_path / "data", country="ID", max_body_bytes=65536
        )
        adapter = GammuAdapter(ctx, cfg)
        made.append(adapter)
        return adapter

    yield factory
    for adapter in made:
        await adapter.stop()


def device_of(adapter: GammuAdapter, name: str = "m1") -> Path:
    return Path(next(w for w in adapter.workers if w.name == name).device.device)


async def connected(adapter: GammuAdapter) -> list[ModemWorker]:
    """Connect every worker without starting the poll loops (deterministic polling)."""
    for worker in adapter.workers:
        ensure_dummy_layout(worker.device.device)
        await worker.connect()
    return adapter.workers


async def test_single_gsm7_message_becomes_report_then_is_deleted(
    make_adapter: Callable[..., GammuAdapter], db: Path
) -> None:
    adapter = make_adapter()
    (worker,) = await connected(adapter)
    device = device_of(adapter)
    write_inbox(str(device), deliver_parts(SENDER, "Jalan rusak di depan pasar Baru"))
    assert len(inbox_files(device)) == 1

    assert await worker.poll_once() == 1

    (report,) = reports(db)
    assert report["text"] == "Jalan rusak di depan pasar Baru"
    assert report["reporter"]["phone"] == E164
    assert report["reply_to"] == {
        "adapter": "sms.gammu",
        "address": E164,
        "route": "m1",
        "in_reply_to": None,
        "mode": None,
    }
    assert report["transport"] == "gammu:m1"
    assert inbox_files(device) == []
    assert len(acks(db)) == 1


@pytest.mark.parametrize(
    "text", [pytest.param(LONG_GSM, id="gsm7"), pytest.param(LONG_UCS2, id="ucs2")]
)
async def test_multipart_message_is_linked_into_one_report(
    make_adapter: Callable[..., GammuAdapter], db: Path, text: str
) -> None:
    adapter = make_adapter()
    (worker,) = await connected(adapter)
    device = device_of(adapter)
    files = write_inbox(str(device), deliver_parts(SENDER, text))
    assert len(files) >= 2

    await worker.poll_once()

    (report,) = reports(db)
    assert report["text"] == " ".join(text.split())  # clean_text collapses whitespace only
    assert report["raw"]["parts"] == len(files)
    assert "missing_parts" not in report["raw"]
    assert inbox_files(device) == []
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM fragments").fetchone()[0] == 0


async def test_parts_arriving_in_separate_polls(
    make_adapter: Callable[..., GammuAdapter], db: Path
) -> None:
    adapter = make_adapter()
    (worker,) = await connected(adapter)
    device = str(device_of(adapter))
    parts = deliver_parts(SENDER, LONG_GSM)
    write_inbox(device, parts[1:2])
    await worker.poll_once()
    assert reports(db) == [] and inbox_files(Path(device)) == []  # stored, freed from the SIM
    write_inbox(device, [parts[0], *parts[2:]])
    await worker.poll_once()
    (report,) = reports(db)
    assert report["text"] == " ".join(LONG_GSM.split())


async def test_incomplete_multipart_becomes_report_after_timeout(
    make_adapter: Callable[..., GammuAdapter], db: Path
) -> None:
    adapter = make_adapter(multipart_timeout_s=0.3)
    (worker,) = await connected(adapter)
    device = device_of(adapter)
    parts = deliver_parts(SENDER, LONG_GSM)
    assert len(parts) == 3
    write_inbox(str(device), [parts[0], parts[2]])
    await worker.poll_once()
    assert reports(db) == []
    await asyncio.sleep(0.4)
    await worker.poll_once()
    (report,) = reports(db)
    assert "[...bagian 2/3 tidak diterima...]" in report["text"]
    assert report["raw"]["missing_parts"] == [2]
    # the late part, arriving after the partial report, is not lost: it is filed on its own
    write_inbox(str(device), [parts[1]])
    await worker.poll_once()
    assert inbox_files(device) == [] and len(reports(db)) == 1
    await asyncio.sleep(0.4)
    await worker.poll_once()
    late = reports(db)[1]
    assert late["raw"]["missing_parts"] == [1, 3]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM fragments").fetchone()[0] == 0


async def test_unicode_is_kept_exactly(make_adapter: Callable[..., GammuAdapter], db: Path) -> None:
    adapter = make_adapter()
    (worker,) = await connected(adapter)
    text = "Air PDAM keruh 💧 di RT 05 — sudah seminggu, ąčę"
    write_inbox(str(device_of(adapter)), deliver_parts(SENDER, text))
    await worker.poll_once()
    assert reports(db)[0]["text"] == text


async def test_sim_inbox_folder_is_read_too(
    make_adapter: Callable[..., GammuAdapter], db: Path
) -> None:
    adapter = make_adapter()
    (worker,) = await connected(adapter)
    write_inbox(
        str(device_of(adapter)), deliver_parts(SENDER, "Sampah menumpuk di pasar"), folder=1
    )
    await worker.poll_once()
    assert len(reports(db)) == 1


class Killed(BaseException):
    """Stands in for the process dying (kill -9) right after the commit."""


async def test_kill_between_store_and_delete_creates_nothing_new(
    make_adapter: Callable[..., GammuAdapter],
    db: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = make_adapter()
    (worker,) = await connected(first)
    device = device_of(first)
    write_inbox(str(device), deliver_parts(SENDER, "Pungli di kantor kelurahan setiap hari"))
    write_inbox(str(device), deliver_parts(SENDER, LONG_UCS2))

    def die(self: ModemDevice, folder: int, location: int) -> None:
        raise Killed

    with monkeypatch.context() as m:
        m.setattr(ModemDevice, "delete", die)
        with pytest.raises(Killed):
            await worker.poll_once()
    await first.stop()
    assert len(reports(db)) == 1  # the single one committed, then "killed"
    assert len(inbox_files(device)) >= 3  # nothing deleted

    second = make_adapter()  # a fresh process on the same device and database
    (again,) = await connected(second)
    await again.poll_once()
    texts = sorted(r["text"] for r in reports(db))
    assert len(texts) == 2
    assert inbox_files(device) == []
    assert len(acks(db)) == 2  # one ack each, no repeat


async def test_status_report_is_a_receipt_not_a_message(
    make_adapter: Callable[..., GammuAdapter], db: Path
) -> None:
    adapter = make_adapter()
    (worker,) = await connected(adapter)
    device = str(device_of(adapter))
    write_inbox(device, deliver_parts(SENDER, "Jembatan putus di desa Sukamaju"))
    await worker.poll_once()
    ack = acks(db)[0]
    sent = await adapter.send(
        OutboundMessage(
            outbox_id=ack["id"],
            kind="ack",
            tracking_id=ack["tracking_id"],
            reply_to=ReplyAddress(adapter="sms.gammu", address=E164, route="m1"),
            text="Terima kasih",
        )
    )
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE outbox SET message_id = ? WHERE id = ?", (sent.message_id, ack["id"]))
    (report,) = deliver_parts(E164, "")
    report.update(Type="Status_Report", MessageReference=255, DeliveryStatus=0)
    path = Path(device) / "sms" / "3" / "1"
    gammu.SaveSMSBackup(str(path), [report])
    await worker.poll_once()
    assert len(reports(db)) == 1
    assert acks(db)[0]["delivery_state"] == "delivered"
    assert not path.exists()


async def test_bad_input_is_skipped_without_losing_the_rest(
    make_adapter: Callable[..., GammuAdapter], db: Path
) -> None:
    adapter = make_adapter()
    (worker,) = await connected(adapter)
    device = device_of(adapter)
    inbox = device / "sms" / "3"
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "1").write_text("[SMSBackup000]\nthis is not a message\n")
    (inbox / "2").write_bytes(b"")
    future = datetime.now(UTC) + timedelta(days=3)
    write_inbox(
        str(device), deliver_parts("ABCDEF-GARBAGE", "Parkir liar di trotoar depan sekolah")
    )
    write_inbox(str(device), deliver_parts(SENDER, "Banjir di perumahan", at=future))
    write_inbox(str(device), deliver_parts(SENDER, ""))
    await worker.poll_once()
    await worker.poll_once()  # a second poll changes nothing and does not crash
    got = reports(db)
    assert sorted(r["text"] for r in got) == [
        "Banjir di perumahan",
        "Parkir liar di trotoar depan sekolah",
    ]
    banjir = next(r for r in got if r["text"].startswith("Banjir"))
    assert datetime.fromisoformat(banjir["received_at"]) < future - timedelta(days=2)
    garbage = next(r for r in got if r["text"].startswith("Parkir"))
    assert garbage["reply_to"] is None and garbage["raw"]["unanswerable_sender"] is True
    # corrupt files stay (never delete what was not stored); good ones are gone
    assert sorted(p.name for p in inbox_files(device)) == ["1", "2"]
    # the empty text got the help answer
    assert any(r["tracking_id"] is None for r in acks(db))
    assert worker.up


async def test_send_uses_unicode_when_needed_and_logs_to_sent_log(
    make_adapter: Callable[..., GammuAdapter],
) -> None:
    adapter = make_adapter()
    (worker,) = await connected(adapter)
    texts = ["LAPOR! Laporan Anda diterima. No: 1234-5678-9012", "Terima kasih 🙏 " * 10]
    for i, text in enumerate(texts):
        await adapter.send(
            OutboundMessage(
                outbox_id=i,
                kind="ack",
                tracking_id=None,
                reply_to=ReplyAddress(adapter="sms.gammu", address=SENDER, route="m1"),
                text=text,
            )
        )
    log = read_sent(str(device_of(adapter)))
    assert [r["text"] for r in log] == texts
    assert [r["parts"] for r in log] == [1, 3]
    assert {r["to"] for r in log} == {E164}
    encoded = worker.device.encode(E164, texts[1])
    assert {p["Coding"] for p in encoded} == {"Unicode_No_Compression"}
    assert {p["Type"] for p in encoded} == {"Status_Report"}  # TP-SRR: delivery report wanted
    assert "".join(p["Text"] for p in encoded) == texts[1]


async def test_send_spreads_over_modems_and_fails_over(
    make_adapter: Callable[..., GammuAdapter],
) -> None:
    adapter = make_adapter(names=("m1", "m2", "m3"))
    workers = await connected(adapter)
    for worker in workers:
        worker.modem = worker.modem.model_copy(update={"rate": 2.0})

    def msg(i: int, route: str | None = None) -> OutboundMessage:
        return OutboundMessage(
            outbox_id=i,
            kind="ack",
            tracking_id=None,
            reply_to=ReplyAddress(adapter="sms.gammu", address=E164, route=route),
            text=f"ack {i}",
        )

    results = await asyncio.gather(*(adapter.send(msg(i)) for i in range(3)))
    used = {r.message_id.split(":")[0] for r in results if r.message_id}
    assert used == {"m1", "m2", "m3"}

    # m2 unplugged: its sends go elsewhere; all unplugged: retryable error
    shutil.rmtree(device_of(adapter, "m2"))
    workers[1].device.disconnect()  # libgammu would fail on the next command

    def gone(*_: Any) -> int:
        raise gammu.ERR_DEVICENOTEXIST({"Text": "gone", "Where": "SendSMS", "Code": 4})

    workers[1].device._sm = type("Dead", (), {"SendSMS": gone, "Terminate": lambda s: None})()
    result = await adapter.send(msg(10, route="m2"))
    assert result.message_id and not result.message_id.startswith("m2:")
    assert not workers[1].up and workers[1].last_error == "device_gone"
    for worker in workers:
        worker.up = False
    with pytest.raises(SendError) as err:
        await adapter.send(msg(11))
    assert err.value.retryable


async def test_unanswerable_recipient_is_not_retryable(
    make_adapter: Callable[..., GammuAdapter],
) -> None:
    adapter = make_adapter()
    await connected(adapter)
    with pytest.raises(SendError) as err:
        await adapter.send(
            OutboundMessage(
                outbox_id=1,
                kind="ack",
                tracking_id=None,
                reply_to=ReplyAddress(adapter="sms.gammu", address="TELKOMSEL"),
                text="x",
            )
        )
    assert not err.value.retryable


async def test_several_modems_each_read_their_own_inbox(
    make_adapter: Callable[..., GammuAdapter], db: Path
) -> None:
    adapter = make_adapter(names=("m1", "m2"))
    await adapter.start()
    write_inbox(
        str(device_of(adapter, "m1")), deliver_parts(SENDER, "Jalan berlubang di Jl. Sudirman")
    )
    write_inbox(str(device_of(adapter, "m2")), deliver_parts("+6285711112222", LONG_UCS2))
    for _ in range(100):
        if len(reports(db)) == 2:
            break
        await asyncio.sleep(0.05)
    got = {r["raw"]["modem"]: r for r in reports(db)}
    assert set(got) == {"m1", "m2"}
    assert got["m2"]["reply_to"]["route"] == "m2"
    health = adapter.health()
    assert health.ok and "m1: ok" in health.detail and "(simulated)" in health.detail
    assert health.extra["modems"]["m1"]["signal_percent"] == 42
    # read from libgammu's dummy phone: GetNetworkInfo's name, GetSecurityStatus None = ready
    assert health.extra["modems"]["m1"]["operator"] == "GammuT3l"
    assert health.extra["modems"]["m1"]["sim"] == "ready"


class _SimWaitingForPuk:
    """libgammu's dummy never locks its SIM, so a modem whose SIM waits for a PUK is
    simulated at the state-machine calls ``ModemDevice.signal`` makes."""

    def GetSignalQuality(self) -> dict[str, int]:
        return {"SignalPercent": 61}

    def GetNetworkInfo(self) -> dict[str, str]:
        return {"State": "NoNetwork", "NetworkCode": "510 10"}

    def GetSecurityStatus(self) -> str:
        return "PUK"


def test_a_sim_waiting_for_a_code_and_an_unnamed_network_are_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ModemDevice, "_machine", lambda self: _SimWaitingForPuk())
    device = ModemDevice.__new__(ModemDevice)
    assert ModemDevice.signal(device) == Signal(
        percent=61, registered=False, network_state="NoNetwork", operator="510 10", sim="PUK"
    )


async def test_device_folder_disappears_and_returns(
    make_adapter: Callable[..., GammuAdapter], db: Path
) -> None:
    adapter = make_adapter()
    await adapter.start()
    device = device_of(adapter)
    (worker,) = adapter.workers

    async def until(cond: Callable[[], bool]) -> None:
        for _ in range(200):
            if cond():
                return
            await asyncio.sleep(0.02)
        raise AssertionError("condition not reached")

    await until(lambda: worker.up)
    shutil.rmtree(device)
    await until(lambda: not worker.up)
    health = adapter.health()
    assert not health.ok and "device_gone" in health.detail

    device.mkdir()  # plugged back in, empty
    write_inbox(str(device), deliver_parts(SENDER, "Laporan setelah modem kembali"))
    await until(lambda: worker.up and len(reports(db)) == 1)
    assert adapter.health().ok
    assert reports(db)[0]["text"] == "Laporan setelah modem kembali"


async def test_no_network_shows_in_health_and_metrics(
    make_adapter: Callable[..., GammuAdapter], monkeypatch: pytest.MonkeyPatch
) -> None:
    # libgammu's dummy is always registered; the modem's answer is what is simulated here
    adapter = make_adapter(names=("m1", "m2"))
    m1, _m2 = await connected(adapter)
    monkeypatch.setattr(
        ModemDevice,
        "signal",
        lambda self: Signal(percent=3, registered=False, network_state="NoNetwork"),
    )
    await m1.refresh_signal()
    health = adapter.health()
    assert health.ok  # m2 still serves
    assert "m1: no_network" in health.detail
    assert health.extra["modems"]["m1"]["ok"] is False
    assert REGISTRY.get_sample_value("lapor_gammu_network_registered", {"modem": "m1"}) == 0
    assert REGISTRY.get_sample_value("lapor_gammu_signal_percent", {"modem": "m1"}) == 3
    assert [w.name for w in adapter._candidates("m1")] == ["m2", "m1"]


async def test_file_holding_two_messages_is_deleted_only_after_both_are_stored(
    make_adapter: Callable[..., GammuAdapter], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    adapter = make_adapter()
    (worker,) = await connected(adapter)
    device = device_of(adapter)
    (a,) = deliver_parts(SENDER, "Jalan rusak di RT 01 sudah lama")
    (b,) = deliver_parts("+6285711112222", "Drainase tersumbat di RT 02")
    path = device / "sms" / "3" / "1"
    gammu.SaveSMSBackup(str(path), [a, b])

    real = worker.conversation.handle

    async def fail_on_b(sms: Any) -> Any:
        if sms.text.startswith("Drainase"):
            raise ValueError("simulated bug")
        return await real(sms)

    with monkeypatch.context() as m:
        m.setattr(worker.conversation, "handle", fail_on_b)
        await worker.poll_once()
    assert len(reports(db)) == 1 and path.exists()  # b not stored: the file stays

    worker._poisoned.clear()  # as after a restart with the bug fixed
    await worker.poll_once()
    assert len(reports(db)) == 2 and not path.exists()

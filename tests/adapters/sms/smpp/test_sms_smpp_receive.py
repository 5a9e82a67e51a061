"""SMPP receive path against the smpp34 SMSC simulator, through the real Pipeline/SQLite.

Every test: the simulator sends deliver_sm over 127.0.0.1, we check our deliver_sm_resp
status, what was committed, and the ack the simulator received as submit_sm.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import smpp34

from adapters.sms import udh
from adapters.sms.codec import encode_gsm7
from adapters.sms.smpp.pdu import ESME_ROK, ESME_RX_T_APPN
from normalizer.tracking import display
from tests.adapters.sms.sms_harness import Db, eventually, start_gateway
from tests.adapters.sms.smsc_sim import SmscSim

COMPLAINT = "Jalan rusak parah di depan SDN 3 sudah dua bulan"


@pytest.fixture
async def sim() -> AsyncIterator[SmscSim]:
    s = await SmscSim().start()
    yield s
    await s.stop()


@pytest.fixture
async def gw(sim: SmscSim, tmp_path: Path, gateway_factory: Callable[..., Any]) -> Any:
    harness, adapter = await start_gateway(gateway_factory, tmp_path, sim.port)
    return harness, adapter


def tlv(tag: int, value: bytes) -> smpp34.Tlv:
    return smpp34.Tlv(tag, value)


@pytest.mark.parametrize(
    ("short_message", "fields", "text"),
    [
        pytest.param(
            encode_gsm7("Harga beras € 10.000 {naik} @pasar Ñ"),
            {},
            "Harga beras € 10.000 {naik} @pasar Ñ",
            id="gsm7-extension",
        ),
        pytest.param(
            "Pelayanan caf\xe9 desa buruk sekali".encode("latin-1"),
            {"data_coding": 3},
            "Pelayanan café desa buruk sekali",
            id="latin1",
        ),
        pytest.param(
            b"Lampu jalan mati semua sejak senin",
            {"data_coding": 1},
            "Lampu jalan mati semua sejak senin",
            id="ia5",
        ),
        pytest.param(
            "Banjir lagi di RT 05 😡🌊 tolong".encode("utf-16-be"),
            {"data_coding": 8},
            "Banjir lagi di RT 05 😡🌊 tolong",
            id="ucs2-emoji-surrogates",
        ),
        pytest.param(
            b"Sampah menumpuk di pasar induk",
            {"data_coding": 0xF1},
            "Sampah menumpuk di pasar induk",
            id="dcs-f1-class1",
        ),
        pytest.param(
            b"Puskesmas tutup \x80\x81 pada jam kerja",
            {},
            "Puskesmas tutup \ufffd\ufffd pada jam kerja",
            id="invalid-bytes-replaced",
        ),
        pytest.param(
            b"",
            {"tlvs": [tlv(smpp34.TLV_MESSAGE_PAYLOAD, b"Air PDAM keruh " * 30)]},
            ("Air PDAM keruh " * 30).strip(),
            id="message-payload-tlv",
        ),
    ],
)
async def test_encodings_become_reports(
    sim: SmscSim, gw: Any, tmp_path: Path, short_message: bytes, fields: dict[str, Any], text: str
) -> None:
    assert await sim.deliver(short_message, **fields) == ESME_ROK
    [report] = Db(tmp_path).reports()
    assert report["text"] == text
    assert report["channel"] == "sms" and report["transport"] == "smpp:tsel"
    assert report["reporter"]["phone"] == "+6281234567890"
    assert report["reply_to"] == {
        "adapter": "sms.smpp",
        "address": "+6281234567890",
        "route": "tsel",
        "in_reply_to": None,
        "mode": None,
    }
    [ack] = await sim.wait_submitted(1)
    assert ack.destination_addr == "6281234567890" and ack.dest_addr_ton == 1
    assert ack.data_coding == 0 and ack.esm_class == 0 and len(ack.short_message) <= 160
    assert display(report["tracking_id"]).encode() in ack.short_message


async def test_redelivery_is_absorbed(sim: SmscSim, gw: Any, tmp_path: Path) -> None:
    for _ in range(3):
        assert await sim.deliver(COMPLAINT.encode()) == ESME_ROK
    assert len(Db(tmp_path).reports()) == 1
    await sim.wait_submitted(1)
    await asyncio.sleep(0.3)
    assert len([s for s in sim.submitted if s.status == 0]) == 1


def _at(day: int, hms: str) -> datetime:
    h, m, sec = (int(x) for x in hms.split(":"))
    return datetime(2026, 11, day, h, m, sec, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "first", "second", "age_s", "filed"),
    [
        pytest.param(COMPLAINT, _at(29, "23:59:50"), _at(30, "00:00:10"), 20, 1, id="midnight"),
        pytest.param(
            COMPLAINT, _at(29, "12:00:00"), _at(30, "11:00:00"), 82_800, 1, id="23h-later"
        ),
        pytest.param(
            COMPLAINT, _at(29, "00:30:00"), _at(30, "00:40:00"), 87_000, 2, id="24h10m-later"
        ),
        pytest.param(
            COMPLAINT, _at(28, "23:59:50"), _at(30, "00:00:10"), 86_420, 2, id="two-dates-later"
        ),
        pytest.param("CEK 12345", _at(29, "10:09:55"), _at(29, "10:10:05"), 10, 1, id="query-edge"),
        pytest.param("CEK 12345", _at(29, "10:05:00"), _at(29, "10:16:00"), 660, 2, id="query-11m"),
    ],
)
async def test_redelivery_across_a_bucket_edge_is_absorbed(
    sim: SmscSim,
    gw: Any,
    tmp_path: Path,
    text: str,
    first: datetime,
    second: datetime,
    age_s: float,
    filed: int,
) -> None:
    """The SMSC redelivers a deliver_sm whose resp it lost; the clock may have crossed UTC
    midnight (or a query's 10-minute edge) in between. *age_s* ages the first copy's key in
    the store by the time between the copies (the store's clock is the real one)."""
    _, adapter = gw
    now = [first]
    adapter.clock = lambda: now[0]
    assert await sim.deliver(text.encode()) == ESME_ROK
    with sqlite3.connect(tmp_path / "lapor.db") as con:
        con.execute("UPDATE inbound_keys SET created_at = created_at - ?", (age_s,))
    now[0] = second
    assert await sim.deliver(text.encode()) == ESME_ROK
    if text == COMPLAINT:
        assert len(Db(tmp_path).reports()) == filed
    await sim.wait_submitted(filed)
    await asyncio.sleep(0.3)
    assert len([s for s in sim.submitted if s.status == 0]) == filed


def udh8(ref: int, total: int, part: int) -> bytes:
    return udh.build_concat(ref, total, part)


async def test_multipart_udh8_out_of_order_interleaved(
    sim: SmscSim, gw: Any, tmp_path: Path
) -> None:
    a = ["Jalan di desa kami ", "rusak sejak tahun lalu ", "dan belum diperbaiki."]
    b = ["Sekolah kekurangan guru ", "honorer belum digaji."]
    other = {"source_addr": "6285700000001"}
    sends = [
        (udh8(7, 3, 3) + a[2].encode(), {}),
        (udh8(7, 2, 2) + b[1].encode(), other),
        (udh8(7, 3, 1) + a[0].encode(), {}),
        (udh8(7, 3, 1) + a[0].encode(), {}),  # repeated part absorbed
        (udh8(7, 2, 1) + b[0].encode(), other),
        (udh8(7, 3, 2) + a[1].encode(), {}),
    ]
    for payload, extra in sends:
        assert await sim.deliver(payload, esm_class=0x40, **extra) == ESME_ROK
    texts = sorted(r["text"] for r in Db(tmp_path).reports())
    assert texts == sorted(["".join(a), "".join(b)])
    await sim.wait_submitted(2)


async def test_late_redelivered_part_of_a_filed_message_is_absorbed(
    sim: SmscSim, gw: Any, tmp_path: Path
) -> None:
    _, adapter = gw
    chunks = [b"Guru honorer belum ", b"digaji enam bulan."]
    for n in (1, 2):
        assert await sim.deliver(udh8(21, 2, n) + chunks[n - 1], esm_class=0x40) == 0
    await sim.wait_submitted(1)
    # the SMSC lost our resp for part 2 and redelivers it
    assert await sim.deliver(udh8(21, 2, 2) + chunks[1], esm_class=0x40) == 0
    assert await adapter.sweep(older_than_s=0) == 1  # re-files (a repeat) and drops
    assert not Db(tmp_path).rows("SELECT * FROM fragments")
    assert [r["text"] for r in Db(tmp_path).reports()] == ["Guru honorer belum digaji enam bulan."]
    await asyncio.sleep(0.3)
    assert len([s for s in sim.submitted if s.status == 0]) == 1


async def test_multipart_udh16_ucs2_surrogate_split_across_parts(
    sim: SmscSim, gw: Any, tmp_path: Path
) -> None:
    data = "Listrik padam 3 hari 😡 mohon ditindak".encode("utf-16-be")
    cut = data.index("😡".encode("utf-16-be")) + 2  # a sloppy sender splits the pair
    parts = [data[:cut], data[cut:]]
    for n in (2, 1):
        payload = udh.build_concat(0xBEEF, 2, n, ref16=True) + parts[n - 1]
        assert await sim.deliver(payload, esm_class=0x40, data_coding=8) == ESME_ROK
    [report] = Db(tmp_path).reports()
    assert report["text"] == "Listrik padam 3 hari 😡 mohon ditindak"
    assert report["raw"]["parts"] == 2


async def test_multipart_sar_tlvs(sim: SmscSim, gw: Any, tmp_path: Path) -> None:
    chunks = [b"Pungutan liar di kantor ", b"kelurahan setiap urus KTP."]
    for n in (2, 1):
        tlvs = [
            tlv(smpp34.TLV_SAR_MSG_REF_NUM, (513).to_bytes(2, "big")),
            tlv(smpp34.TLV_SAR_TOTAL_SEGMENTS, b"\x02"),
            tlv(smpp34.TLV_SAR_SEGMENT_SEQNUM, bytes([n])),
            tlv(0x1401, b"vendor"),  # unknown TLV must not break parsing
        ]
        assert await sim.deliver(chunks[n - 1], tlvs=tlvs) == ESME_ROK
    [report] = Db(tmp_path).reports()
    assert report["text"] == "Pungutan liar di kantor kelurahan setiap urus KTP."


async def test_partial_multipart_expires_with_missing_part_marked(
    sim: SmscSim, gw: Any, tmp_path: Path
) -> None:
    _, adapter = gw
    for n, chunk in ((1, b"Bantuan sosial tidak "), (3, b" oleh kepala desa.")):
        assert await sim.deliver(udh8(9, 3, n) + chunk, esm_class=0x40) == ESME_ROK
    assert Db(tmp_path).reports() == []
    assert await adapter.sweep(older_than_s=0) == 1
    [report] = Db(tmp_path).reports()
    assert report["text"].startswith("Bantuan sosial tidak")
    assert "bagian 2/3 tidak diterima" in report["text"]
    assert report["raw"]["missing_parts"] == [2]
    assert not Db(tmp_path).rows("SELECT * FROM fragments")


@pytest.mark.parametrize(
    ("payload", "reason", "text"),
    [
        pytest.param(b"\x20\x00\x03\x01\x02\x01Halo", "udh_overrun", None, id="udh-overrun"),
        pytest.param(
            b"\x05\x00\x03\x01\x02\x05Jembatan putus total di desa",
            "part_gt_total",
            "Jembatan putus total di desa",
            id="part-gt-total",
        ),
        pytest.param(
            b"\x05\x00\x03\x01\x00\x01Jembatan putus total di desa",
            "zero_total",
            "Jembatan putus total di desa",
            id="zero-total",
        ),
    ],
)
async def test_bad_udh_is_kept_as_single_sms(
    sim: SmscSim, gw: Any, tmp_path: Path, payload: bytes, reason: str, text: str | None
) -> None:
    long_payload = payload + b" dan warga terisolasi"
    assert await sim.deliver(long_payload, esm_class=0x40) == ESME_ROK
    [report] = Db(tmp_path).reports()
    assert report["raw"]["udh_error"] == reason
    if text is not None:
        assert report["text"] == text + " dan warga terisolasi"


@pytest.mark.parametrize(
    ("sender", "ton"),
    [pytest.param("9" * 30, 1, id="thirty-digits"), pytest.param("TELKOMSEL", 5, id="alnum")],
)
async def test_unanswerable_senders_stored_never_answered(
    sim: SmscSim, gw: Any, tmp_path: Path, sender: str, ton: int
) -> None:
    assert await sim.deliver(COMPLAINT.encode(), source_addr=sender, source_addr_ton=ton) == 0
    [report] = Db(tmp_path).reports()
    assert report["reply_to"] is None and report["reporter"]["phone"] is None
    assert report["raw"]["sender"] == sender and report["raw"]["unanswerable_sender"]
    assert await sim.deliver(b"CEK 1234-5678-9012", source_addr=sender, source_addr_ton=ton) == 0
    await asyncio.sleep(0.3)
    assert sim.submitted == [] and Db(tmp_path).acks() == []


async def test_keywords_flags_and_region(sim: SmscSim, gw: Any, tmp_path: Path) -> None:
    assert await sim.deliver(b"#LAPOR RAHASIA ANONIM PAPUA " + COMPLAINT.encode()) == 0
    [report] = Db(tmp_path).reports()
    assert report["text"] == COMPLAINT
    assert report["anonymous"] and report["confidential"]
    assert report["location"]["region"] == "Papua"


async def test_status_queries(sim: SmscSim, gw: Any, tmp_path: Path) -> None:
    assert await sim.deliver(COMPLAINT.encode()) == 0
    [report] = Db(tmp_path).reports()
    tid = report["tracking_id"]
    await sim.wait_submitted(1)
    bad = tid[:-1] + str((int(tid[-1]) + 1) % 10)
    assert await sim.deliver(f"cek {display(tid)}".encode()) == 0
    assert await sim.deliver(f"STATUS #{bad}".encode()) == 0
    assert await sim.deliver(b"CEK 1111-1111-1111", source_addr="6285700000009") == 0
    subs = await sim.wait_submitted(4)
    texts = [s.short_message.decode() for s in subs[1:]]
    assert any(display(tid) in t and "diterima" in t for t in texts), texts
    assert any("salah ketik" in t for t in texts), texts
    assert len(Db(tmp_path).reports()) == 1  # queries create no report


async def test_typo_reply_quotes_the_id_as_the_citizen_typed_it(
    sim: SmscSim, gw: Any, tmp_path: Path
) -> None:
    typed = ["12345", "123456789012", "4802 1593 6670"]
    for n, raw_id in enumerate(typed):
        sender = f"62857000001{n:02d}"
        assert await sim.deliver(f"CEK {raw_id}".encode(), source_addr=sender) == 0
    subs = await sim.wait_submitted(len(typed))
    replies = {s.destination_addr: s.short_message.decode() for s in subs}
    for n, raw_id in enumerate(typed):
        assert f"Nomor {raw_id} salah ketik" in replies[f"62857000001{n:02d}"], replies


async def test_help_and_stop(sim: SmscSim, gw: Any, tmp_path: Path) -> None:
    assert await sim.deliver(b"BANTUAN") == 0
    assert await sim.deliver(b"") == 0  # empty message gets the help text
    assert await sim.deliver(b"STOP", source_addr="6285700000002") == 0
    subs = await sim.wait_submitted(3)
    assert Db(tmp_path).reports() == []
    assert Db(tmp_path).rows("SELECT * FROM opt_outs WHERE identity = ?", ("phone:+6285700000002",))
    texts = [s.short_message.decode() for s in subs]
    assert any("ketik keluhan" in t for t in texts) and any("tidak akan" in t for t in texts)


async def test_store_unavailable_answers_rx_t_appn_then_redelivery_files(
    sim: SmscSim, gw: Any, tmp_path: Path
) -> None:
    harness, _ = gw
    await harness.gw.store.close()
    assert await sim.deliver(COMPLAINT.encode()) == ESME_RX_T_APPN
    assert await sim.deliver(udh8(3, 2, 1) + b"bagian satu", esm_class=0x40) == ESME_RX_T_APPN
    await harness.gw.store.open()
    assert await sim.deliver(COMPLAINT.encode()) == ESME_ROK
    assert len(Db(tmp_path).reports()) == 1


async def test_flood_from_one_number_answers_everything(
    sim: SmscSim, gw: Any, tmp_path: Path
) -> None:
    statuses = await asyncio.gather(
        *(sim.deliver(f"Keluhan nomor {i} tentang antrean puskesmas".encode()) for i in range(300))
    )
    assert statuses == [ESME_ROK] * 300
    assert len(Db(tmp_path).reports()) == 300


async def test_sweeper_files_expired_partial_on_its_own(
    sim: SmscSim, tmp_path: Path, gateway_factory: Callable[..., Any]
) -> None:
    await start_gateway(
        gateway_factory,
        tmp_path,
        sim.port,
        smpp={"multipart_timeout_s": 0.3, "sweep_interval_s": 0.1},
    )
    assert await sim.deliver(udh8(11, 2, 1) + b"Dana desa diselewengkan ", esm_class=0x40) == 0
    [report] = await eventually(lambda: Db(tmp_path).reports())
    assert "bagian 2/2 tidak diterima" in report["text"]
    await sim.wait_submitted(1)  # the citizen still gets a tracking ID


async def test_logs_carry_no_password_number_or_confidential_text(
    sim: SmscSim, tmp_path: Path, gateway_factory: Callable[..., Any], caplog: Any
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    await start_gateway(gateway_factory, tmp_path, sim.port)
    assert await sim.deliver(b"RAHASIA Kepala dinas minta uang pelicin izin usaha") == 0
    await sim.wait_submitted(1)
    logged = "\n".join(r.getMessage() + " " + str(r.__dict__) for r in caplog.records)
    assert "secret" not in logged.replace("test-", "")
    assert "6281234567890" not in logged and "+6281234567890" not in logged
    assert "pelicin" not in logged
    for secret in (b"secret", b"6281234567890", b"pelicin"):  # smpplib logs PDUs in hex
        assert secret.hex() not in logged


async def test_stop_unbinds_cleanly(sim: SmscSim, gw: Any) -> None:
    _, adapter = gw
    esme = await sim.wait_bound()
    assert await sim.deliver(COMPLAINT.encode()) == 0
    await adapter.stop()
    await eventually(lambda: sim.unbound >= 1 or esme not in sim.sessions)
    assert not adapter.health().ok


async def test_metrics_exported(sim: SmscSim, gw: Any) -> None:
    from prometheus_client import REGISTRY

    harness, _ = gw
    labels = {"bind": "tsel", "kind": "message", "status": "0x00"}
    before = REGISTRY.get_sample_value("lapor_smpp_deliver_sm_total", labels) or 0.0
    assert await sim.deliver(COMPLAINT.encode()) == 0
    await sim.wait_submitted(1)
    assert REGISTRY.get_sample_value("lapor_smpp_deliver_sm_total", labels) == before + 1
    status, text = await harness.get("/metrics")
    assert status == 200
    assert 'lapor_smpp_bound{bind="tsel"} 1.0' in text
    assert 'lapor_smpp_submit_sm_total{bind="tsel",result="ok"}' in text

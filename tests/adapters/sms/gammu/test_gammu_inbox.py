"""Pure parts of the Gammu adapter: UDH concat info, identities, assembly, receipt states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import gammu
import pytest

from adapters.sms import multipart
from adapters.sms.gammu.errors import ErrorKind, ModemError, classify
from adapters.sms.gammu.inbox import (
    Concat,
    PartKind,
    concat_info,
    delivery_state,
    encode_part_text,
    group_name,
    multipart_id,
    parse_part,
    part_meta,
    single_id,
)
from gateway.adapter import Fragment

T0 = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)


def raw_sms(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "Type": "Deliver",
        "Location": 30001,
        "Folder": 3,
        "InboxFolder": 1,
        "Number": "+6281234567890",
        "DateTime": T0,
        "Text": "Jalan rusak di depan pasar",
        "UDH": {"Type": "NoUDH", "ID8bit": 5, "ID16bit": -1, "PartNumber": 1, "AllParts": 1},
        "MessageReference": 0,
        "DeliveryStatus": 0,
        "Coding": "Default_No_Compression",
    }
    base.update(over)
    return base


@pytest.mark.parametrize(
    ("udh", "expected"),
    [
        pytest.param(None, None, id="none"),
        pytest.param({"Type": "NoUDH"}, None, id="no-udh"),
        pytest.param(
            {"Type": "ConcatenatedMessages", "ID8bit": 7, "PartNumber": 2, "AllParts": 3},
            Concat(7, 2, 3, 8),
            id="8bit",
        ),
        pytest.param(
            {"Type": "ConcatenatedMessages16bit", "ID16bit": 4745, "PartNumber": 1, "AllParts": 2},
            Concat(4745, 1, 2, 16),
            id="16bit",
        ),
        pytest.param(
            {"Type": "ConcatenatedMessages", "ID8bit": 7, "PartNumber": 4, "AllParts": 3},
            None,
            id="part-beyond-total",
        ),
        pytest.param(
            {"Type": "ConcatenatedMessages", "ID8bit": 7, "PartNumber": 1, "AllParts": 1},
            None,
            id="one-of-one",
        ),
    ],
)
def test_concat_info(udh: dict[str, object] | None, expected: Concat | None) -> None:
    assert concat_info(udh) == expected


@pytest.mark.parametrize(
    ("pdu", "kind"),
    [
        pytest.param("Deliver", PartKind.DELIVER, id="deliver"),
        pytest.param("Status_Report", PartKind.STATUS_REPORT, id="status-report"),
        pytest.param("Submit", PartKind.OTHER, id="submit"),
    ],
)
def test_parse_kind(pdu: str, kind: PartKind) -> None:
    assert parse_part("m1", raw_sms(Type=pdu)).kind is kind


def test_naive_and_offset_timestamps_become_utc() -> None:
    naive = parse_part("m1", raw_sms(DateTime=datetime(2026, 11, 25, 10, 0)))
    wib = parse_part(
        "m1", raw_sms(DateTime=datetime(2026, 11, 25, 17, 0, tzinfo=timezone(timedelta(hours=7))))
    )
    assert naive.sent_at == T0 == wib.sent_at


def test_single_id_ignores_location_but_not_content() -> None:
    a = parse_part("m1", raw_sms(Location=30001))
    moved = parse_part("m1", raw_sms(Location=10004, Folder=1))
    other_text = parse_part("m1", raw_sms(Text="Lampu jalan mati"))
    later = parse_part("m1", raw_sms(DateTime=T0 + timedelta(seconds=1)))
    assert single_id(a) == single_id(moved)
    assert len({single_id(a), single_id(other_text), single_id(later)}) == 3


def test_multipart_id_depends_on_parts_present() -> None:
    part = parse_part(
        "m1",
        raw_sms(UDH={"Type": "ConcatenatedMessages", "ID8bit": 9, "PartNumber": 1, "AllParts": 2}),
    )
    group = group_name(part)
    one = [(1, b"\x00a", {"sent_at": "x"})]
    both = [*one, (2, b"\x00b", {"sent_at": "y"})]
    assert multipart_id(group, both) == multipart_id(group, list(reversed(both)))
    assert multipart_id(group, one) != multipart_id(group, both)


def _fragments(parts: dict[int, bytes], total: int) -> list[Fragment]:
    part = parse_part(
        "m1",
        raw_sms(
            UDH={"Type": "ConcatenatedMessages", "ID8bit": 9, "PartNumber": 1, "AllParts": total}
        ),
    )
    return [Fragment(n, data, part_meta(part)) for n, data in sorted(parts.items())]


@pytest.mark.parametrize(
    ("total", "parts", "text", "missing"),
    [
        pytest.param(2, {1: "Jalan ", 2: "rusak"}, "Jalan rusak", [], id="complete"),
        pytest.param(
            3,
            {1: "Jalan", 3: "parah"},
            "Jalan [...bagian 2/3 tidak diterima...] parah",
            [2],
            id="middle-missing",
        ),
        pytest.param(
            2, {2: "rusak"}, " [...bagian 1/2 tidak diterima...] rusak", [1], id="first-missing"
        ),
    ],
)
def test_stored_parts_assemble_with_the_shared_reassembly(
    total: int, parts: dict[int, str], text: str, missing: list[int]
) -> None:
    frags = _fragments({n: encode_part_text(t) for n, t in parts.items()}, total)
    assert multipart.assemble(frags, total) == (text, missing)


def test_surrogate_pair_split_across_parts_is_rejoined() -> None:
    halves = encode_part_text("💡")
    frags = _fragments({1: encode_part_text("a") + halves[:2], 2: halves[2:] + b"\x00b"}, 2)
    assert multipart.assemble(frags, 2) == ("a💡b", [])


def test_lone_surrogate_becomes_replacement_char() -> None:
    frags = _fragments({1: encode_part_text("a") + encode_part_text("💡")[:2]}, 2)
    text, _ = multipart.assemble(frags, 2)
    assert "\ufffd" in text and text.encode("utf-8")


@pytest.mark.parametrize(
    ("status", "state"),
    [
        pytest.param(0x00, "delivered", id="delivered"),
        pytest.param(0x20, "pending", id="congestion"),
        pytest.param(0x41, "failed", id="incompatible"),
        pytest.param(0x60, "pending", id="temp-no-retry"),
    ],
)
def test_delivery_state(status: int, state: str) -> None:
    assert delivery_state(status) == state


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        pytest.param(
            gammu.ERR_TIMEOUT({"Text": "t", "Where": "x", "Code": 14}),
            ErrorKind.TIMEOUT,
            id="timeout",
        ),
        pytest.param(
            gammu.ERR_DEVICENOTEXIST({"Text": "t", "Where": "x", "Code": 4}),
            ErrorKind.DEVICE_GONE,
            id="unplugged",
        ),
        pytest.param(
            gammu.ERR_NOSIM({"Text": "t", "Where": "x", "Code": 1}), ErrorKind.NO_SIM, id="no-sim"
        ),
        pytest.param(
            gammu.ERR_NETWORK_ERROR({"Text": "t", "Where": "x", "Code": 1}),
            ErrorKind.NO_NETWORK,
            id="no-network",
        ),
        pytest.param(
            gammu.ERR_FILENOTSUPPORTED({"Text": "t", "Where": "x", "Code": 1}),
            ErrorKind.BAD_MESSAGE,
            id="corrupt",
        ),
        pytest.param(TimeoutError(), ErrorKind.TIMEOUT, id="asyncio-timeout"),
        pytest.param(ModemError(ErrorKind.SIM_LOCKED, "PIN"), ErrorKind.SIM_LOCKED, id="modem"),
    ],
)
def test_classify(exc: BaseException, kind: ErrorKind) -> None:
    assert classify(exc) is kind

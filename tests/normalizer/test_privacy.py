"""The log scrubber: phone numbers, e-mails and handles masked; tracking IDs, status codes,
counts and timestamps kept whole, so an operator can match a line to a report."""

from __future__ import annotations

import pytest

from normalizer.privacy import is_tracking_id, mask_phone, scrub
from normalizer.tracking import check_digit, new_tracking_id

ID = "48021593667" + check_digit("48021593667")  # 480215936673
ID_DASHED = f"{ID[:4]}-{ID[4:8]}-{ID[8:]}"


def _phone_shaped_valid(prefix: str) -> str:
    """A 12-digit number starting with *prefix* whose check digit happens to be valid."""
    data = (prefix + "1234567890")[:11]
    return data + check_digit(data)


@pytest.mark.parametrize(
    ("line", "scrubbed"),
    [
        # phones: masked, whatever the form
        pytest.param("dari 081234567890", "dari 08******7890", id="national-0812"),
        pytest.param("dari 0812 3456 7890.", "dari 08******7890.", id="national-spaced"),
        pytest.param("dari 0812-3456-7890", "dari 08******7890", id="national-dashed"),
        pytest.param("dari 0812345678", "dari 08****5678", id="national-10-digits"),
        pytest.param("dari +6281234567890", "dari +62*******7890", id="e164"),
        pytest.param("dari +62 812-3456-7890", "dari +62*******7890", id="e164-grouped"),
        pytest.param("source_addr=6281234567890", "source_addr=62*******7890", id="intl-no-plus"),
        pytest.param("dari 81234567890", "dari 81*****7890", id="national-without-0"),
        pytest.param("to +441632960961", "to +44******0961", id="foreign-e164"),
        pytest.param("tel:081234567890", "tel:08******7890", id="after-colon"),
        pytest.param(
            f"dari {_phone_shaped_valid('0812')}",
            f"dari 08******{_phone_shaped_valid('0812')[-4:]}",
            id="national-passing-check-digit",
        ),
        pytest.param(
            f"dari {_phone_shaped_valid('6281')}",
            f"dari 62******{_phone_shaped_valid('6281')[-4:]}",
            id="intl-passing-check-digit",
        ),
        pytest.param("081234567890 3 kali", "08******7890 3 kali", id="phone-then-count"),
        # e-mails and handles: masked once
        pytest.param("budi@example.id", "b***@example.id", id="email"),
        pytest.param("081234567890@mail.id", "0***@mail.id", id="email-with-digits"),
        pytest.param("oleh @budi_santoso:", "oleh @b***:", id="handle"),
        pytest.param("a.b+c@sub.example.co.id", "a***@sub.example.co.id", id="email-subdomain"),
        # identifiers and numbers that are not personal data: kept
        pytest.param(f"sms report {ID} from -", f"sms report {ID} from -", id="tracking-id"),
        pytest.param(f"laporan {ID_DASHED}", f"laporan {ID_DASHED}", id="tracking-id-dashed"),
        pytest.param(
            f"laporan {ID[:4]} {ID[4:8]} {ID[8:]}",
            f"laporan {ID[:4]} {ID[4:8]} {ID[8:]}",
            id="tracking-id-spaced",
        ),
        pytest.param(
            f"report {ID} from 081234567890",
            f"report {ID} from 08******7890",
            id="tracking-id-and-phone",
        ),
        pytest.param(
            "submit_sm failed with status 0x00000058",
            "submit_sm failed with status 0x00000058",
            id="hex-status",
        ),
        pytest.param("ESME_RINVPASWD (0x0000000E)", "ESME_RINVPASWD (0x0000000E)", id="hex-upper"),
        pytest.param("drained 1430 rows in 12 s", "drained 1430 rows in 12 s", id="counts"),
        pytest.param("rss 158334976 bytes", "rss 158334976 bytes", id="nine-digit-count"),
        pytest.param("at 2026-11-29T23:59:50Z", "at 2026-11-29T23:59:50Z", id="iso-timestamp"),
        pytest.param("at 2026-11-29 23:59:50", "at 2026-11-29 23:59:50", id="date-time"),
        pytest.param("next at 1764460790.25", "next at 1764460790.25", id="epoch-seconds"),
        pytest.param("127.0.0.1:8080", "127.0.0.1:8080", id="address"),
        pytest.param(
            "id 123e4567-e89b-12d3-a456-426614174000",
            "id 123e4567-e89b-12d3-a456-426614174000",
            id="uuid",
        ),
        pytest.param("CEK 12345 dari 1708", "CEK 12345 dari 1708", id="short-numbers"),
    ],
)
def test_scrub(line: str, scrubbed: str) -> None:
    assert scrub(line) == scrubbed


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        pytest.param("+6281234567890", "+62*******7890", id="e164"),
        pytest.param("081234567890", "08******7890", id="national"),
        pytest.param("12345", "*****", id="short-never-repeated"),
        pytest.param("LAPOR", "*****", id="alphanumeric"),
        pytest.param("021555123", "02***5123", id="nine-digits"),
        pytest.param(None, "-", id="none"),
    ],
)
def test_mask_phone(phone: str | None, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_every_drawn_tracking_id_is_kept_whole() -> None:
    for _ in range(2000):
        tid = new_tracking_id()
        assert is_tracking_id(tid) and scrub(f"report {tid}") == f"report {tid}"

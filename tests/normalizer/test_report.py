"""The Report schema: clean text, E.164 phones, UTC times, the public view."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from normalizer import Channel, Report, Reporter, clean_text, to_e164
from normalizer.phone import InvalidPhoneError
from normalizer.privacy import mask_email, mask_phone, scrub


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("  Jalan rusak  ", "Jalan rusak", id="trim"),
        pytest.param("Cafe\u0301", "Café", id="nfc"),
        pytest.param("a\x00b\x07c\u202ed\ufeff", "abcd", id="controls-bidi-overrides-bom"),
        pytest.param("a\u200bb", "a\u200bb", id="zero-width-space-kept"),
        pytest.param("baris1\r\nbaris2\rbaris3", "baris1\nbaris2\nbaris3", id="line-endings"),
        pytest.param("a\n\n\n\n\nb", "a\n\nb", id="blank-lines"),
        pytest.param("\t x \t", "x", id="tabs"),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("081234567890", "+6281234567890", id="national"),
        pytest.param("6281234567890", "+6281234567890", id="international-no-plus"),
        pytest.param("+62 812-3456-7890", "+6281234567890", id="formatted"),
        pytest.param("+14155552671", "+14155552671", id="foreign"),
        # a 10-digit number written with 62 and no "+" (issue 13) read as national would
        # become +62 62811588942
        pytest.param("62811588942", "+62811588942", id="short-international-no-plus"),
        pytest.param("0811588942", "+62811588942", id="short-national"),
        pytest.param("0271 123456", "+62271123456", id="landline-national"),
        pytest.param("442071838750", "+442071838750", id="foreign-no-plus"),
    ],
)
def test_phone_e164(raw: str, expected: str) -> None:
    assert to_e164(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "1" * 30, "12"])
def test_phone_rejects(raw: str) -> None:
    with pytest.raises(InvalidPhoneError):
        to_e164(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("+6281299990001", "+6281299990001", id="valid"),
        pytest.param("1234", None, id="rejected"),
    ],
)
def test_phone_parsed_once_per_number(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: str | None
) -> None:
    """The transport, the report's validation and the forward each ask for the sender's
    E.164 form: phonenumbers parses it once, a rejection included."""
    import phonenumbers

    calls: list[str] = []
    real_parse = phonenumbers.parse

    def counting_parse(number: str, region: str | None = None) -> phonenumbers.PhoneNumber:
        calls.append(number)
        return real_parse(number, region)

    monkeypatch.setattr(phonenumbers, "parse", counting_parse)
    first: int | None = None
    for _ in range(3):
        if expected is None:
            with pytest.raises(InvalidPhoneError, match="not a possible phone number"):
                to_e164(raw)
        else:
            assert to_e164(raw) == expected
            assert Reporter(phone=raw).phone == expected
        first = len(calls) if first is None else first
    assert first and len(calls) == first


def test_long_phone_input_is_not_cached() -> None:
    """Garbage longer than a phone number is rejected without growing the cache."""
    from normalizer import phone

    before = phone._e164_cached.cache_info().currsize
    with pytest.raises(InvalidPhoneError):
        to_e164("9" * 5000)
    assert phone._e164_cached.cache_info().currsize == before


def test_empty_text_after_cleanup_is_rejected() -> None:
    with pytest.raises(ValidationError):
        Report(channel=Channel.WEB, transport="http", text=" \x00\u200b ")


def test_received_at_becomes_utc_and_naive_is_rejected() -> None:
    wib = timezone(timedelta(hours=7))
    r = Report(
        channel=Channel.SMS,
        transport="t",
        text="x",
        received_at=datetime(2026, 1, 1, 7, tzinfo=wib),
    )
    assert r.received_at.utcoffset() == timedelta(0) and r.received_at.hour == 0
    with pytest.raises(ValidationError):
        Report(channel=Channel.SMS, transport="t", text="x", received_at=datetime(2026, 1, 1))


def test_identity_keys_cross_channel() -> None:
    a = Reporter(phone="0812-3456-7890", email="Budi@Example.ID")
    b = Reporter(phone="+6281234567890")
    assert "phone:+6281234567890" in a.identity_keys()
    assert a.identity_keys()[0] == b.identity_keys()[0]
    assert "email:budi@example.id" in a.identity_keys()


def test_public_view_hides_identity_and_confidential_text() -> None:
    r = Report(
        channel=Channel.WEB,
        transport="http",
        text="rahasia",
        anonymous=True,
        confidential=True,
        reporter=Reporter(name="Budi", phone="081234567890"),
    )
    view = r.public_view()
    assert "text" not in view and "reporter_name" not in view
    assert "Budi" not in str(view) and "0812" not in str(view)


def test_masking() -> None:
    assert mask_phone("+6281234567890") == "+62*******7890"
    assert mask_email("budi@example.id") == "b***@example.id"
    line = scrub("hubungi 081234567890 atau budi@example.id @budi_s")
    assert "081234567890" not in line and "budi@example.id" not in line and "@budi_s" not in line

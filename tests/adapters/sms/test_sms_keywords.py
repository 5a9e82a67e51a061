"""Table tests for the SMS keyword parser and sender normalization (conversation.py)."""

from __future__ import annotations

import pytest

from adapters.sms.conversation import Intent, ParsedSms, normalize_sender, parse_sms

PREFIXES = {"PAPUA": "Papua", "PAPUA BARAT": "Papua Barat", "ACEH": "Aceh"}
COMPLAINT = "jalan rusak parah di depan SDN 3 sudah dua bulan"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(COMPLAINT, ParsedSms(Intent.REPORT, COMPLAINT), id="plain"),
        pytest.param("LAPOR " + COMPLAINT, ParsedSms(Intent.REPORT, COMPLAINT), id="lapor-prefix"),
        pytest.param("#lapor# " + COMPLAINT, ParsedSms(Intent.REPORT, COMPLAINT), id="hash-lapor"),
        pytest.param("Lapor: " + COMPLAINT, ParsedSms(Intent.REPORT, COMPLAINT), id="lapor-colon"),
        pytest.param(
            "ANONIM " + COMPLAINT, ParsedSms(Intent.REPORT, COMPLAINT, anonymous=True), id="anonim"
        ),
        pytest.param(
            "rahasia. " + COMPLAINT,
            ParsedSms(Intent.REPORT, COMPLAINT, confidential=True),
            id="rahasia",
        ),
        pytest.param(
            "#LAPOR #RAHASIA #ANONIM " + COMPLAINT,
            ParsedSms(Intent.REPORT, COMPLAINT, anonymous=True, confidential=True),
            id="both-flags",
        ),
        pytest.param(
            "anonim rahasia lapor " + COMPLAINT,
            ParsedSms(Intent.REPORT, COMPLAINT, anonymous=True, confidential=True),
            id="flags-any-order",
        ),
        pytest.param(
            "PAPUA " + COMPLAINT, ParsedSms(Intent.REPORT, COMPLAINT, region="Papua"), id="region"
        ),
        pytest.param(
            "Papua Barat, " + COMPLAINT,
            ParsedSms(Intent.REPORT, COMPLAINT, region="Papua Barat"),
            id="region-two-words-longest",
        ),
        pytest.param(
            "LAPOR ACEH RAHASIA " + COMPLAINT,
            ParsedSms(Intent.REPORT, COMPLAINT, confidential=True, region="Aceh"),
            id="region-and-flag",
        ),
        pytest.param(
            "Laporan: " + COMPLAINT,
            ParsedSms(Intent.REPORT, "Laporan: " + COMPLAINT),
            id="laporan-is-not-lapor",
        ),
        pytest.param(
            "CEK 1234-5678-9012", ParsedSms(Intent.STATUS, tracking_raw="1234-5678-9012"), id="cek"
        ),
        pytest.param(
            "#cek#123456789012",
            ParsedSms(Intent.STATUS, tracking_raw="123456789012"),
            id="cek-hash",
        ),
        pytest.param(
            "status: 1234 5678 9012",
            ParsedSms(Intent.STATUS, tracking_raw="1234 5678 9012"),
            id="status",
        ),
        pytest.param("LAPOR CEK 123", ParsedSms(Intent.STATUS, tracking_raw="123"), id="lapor-cek"),
        pytest.param("CEK", ParsedSms(Intent.HELP), id="cek-without-id"),
        pytest.param("BANTUAN", ParsedSms(Intent.HELP), id="bantuan"),
        pytest.param("help!", ParsedSms(Intent.HELP), id="help"),
        pytest.param("#INFO", ParsedSms(Intent.HELP), id="info"),
        pytest.param(
            "Info, " + COMPLAINT,
            ParsedSms(Intent.REPORT, "Info, " + COMPLAINT),
            id="info-then-complaint",
        ),
        pytest.param("STOP", ParsedSms(Intent.STOP), id="stop"),
        pytest.param("berhenti.", ParsedSms(Intent.STOP), id="berhenti"),
        pytest.param(
            "Stop pungli di kelurahan kami!",
            ParsedSms(Intent.REPORT, "Stop pungli di kelurahan kami!"),
            id="stop-as-complaint",
        ),
        pytest.param("halo", ParsedSms(Intent.HELP), id="too-short"),
        pytest.param("LAPOR", ParsedSms(Intent.HELP), id="only-keyword"),
        pytest.param("RAHASIA ok", ParsedSms(Intent.HELP, confidential=True), id="flag-too-short"),
        pytest.param("", ParsedSms(Intent.HELP), id="empty"),
        pytest.param("   \n\t ", ParsedSms(Intent.HELP), id="whitespace"),
        pytest.param("\ufffd\ufffd\ufffd", ParsedSms(Intent.HELP), id="replacement-chars"),
    ],
)
def test_parse_sms(text: str, expected: ParsedSms) -> None:
    assert parse_sms(text, regional_prefixes=PREFIXES, min_chars=10) == expected


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        pytest.param("6281234567890", "+6281234567890", id="international-no-plus"),
        pytest.param("+6281234567890", "+6281234567890", id="e164"),
        pytest.param("081234567890", "+6281234567890", id="national"),
        pytest.param("1708", None, id="short-code"),
        pytest.param("TELKOMSEL", None, id="alphanumeric"),
        pytest.param("9" * 30, None, id="thirty-digits"),
        pytest.param("", None, id="empty"),
    ],
)
def test_normalize_sender(sender: str, expected: str | None) -> None:
    assert normalize_sender(sender, "ID") == expected
    if sender.isdigit():  # also when the SMSC flags a national number as international
        assert normalize_sender(sender, "ID", True) == expected


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        pytest.param("C\u200bEK 4802 1593 6670", Intent.STATUS, id="zero-width-in-keyword"),
        pytest.param("\u200dBANTUAN", Intent.HELP, id="zwj-before-keyword"),
        pytest.param("RAHA\u200cSIA jalan rusak parah di depan pasar", Intent.REPORT, id="zwnj"),
    ],
)
def test_keywords_ignore_zero_width_characters(text: str, intent: Intent) -> None:
    """Stored text keeps zero-width characters (issue 14); keywords must still be seen."""
    parsed = parse_sms(text, regional_prefixes=PREFIXES, min_chars=10)
    assert parsed.intent is intent
    if intent is Intent.REPORT:
        assert parsed.confidential


def test_report_text_after_keywords_keeps_zero_width_joiners() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    parsed = parse_sms(f"R\u200bAHASIA keluarga {family} kami belum dapat bansos",
                       regional_prefixes=PREFIXES, min_chars=10)
    assert parsed.confidential
    assert parsed.text == f"keluarga {family} kami belum dapat bansos"

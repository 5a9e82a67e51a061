"""Pure parts of the Telegram adapter: keywords, the greeting rule, update parsing, error
classes, photo size choice, config validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adapters.telegram.client import _error
from adapters.telegram.errors import (
    AuthError,
    BlockedError,
    ClientError,
    ConflictError,
    RateLimitedError,
    TransientError,
)
from adapters.telegram.inbound import (
    PhotoSize,
    TgMessage,
    Unhandled,
    parse_command,
    parse_update,
)
from adapters.telegram.photos import pick_size
from gateway.config import ConfigError, parse_config
from normalizer.keywords import Intent, ParsedKeywords
from normalizer.non_complaint import text_non_complaint as non_complaint

COMPLAINT = "Jalan berlubang di Jl. Kaliurang km 5 sejak dua minggu"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("/start", ParsedKeywords(Intent.HELP), id="start"),
        pytest.param("/bantuan", ParsedKeywords(Intent.HELP), id="bantuan"),
        pytest.param("/help@lapor1708bot", ParsedKeywords(Intent.HELP), id="help-with-bot-name"),
        pytest.param(
            "/cek 4802-1593-6673",
            ParsedKeywords(Intent.STATUS, tracking_raw="4802-1593-6673"),
            id="cek-slash",
        ),
        pytest.param(
            "CEK 480215936673",
            ParsedKeywords(Intent.STATUS, tracking_raw="480215936673"),
            id="cek-word",
        ),
        pytest.param("/cek", ParsedKeywords(Intent.HELP), id="bare-cek"),
        pytest.param("STOP", ParsedKeywords(Intent.STOP), id="stop"),
        pytest.param("berhenti!", ParsedKeywords(Intent.STOP), id="berhenti"),
        pytest.param(
            "Stop pungli di kelurahan Sukamaju sekarang",
            ParsedKeywords(Intent.REPORT, text="Stop pungli di kelurahan Sukamaju sekarang"),
            id="stop-in-a-complaint",
        ),
        pytest.param(
            f"/rahasia {COMPLAINT}",
            ParsedKeywords(Intent.REPORT, text=COMPLAINT, confidential=True),
            id="rahasia",
        ),
        pytest.param(
            f"/anonim /rahasia {COMPLAINT}",
            ParsedKeywords(Intent.REPORT, text=COMPLAINT, confidential=True, anonymous=True),
            id="both-flags",
        ),
        pytest.param(
            f"ANONIM: {COMPLAINT}",
            ParsedKeywords(Intent.REPORT, text=COMPLAINT, anonymous=True),
            id="anonim-word",
        ),
        pytest.param("/rahasia", ParsedKeywords(Intent.HELP, confidential=True), id="flag-alone"),
        pytest.param("rusak", ParsedKeywords(Intent.HELP), id="too-short"),
        pytest.param(
            f"/start {COMPLAINT}",
            ParsedKeywords(Intent.REPORT, text=COMPLAINT),
            id="start-then-complaint",
        ),
        pytest.param(
            f"tolong cek {COMPLAINT}",
            ParsedKeywords(Intent.REPORT, text=f"tolong cek {COMPLAINT}"),
            id="cek-as-a-word",
        ),
    ],
)
def test_parse_command(text: str, expected: ParsedKeywords) -> None:
    assert parse_command(text, min_chars=10) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("halo", "greeting", id="halo"),
        pytest.param("Halo min!!", "greeting", id="halo-min"),
        pytest.param("tes", "test", id="tes"),
        pytest.param("test 123", "test", id="test-digits"),
        pytest.param("coba coba coba", "test", id="coba"),
        pytest.param("P", "greeting", id="p"),
        pytest.param("Assalamu'alaikum pak", "greeting", id="salam"),
        pytest.param("selamat pagi kak", "greeting", id="selamat-pagi"),
        pytest.param("terima kasih 🙏", "greeting", id="thanks-emoji"),
        pytest.param("👍", "emoji", id="emoji-only"),
        pytest.param("480215936673", None, id="digits-alone-are-for-the-keywords"),
        pytest.param("halo, jalan rusak", None, id="greeting-then-complaint"),
        pytest.param("haloooo", None, id="stretched-word-not-in-the-list"),
        pytest.param(COMPLAINT, None, id="complaint"),
    ],
)
def test_non_complaint(text: str, expected: str | None) -> None:
    assert non_complaint(text) == expected


def _update(**message: Any) -> dict[str, Any]:
    base = {
        "message_id": 7,
        "from": {
            "id": 42,
            "is_bot": False,
            "first_name": "Sari",
            "last_name": "W",
            "username": "sari_w",
        },
        "chat": {"id": 42, "type": "private"},
        "date": 1764000000,
        "text": "halo",
    }
    base.update(message)
    return {"update_id": 10, "message": base}


def test_parse_update_message() -> None:
    msg = parse_update(_update())
    assert isinstance(msg, TgMessage)
    assert (msg.chat_id, msg.message_id, msg.user_id, msg.text) == ("42", "7", "42", "halo")
    assert msg.inbound_key == "telegram:42:7" and msg.identity == "telegram:42"
    assert msg.name == "Sari W" and msg.username == "sari_w"


@pytest.mark.parametrize(
    ("update", "reason"),
    [
        pytest.param({"update_id": 1, "edited_message": {}}, "edited_message", id="edited"),
        pytest.param(_update(chat={"id": -100, "type": "group"}), "group chat", id="group"),
        pytest.param(_update(chat={"id": "x", "type": "private"}), "without chat", id="bad-id"),
        pytest.param(_update(**{"from": {"id": 42, "is_bot": True}}), "bot", id="from-bot"),
    ],
)
def test_parse_update_unhandled(update: dict[str, Any], reason: str) -> None:
    parsed = parse_update(update)
    assert isinstance(parsed, Unhandled) and reason in parsed.reason


def test_parse_update_photo_location_and_no_id() -> None:
    msg = parse_update(
        _update(
            text=None,
            caption="Sampah menumpuk di pasar",
            photo=[
                {
                    "file_id": "big",
                    "file_unique_id": "b",
                    "width": 1280,
                    "height": 960,
                    "file_size": 900,
                },
                {
                    "file_id": "small",
                    "file_unique_id": "s",
                    "width": 90,
                    "height": 60,
                    "file_size": 10,
                },
            ],
            location={"latitude": -7.78, "longitude": 110.37},
        )
    )
    assert isinstance(msg, TgMessage)
    assert msg.text == "Sampah menumpuk di pasar"
    assert [p.file_id for p in msg.photos] == ["small", "big"]
    assert (msg.lat, msg.lon) == (-7.78, 110.37)
    out_of_range = parse_update(_update(location={"latitude": 91, "longitude": 0}))
    assert isinstance(out_of_range, TgMessage) and out_of_range.lat is None
    assert parse_update({"message": {}}) is None


@pytest.mark.parametrize(
    ("status", "doc", "cls"),
    [
        pytest.param(
            429, {"error_code": 429, "parameters": {"retry_after": 7}}, RateLimitedError, id="429"
        ),
        pytest.param(
            403,
            {"error_code": 403, "description": "Forbidden: bot was blocked by the user"},
            BlockedError,
            id="403",
        ),
        pytest.param(401, {"error_code": 401}, AuthError, id="401"),
        pytest.param(404, {}, AuthError, id="404-bad-token-path"),
        pytest.param(409, {"error_code": 409}, ConflictError, id="409"),
        pytest.param(502, {}, TransientError, id="502-html"),
        pytest.param(400, {"error_code": 400}, ClientError, id="400"),
    ],
)
def test_error_classes(status: int, doc: dict[str, Any], cls: type) -> None:
    err = _error("sendMessage", status, doc)
    assert type(err) is cls
    if isinstance(err, RateLimitedError):
        assert err.retry_after == 7


def test_pick_size_falls_back_to_a_smaller_size() -> None:
    sizes = (
        PhotoSize("a", "a", 90, 60, 1_000),
        PhotoSize("b", "b", 800, 600, 90_000),
        PhotoSize("c", "c", 1280, 960, 9_000_000),
    )
    assert pick_size(sizes, 100_000) == sizes[1]
    assert pick_size(sizes, 10_000_000) == sizes[2]
    assert pick_size(sizes, 10) is None


def _problems(section: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config({"core": {"events_secret": "c"}, "adapters": {"telegram": section}}, env={})
    return str(info.value) + " ".join(getattr(info.value, "problems", []))


def test_config_errors_name_the_key(tmp_path: Path) -> None:
    assert "adapters.telegram.poll_token" in _problems({"poll_token": 1})
    missing = _problems({"enabled": True})
    assert "adapters.telegram" in missing and "bot_token" in missing
    token = "123456789:AAH-test_token_for_the_fake_bot_api_x"
    webhook = _problems({"enabled": True, "bot_token": token, "mode": "webhook"})
    assert "webhook_secret" in webhook
    assert "adapters.telegram.mode" in _problems({"mode": "push"})
    ok = parse_config(
        {
            "core": {"events_secret": "c"},
            "adapters": {"telegram": {"enabled": True, "bot_token": "${TG}"}},
        },
        env={"TG": token},
    )
    assert ok.adapters.telegram.enabled is True
    assert token not in repr(ok.adapters.telegram)

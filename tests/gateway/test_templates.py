"""Citizen-facing template rendering: a real tracking ID is shown grouped, anything a citizen
typed is quoted back exactly as typed."""

from __future__ import annotations

import pytest

from gateway.config import Config
from gateway.templates import Templates, shown_id
from normalizer.tracking import check_digit

VALID = "48021593667" + check_digit("48021593667")


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        pytest.param(VALID, f"{VALID[:4]}-{VALID[4:8]}-{VALID[8:]}", id="canonical-grouped"),
        pytest.param("12345", "12345", id="five-digits-as-typed"),
        pytest.param("123456789012", "123456789012", id="twelve-digits-bad-check-as-typed"),
        pytest.param("4802 1593 6670", "4802 1593 6670", id="spaces-as-typed"),
        pytest.param("1234-5678-9012", "1234-5678-9012", id="dashes-as-typed"),
        pytest.param("ABC", "ABC", id="letters"),
        pytest.param(None, "", id="none"),
    ],
)
def test_shown_id(given: str | None, shown: str) -> None:
    assert shown_id(given) == shown


def test_invalid_tracking_id_reply_quotes_what_was_typed() -> None:
    text = Templates(Config().acks).render("invalid_tracking_id", tracking_id="12345")
    assert "Nomor 12345 salah ketik" in text

"""SMPP command_status codes in words (smpplib's table), and why a bind attempt failed."""

from __future__ import annotations

import pytest

from adapters.sms.smpp.status import BindRefusedError, LinkClosedError, describe, failure_text


@pytest.mark.parametrize(
    ("status", "text"),
    [
        pytest.param(0x0E, "ESME_RINVPASWD (0x0000000E) Invalid Password", id="password"),
        pytest.param(0x0F, "ESME_RINVSYSID (0x0000000F) Invalid System ID", id="system-id"),
        pytest.param(0x05, "ESME_RALYBND (0x00000005) ESME Already in Bound State", id="bound"),
        pytest.param(
            0x07,
            "ESME_RINVREGDLVFLG (0x00000007) Invalid Registered Delivery Flag",
            id="smpplib-has-no-text",
        ),
        pytest.param(0x0401, "0x00000401 (SMSC vendor-specific error)", id="vendor"),
        pytest.param(0x1234, "0x00001234 (unknown status)", id="unknown"),
    ],
)
def test_describe(status: int, text: str) -> None:
    assert describe(status) == text


@pytest.mark.parametrize(
    ("exc", "text"),
    [
        pytest.param(
            BindRefusedError("bind_transceiver", 0x0D),
            "bind_transceiver refused: ESME_RBINDFAIL (0x0000000D) Bind Failed",
            id="refused",
        ),
        pytest.param(
            ConnectionRefusedError(111, "Connection refused"),
            "ConnectionRefusedError: Connection refused",
            id="os-error",
        ),
        pytest.param(
            LinkClosedError("connection closed by SMSC"),
            "SMSC closed the connection or did not answer the bind",
            id="smpplib-connection",
        ),
        pytest.param(RuntimeError("system_id=lapor password=hunter2"), "RuntimeError", id="other"),
    ],
)
def test_failure_text_never_quotes_foreign_messages(exc: BaseException, text: str) -> None:
    assert failure_text(exc) == text

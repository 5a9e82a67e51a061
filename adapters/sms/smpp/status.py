"""SMPP 3.4 ``command_status`` codes in words, for logs, ``/readyz`` and error messages.

The names and descriptions are ``smpplib``'s own table (``smpplib.consts``: the
``SMPP_ESME_*`` constants and ``DESCRIPTIONS``), so there is one list of SMPP 3.4 statuses
in the process. Codes outside it are named by their range in SMPP 3.4 section 5.1.3
(0x400-0x4FF: SMSC vendor specific).
"""

from __future__ import annotations

import os

import smpplib.consts

NAMES: dict[int, str] = {
    value: name.removeprefix("SMPP_")
    for name, value in vars(smpplib.consts).items()
    if name.startswith("SMPP_ESME_") and isinstance(value, int)
}
_FIXES = {smpplib.consts.SMPP_ESME_RINVREGDLVFLG: "Invalid Registered Delivery Flag"}
VENDOR_RANGE = range(0x400, 0x500)


def describe(status: int) -> str:
    """``0x0E`` -> ``ESME_RINVPASWD (0x0000000E) Invalid Password``."""
    name = NAMES.get(status)
    if name is None:
        kind = "SMSC vendor-specific error" if status in VENDOR_RANGE else "unknown status"
        return f"0x{status:08X} ({kind})"
    text = _FIXES.get(status) or smpplib.consts.DESCRIPTIONS.get(status, "")
    return f"{name} (0x{status:08X}) {text}".rstrip()


class BindRefusedError(ConnectionError):
    """The SMSC answered our bind with an error ``command_status`` (wrong password, unknown
    system_id, already bound...). The message names the status, never the credentials."""

    def __init__(self, command: str, status: int) -> None:
        super().__init__(f"{command} refused: {describe(status)}")
        self.command = command
        self.status = status


class LinkClosedError(ConnectionError):
    """The session ended (SMSC unbind or hang-up, dead link, socket error, local stop)."""


def failure_text(exc: BaseException) -> str:
    """One line saying why a connect or bind attempt failed, for logs and ``/readyz``.

    A bind refusal reads ``bind_transceiver refused: ESME_RINVPASWD (0x0000000E) Invalid
    Password``; a socket error keeps the OS text (``ConnectionRefusedError: [Errno 111]
    Connection refused``); anything else is named by its class only, because a message we
    did not write could quote what was sent (the bind carries the password)."""
    if isinstance(exc, BindRefusedError):
        return str(exc)
    if isinstance(exc, LinkClosedError):
        return "SMSC closed the connection or did not answer the bind"
    name = exc.__class__.__name__
    if isinstance(exc, OSError) and exc.errno:
        # asyncio's connect errors say "Connect call failed (host, port)": name the errno
        return f"{name}: {os.strerror(exc.errno)}"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{name}: {exc.strerror}"
    if isinstance(exc, TimeoutError):
        return f"{name}: no answer"
    return name

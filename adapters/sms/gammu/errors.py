"""What went wrong with a GSM modem, as data, and the Prometheus series that count it.

libgammu reports ~90 error codes. An operator needs a handful of answers: is the modem
unplugged, is the SIM missing or locked, is there no network, did the modem hang, or is one
stored message unreadable? :func:`classify` maps every ``gammu.GSMError`` to one
:class:`ErrorKind`; the worker decides from the kind whether to reconnect (device-level) or
to skip one message (message-level). Log lines carry the kind and libgammu's generic error
text, never a phone number or message text.

Metrics live in the default registry so ``GET /metrics`` shows them without wiring.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import gammu
from prometheus_client import Counter, Gauge


class ErrorKind(StrEnum):
    TIMEOUT = "timeout"
    DEVICE_GONE = "device_gone"
    DEVICE_BUSY = "device_busy"
    NO_SIM = "no_sim"
    SIM_LOCKED = "sim_locked"
    NO_NETWORK = "no_network"
    BAD_MESSAGE = "bad_message"
    MODEM_FULL = "modem_full"
    UNSUPPORTED = "unsupported"
    OTHER = "other"


#: kinds after which the state machine is torn down and reconnected with backoff
DEVICE_LEVEL = frozenset(
    {
        ErrorKind.TIMEOUT,
        ErrorKind.DEVICE_GONE,
        ErrorKind.DEVICE_BUSY,
        ErrorKind.NO_SIM,
        ErrorKind.SIM_LOCKED,
        ErrorKind.OTHER,
    }
)

_BY_NAME: dict[str, ErrorKind] = {
    "ERR_TIMEOUT": ErrorKind.TIMEOUT,
    "ERR_NOTCONNECTED": ErrorKind.DEVICE_GONE,
    "ERR_DEVICENOTEXIST": ErrorKind.DEVICE_GONE,
    "ERR_DEVICEOPENERROR": ErrorKind.DEVICE_GONE,
    "ERR_DEVICENOPERMISSION": ErrorKind.DEVICE_GONE,
    "ERR_DEVICEREADERROR": ErrorKind.DEVICE_GONE,
    "ERR_DEVICEWRITEERROR": ErrorKind.DEVICE_GONE,
    "ERR_DEVICENOTWORK": ErrorKind.DEVICE_GONE,
    "ERR_DEVICENODRIVER": ErrorKind.DEVICE_GONE,
    "ERR_DEVICECHANGESPEEDERROR": ErrorKind.DEVICE_GONE,
    "ERR_DEVICEDTRRTSERROR": ErrorKind.DEVICE_GONE,
    "ERR_DEVICEPARITYERROR": ErrorKind.DEVICE_GONE,
    "ERR_PHONEOFF": ErrorKind.DEVICE_GONE,
    "ERR_NOTRUNNING": ErrorKind.DEVICE_GONE,
    "ERR_DEVICELOCKED": ErrorKind.DEVICE_BUSY,
    "ERR_DEVICEBUSY": ErrorKind.DEVICE_BUSY,
    "ERR_BUSY": ErrorKind.DEVICE_BUSY,
    "ERR_NOSIM": ErrorKind.NO_SIM,
    "ERR_SECURITYERROR": ErrorKind.SIM_LOCKED,
    "ERR_NETWORK_ERROR": ErrorKind.NO_NETWORK,
    "ERR_NOSERVICE": ErrorKind.NO_NETWORK,
    "ERR_EMPTYSMSC": ErrorKind.NO_NETWORK,
    "ERR_GETTING_SMSC": ErrorKind.NO_NETWORK,
    "ERR_FILENOTSUPPORTED": ErrorKind.BAD_MESSAGE,
    "ERR_CORRUPTED": ErrorKind.BAD_MESSAGE,
    "ERR_UNKNOWNRESPONSE": ErrorKind.BAD_MESSAGE,
    "ERR_UNKNOWNFRAME": ErrorKind.BAD_MESSAGE,
    "ERR_FRAMENOTREQUESTED": ErrorKind.BAD_MESSAGE,
    "ERR_INVALIDDATA": ErrorKind.BAD_MESSAGE,
    "ERR_INVALIDDATETIME": ErrorKind.BAD_MESSAGE,
    "ERR_WRONGCRC": ErrorKind.BAD_MESSAGE,
    "ERR_FULL": ErrorKind.MODEM_FULL,
    "ERR_MEMORY": ErrorKind.MODEM_FULL,
    "ERR_NOTSUPPORTED": ErrorKind.UNSUPPORTED,
    "ERR_NOTIMPLEMENTED": ErrorKind.UNSUPPORTED,
}


class ModemError(Exception):
    """A classified modem failure; ``str()`` is safe to log (no personal data)."""

    def __init__(self, kind: ErrorKind, detail: str) -> None:
        super().__init__(f"{kind.value}: {detail}")
        self.kind = kind
        self.detail = detail

    @property
    def device_level(self) -> bool:
        return self.kind in DEVICE_LEVEL


def gammu_error_name(exc: BaseException) -> str:
    """``ERR_TIMEOUT`` for a ``gammu.ERR_TIMEOUT`` instance, else the class name."""
    return type(exc).__name__


def classify(exc: BaseException) -> ErrorKind:
    """Map a libgammu (or OS) exception to an :class:`ErrorKind`."""
    if isinstance(exc, ModemError):
        return exc.kind
    if isinstance(exc, TimeoutError):
        return ErrorKind.TIMEOUT
    if isinstance(exc, gammu.GSMError):
        return _BY_NAME.get(gammu_error_name(exc), ErrorKind.OTHER)
    if isinstance(exc, OSError):
        return ErrorKind.DEVICE_GONE
    return ErrorKind.OTHER


def describe(exc: BaseException) -> str:
    """A log-safe description: libgammu's code name and its generic text, nothing else."""
    if isinstance(exc, ModemError):
        return exc.detail
    if isinstance(exc, gammu.GSMError) and exc.args and isinstance(exc.args[0], dict):
        info: dict[str, Any] = exc.args[0]
        return f"{gammu_error_name(exc)} ({info.get('Text', '')}) in {info.get('Where', '?')}"
    return gammu_error_name(exc)


def to_modem_error(exc: BaseException) -> ModemError:
    return exc if isinstance(exc, ModemError) else ModemError(classify(exc), describe(exc))


# --- metrics (default registry) ---------------------------------------------------------

MODEM_UP = Gauge("lapor_gammu_modem_up", "1 when the modem is connected and polled", ["modem"])
SIGNAL_PERCENT = Gauge(
    "lapor_gammu_signal_percent", "Signal strength reported by the modem (0-100)", ["modem"]
)
NETWORK_REGISTERED = Gauge(
    "lapor_gammu_network_registered",
    "1 when the modem is registered on its home or a roaming network",
    ["modem"],
)
ERRORS = Counter("lapor_gammu_errors_total", "Modem errors by kind", ["modem", "kind"])
RECEIVED = Counter(
    "lapor_gammu_received_total", "SMS parts read from the modem and stored", ["modem"]
)
SENT = Counter("lapor_gammu_sent_total", "SMS parts sent through the modem", ["modem"])
RECONNECTS = Counter("lapor_gammu_reconnects_total", "Modem (re)connection attempts", ["modem"])

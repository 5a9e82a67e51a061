"""One libgammu state machine, driven from exactly one thread.

A ``gammu.StateMachine`` is not thread-safe and every call blocks (serial I/O to the modem),
so :class:`ModemDevice` is only ever used from its worker's single-thread executor (see
``worker.py``). Everything here is synchronous and raises
:class:`~adapters.sms.gammu.errors.ModemError` with a classified kind.

Reading the inbox: a real modem is walked with ``GetNextSMS`` (phone and SIM folders). One
unreadable stored message must not hide the ones after it, so when libgammu fails on a
message we probe forward location by location (bounded). libgammu's dummy phone keeps each
message as a file ``<device>/sms/<folder>/<n>`` (folder 1 = SIM inbox, 3 = phone inbox, in
Gammu's SMS backup format); there we list the files and read each location with ``GetSMS``,
which isolates a corrupt file exactly.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gammu

from adapters.sms.config import ModemConfig
from adapters.sms.gammu.errors import ErrorKind, ModemError, classify, describe, to_modem_error
from normalizer.gsm import is_gsm7

log = logging.getLogger(__name__)

#: libgammu dummy driver: location = folder * DUMMY_MAX_SMS + file number
DUMMY_MAX_SMS = 10_000
#: dummy folders that are inboxes (1: SIM, 3: phone); 2 and 4 are outboxes, 5 templates
DUMMY_INBOX_FOLDERS = (1, 3)
DUMMY_DIRS = ("sms/1", "sms/2", "sms/3", "sms/4", "sms/5", "pbk", "fs/incoming")
MAX_READ = 500
MAX_PROBE = 64


def resolve_device(modem: ModemConfig, data_dir: Path) -> str:
    """The device string for libgammu; a relative path is taken relative to *data_dir*."""
    device = modem.device
    if modem.is_dummy and not os.path.isabs(device):
        return str((data_dir / device).resolve())
    return device


def ensure_dummy_layout(device: str) -> None:
    """Create the folder tree libgammu's dummy driver expects (it creates the rest at Init,
    but only inside an existing device folder, and inject needs the inbox before that)."""
    root = Path(device)
    for sub in DUMMY_DIRS:
        (root / sub).mkdir(parents=True, exist_ok=True)


def _looks_like_path(device: str) -> bool:
    return device.startswith("/") or device.startswith(".")


@dataclass(frozen=True)
class Signal:
    percent: int | None
    registered: bool | None
    network_state: str
    #: the operator as the network names itself (``NetworkName``, else ``NetworkCode``)
    operator: str | None = None
    #: ``ready``, or the code the SIM waits for (``PIN``, ``PUK``, ...), or ``unknown``
    sim: str = "unknown"


class ModemDevice:
    """Blocking operations on one modem; call only from the modem's own thread."""

    def __init__(self, modem: ModemConfig, device: str) -> None:
        self.modem = modem
        self.device = device
        self._sm: Any = None
        self.unreadable: set[int] = set()

    @property
    def connected(self) -> bool:
        return self._sm is not None

    def check_present(self) -> None:
        """A serial device node or dummy folder that vanished means "unplugged"; libgammu's
        dummy would otherwise just report an empty inbox."""
        if (self.modem.is_dummy or _looks_like_path(self.device)) and not os.path.exists(
            self.device
        ):
            raise ModemError(ErrorKind.DEVICE_GONE, "device path is missing")

    def connect(self) -> None:
        """Init the state machine and enter the PIN when the SIM asks for it."""
        self.disconnect()
        self.check_present()
        sm = gammu.StateMachine()
        sm.SetConfig(
            0,
            {
                "Model": self.modem.model,
                "Connection": self.modem.connection,
                "Device": self.device,
                "StartInfo": False,
                "SyncTime": False,
                "LockDevice": False,
                "UseGlobalDebugFile": False,
            },
        )
        try:
            sm.Init()
            self._unlock(sm)
        except gammu.GSMError as exc:
            _terminate(sm)
            raise to_modem_error(exc) from None
        self._sm = sm

    def _unlock(self, sm: Any) -> None:
        status = sm.GetSecurityStatus()
        if status is None:
            return
        if status == "PIN" and self.modem.pin is not None:
            sm.EnterSecurityCode("PIN", self.modem.pin.get_secret_value())
            after = sm.GetSecurityStatus()
            if after is None:
                log.info("modem %s: SIM PIN accepted", self.modem.name)
                return
            raise ModemError(ErrorKind.SIM_LOCKED, f"SIM still asks for {after} after PIN")
        what = "PIN (none configured)" if status == "PIN" else str(status)
        raise ModemError(ErrorKind.SIM_LOCKED, f"SIM asks for {what}")

    def disconnect(self) -> None:
        if self._sm is not None:
            _terminate(self._sm)
            self._sm = None

    def _machine(self) -> Any:
        if self._sm is None:
            raise ModemError(ErrorKind.DEVICE_GONE, "not connected")
        return self._sm

    # -- inbox -----------------------------------------------------------------------------

    def read_inbox(self) -> list[dict[str, Any]]:
        """Every message stored in the inbox folders (phone and SIM)."""
        self.check_present()
        try:
            if self.modem.is_dummy:
                return self._read_dummy()
            return self._read_walk()
        except gammu.GSMError as exc:
            raise to_modem_error(exc) from None

    def _read_dummy(self) -> list[dict[str, Any]]:
        sm = self._machine()
        out: list[dict[str, Any]] = []
        for folder in DUMMY_INBOX_FOLDERS:
            path = Path(self.device) / "sms" / str(folder)
            try:
                names = sorted(int(n) for n in os.listdir(path) if n.isdigit())
            except FileNotFoundError:
                continue
            for number in names[:MAX_READ]:
                location = folder * DUMMY_MAX_SMS + number
                try:
                    got = sm.GetSMS(Folder=folder, Location=number)
                except gammu.ERR_EMPTY:
                    continue  # deleted between listdir and read
                except gammu.GSMError as exc:
                    if classify(exc) is not ErrorKind.BAD_MESSAGE:
                        raise
                    got = []
                if not got:
                    self._unreadable(location, "unreadable stored message")
                    continue
                out.extend(got)
        return out

    def _read_walk(self) -> list[dict[str, Any]]:
        sm = self._machine()
        out: list[dict[str, Any]] = []
        last: int | None = None
        probe = 0
        while len(out) < MAX_READ:
            try:
                if last is None and probe == 0:
                    got = sm.GetNextSMS(Folder=0, Start=True)
                else:
                    got = sm.GetNextSMS(Folder=0, Location=(last or 0) + probe)
            except gammu.ERR_EMPTY:
                break
            except gammu.GSMError as exc:
                if classify(exc) is not ErrorKind.BAD_MESSAGE:
                    raise
                got = []
            if got:
                location = int(got[0].get("Location", 0))
                if last is not None and location <= last:
                    break  # wrapped around: done
                out.extend(got)
                last, probe = location, 0
                continue
            probe += 1
            if probe > MAX_PROBE:
                self._unreadable((last or 0) + 1, "unreadable message; stopped probing")
                break
            if probe == 1:
                self._unreadable((last or 0) + 1, "unreadable stored message")
        return out

    def _unreadable(self, location: int, why: str) -> None:
        if location not in self.unreadable:
            self.unreadable.add(location)
            log.warning(
                "modem %s: %s at location %d; left on the modem", self.modem.name, why, location
            )

    def delete(self, folder: int, location: int) -> None:
        """Delete one stored part; an already-deleted part is not an error.

        Like Gammu's own smsd: Folder 0 and the location as read (it encodes the folder)."""
        try:
            self._machine().DeleteSMS(Folder=0, Location=location)
        except gammu.ERR_EMPTY:
            return
        except gammu.GSMError as exc:
            raise to_modem_error(exc) from None

    # -- send ------------------------------------------------------------------------------

    def encode(self, number: str, text: str) -> list[dict[str, Any]]:
        """Concatenated SMS-SUBMIT parts: GSM-7 when every character is in GSM 03.38, else
        UCS-2 (libgammu would otherwise map unknown characters away)."""
        parts: list[dict[str, Any]] = gammu.EncodeSMS(
            {
                "Class": -1,
                "Unicode": not is_gsm7(text),
                "Entries": [{"ID": "ConcatenatedTextLong", "Buffer": text}],
            }
        )
        smsc: dict[str, Any] = (
            {"Location": 0, "Number": self.modem.smsc_number}
            if self.modem.smsc_number
            else {"Location": 1}
        )
        for part in parts:
            part["SMSC"] = smsc
            part["Number"] = number
            if self.modem.delivery_reports:
                # libgammu's way to set TP-SRR on a SUBMIT (as Gammu's smsd does)
                part["Type"] = "Status_Report"
        return parts

    def send_part(self, part: dict[str, Any]) -> int:
        """Send one encoded part; returns the TP message reference."""
        try:
            return int(self._machine().SendSMS(part))
        except gammu.GSMError as exc:
            raise to_modem_error(exc) from None

    # -- health ----------------------------------------------------------------------------

    def signal(self) -> Signal:
        sm = self._machine()
        percent: int | None = None
        registered: bool | None = None
        state = "unknown"
        try:
            percent = int(sm.GetSignalQuality().get("SignalPercent", -1))
        except gammu.GSMError as exc:
            if classify(exc) is not ErrorKind.UNSUPPORTED:
                raise to_modem_error(exc) from None
        operator: str | None = None
        try:
            info = sm.GetNetworkInfo()
            state = str(info.get("State", "unknown"))
            registered = state in ("HomeNetwork", "RoamingNetwork")
            operator = str(info.get("NetworkName") or info.get("NetworkCode") or "") or None
        except gammu.GSMError as exc:
            if classify(exc) is not ErrorKind.UNSUPPORTED:
                raise to_modem_error(exc) from None
        sim = "unknown"
        try:
            # None: no code is needed, the SIM is ready; else the code it waits for
            waiting = sm.GetSecurityStatus()
            sim = "ready" if waiting is None else str(waiting)
        except gammu.GSMError as exc:
            if classify(exc) is not ErrorKind.UNSUPPORTED:
                raise to_modem_error(exc) from None
        if percent is not None and percent < 0:
            percent = None
        return Signal(
            percent=percent, registered=registered, network_state=state, operator=operator, sim=sim
        )


def _terminate(sm: Any) -> None:
    try:
        sm.Terminate()
    except gammu.GSMError as exc:
        log.debug("terminate failed: %s", describe(exc))

"""Test SMS for libgammu's dummy phone: put messages in its inbox, read what we sent.

``lapor-gateway sms inject --from 081234567890 "teks"`` calls :func:`inject`, which writes
the message exactly as the dummy driver stores a received SMS: one file per part,
``<device>/sms/3/<n>`` (folder 3 = phone inbox; 1 would be the SIM inbox), in Gammu's SMS
backup format written by ``gammu.SaveSMSBackup``, as SMS-DELIVER parts produced by
``gammu.EncodeSMS`` (concatenated with a UDH when long, UCS-2 when the text is not GSM-7).
The running gateway's modem worker then reads, stores and deletes it like any phone message.

Each file is written beside the inbox and hard-linked into place, so the worker never reads
a half-written file and two concurrent injects never take the same location.

The dummy phone accepts ``SendSMS`` but keeps nothing, so the adapter appends every sent
SMS to ``<device>/sent.log`` (JSON lines); :func:`sent_log` reads them back for
``lapor-gateway sms sent``.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gammu

from adapters.sms.config import GammuConfig, ModemConfig
from adapters.sms.gammu.device import DUMMY_MAX_SMS, ensure_dummy_layout, resolve_device
from normalizer.gsm import is_gsm7

INBOX_FOLDER = 3
SMSC_NUMBER = "+6281100000"
SENT_LOG = "sent.log"


class InjectError(ValueError):
    """No dummy modem configured, or the message cannot be injected."""


def dummy_modems(config: GammuConfig) -> list[ModemConfig]:
    return [m for m in config.modems if m.is_dummy]


def _pick(config: GammuConfig, data_dir: Path, modem: str | None) -> tuple[ModemConfig, str]:
    candidates = dummy_modems(config)
    if modem is not None:
        candidates = [m for m in candidates if m.name == modem]
    if not candidates:
        wanted = f" named {modem!r}" if modem else ""
        raise InjectError(f"no dummy modem{wanted} in [adapters.sms.gammu] modems")
    chosen = candidates[0]
    return chosen, resolve_device(chosen, data_dir)


def deliver_parts(
    sender: str, text: str, *, at: datetime | None = None, smsc: str = SMSC_NUMBER
) -> list[dict[str, Any]]:
    """SMS-DELIVER parts as a phone receives *text* from *sender* (UCS-2 if not GSM-7)."""
    if not sender.strip():
        raise InjectError("sender is empty")
    when = (at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None, microsecond=0)
    parts: list[dict[str, Any]] = gammu.EncodeSMS(
        {
            "Class": -1,
            "Unicode": not is_gsm7(text),
            "Entries": [{"ID": "ConcatenatedTextLong", "Buffer": text}],
        }
    )
    for part in parts:
        part["Type"] = "Deliver"
        part["Number"] = sender.strip()
        part["SMSC"] = {"Location": 0, "Number": smsc}
        part["DateTime"] = when  # libgammu stores it as UTC ("...Z")
        part["State"] = "UnRead"
        part["Folder"] = INBOX_FOLDER
    return parts


def write_inbox(device: str, parts: list[dict[str, Any]], folder: int = INBOX_FOLDER) -> list[str]:
    """Store each part as its own inbox file; returns the file paths."""
    ensure_dummy_layout(device)
    inbox = Path(device) / "sms" / str(folder)
    written: list[str] = []
    for part in parts:
        fd, tmp = tempfile.mkstemp(prefix=".inject-", dir=Path(device))
        os.close(fd)
        try:
            gammu.SaveSMSBackup(tmp, [part])
            written.append(str(_link_first_free(Path(tmp), inbox)))
        finally:
            Path(tmp).unlink(missing_ok=True)
    return written


def _link_first_free(tmp: Path, inbox: Path) -> Path:
    for number in range(1, DUMMY_MAX_SMS):
        target = inbox / str(number)
        try:
            os.link(tmp, target)
        except FileExistsError:
            continue
        return target
    raise InjectError("dummy inbox is full")


def inject(
    config: GammuConfig,
    data_dir: Path,
    sender: str,
    text: str,
    *,
    modem: str | None = None,
    at: datetime | None = None,
) -> list[str]:
    """Put an SMS from *sender* into the first (or the named) dummy modem's inbox
    (*config* is ``[adapters.sms.gammu]``; a relative dummy folder is taken relative to
    *data_dir*, ``gateway.data_dir``)."""
    _, device = _pick(config, data_dir, modem)
    return write_inbox(device, deliver_parts(sender, text, at=at))


def append_sent(device: str, record: dict[str, Any]) -> None:
    """Append one sent SMS to the dummy modem's ack log (called by the adapter's send)."""
    path = Path(device) / SENT_LOG
    line = json.dumps(record, ensure_ascii=False, sort_keys=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def read_sent(device: str) -> list[dict[str, Any]]:
    path = Path(device) / SENT_LOG
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    out: list[dict[str, Any]] = []
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn last line after a crash
        if isinstance(record, dict):
            out.append(record)
    return out


def sent_log(config: GammuConfig, data_dir: Path) -> list[dict[str, Any]]:
    """Every SMS the gateway sent through dummy modems, oldest first."""
    records: list[dict[str, Any]] = []
    for modem in dummy_modems(config):
        records += read_sent(resolve_device(modem, data_dir))
    return sorted(records, key=lambda r: str(r.get("at", "")))

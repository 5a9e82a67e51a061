"""`sms inject` / `sms sent`: dummy inbox files as libgammu's dummy driver reads them, the
config's relative dummy folder, and the CLI subcommands."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gammu
import pytest

from adapters.sms.config import GammuConfig, ModemConfig
from adapters.sms.gammu.device import ModemDevice
from adapters.sms.gammu.errors import ErrorKind, ModemError
from adapters.sms.gammu.inject import InjectError, append_sent, inject, read_sent, sent_log
from gateway import cli
from gateway.config import Config, load_config

DUMMY = {"name": "dummy", "model": "dummy", "connection": "none", "device": "dm"}


def gammu_config(tmp_path: Path, config_factory: Callable[..., Config]) -> Config:
    return config_factory({"adapters": {"sms": {"gammu": {"enabled": True, "modems": [DUMMY]}}}})


def _target(config: Config) -> tuple[GammuConfig, Path]:
    """What inject and sent_log read: ``[adapters.sms.gammu]`` and ``gateway.data_dir``."""
    return config.adapters.sms.gammu, config.gateway.data_dir


def read_with_libgammu(device: Path) -> list[dict[str, Any]]:
    """Read the inbox the way the adapter does, through the real dummy driver."""
    modem = ModemConfig(**{**DUMMY, "device": str(device)})
    dev = ModemDevice(modem, str(device))
    dev.connect()
    try:
        return dev.read_inbox()
    finally:
        dev.disconnect()


@pytest.mark.parametrize(
    ("text", "parts", "coding"),
    [
        pytest.param("Jalan rusak", 1, "Default_No_Compression", id="gsm7-single"),
        pytest.param("x" * 161, 2, "Default_No_Compression", id="gsm7-two-parts"),
        pytest.param("Banjir 🌊", 1, "Unicode_No_Compression", id="ucs2-single"),
        pytest.param("Banjir 🌊 " * 20, 3, "Unicode_No_Compression", id="ucs2-multipart"),
    ],
)
def test_inject_writes_inbox_files_the_dummy_driver_reads(
    tmp_path: Path, config_factory: Callable[..., Config], text: str, parts: int, coding: str
) -> None:
    config = gammu_config(tmp_path, config_factory)
    files = inject(*_target(config), "081234567890", text)
    device = tmp_path / "data" / "dm"
    assert [Path(f).parent for f in files] == [device / "sms" / "3"] * parts
    got = read_with_libgammu(device)
    assert len(got) == parts
    assert {m["Type"] for m in got} == {"Deliver"}
    assert {m["Coding"] for m in got} == {coding}
    assert {m["Number"] for m in got} == {"081234567890"}
    decoded = gammu.DecodeSMS(got) if parts > 1 else None
    full = decoded["Entries"][0]["Buffer"] if decoded else got[0]["Text"]
    assert full == text


def test_concurrent_injects_never_share_a_location(
    tmp_path: Path, config_factory: Callable[..., Config]
) -> None:
    config = gammu_config(tmp_path, config_factory)
    files = [f for i in range(20) for f in inject(*_target(config), "0812345678", f"laporan nomor {i}")]
    assert len(set(files)) == 20
    assert not [p for p in (tmp_path / "data" / "dm").iterdir() if p.name.startswith(".inject")]


def test_inject_without_dummy_modem_is_a_clear_error(config_factory: Callable[..., Config]) -> None:
    with pytest.raises(InjectError, match="no dummy modem"):
        inject(*_target(config_factory()), "0812345678", "teks")


def test_sent_log_reads_every_dummy_modem_and_skips_a_torn_line(
    tmp_path: Path, config_factory: Callable[..., Config]
) -> None:
    config = gammu_config(tmp_path, config_factory)
    device = tmp_path / "data" / "dm"
    device.mkdir(parents=True)
    append_sent(str(device), {"at": "2026-11-25T10:00:01", "to": "+62812", "text": "b"})
    append_sent(str(device), {"at": "2026-11-25T10:00:00", "to": "+62812", "text": "a"})
    with (device / "sent.log").open("a") as fh:
        fh.write('{"at": "2026-11-25T10:00:02", "te')
    assert [r["text"] for r in sent_log(*_target(config))] == ["a", "b"]
    assert read_sent(str(tmp_path / "nowhere")) == []


def test_relative_dummy_folder_is_resolved_against_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[adapters.sms.gammu]\nenabled = true\nmodems = [{name = "dummy", model = "dummy", '
        'connection = "none", device = "data/dummy-modem"}, {name = "usb", '
        'connection = "at115200", device = "/dev/ttyUSB0"}]\n'
    )
    config = load_config(tmp_path / "config.toml", env={})
    dummy, usb = config.adapters.sms.gammu.modems
    assert dummy.device == str(tmp_path / "data" / "dummy-modem")
    assert usb.device == "/dev/ttyUSB0"


def test_cli_sms_inject_and_sent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[gateway]\ndata_dir = "{tmp_path / "data"}"\n'
        '[adapters.sms.gammu]\nenabled = true\nmodems = [{name = "dummy", model = "dummy", '
        'connection = "none", device = "dm"}]\n'
    )
    assert cli.main(["--config", str(cfg), "sms", "inject", "--from", "0812", "x" * 200]) == 0
    assert "2 SMS part(s)" in capsys.readouterr().out
    assert len(os.listdir(tmp_path / "dm" / "sms" / "3")) == 2
    append_sent(str(tmp_path / "dm"), {"at": "t", "modem": "dummy", "to": "+62812", "text": "ok"})
    assert cli.main(["--config", str(cfg), "sms", "sent", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["text"] == "ok" and row["modem"] == "dummy"


class _LockedSim:
    """libgammu's dummy never asks for a PIN, so the SIM side of PIN entry is simulated."""

    def __init__(self, status: str | None) -> None:
        self.status = status
        self.entered: list[tuple[str, str]] = []

    def GetSecurityStatus(self) -> str | None:
        return self.status

    def EnterSecurityCode(self, kind: str, code: str) -> None:
        self.entered.append((kind, code))
        if code == "1234":
            self.status = None


@pytest.mark.parametrize(
    ("status", "pin", "ok"),
    [
        pytest.param(None, None, True, id="no-pin-needed"),
        pytest.param("PIN", "1234", True, id="pin-entered"),
        pytest.param("PIN", "0000", False, id="wrong-pin"),
        pytest.param("PIN", None, False, id="pin-not-configured"),
        pytest.param("PUK", "1234", False, id="puk-needs-a-human"),
    ],
)
def test_pin_entry(status: str | None, pin: str | None, ok: bool) -> None:
    modem = ModemConfig(name="m", connection="at115200", device="/dev/ttyUSB9", pin=pin)
    sim = _LockedSim(status)
    device = ModemDevice(modem, modem.device)
    if ok:
        device._unlock(sim)
    else:
        with pytest.raises(ModemError) as err:
            device._unlock(sim)
        assert err.value.kind is ErrorKind.SIM_LOCKED
        assert "1234" not in str(err.value) and "0000" not in str(err.value)

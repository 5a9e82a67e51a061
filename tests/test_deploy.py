"""The example deployment in deploy/ stays valid: its instance config passes check-config
with the environment its systemd unit names, and the unit starts that config."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from gateway.config import load_config
from gateway.config_check import config_warnings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / "lapor-gateway@.service").read_text())
    return parser


def test_instance_config_is_valid_postgresql_without_warnings() -> None:
    names = re.findall(r"LAPOR_\w+", (DEPLOY / "lapor-gateway@.service").read_text())
    env = {name: "x" for name in names} | {"LAPOR_CORE_URL": "https://core.example/cases"}
    path = DEPLOY / "instance.toml"
    config = load_config(path, env=env)
    assert config.gateway.is_postgresql
    assert config_warnings(config, path) == []


def test_unit_runs_the_instance_config_and_restarts() -> None:
    service = unit()["Service"]
    assert service["ExecStart"].endswith(
        "lapor-gateway run --config /opt/lapor-gateway/deploy/instance.toml"
    )
    assert service["Restart"] == "always" and service["KillSignal"] == "SIGTERM"
    assert unit()["Install"]["WantedBy"] == "multi-user.target"

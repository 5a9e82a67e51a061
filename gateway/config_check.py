"""Warnings about a config that is valid but cannot work as the operator probably meant.

``check-config`` prints them (``warning: key.path: ...``) and still exits 0, and ``run``
logs them at start: each names a door that is switched on but refuses everything (a
signed door without its secret, Open311 without an api_key, an external core that cannot
sign its events), or a template too long for one SMS. They are warnings, not errors,
because such a gateway still starts and serves every other door; a config with a real
error (an unknown key, an unset ``${NAME}``) is refused by :func:`gateway.config.load_config`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from adapters.mobile.config import MobileConfig
from adapters.open311.config import Open311Config
from adapters.web.config import WebConfig
from gateway.config import Config
from gateway.sections import template_warnings


def door_warnings(config: Config) -> list[str]:
    """Enabled doors that cannot accept a single request as configured."""
    warnings = []
    adapters = config.adapters
    signed = (("web", adapters.section(WebConfig)), ("mobile", adapters.section(MobileConfig)))
    for name, section in signed:
        if section.enabled and section.require_signature and not section.secret.get_secret_value():
            warnings.append(
                f"adapters.{name}.secret: empty while adapters.{name} is enabled with "
                "require_signature: every request is refused (401 signing secret is not "
                "configured)"
            )
    open311 = adapters.section(Open311Config)
    if open311.enabled and not open311.api_keys:
        warnings.append(
            "adapters.open311.api_keys: empty while adapters.open311 is enabled: every "
            "POST requests is refused (403)"
        )
    if config.core.url and not config.core.events_secret.get_secret_value():
        warnings.append(
            "core.events_secret: empty while core.url is set: the core's status events "
            "(POST /v1/core/events) are all refused (401)"
        )
    return warnings


def file_warnings(path: Path) -> list[str]:
    """A config file with no setting at all: every value is its built-in default (which
    has no secrets, so the signed doors refuse everything), most likely the wrong file."""
    try:
        empty = not tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []  # load_config has reported it already
    return [f"{path}: no settings in this file: every value is its default"] if empty else []


def config_warnings(config: Config, path: Path | None = None) -> list[str]:
    """Every warning for *config* (read from *path*, when given), in file order of concern."""
    return [
        *(file_warnings(path) if path is not None else []),
        *door_warnings(config),
        *template_warnings(config),
        *database_warnings(config),
    ]


def database_warnings(config: Config) -> list[str]:
    """Settings that a PostgreSQL database (several instances) makes moot."""
    if config.gateway.is_postgresql and config.outbox.core_forwarder == "process":
        return [
            "outbox.core_forwarder: 'process' is not used with a postgresql database: the "
            "instance holding the core-forwarder lease forwards inline (README, Running "
            "several instances)"
        ]
    return []

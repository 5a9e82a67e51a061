"""Loading and validating ``config.toml``: the core's sections plus every adapter's.

``tomllib`` parses, ``${NAME}`` references are expanded from the environment, and pydantic
models (unknown keys rejected) validate. Every problem is reported as ``key.path: message``
so an operator can fix all of them in one pass; :class:`ConfigError` carries the list.
Secrets are :class:`pydantic.SecretStr` and never appear in messages.

This is wiring: the core's sections come from :mod:`gateway.sections`, ``[adapters.*]``
from the config model each row of :mod:`gateway.registry` declares.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, ValidationError

from gateway import registry
from gateway.registry import AdapterSections
from gateway.sections import GatewayConfig

if TYPE_CHECKING:  # mypy sees the base; pydantic validates with the assembled model
    AdaptersSection = AdapterSections
else:
    AdaptersSection = registry.sections_model()

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConfigError(Exception):
    """The config is invalid; ``problems`` are ``key.path: message`` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Config(GatewayConfig):
    """The whole file: the core's sections and ``[adapters.*]`` (read by name at run
    time, ``config.adapters.web``; in typed code ``config.adapters.section(WebConfig)``)."""

    adapters: AdaptersSection = Field(default_factory=AdaptersSection)


def expand_env(value: Any, path: str, env: Mapping[str, str], problems: list[str]) -> Any:
    """Replace ``${NAME}`` in every string; an unset variable is a problem at *path*."""
    if isinstance(value, str):

        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env:
                problems.append(f"{path}: environment variable {name} is not set")
                return ""
            return env[name]

        return _ENV_REF.sub(sub, value)
    if isinstance(value, dict):
        return {
            k: expand_env(v, f"{path}.{k}" if path else k, env, problems) for k, v in value.items()
        }
    if isinstance(value, list):
        return [expand_env(v, f"{path}[{i}]", env, problems) for i, v in enumerate(value)]
    return value


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(root)"


def parse_config(data: dict[str, Any], env: Mapping[str, str] | None = None) -> Config:
    """Validate an already-parsed TOML document."""
    problems: list[str] = []
    expanded = expand_env(data, "", os.environ if env is None else env, problems)
    try:
        config = Config.model_validate(expanded)
    except ValidationError as exc:
        for err in exc.errors(include_url=False, include_input=False):
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            problems.append(f"{_loc(err['loc'])}: {msg}")
        raise ConfigError(problems) from None
    if problems:
        raise ConfigError(problems)
    return config


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """Read, expand and validate *path*; raise :class:`ConfigError` with every problem.

    Relative paths in ``[gateway]`` are resolved against the config file's folder so the
    gateway behaves the same whatever the working directory.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read config: {exc.strerror}"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: not UTF-8"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: TOML syntax error: {exc}"]) from None
    config = parse_config(data, env)
    return _resolve_paths(config, path.parent)


def _resolve_paths(config: Config, base: Path) -> Config:
    """Relative paths of ``[gateway]`` and of each adapter's section (its registry row's
    ``resolve_paths``), made absolute against *base*."""
    gw = config.gateway
    data_dir = gw.data_dir if gw.data_dir.is_absolute() else (base / gw.data_dir).resolve()
    database = gw.database
    if not gw.is_postgresql:
        db = gw.database_path
        database = f"sqlite:///{db if db.is_absolute() else (base / db).resolve()}"
    new_gw = gw.model_copy(update={"data_dir": data_dir, "database": database})
    adapters = registry.resolve_paths(config.adapters, base)
    return config.model_copy(update={"gateway": new_gw, "adapters": adapters})

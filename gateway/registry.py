"""The explicit adapter table: which adapters exist and how each is built from config.

No directory scanning: an adapter exists because a row here names it. Each row maps a
registry name (also the ``ReplyAddress.adapter`` its reports carry) to a function that
returns the adapter when its config section is enabled, else None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gateway.adapter import Adapter, AdapterContext
from gateway.config import Config


@dataclass(frozen=True)
class AdapterSpec:
    name: str
    #: the config section that enables it (start errors name it)
    config_key: str
    build: Callable[[AdapterContext, Config], Adapter | None]


def _web(ctx: AdapterContext, config: Config) -> Adapter | None:
    from adapters.web.adapter import WebAdapter

    section = config.adapters.web
    return WebAdapter(ctx, section) if section.enabled else None


def _mobile(ctx: AdapterContext, config: Config) -> Adapter | None:
    from adapters.mobile.adapter import MobileAdapter

    section = config.adapters.mobile
    return MobileAdapter(ctx, section) if section.enabled else None


def _open311(ctx: AdapterContext, config: Config) -> Adapter | None:
    from adapters.open311.adapter import Open311Adapter

    section = config.adapters.open311
    return Open311Adapter(ctx, section) if section.enabled else None


def _sms_gammu(ctx: AdapterContext, config: Config) -> Adapter | None:
    from adapters.sms.gammu.adapter import GammuAdapter

    section = config.adapters.sms.gammu
    return GammuAdapter(ctx, section, config.adapters.sms) if section.enabled else None


def _sms_smpp(ctx: AdapterContext, config: Config) -> Adapter | None:
    from adapters.sms.smpp import SmppAdapter

    section = config.adapters.sms.smpp
    return SmppAdapter(ctx, config.adapters.sms) if section.enabled else None


def _twitter(ctx: AdapterContext, config: Config) -> Adapter | None:
    from adapters.twitter.adapter import TwitterAdapter

    section = config.adapters.twitter
    return TwitterAdapter(ctx, section) if section.enabled else None


ADAPTERS: list[AdapterSpec] = [
    AdapterSpec("web", "adapters.web", _web),
    AdapterSpec("mobile", "adapters.mobile", _mobile),
    AdapterSpec("open311", "adapters.open311", _open311),
    AdapterSpec("sms.gammu", "adapters.sms.gammu", _sms_gammu),
    AdapterSpec("sms.smpp", "adapters.sms.smpp", _sms_smpp),
    AdapterSpec("twitter", "adapters.twitter", _twitter),
]


def build_adapters(ctx: AdapterContext, config: Config) -> dict[str, Adapter]:
    """Instantiate every enabled adapter, keyed by registry name."""
    built: dict[str, Adapter] = {}
    for spec in ADAPTERS:
        adapter = spec.build(ctx, config)
        if adapter is not None:
            built[spec.name] = adapter
    return built

"""The explicit adapter table: which adapters exist, their config, and how each is built.

No directory scanning: an adapter exists because a row here names it. Each row maps a
registry name (also the ``ReplyAddress.adapter`` its reports carry) to its config model
(its table ``[adapters.<section>]``), to a function that returns the adapter when that
section enables it, else None, and to the door's hooks: its ``/openapi.json`` paths and its
operator subcommands (its HTTP routes come from the built adapter, :meth:`Adapter.routes`).
:mod:`gateway.config` assembles ``[adapters]`` from these rows, so adding a door is one
package and one row here; the core never sees an adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import Field, create_model

from adapters.mobile.config import MobileConfig
from adapters.open311.config import Open311Config
from adapters.sms.config import SmsConfig
from adapters.sms.gammu.commands import COMMANDS as GAMMU_COMMANDS
from adapters.telegram.config import TelegramConfig
from adapters.twitter.config import TwitterConfig
from adapters.web.config import WebConfig
from adapters.whatsapp.config import WhatsAppConfig
from gateway.adapter import Adapter, AdapterContext, Command
from gateway.openapi import web_paths
from gateway.settings_base import Settings

C = TypeVar("C", bound=Settings)


@dataclass(frozen=True)
class AdapterSpec(Generic[C]):
    """One door: its name, its config model and how it is built from that section."""

    #: ``<section>`` or ``<section>.<transport>``; start errors name ``adapters.<name>``
    name: str
    #: validates ``[adapters.<section>]``; rows that share a section (the SMS transports)
    #: declare the same model
    config_model: type[C]
    build: Callable[[AdapterContext, C], Adapter | None]
    #: makes the section's relative paths absolute against the config file's folder
    resolve_paths: Callable[[C, Path], C] | None = None
    #: the door's paths in ``/openapi.json`` (its routes come from :meth:`Adapter.routes`)
    openapi: Callable[[C], dict[str, Any]] | None = None
    #: operator subcommands (``lapor-gateway sms inject``), run on the door's section
    commands: Sequence[Command[C]] = ()

    @property
    def section(self) -> str:
        """The table under ``[adapters]`` this adapter reads."""
        return self.name.partition(".")[0]


def _web(ctx: AdapterContext, section: WebConfig) -> Adapter | None:
    from adapters.web.adapter import WebAdapter

    return WebAdapter(ctx, section) if section.enabled else None


def _mobile(ctx: AdapterContext, section: MobileConfig) -> Adapter | None:
    from adapters.mobile.adapter import MobileAdapter

    return MobileAdapter(ctx, section) if section.enabled else None


def _open311(ctx: AdapterContext, section: Open311Config) -> Adapter | None:
    from adapters.open311.adapter import Open311Adapter

    return Open311Adapter(ctx, section) if section.enabled else None


def _mobile_openapi(section: MobileConfig) -> dict[str, Any]:
    from adapters.mobile.openapi import openapi_paths

    return openapi_paths(section)


def _open311_openapi(section: Open311Config) -> dict[str, Any]:
    from adapters.open311.openapi import openapi_paths

    return openapi_paths(section)


def _sms_gammu(ctx: AdapterContext, sms: SmsConfig) -> Adapter | None:
    from adapters.sms.gammu.adapter import GammuAdapter

    return GammuAdapter(ctx, sms.gammu, sms) if sms.gammu.enabled else None


def _sms_gammu_paths(sms: SmsConfig, base: Path) -> SmsConfig:
    from adapters.sms.gammu.paths import resolve_modem_folders

    return resolve_modem_folders(sms, base)


def _sms_smpp(ctx: AdapterContext, sms: SmsConfig) -> Adapter | None:
    from adapters.sms.smpp import SmppAdapter

    return SmppAdapter(ctx, sms) if sms.smpp.enabled else None


def _twitter(ctx: AdapterContext, section: TwitterConfig) -> Adapter | None:
    from adapters.twitter.adapter import TwitterAdapter

    return TwitterAdapter(ctx, section) if section.enabled else None


def _telegram(ctx: AdapterContext, section: TelegramConfig) -> Adapter | None:
    from adapters.telegram.adapter import TelegramAdapter

    return TelegramAdapter(ctx, section) if section.enabled else None


def _telegram_openapi(section: TelegramConfig) -> dict[str, Any]:
    from adapters.telegram.openapi import openapi_paths

    return openapi_paths(section)


def _whatsapp(ctx: AdapterContext, section: WhatsAppConfig) -> Adapter | None:
    from adapters.whatsapp.adapter import WhatsAppAdapter

    return WhatsAppAdapter(ctx, section) if section.enabled else None


def _whatsapp_openapi(section: WhatsAppConfig) -> dict[str, Any]:
    from adapters.whatsapp.openapi import openapi_paths

    return openapi_paths(section)


ADAPTERS: Sequence[AdapterSpec[Any]] = (
    AdapterSpec("web", WebConfig, _web, openapi=web_paths),
    AdapterSpec("mobile", MobileConfig, _mobile, openapi=_mobile_openapi),
    AdapterSpec("open311", Open311Config, _open311, openapi=_open311_openapi),
    AdapterSpec("sms.gammu", SmsConfig, _sms_gammu, _sms_gammu_paths, commands=GAMMU_COMMANDS),
    AdapterSpec("sms.smpp", SmsConfig, _sms_smpp),
    AdapterSpec("twitter", TwitterConfig, _twitter),
    AdapterSpec("telegram", TelegramConfig, _telegram, openapi=_telegram_openapi),
    AdapterSpec("whatsapp", WhatsAppConfig, _whatsapp, openapi=_whatsapp_openapi),
)


class AdapterSections(Settings):
    """``[adapters]``: one field per section of :data:`ADAPTERS`, added by
    :func:`sections_model`. Fields are read by name at run time (``config.adapters.web``);
    typed code asks by model, :meth:`section`."""

    def section(self, model: type[C]) -> C:
        """The section validated by *model* (the config model a registry row declares)."""
        for name in type(self).model_fields:
            value = getattr(self, name)
            if type(value) is model:
                return value
        raise LookupError(f"no [adapters] section is a {model.__name__}")


def sections_model(specs: Sequence[AdapterSpec[Any]] = ADAPTERS) -> type[AdapterSections]:
    """The pydantic model of ``[adapters]``: each row's section, validated by its model
    (unknown keys rejected, absent sections at their defaults)."""
    models: dict[str, type[Settings]] = {}
    for spec in specs:
        known = models.setdefault(spec.section, spec.config_model)
        if known is not spec.config_model:
            raise TypeError(
                f"adapters.{spec.section}: {spec.name} declares {spec.config_model.__name__}, "
                f"another row {known.__name__}"
            )
    fields: dict[str, Any] = {
        section: (model, Field(default_factory=model)) for section, model in models.items()
    }
    return create_model("AdaptersSection", __base__=AdapterSections, **fields)


def resolve_paths(
    sections: AdapterSections, base: Path, specs: Sequence[AdapterSpec[Any]] = ADAPTERS
) -> AdapterSections:
    """*sections* with every row's relative paths made absolute against *base*."""
    update: dict[str, Settings] = {}
    for spec in specs:
        if spec.resolve_paths is not None:
            current = update.get(spec.section, getattr(sections, spec.section))
            update[spec.section] = spec.resolve_paths(current, base)
    return sections.model_copy(update=update) if update else sections


def build_adapters(
    ctx: AdapterContext, sections: AdapterSections, specs: Sequence[AdapterSpec[Any]] = ADAPTERS
) -> dict[str, Adapter]:
    """Instantiate every enabled adapter, keyed by registry name."""
    built: dict[str, Adapter] = {}
    for spec in specs:
        adapter = spec.build(ctx, getattr(sections, spec.section))
        if adapter is not None:
            built[spec.name] = adapter
    return built


def openapi_paths(
    sections: AdapterSections,
    running: Collection[str],
    specs: Sequence[AdapterSpec[Any]] = ADAPTERS,
) -> dict[str, Any]:
    """The ``/openapi.json`` paths of the *running* doors (registry names), from their rows."""
    paths: dict[str, Any] = {}
    for spec in specs:
        if spec.name in running and spec.openapi is not None:
            paths.update(spec.openapi(getattr(sections, spec.section)))
    return paths


def commands(specs: Sequence[AdapterSpec[Any]] = ADAPTERS) -> list[tuple[str, Command[Any]]]:
    """Every door's operator subcommands, each with the section it runs on."""
    return [(spec.section, command) for spec in specs for command in spec.commands]

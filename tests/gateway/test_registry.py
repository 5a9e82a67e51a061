"""``[adapters]`` is assembled from the registry: each row's own config model, one table per
section, unknown keys refused by path; a new door is one row (config, paths, build)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from adapters.sms.config import SmsConfig
from adapters.web.config import WebConfig
from gateway.adapter import Adapter, AdapterContext, Command
from gateway.config import Config, ConfigError, parse_config
from gateway.registry import (
    ADAPTERS,
    AdapterSections,
    AdapterSpec,
    build_adapters,
    openapi_paths,
    resolve_paths,
    sections_model,
)
from gateway.settings_base import Settings


class PagerConfig(Settings):
    enabled: bool = False
    spool: str = "spool"


class _Pager:
    def __init__(self, section: PagerConfig) -> None:
        self.section = section


def _pager(ctx: AdapterContext, section: PagerConfig) -> Adapter | None:
    return _Pager(section) if section.enabled else None  # type: ignore[return-value]


def _pager_paths(section: PagerConfig, base: Path) -> PagerConfig:
    return section.model_copy(update={"spool": str(base / section.spool)})


PAGER = AdapterSpec("pager", PagerConfig, _pager, _pager_paths)


def test_adapters_table_has_one_section_per_registry_row_with_its_model() -> None:
    fields = type(Config().adapters).model_fields
    assert set(fields) == {spec.section for spec in ADAPTERS}
    for spec in ADAPTERS:
        assert fields[spec.section].annotation is spec.config_model


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        pytest.param({"pager": {}}, "adapters.pager: unknown key", id="unknown-section"),
        pytest.param({"web": {"scret": "x"}}, "adapters.web.scret: unknown key", id="typo"),
        pytest.param({"sms": {"gammu": {"enabled": 2}}}, "adapters.sms.gammu.enabled: ", id="type"),
    ],
)
def test_adapter_problems_name_the_key(doc: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"adapters": doc}, env={})
    assert any(p.startswith(expected) for p in err.value.problems), err.value.problems


def test_typed_access_by_model_is_the_named_section() -> None:
    config = parse_config({"adapters": {"web": {"enabled": True, "secret": "s"}}}, env={})
    assert config.adapters.section(WebConfig) is config.adapters.web
    assert config.adapters.section(SmsConfig) is config.adapters.sms
    with pytest.raises(LookupError, match="PagerConfig"):
        config.adapters.section(PagerConfig)


def test_a_new_door_is_one_row(tmp_path: Path) -> None:
    specs = [*ADAPTERS, PAGER]
    model = sections_model(specs)
    sections = model.model_validate({"pager": {"enabled": True}, "web": {"enabled": False}})
    assert isinstance(sections, AdapterSections)
    assert sections.section(PagerConfig).enabled
    resolved = resolve_paths(sections, tmp_path, specs)
    assert resolved.section(PagerConfig).spool == str(tmp_path / "spool")
    built = build_adapters(None, resolved, [PAGER])  # type: ignore[arg-type]
    assert list(built) == ["pager"]
    with pytest.raises(ValidationError) as err:
        model.model_validate({"pager": {"spol": "x"}})
    assert err.value.errors()[0]["loc"] == ("pager", "spol")


def test_rows_sharing_a_section_must_share_its_model() -> None:
    clash = AdapterSpec("web.other", PagerConfig, _pager)
    with pytest.raises(TypeError, match=r"adapters\.web: web\.other declares PagerConfig"):
        sections_model([*ADAPTERS, clash])


def _pager_openapi(section: PagerConfig) -> dict[str, Any]:
    return {"/v1/pager/page": {"post": {"summary": f"page (spool {section.spool})"}}}


def _pager_status(section: PagerConfig, data_dir: Path, args: Any) -> list[dict[str, Any]]:
    return [{"spool": section.spool, "data_dir": str(data_dir), "limit": args.limit}]


PAGER_HOOKED = AdapterSpec(
    "pager",
    PagerConfig,
    _pager,
    openapi=_pager_openapi,
    commands=(
        Command(
            "pager",
            "pager tools",
            "status",
            "show the spool",
            lambda p: p.add_argument("--limit", type=int, default=5),
            _pager_status,
            rows=True,
        ),
    ),
)


def test_a_doors_openapi_paths_come_from_its_row_only_while_it_runs() -> None:
    specs = [*ADAPTERS, PAGER_HOOKED]
    sections = sections_model(specs).model_validate({"pager": {"spool": "s1"}})
    paths = openapi_paths(sections, {"pager", "mobile"}, specs)
    assert paths["/v1/pager/page"]["post"]["summary"] == "page (spool s1)"
    assert "/v1/mobile/reports" in paths
    assert "/v1/web/reports" not in paths  # web is not running
    assert "/v1/pager/page" not in openapi_paths(sections, {"web"}, specs)


def test_a_doors_subcommands_come_from_its_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``lapor-gateway pager status`` exists because the row declares it, runs on the
    door's own section, and prints its rows as JSON with --json."""
    import json

    from gateway import cli, registry

    specs = [*ADAPTERS, PAGER_HOOKED]
    monkeypatch.setattr(registry, "ADAPTERS", specs)
    monkeypatch.setattr(registry.commands, "__defaults__", (specs,))
    assert ("sms", "inject") in {(c.group, c.name) for _, c in registry.commands(ADAPTERS)}
    config = parse_config({"gateway": {"data_dir": str(tmp_path)}, "adapters": {}})
    args = cli.build_parser().parse_args(["pager", "status", "--limit", "3", "--json"])
    sections = sections_model(specs).model_validate({"pager": {"spool": "sp"}})
    config = config.model_copy(update={"adapters": sections})
    assert asyncio.run(args.fn(config, args)) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [{"spool": "sp", "data_dir": str(tmp_path), "limit": 3}]

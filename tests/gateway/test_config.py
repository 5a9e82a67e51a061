"""Config loading: every problem named by key path, env refs, TOML syntax errors, CLI exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gateway.config import ConfigError, load_config, parse_config
from gateway.sections import template_warnings

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_config_is_valid() -> None:
    env = {"LAPOR_WEB_SECRET": "a", "LAPOR_MOBILE_SECRET": "b", "LAPOR_CORE_EVENTS_SECRET": "c"}
    config = load_config(ROOT / "config.toml", env=env)
    assert config.adapters.web.secret.get_secret_value() == "a"
    assert config.gateway.data_dir.is_absolute()
    assert template_warnings(config) == []


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        pytest.param(
            {"gateway": {"data_dri": "x"}}, "gateway.data_dri: unknown key", id="unknown-key"
        ),
        pytest.param({"http": {"port": "eighty"}}, "http.port: ", id="wrong-type"),
        pytest.param({"http": {"port": 70000}}, "http.port: ", id="out-of-range"),
        pytest.param(
            {"gateway": {"database": "postgres://x"}}, "gateway.database: ", id="bad-db-url"
        ),
        pytest.param(
            {"adapters": {"sms": {"smpp": {"binds": [{"name": "a", "host": "h"}]}}}},
            "adapters.sms.smpp.binds[0].system_id: ",
            id="list-path",
        ),
        pytest.param(
            {"adapters": {"web": {"secret": "${NOPE_UNSET}"}}},
            "adapters.web.secret: environment variable NOPE_UNSET is not set",
            id="unset-env",
        ),
        pytest.param(
            {"acks": {"templates": {"received": "{tracking_id"}}},
            "acks.templates: ",
            id="bad-template",
        ),
    ],
)
def test_problems_name_the_key(doc: dict, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(doc, env={})
    assert any(p.startswith(expected) for p in err.value.problems), err.value.problems


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(
            {"gateway": {"bogus": 1}, "http": {"port": -1}, "core": {"token": "${X_UNSET}"}}, env={}
        )
    assert len(err.value.problems) >= 3


def test_secret_values_never_appear_in_errors() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"core": {"token": "super-secret-value", "timeout_s": "slow"}}, env={})
    assert "super-secret-value" not in str(err.value)


@pytest.mark.parametrize("value", [pytest.param(5, id="seconds"), pytest.param(1e9, id="years")])
def test_throttle_budget_is_hours_not_seconds_or_years(value: float) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"outbox": {"throttled_give_up_after_s": value}}, env={})
    assert any(p.startswith("outbox.throttled_give_up_after_s: ") for p in err.value.problems)
    ok = parse_config({"outbox": {"throttled_give_up_after_s": 3600}}, env={})
    assert ok.outbox.throttled_give_up_after_s == 3600


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
        timeout=60,
    )


def test_check_config_cli_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[gateway]\ndata_dir = "x"\nport = = 3\n')
    proc = _cli("check-config", "--config", str(bad))
    assert proc.returncode == 2
    assert "bad.toml" in proc.stderr and "line 3" in proc.stderr and "column" in proc.stderr


def test_check_config_cli_lists_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[gateway]\nlog_level = "LOUD"\n[http]\nprot = 1\n')
    proc = _cli("check-config", "--config", str(bad))
    assert proc.returncode == 2
    assert "gateway.log_level:" in proc.stderr and "http.prot: unknown key" in proc.stderr


def test_run_refuses_invalid_config(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[http]\nport = 'x'\n")
    proc = _cli("run", "--config", str(bad))
    assert proc.returncode == 2 and "http.port:" in proc.stderr


def test_check_config_ok(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[adapters.web]\nsecret = "${W}"\n[core]\nevents_secret = "c"\n')
    proc = _cli("check-config", "--config", str(good), env={"W": "s"})
    assert proc.returncode == 0, proc.stderr


def test_check_config_warns_when_a_template_cannot_fit_one_sms(tmp_path: Path) -> None:
    long = (
        "LAPOR! " + "Terima kasih atas laporan Anda yang sangat berharga. " * 3 + "No {tracking_id}"
    )
    cfg = tmp_path / "t.toml"
    cfg.write_text(
        f'[core]\nevents_secret = "c"\n[adapters.web]\nsecret = "s"\n[acks.templates]\nreceived = "{long}"\n'
    )
    proc = _cli("check-config", "--config", str(cfg))
    assert proc.returncode == 0
    assert (
        "acks.templates.received: does not fit one 160-character GSM-7 SMS segment" in proc.stderr
    )


def test_default_templates_fit_one_segment_and_carry_the_id() -> None:
    from gateway.config import Config
    from gateway.templates import Templates
    from normalizer.gsm import fits_one_segment

    templates = Templates(Config().acks)
    for name in (
        "received",
        "duplicate",
        "status",
        "status_update",
        "invalid_tracking_id",
        "not_found",
    ):
        text = templates.render(
            name, tracking_id="123456789018", status="in_progress", note="Dinas PU"
        )
        assert fits_one_segment(text), (name, text)
        assert "1234-5678-9018" in text, name

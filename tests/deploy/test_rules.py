"""The shipped alert rules and dashboard queries, checked by Prometheus' own ``promtool``
(Debian package ``prometheus``): the rules parse, their unit tests pass (each alert shown
firing and not firing in ``deploy/prometheus/alerts_test.yml``), every dashboard query is
valid PromQL, and the metric-name extraction the ``/metrics`` test relies on is right."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.promql import (
    ALERTS,
    ALERTS_TEST,
    alert_rules,
    dashboard,
    dashboard_exprs,
    grafana_to_promql,
    metric_names,
)


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail(
            "promtool is not on PATH: install the Debian package `prometheus` "
            "(listed in system-packages.txt; `make test` installs it)"
        )
    return path


def run_promtool(*args: str) -> str:
    done = subprocess.run(
        [promtool(), *args], capture_output=True, text=True, timeout=120, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"promtool {' '.join(args)} failed:\n{output}"
    return output


def test_alert_rules_pass_promtool_check() -> None:
    output = run_promtool("check", "rules", str(ALERTS))
    assert f"SUCCESS: {len(alert_rules())} rules found" in output


def test_alert_rules_unit_tests_pass() -> None:
    assert "SUCCESS" in run_promtool("test", "rules", str(ALERTS_TEST))


def test_every_alert_is_unit_tested_firing_and_silent() -> None:
    tests = yaml.safe_load(ALERTS_TEST.read_text())["tests"]
    cases = [case for t in tests for case in t["alert_rule_test"]]
    for rule in alert_rules():
        mine = [c for c in cases if c["alertname"] == rule["alert"]]
        assert any(c["exp_alerts"] for c in mine), f"{rule['alert']} never shown firing"
        assert any(not c["exp_alerts"] for c in mine), f"{rule['alert']} never shown silent"


def test_every_alert_has_summary_description_and_runbook() -> None:
    for rule in alert_rules():
        notes = rule["annotations"]
        assert {"summary", "description", "runbook"} <= set(notes), rule["alert"]
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    """Each query, its Grafana variables filled in, as a recording rule: promtool parses
    it with Prometheus' own parser."""
    exprs = [grafana_to_promql(e) for _, e in dashboard_exprs(dashboard())]
    exprs = [e for e in exprs if not e.startswith("label_values(")]
    rules = [{"record": f"lapor:dashboard_query_{i}", "expr": e} for i, e in enumerate(exprs)]
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    assert f"SUCCESS: {len(rules)} rules found" in run_promtool("check", "rules", str(path))


def test_dashboard_uses_the_templated_datasource_everywhere() -> None:
    board = dashboard()
    assert board["schemaVersion"] >= 39
    names = [v["name"] for v in board["templating"]["list"] if v["type"] == "datasource"]
    assert names == ["DS_PROMETHEUS"]
    for panel in board["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
    titles = " ".join(p["title"].lower() for p in board["panels"])
    for topic in ("channel", "ack latency", "outbox", "oldest", "dead letters", "up/down"):
        assert topic in titles, topic
    assert "throttl" in titles


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        pytest.param("lapor_ready == 0", {"lapor_ready"}, id="comparison"),
        pytest.param(
            "histogram_quantile(0.95, sum by (le, target) (rate(lapor_ack_seconds_bucket"
            '{instance=~"$instance"}[$__rate_interval])))',
            {"lapor_ack_seconds_bucket"},
            id="quantile-grouping-variables",
        ),
        pytest.param(
            'sum(rate(x_total{a="b", c=~"sum(y)"}[5m])) by (job) / on (job) group_left (d) '
            "z_info offset 30m",
            {"x_total", "z_info"},
            id="matchers-on-group-left-offset",
        ),
        pytest.param(
            "(hour() + 7) % 24 >= 7 and on () vector(1) unless absent(m1) or 1e3 < bool m2",
            {"m1", "m2"},
            id="functions-numbers-keywords",
        ),
        pytest.param("label_values(lapor_ready, instance)", {"lapor_ready"}, id="label-values"),
        pytest.param('{__name__="only_matchers"}', set(), id="name-matcher-not-counted"),
    ],
)
def test_metric_names_of_an_expression(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names

"""What the shipped Grafana dashboard and alert rules query: their PromQL expressions and
the metric names in them, for the tests that check those names against ``/metrics``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "lapor-gateway.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
ALERTS_TEST = ROOT / "deploy" / "prometheus" / "alerts_test.yml"

#: Grafana's variables, replaced by values PromQL accepts (for ``promtool check rules``)
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$instance": ".*"}

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(
    r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", re.IGNORECASE
)
_WORD = re.compile(r"(?<![\w.:])[A-Za-z_:][\w:]*+(?!\s*\()")
_KEYWORDS = frozenset(
    "by without on ignoring group_left group_right and or unless bool offset inf nan atan2".split()
)
_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*([A-Za-z_:][\w:]*)")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (``foo_bucket`` of a histogram
    quantile, not the function names, label names, durations or numbers around it).
    A Grafana ``label_values(metric, label)`` query gives its metric."""
    found = _LABEL_VALUES.match(expr)
    if found:
        return {found.group(1)}
    bare = _STRING.sub('""', expr)
    bare = _MATCHERS.sub(" ", bare)
    bare = _RANGES.sub(" ", bare)
    bare = _GROUPING.sub(" ", bare)
    return {w for w in _WORD.findall(bare) if w.lower() not in _KEYWORDS}


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def dashboard_exprs(board: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, expr) for every query of the dashboard: panel targets and the templating
    variables that query Prometheus."""
    found = []
    for panel in _panels(board["panels"]):
        for target in panel.get("targets", []):
            found.append((f"panel {panel['title']!r} {target['refId']}", target["expr"]))
    for var in board["templating"]["list"]:
        if var["type"] == "query":
            query = var["query"]
            found.append(
                (f"variable {var['name']}", query["query"] if isinstance(query, dict) else query)
            )
    return found


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def grafana_to_promql(expr: str) -> str:
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(name, value)
    return expr

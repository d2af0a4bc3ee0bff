"""PromQL expressions of the committed dashboards and alert rules, for tests to check.

``dashboard_expressions()`` and ``rule_expressions()`` list ``(where, expr)`` pairs read from
``dashboards/json/*.json`` and ``deploy/prometheus/rules/*.yml``; ``substitute_grafana_macros``
turns a dashboard expression into one Prometheus' ``/api/v1/query`` accepts; ``metric_names``
lists the reservewatch series (``reservewatch_*``) and recording rules (``reservewatch:*``) an
expression reads.

Example::

    >>> metric_names('sum(rate(reservewatch_telemetry_rejected_total{reason="x"}[5m]))')
    {'reservewatch_telemetry_rejected_total'}
    >>> substitute_grafana_macros('rate(x{operation=~"$operation"}[$__rate_interval])')
    'rate(x{operation=~".*"}[1m])'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, cast

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DASHBOARD_JSON_DIR = REPO_ROOT / "dashboards" / "json"
RULES_DIR = REPO_ROOT / "deploy" / "prometheus" / "rules"

# Values that make every dashboard expression valid PromQL for an instant query.
GRAFANA_MACROS: Mapping[str, str] = {
    "$__rate_interval": "1m",
    "$__interval": "30s",
    "$__range": "5m",
}
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")
_STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_METRIC_NAME = re.compile(r"(?<![\w:])(reservewatch[_:][A-Za-z0-9_:]*)")


def iter_panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every panel, including those nested in collapsed rows."""
    for panel in panels:
        yield panel
        yield from iter_panels(panel.get("panels", []))


def dashboard_documents() -> dict[str, dict[str, Any]]:
    """Every committed dashboard's JSON document, keyed by file name."""
    return {
        path.name: cast("dict[str, Any]", json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(DASHBOARD_JSON_DIR.glob("*.json"))
    }


def dashboard_expressions() -> list[tuple[str, str]]:
    """``("<dashboard title> / <panel title>", expr)`` for every panel query."""
    expressions: list[tuple[str, str]] = []
    for document in dashboard_documents().values():
        for panel in iter_panels(document.get("panels", [])):
            for target in panel.get("targets", []):
                expr = target.get("expr")
                if expr:
                    expressions.append((f"{document['title']} / {panel['title']}", expr))
    return expressions


def dashboard_variable_queries() -> list[tuple[str, str]]:
    """``("<dashboard title> / $<variable>", query)`` for every query variable."""
    queries: list[tuple[str, str]] = []
    for document in dashboard_documents().values():
        for variable in document.get("templating", {}).get("list", []):
            if variable.get("type") == "query":
                query = variable["query"]
                text = query if isinstance(query, str) else str(query.get("query", ""))
                queries.append((f"{document['title']} / ${variable['name']}", text))
    return queries


def rule_documents() -> dict[str, dict[str, Any]]:
    """Every rule file's parsed YAML, keyed by file name."""
    return {
        path.name: cast("dict[str, Any]", yaml.safe_load(path.read_text(encoding="utf-8")))
        for path in sorted(RULES_DIR.glob("*.yml"))
    }


def rules() -> list[dict[str, Any]]:
    """Every rule (alerting and recording) of every group, in file order."""
    return [
        rule
        for document in rule_documents().values()
        for group in document.get("groups", [])
        for rule in group.get("rules", [])
    ]


def rule_expressions() -> list[tuple[str, str]]:
    """``(alert or record name, expr)`` for every rule."""
    return [(str(rule.get("alert") or rule.get("record")), str(rule["expr"])) for rule in rules()]


def recorded_names() -> set[str]:
    """Names the recording rules define (``reservewatch:...``)."""
    return {str(rule["record"]) for rule in rules() if "record" in rule}


def substitute_grafana_macros(expr: str, variables: Mapping[str, str] | None = None) -> str:
    """``expr`` with Grafana's macros and template variables replaced.

    Interval macros get fixed durations; ``$datasource`` is dropped (it names no series); any
    other variable becomes the value in ``variables`` or, by default, the regex ``.*`` so that
    ``label=~"$operation"`` matches every value.
    """
    for macro in sorted(GRAFANA_MACROS, key=len, reverse=True):
        expr = expr.replace(macro, GRAFANA_MACROS[macro])
    chosen = dict(variables or {})

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name == "datasource":
            return ""
        return chosen.get(name, ".*")

    return _VARIABLE.sub(replace, expr)


def metric_names(expr: str) -> set[str]:
    """Names beginning ``reservewatch_`` or ``reservewatch:`` that ``expr`` reads.

    Text inside string literals (label values) is ignored.
    """
    return set(_METRIC_NAME.findall(_STRING_LITERAL.sub('""', expr)))

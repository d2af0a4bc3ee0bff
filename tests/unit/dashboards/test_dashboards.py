"""The committed dashboard JSON matches the code, and every panel follows the house rules."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dashboards.build import render_all
from tests.metric_contract import EXPOSED_METRICS
from tests.promql import (
    DASHBOARD_JSON_DIR,
    dashboard_documents,
    dashboard_expressions,
    dashboard_variable_queries,
    iter_panels,
    metric_names,
    recorded_names,
    rule_expressions,
    substitute_grafana_macros,
)

REGENERATE = "regenerate with `python -m dashboards.build` and commit dashboards/json"
ALLOWED_UNITS = {"watt", "kwatth", "Hs", "s", "percentunit", "short", "celsius", "suffix: BTC",
                 "suffix: KZT", "reqps", "ops"}  # fmt: skip


def _data_panels() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{name} / {panel['title']}", panel)
        for name, document in dashboard_documents().items()
        for panel in iter_panels(document["panels"])
        if panel["type"] != "row"
    ]


def test_committed_json_matches_the_dashboard_code() -> None:
    rendered = render_all()
    committed = {
        path.name: path.read_text(encoding="utf-8") for path in DASHBOARD_JSON_DIR.glob("*.json")
    }
    assert sorted(committed) == sorted(rendered), REGENERATE
    for name, text in rendered.items():
        assert committed[name] == text, f"dashboards/json/{name} is out of date: {REGENERATE}"


def test_rendering_twice_gives_identical_text() -> None:
    assert render_all() == render_all()


def test_the_five_dashboards_exist_with_unique_uids() -> None:
    documents = dashboard_documents()
    assert set(documents) == {
        "grid-overview.json",
        "reserve-remittances.json",
        "reserve.json",
        "operation-drilldown.json",
        "collector-health.json",
    }
    uids = [document["uid"] for document in documents.values()]
    assert len(set(uids)) == len(uids)


def test_every_dashboard_has_a_prometheus_datasource_variable() -> None:
    for name, document in dashboard_documents().items():
        variables = {variable["name"]: variable for variable in document["templating"]["list"]}
        assert variables["datasource"]["type"] == "datasource", name
        assert variables["datasource"]["query"] == "prometheus", name


def test_every_panel_and_query_uses_the_datasource_variable() -> None:
    for where, panel in _data_panels():
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, where
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}", where


def test_every_panel_has_a_known_unit_and_thresholds() -> None:
    for where, panel in _data_panels():
        defaults = panel["fieldConfig"]["defaults"]
        assert defaults.get("unit") in ALLOWED_UNITS, where
        assert defaults["thresholds"]["steps"], where


def test_panel_ids_are_unique_within_each_dashboard() -> None:
    for name, document in dashboard_documents().items():
        ids = [panel["id"] for panel in iter_panels(document["panels"])]
        assert len(ids) == len(set(ids)), name
        assert 0 not in ids, name


def test_every_query_has_its_own_ref_id() -> None:
    for where, panel in _data_panels():
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert all(ref_ids), where
        assert len(ref_ids) == len(set(ref_ids)), where


def test_rates_use_the_rate_interval_macro() -> None:
    range_selector = re.compile(r"\b(rate|irate|increase)\((?:[^()]|\([^()]*\))*\[([^\]]+)\]")
    for where, expr in dashboard_expressions():
        for _function, window in range_selector.findall(expr):
            assert window == "$__rate_interval", f"{where}: {expr}"


def test_no_query_names_a_fixed_instance() -> None:
    for where, expr in dashboard_expressions():
        assert "instance=" not in expr, f"{where}: {expr}"
        assert "9108" not in expr, f"{where}: {expr}"


def test_drilldown_selects_its_operation_from_label_values() -> None:
    document = dashboard_documents()["operation-drilldown.json"]
    variables = {variable["name"]: variable for variable in document["templating"]["list"]}
    operation = variables["operation"]
    assert operation["type"] == "query"
    assert operation["query"].startswith("label_values(")
    for where, panel in _data_panels():
        if where.startswith("operation-drilldown.json"):
            for target in panel["targets"]:
                if "reservewatch_operation" in target["expr"]:
                    assert "$operation" in target["expr"], where


def test_every_metric_the_dashboards_and_rules_read_is_in_the_contract() -> None:
    recorded = recorded_names()
    sources = dashboard_expressions() + dashboard_variable_queries() + rule_expressions()
    unknown = {
        (where, name)
        for where, expr in sources
        for name in metric_names(expr)
        if name not in EXPOSED_METRICS and name not in recorded
    }
    assert not unknown, f"names neither exposed by the collector nor recorded: {sorted(unknown)}"


def test_recording_rules_read_only_contract_metrics() -> None:
    assert recorded_names(), "no recording rules found"
    for name in recorded_names():
        assert name.startswith("reservewatch:"), name


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("rate(x[$__rate_interval])", "rate(x[1m])"),
        ("increase(x[$__range]) / $__interval", "increase(x[5m]) / 30s"),
        ('x{operation=~"$operation"}', 'x{operation=~".*"}'),
        ('x{operation=~"${operation}"}', 'x{operation=~".*"}'),
        ('x{operation=~"${operation:regex}"}', 'x{operation=~".*"}'),
    ],
)
def test_grafana_macros_become_plain_promql(expr: str, expected: str) -> None:
    assert substitute_grafana_macros(expr) == expected


def test_a_chosen_variable_value_replaces_the_variable() -> None:
    expr = 'x{operation="$operation"}'
    assert substitute_grafana_macros(expr, {"operation": "ekibastuz"}) == 'x{operation="ekibastuz"}'


def test_metric_names_ignore_label_values_and_find_recording_rules() -> None:
    expr = (
        'sum(reservewatch:region_power_watts:sum) / up{job="reservewatch"}'
        ' + reservewatch_site_power_watts{site="reservewatch_fake"}'
    )
    assert metric_names(expr) == {
        "reservewatch:region_power_watts:sum",
        "reservewatch_site_power_watts",
    }


def test_every_dashboard_expression_is_free_of_grafana_syntax_after_substitution() -> None:
    for where, expr in dashboard_expressions():
        assert "$" not in substitute_grafana_macros(expr), where

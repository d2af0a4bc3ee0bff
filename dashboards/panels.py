"""Shared building blocks for the reservewatch dashboards.

Every panel built here queries the dashboard's ``datasource`` variable (never a fixed
Prometheus instance), carries a unit and a thresholds configuration, and gets its queries'
``refId`` letters assigned in order. :func:`render` turns a dashboard builder into the JSON
document Grafana provisions, with panel ids numbered from 1 so the output is stable.

Example::

    dashboard = new_dashboard("Grid overview", uid="reservewatch-grid", description="...")
    dashboard.with_panel(timeseries("Load", Unit.WATT, [Query("sum(x)", "{{region}}")]))
    document = render(dashboard)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.builders import prometheus as prometheus_builders
from grafana_foundation_sdk.builders import stat as stat_builders
from grafana_foundation_sdk.builders import table as table_builders
from grafana_foundation_sdk.builders import timeseries as timeseries_builders
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as common_models
from grafana_foundation_sdk.models import dashboard as dashboard_models
from grafana_foundation_sdk.models import prometheus as prometheus_models

DATASOURCE_VARIABLE = "datasource"
DATASOURCE = dashboard_models.DataSourceRef(
    type_val="prometheus", uid=f"${{{DATASOURCE_VARIABLE}}}"
)
TAG = "reservewatch"
REF_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class Unit(StrEnum):
    """Grafana unit ids used by the dashboards."""

    WATT = "watt"
    KILOWATT_HOUR = "kwatth"
    HASHES_PER_SECOND = "Hs"
    SECONDS = "s"
    PERCENT_UNIT = "percentunit"
    SHORT = "short"
    CELSIUS = "celsius"
    BTC = "suffix: BTC"
    KZT = "suffix: KZT"
    REQUESTS_PER_SECOND = "reqps"
    MESSAGES_PER_SECOND = "ops"


@dataclass(frozen=True, slots=True)
class Step:
    """One threshold step: from ``value`` upwards (``None`` = from minus infinity) use ``color``."""

    value: float | None
    color: str


# Common threshold shapes, named for what they mean to the reader.
NEUTRAL = (Step(None, "green"),)
HIGHER_IS_WORSE = (Step(None, "green"), Step(1.0, "red"))
ZERO_IS_BAD = (Step(None, "red"), Step(1.0, "green"))


@dataclass(frozen=True, slots=True)
class Query:
    """One PromQL query of a panel; ``instant`` asks for the latest value only."""

    expr: str
    legend: str = ""
    instant: bool = False
    unit: Unit | None = None  # a table column's own unit, when it differs from the panel's


def _thresholds(steps: Sequence[Step]) -> dashboard_builders.ThresholdsConfig:
    return (
        dashboard_builders.ThresholdsConfig()
        .mode(dashboard_models.ThresholdsMode.ABSOLUTE)
        .steps([dashboard_models.Threshold(value=step.value, color=step.color) for step in steps])
    )


def _targets(queries: Sequence[Query], *, table: bool) -> list[prometheus_builders.Dataquery]:
    targets: list[prometheus_builders.Dataquery] = []
    for ref_id, query in zip(REF_IDS, queries, strict=False):
        target = (
            prometheus_builders.Dataquery()
            .expr(query.expr)
            .ref_id(ref_id)
            .datasource(DATASOURCE)
            .editor_mode(prometheus_models.QueryEditorMode.CODE)
        )
        if query.legend:
            target = target.legend_format(query.legend)
        if table:
            target = target.format(prometheus_models.PromQueryFormat.TABLE).instant()
        elif query.instant:
            target = target.instant()
        else:
            target = target.range()
        targets.append(target)
    if len(targets) != len(queries):
        msg = f"a panel takes at most {len(REF_IDS)} queries, got {len(queries)}"
        raise ValueError(msg)
    return targets


def timeseries(
    title: str,
    unit: Unit,
    queries: Sequence[Query],
    *,
    description: str = "",
    steps: Sequence[Step] = NEUTRAL,
    width: int = 12,
    height: int = 8,
    stacked: bool = False,
    min_value: float | None = None,
) -> timeseries_builders.Panel:
    """A time-series panel with a legend table showing the last and maximum values."""
    panel = (
        timeseries_builders.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit.value)
        .thresholds(_thresholds(steps))
        .targets(list(_targets(queries, table=False)))
        .span(width)
        .height(height)
        .fill_opacity(10)
        .legend(
            common_builders.VizLegendOptions()
            .display_mode(common_models.LegendDisplayMode.TABLE)
            .placement(common_models.LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(["lastNotNull", "max"])
        )
    )
    if stacked:
        panel = panel.stacking(
            common_builders.StackingConfig().mode(common_models.StackingMode.NORMAL)
        )
    if min_value is not None:
        panel = panel.min(min_value)
    return panel


def stat(
    title: str,
    unit: Unit,
    queries: Sequence[Query],
    *,
    description: str = "",
    steps: Sequence[Step] = NEUTRAL,
    width: int = 6,
    height: int = 4,
) -> stat_builders.Panel:
    """A single-value panel coloured by its thresholds, reduced to the last value."""
    return (
        stat_builders.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit.value)
        .thresholds(_thresholds(steps))
        .targets(list(_targets(queries, table=False)))
        .span(width)
        .height(height)
        .color_mode(common_models.BigValueColorMode.BACKGROUND)
        .graph_mode(common_models.BigValueGraphMode.AREA)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )


def table(
    title: str,
    unit: Unit,
    queries: Sequence[Query],
    *,
    description: str = "",
    steps: Sequence[Step] = NEUTRAL,
    width: int = 24,
    height: int = 8,
    hidden_columns: Sequence[str] = ("Time", "__name__", "job", "instance"),
) -> table_builders.Panel:
    """A table of instant queries joined on their labels (one row per label set)."""
    panel = (
        table_builders.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit.value)
        .thresholds(_thresholds(steps))
        .targets(list(_targets(queries, table=True)))
        .span(width)
        .height(height)
        .with_transformation(dashboard_models.DataTransformerConfig(id_val="merge", options={}))
        .with_transformation(
            dashboard_models.DataTransformerConfig(
                id_val="organize",
                options={"excludeByName": dict.fromkeys(hidden_columns, True)},
            )
        )
    )
    for ref_id, query in zip(REF_IDS, queries, strict=False):
        properties: list[dashboard_models.DynamicConfigValue] = []
        if query.legend:
            properties.append(
                dashboard_models.DynamicConfigValue(id_val="displayName", value=query.legend)
            )
        if query.unit is not None:
            properties.append(dashboard_models.DynamicConfigValue(id_val="unit", value=query.unit))
        if properties:
            # Grafana names a lone query's column "Value", and "Value #<refId>" otherwise.
            column = "Value" if len(queries) == 1 else f"Value #{ref_id}"
            panel = panel.override_by_name(column, properties)
    return panel


def row(title: str) -> dashboard_builders.Row:
    """A row header grouping the panels that follow it."""
    return dashboard_builders.Row(title)


def datasource_variable() -> dashboard_builders.DatasourceVariable:
    """The ``datasource`` variable every panel queries through."""
    return (
        dashboard_builders.DatasourceVariable(DATASOURCE_VARIABLE)
        .label("Prometheus")
        .type("prometheus")
    )


def label_variable(
    name: str, label: str, metric: str, *, include_all: bool
) -> dashboard_builders.QueryVariable:
    """A variable listing the values of label ``name`` on ``metric``."""
    variable = (
        dashboard_builders.QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(f"label_values({metric}, {name})")
        .refresh(dashboard_models.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dashboard_models.VariableSort.ALPHABETICAL_ASC)
    )
    if include_all:
        variable = variable.include_all(True).all_value(".*").multi(True)
    return variable


def new_dashboard(title: str, *, uid: str, description: str) -> dashboard_builders.Dashboard:
    """A dashboard with the shared defaults: tag, time range, refresh, datasource variable."""
    return (
        dashboard_builders.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([TAG])
        .editable()
        .time("now-24h", "now")
        .refresh("1m")
        .timezone("utc")
        .tooltip(dashboard_models.DashboardCursorSync.CROSSHAIR)
        .with_variable(datasource_variable())
        .link(
            dashboard_builders.DashboardLink("reservewatch")
            .type(dashboard_models.DashboardLinkType.DASHBOARDS)
            .tags([TAG])
            .as_dropdown(True)
            .include_vars(True)
            .keep_time(True)
        )
    )


def render(dashboard: dashboard_builders.Dashboard) -> str:
    """The dashboard as stable JSON text: sorted keys, two-space indent, panel ids from 1."""
    model = dashboard.build()
    for panel_id, panel in enumerate(model.panels or [], start=1):
        panel.id_val = panel_id
    return json.dumps(model, cls=JSONEncoder, sort_keys=True, indent=2) + "\n"

"""Collector health: is reservewatch itself, and every source it polls, working?"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.models.common import BigValueTextMode

from dashboards.panels import (
    HIGHER_IS_WORSE,
    ZERO_IS_BAD,
    Query,
    Step,
    Unit,
    new_dashboard,
    row,
    stat,
    table,
    timeseries,
)

UID = "reservewatch-collector-health"
RATE = "[$__rate_interval]"
SOURCE_STALE_SECONDS = 900
SOURCE_AGE = (Step(None, "green"), Step(float(SOURCE_STALE_SECONDS), "red"))


def dashboard() -> Dashboard:
    """The collector health dashboard."""
    return (
        new_dashboard(
            "reservewatch / Collector health",
            uid=UID,
            description="The collector's own state and every source it reads: up, age of the "
            "last good answer, errors, telemetry rejects, scrape and poll durations.",
        )
        .with_row(row("Collector"))
        .with_panel(
            stat(
                "Collector target up",
                Unit.SHORT,
                [Query('min(up{job="reservewatch"})')],
                description="Prometheus' own view: 0 when it cannot scrape the collector.",
                steps=ZERO_IS_BAD,
                width=4,
            )
        )
        .with_panel(
            stat(
                "Store up",
                Unit.SHORT,
                [Query("min(reservewatch_store_up)")],
                steps=ZERO_IS_BAD,
                width=4,
            )
        )
        .with_panel(
            stat(
                "Sources down",
                Unit.SHORT,
                [Query("count(reservewatch_source_up == 0) or vector(0)")],
                steps=HIGHER_IS_WORSE,
                width=4,
            )
        )
        .with_panel(
            stat(
                "Telemetry rejected",
                Unit.MESSAGES_PER_SECOND,
                [Query(f"sum(rate(reservewatch_telemetry_rejected_total{RATE})) or vector(0)")],
                steps=(Step(None, "green"), Step(0.1, "orange")),
                width=4,
            )
        )
        .with_panel(
            stat(
                "Version",
                Unit.SHORT,
                [Query("reservewatch_build_info", "{{version}}")],
                description="Shows the running version's name; the value is always 1.",
                width=8,
            ).text_mode(BigValueTextMode.NAME)
        )
        .with_row(row("Sources"))
        .with_panel(
            table(
                "Sources",
                Unit.SECONDS,
                [
                    Query("reservewatch:source_age_seconds", "Age of last success"),
                    Query("reservewatch_source_up", "Up", unit=Unit.SHORT),
                ],
                description="Every polled or subscribed source and the age of its last "
                f"good answer; red past {SOURCE_STALE_SECONDS} s.",
                steps=SOURCE_AGE,
            )
        )
        .with_panel(
            timeseries(
                "Source age of last success",
                Unit.SECONDS,
                [Query("reservewatch:source_age_seconds", "{{source}} {{target}}")],
                steps=SOURCE_AGE,
                width=12,
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Source requests by result",
                Unit.REQUESTS_PER_SECOND,
                [
                    Query(
                        f"sum by (source, result) (rate(reservewatch_source_requests_total{RATE}))",
                        "{{source}} {{result}}",
                    )
                ],
                width=12,
                stacked=True,
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Source error ratio",
                Unit.PERCENT_UNIT,
                [
                    # A source with no failed request has no {result!="ok"} series: "or ... * 0"
                    # gives it a ratio of 0 instead of leaving it out of the panel.
                    Query(
                        "(sum by (source) (rate(reservewatch_source_requests_total"
                        f'{{result!="ok"}}{RATE}))'
                        f" or sum by (source) (rate(reservewatch_source_requests_total{RATE})) * 0)"
                        f" / sum by (source) (rate(reservewatch_source_requests_total{RATE}))",
                        "{{source}}",
                    )
                ],
                steps=(Step(None, "green"), Step(0.05, "orange"), Step(0.5, "red")),
                width=12,
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Poll duration",
                Unit.SECONDS,
                [
                    Query(
                        "histogram_quantile(0.95, sum by (source, le) "
                        f"(rate(reservewatch_source_poll_duration_seconds_bucket{RATE})))",
                        "{{source}} p95",
                    ),
                    Query(
                        "sum by (source) "
                        f"(rate(reservewatch_source_poll_duration_seconds_sum{RATE}))"
                        " / sum by (source) "
                        f"(rate(reservewatch_source_poll_duration_seconds_count{RATE}))",
                        "{{source}} mean",
                    ),
                ],
                width=12,
                min_value=0,
            )
        )
        .with_row(row("Telemetry and scrapes"))
        .with_panel(
            timeseries(
                "Telemetry messages",
                Unit.MESSAGES_PER_SECOND,
                [
                    Query(
                        f"sum(rate(reservewatch_telemetry_messages_total{RATE}))",
                        "accepted and rejected",
                    ),
                    Query(
                        f"sum(rate(reservewatch_telemetry_rejected_total{RATE}))",
                        "rejected",
                    ),
                ],
                width=8,
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Telemetry rejects by reason",
                Unit.MESSAGES_PER_SECOND,
                [
                    Query(
                        f"sum by (reason) (rate(reservewatch_telemetry_rejected_total{RATE}))",
                        "{{reason}}",
                    )
                ],
                width=8,
                stacked=True,
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Scrape duration",
                Unit.SECONDS,
                [
                    Query("reservewatch_scrape_duration_seconds", "collect (previous scrape)"),
                    Query('scrape_duration_seconds{job="reservewatch"}', "Prometheus scrape"),
                ],
                steps=(Step(None, "green"), Step(1.0, "orange"), Step(10.0, "red")),
                width=8,
                min_value=0,
            )
        )
    )

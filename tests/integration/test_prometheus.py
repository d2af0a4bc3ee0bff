"""The dashboards and rules work against a real Prometheus scraping the running demo.

One run of :func:`tests.prometheus_proof.run_proof` (the demo + Debian's ``prometheus`` on
loopback, ~35 s) is shared by the tests below; each pins one part of the verdict.
``scripts/prometheus-proof`` runs the same proof for a person. Without ``prometheus`` on PATH
the tests skip, unless ``CI`` is set: in CI a missing Prometheus fails the run.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from tests.metric_contract import EXPOSED_METRICS
from tests.prometheus_proof import (
    ProofReport,
    exposed_sample_names,
    query_for_variable,
    run_proof,
    write_prometheus_files,
)
from tests.promql import rule_documents
from tests.support.demo_world import PINNED_INSTANTS

PROOF_DEADLINE_S = 80.0
PINNED_DEADLINE_S = 180.0  # several proofs share two cores: a wider margin, rarely used
PINNED_WORKERS = 3
# pavlodar-3 remitted 40 % of a month whose deadline has passed, more than 7 days ago.
REMITTANCE_ALERTS = frozenset({"RemittanceShortfallPastDeadline", "RemittanceOverdueBeyondGrace"})
# The demo's vault pays 0.1 BTC to an address outside every wallet.
DEMO_ALERTS = REMITTANCE_ALERTS | {"ReserveUnapprovedOutflow"}


def _need_prometheus() -> None:
    if shutil.which("prometheus") is None:
        message = "prometheus is not on PATH (Debian package 'prometheus')"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must run the Prometheus proof")
        pytest.skip(message)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ProofReport:
    _need_prometheus()
    return run_proof(
        tmp_path_factory.mktemp("proof"), deadline_s=PROOF_DEADLINE_S, need_alerts=DEMO_ALERTS
    )


@pytest.fixture(scope="module")
def pinned_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ProofReport]:
    """The proof once per pinned instant (``reservewatch demo --at``), a few at a time."""
    _need_prometheus()
    root = tmp_path_factory.mktemp("pinned")
    with ThreadPoolExecutor(max_workers=PINNED_WORKERS) as pool:
        futures = {
            name: pool.submit(
                run_proof,
                root / name,
                deadline_s=PINNED_DEADLINE_S,
                at=now,
                need_alerts=DEMO_ALERTS,
            )
            for name, now in PINNED_INSTANTS.items()
        }
        return {name: future.result() for name, future in futures.items()}


def _failures(report: ProofReport, kinds: set[str], *, need_data: bool) -> str:
    lines = [
        f"{evaluation.kind} {evaluation.where}\n  query: {evaluation.query}\n  answer: "
        f"{evaluation.error or f'{evaluation.series} series'}"
        for evaluation in report.evaluations
        if evaluation.kind in kinds
        and (not evaluation.parsed or (need_data and evaluation.series == 0))
    ]
    return "\n".join(lines)


@pytest.mark.integration
@pytest.mark.slow
def test_every_dashboard_and_rule_expression_parses_in_prometheus(report: ProofReport) -> None:
    assert report.evaluations
    failures = _failures(report, {"panel", "variable", "rule"}, need_data=False)
    assert not failures, f"Prometheus rejected:\n{failures}\n\n{report.render()}"


@pytest.mark.integration
@pytest.mark.slow
def test_every_dashboard_panel_and_variable_returns_data(report: ProofReport) -> None:
    kinds = {evaluation.kind for evaluation in report.evaluations}
    assert {"panel", "variable"} <= kinds
    failures = _failures(report, {"panel", "variable"}, need_data=True)
    assert not failures, f"no data for:\n{failures}\n\n{report.render()}"


@pytest.mark.integration
@pytest.mark.slow
def test_every_rule_group_loads_and_evaluates_without_error(report: ProofReport) -> None:
    assert not report.rule_problems, "\n".join(report.rule_problems)


@pytest.mark.integration
@pytest.mark.slow
def test_every_metric_name_in_dashboards_and_rules_is_exposed_by_the_collector(
    report: ProofReport,
) -> None:
    assert not report.unknown_names, report.render()


@pytest.mark.integration
@pytest.mark.slow
def test_the_live_exposition_matches_the_metric_contract(report: ProofReport) -> None:
    undeclared = sorted(report.exposed_names - EXPOSED_METRICS)
    missing = sorted(EXPOSED_METRICS - report.exposed_names)
    assert not undeclared, f"exposed but not in tests/metric_contract.py: {undeclared}"
    assert not missing, f"in tests/metric_contract.py but not exposed by the demo: {missing}"


@pytest.mark.integration
@pytest.mark.slow
def test_prometheus_scraped_the_collector_several_times(report: ProofReport) -> None:
    assert report.samples_scraped >= 5
    assert report.passed, report.render()


@pytest.mark.integration
@pytest.mark.slow
def test_the_demos_under_remitter_raises_the_remittance_alerts(report: ProofReport) -> None:
    assert set(report.alerts) >= DEMO_ALERTS, report.alerts


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("instant", PINNED_INSTANTS)
def test_at_every_pinned_instant_the_proof_passes_and_the_remittance_alerts_fire(
    pinned_reports: dict[str, ProofReport], instant: str
) -> None:
    report = pinned_reports[instant]
    assert report.passed, report.render()
    assert set(report.alerts) >= DEMO_ALERTS, report.render()


def test_label_values_variables_become_a_count_by_query() -> None:
    assert (
        query_for_variable("label_values(reservewatch_operation_info, operation)")
        == "count by (operation) (reservewatch_operation_info)"
    )
    assert query_for_variable("up") == "up"


def test_sample_names_include_histogram_series_and_skip_comments() -> None:
    exposition = (
        "# HELP reservewatch_up 1 when up\n# TYPE reservewatch_up gauge\nreservewatch_up 1\n"
        'reservewatch_source_poll_duration_seconds_bucket{le="+Inf"} 3\n'
    )
    assert exposed_sample_names(exposition) == {
        "reservewatch_up",
        "reservewatch_source_poll_duration_seconds_bucket",
    }


def test_proof_config_keeps_the_deployed_job_and_evaluates_every_rule_group_each_second(
    tmp_path: Path,
) -> None:
    config_path = write_prometheus_files(tmp_path, 19_108)
    config = yaml.safe_load(config_path.read_text())
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "reservewatch"
    assert job["static_configs"] == [{"targets": ["127.0.0.1:19108"]}]
    assert config["global"]["evaluation_interval"] == "1s"
    for name, document in rule_documents().items():
        copied = yaml.safe_load((tmp_path / "rules" / name).read_text())
        assert [group["name"] for group in copied["groups"]] == [
            group["name"] for group in document["groups"]
        ]
        assert {group["interval"] for group in copied["groups"]} == {"1s"}

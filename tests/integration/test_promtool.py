"""The deploy stack's Prometheus and Alertmanager files pass their own tools' checks.

Runs ``promtool check rules``, ``promtool test rules`` (the files in
``deploy/prometheus/tests``), ``promtool check config`` and ``amtool check-config`` plus
routing checks. Without the tools on PATH the tests skip, unless the ``CI`` environment
variable is set: in CI a missing tool fails the run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.promql import RULES_DIR, dashboard_expressions, rules, substitute_grafana_macros

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
RULE_TESTS_DIR = DEPLOY / "prometheus" / "tests"
ALERTMANAGER_CONFIG = DEPLOY / "alertmanager" / "alertmanager.yml"
README = DEPLOY / "README.md"
TOOL_TIMEOUT_SECONDS = 60


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is not None:
        return path
    message = f"{name} is not on PATH (Debian package {package!r})"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run these checks")
    pytest.skip(message)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        capture_output=True,
        text=True,
        check=False,
        timeout=TOOL_TIMEOUT_SECONDS,
        cwd=REPO_ROOT,
    )


def _assert_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, (
        f"{' '.join(result.args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    )


def test_rule_files_pass_promtool_check_rules() -> None:
    promtool = _tool("promtool", "prometheus")
    rule_files = sorted(str(path) for path in RULES_DIR.glob("*.yml"))
    assert rule_files, f"no rule files in {RULES_DIR}"
    _assert_ok(_run(promtool, "check", "rules", *rule_files))


def test_every_rule_group_has_a_passing_promtool_unit_test() -> None:
    promtool = _tool("promtool", "prometheus")
    rule_files = {path.stem for path in RULES_DIR.glob("*.yml")}
    test_files = sorted(RULE_TESTS_DIR.glob("*_test.yml"))
    assert {path.name.removesuffix("_test.yml") for path in test_files} == rule_files
    _assert_ok(_run(promtool, "test", "rules", *(str(path) for path in test_files)))


def test_prometheus_config_passes_promtool_check_config() -> None:
    promtool = _tool("promtool", "prometheus")
    _assert_ok(_run(promtool, "check", "config", str(PROMETHEUS_CONFIG)))


def test_alertmanager_config_passes_amtool_check_config() -> None:
    amtool = _tool("amtool", "prometheus-alertmanager")
    _assert_ok(_run(amtool, "check-config", str(ALERTMANAGER_CONFIG)))


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (("severity=critical", "alertname=CollectorDown"), "critical"),
        (("severity=warning", "alertname=SourceDown"), "webhook"),
        (("severity=info", "alertname=NationalHashrateShareShift"), "blackhole"),
    ],
)
def test_alertmanager_routes_each_severity_to_its_receiver(
    labels: tuple[str, ...], receiver: str
) -> None:
    amtool = _tool("amtool", "prometheus-alertmanager")
    result = _run(
        amtool,
        "config",
        "routes",
        "test",
        f"--config.file={ALERTMANAGER_CONFIG}",
        f"--verify.receivers={receiver}",
        *labels,
    )
    _assert_ok(result)


def test_every_alert_carries_severity_summary_description_and_a_runbook_anchor() -> None:
    headings = re.findall(r"^#{2,4} (.+)$", README.read_text(encoding="utf-8"), re.MULTILINE)
    anchors = {
        re.sub(r"[^\w\- ]", "", heading).strip().lower().replace(" ", "-") for heading in headings
    }
    alerts = [rule for rule in rules() if "alert" in rule]
    assert alerts
    for rule in alerts:
        name = rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, name
        annotations = rule["annotations"]
        assert annotations["summary"], name
        assert "{{" in annotations["description"], f"{name}: description shows no value or label"
        url = annotations["runbook_url"]
        assert url == f"deploy/README.md#{name.lower()}", name
        assert name.lower() in anchors, f"deploy/README.md has no section '{name}'"


def test_every_dashboard_expression_parses_as_promql(tmp_path: Path) -> None:
    # promtool parses each rule's expression, so the dashboards' queries (with Grafana's macros
    # replaced) become recording rules of a throw-away file; no server is needed.
    promtool = _tool("promtool", "prometheus")
    expressions = dashboard_expressions()
    assert expressions
    document = {
        "groups": [
            {
                "name": "dashboard-expressions",
                "rules": [
                    {
                        "record": f"dashboard_expression_{index}",
                        "expr": substitute_grafana_macros(expr),
                    }
                    for index, (_where, expr) in enumerate(expressions)
                ],
            }
        ]
    }
    rule_file = tmp_path / "dashboard_expressions.yml"
    rule_file.write_text(yaml.safe_dump(document), encoding="utf-8")
    result = _run(promtool, "check", "rules", str(rule_file))
    lines = "\n".join(
        f"{index}: {where}: {expr}" for index, (where, expr) in enumerate(expressions)
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\nexpressions:\n{lines}"

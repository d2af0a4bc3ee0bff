"""The proof against a real Prometheus: every dashboard and rule expression, evaluated live.

Starts ``reservewatch demo`` (simulated sites over MQTT, fake pools, fake Esplora, the real
collector) and Debian's ``prometheus`` scraping it every second on loopback, with the
project's rule files (each group's ``interval`` lowered to 1 s so recording rules produce data
within seconds). Then, through Prometheus' HTTP API (``/api/v1/query``), it evaluates every
PromQL expression of every dashboard panel, every dashboard variable and every rule, after
substituting Grafana's macros and variables (:func:`tests.promql.substitute_grafana_macros`):

* every expression must parse (``status: success``);
* every dashboard panel and variable expression must return data (a non-empty ``result``);
  rules only need to parse (an alert is rightly empty in a healthy system);
* Prometheus must report every rule group loaded and evaluated without error;
* every metric name a dashboard or rule reads must be one the collector's ``/metrics``
  exposes, or a recording rule's output.

``tests/integration/test_prometheus.py`` runs it under pytest; ``scripts/prometheus-proof``
runs it for a person (``python -m tests.prometheus_proof``) and prints the same report::

    report = run_proof(Path("/tmp/proof"), deadline_s=80)
    print(report.render())
    assert report.passed
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from tests.promql import (
    REPO_ROOT,
    dashboard_expressions,
    dashboard_variable_queries,
    metric_names,
    recorded_names,
    rule_documents,
    rule_expressions,
    substitute_grafana_macros,
)
from tests.support.processes import free_port, port_open, stop, wait_for

DEPLOY_PROMETHEUS_CONFIG = REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml"
COLLECTOR_JOB = "reservewatch"
SCRAPE_INTERVAL = "1s"
HTTP_TIMEOUT_S = 5.0
_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(.+?)\s*,\s*(\w+)\s*\)\s*$")
_SAMPLE_NAME = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)")

# Dashboard variables' concrete values for the second pass over filtered panels: the demo's
# under-remitting operation, so its shortfall and overdue panels must show data.
CONCRETE: Mapping[str, str] = {"operation": "pavlodar-3"}
_CONCRETE_TEXT = ", ".join(f"${name}={value}" for name, value in CONCRETE.items())

Kind = Literal["panel", "variable", "rule"]


class ProofError(RuntimeError):
    """A process of the proof could not be started or did not become ready."""


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One expression as sent to ``/api/v1/query`` and what Prometheus answered."""

    kind: Kind
    where: str
    expr: str
    query: str
    status: str
    series: int
    error: str = ""

    @property
    def parsed(self) -> bool:
        return self.status == "success"

    @property
    def passed(self) -> bool:
        """Rules need only parse; dashboard panels and variables must also return data."""
        return self.parsed and (self.kind == "rule" or self.series > 0)


@dataclass(frozen=True, slots=True)
class ProofReport:
    """Everything the proof found; :attr:`passed` is the verdict."""

    evaluations: tuple[Evaluation, ...]
    exposed_names: frozenset[str]
    unknown_names: Mapping[str, tuple[str, ...]]  # name -> where it is used
    rule_problems: tuple[str, ...]
    samples_scraped: int
    elapsed_s: float
    alerts: tuple[str, ...] = ()  # names of the alerts pending or firing at the end
    notes: tuple[str, ...] = field(default=())

    @property
    def failures(self) -> tuple[Evaluation, ...]:
        return tuple(evaluation for evaluation in self.evaluations if not evaluation.passed)

    @property
    def passed(self) -> bool:
        return (
            bool(self.evaluations)
            and not self.failures
            and not self.unknown_names
            and not self.rule_problems
        )

    def render(self) -> str:
        """The report as text: counts, then every failure with its query and the answer."""
        by_kind: dict[str, list[Evaluation]] = {}
        for evaluation in self.evaluations:
            by_kind.setdefault(evaluation.kind, []).append(evaluation)
        lines = [
            f"Prometheus proof: {'PASSED' if self.passed else 'FAILED'} after "
            f"{self.elapsed_s:.0f} s ({self.samples_scraped} scrapes of the collector)",
        ]
        for kind, evaluations in sorted(by_kind.items()):
            parsed = sum(evaluation.parsed for evaluation in evaluations)
            with_data = sum(evaluation.series > 0 for evaluation in evaluations)
            lines.append(
                f"  {kind + ' expressions':<22} {len(evaluations):>3}   parsed {parsed:>3}   "
                f"returned data {with_data:>3}"
            )
        lines.append(f"  metric names exposed by the collector: {len(self.exposed_names)}")
        lines.extend(f"  note: {note}" for note in self.notes)
        for evaluation in self.failures:
            answer = evaluation.error or f"{evaluation.status}, {evaluation.series} series"
            lines.append(
                f"FAIL {evaluation.kind} {evaluation.where}\n     query: {evaluation.query}\n"
                f"     answer: {answer}"
            )
        for name, places in sorted(self.unknown_names.items()):
            lines.append(f"FAIL metric {name} is not exposed by the collector; used by:")
            lines.extend(f"     {place}" for place in places)
        lines.extend(f"FAIL rules: {problem}" for problem in self.rule_problems)
        return "\n".join(lines)


def _get_json(url: str) -> dict[str, Any]:
    """GET ``url`` and decode its JSON body, also for Prometheus' 4xx error answers."""
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S) as response:  # noqa: S310 - loopback http
            body = response.read()
    except urllib.error.HTTPError as err:  # Prometheus answers bad queries with 400 + JSON
        body = err.read()
    return cast("dict[str, Any]", json.loads(body))


def _get_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S) as response:  # noqa: S310 - loopback http
        return cast("bytes", response.read()).decode("utf-8")


def _is_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback http
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def exposed_sample_names(exposition: str) -> frozenset[str]:
    """Sample names (``_bucket``/``_sum``/``_count`` included) in a text exposition."""
    names: set[str] = set()
    for line in exposition.splitlines():
        if line and not line.startswith("#"):
            match = _SAMPLE_NAME.match(line)
            if match:
                names.add(match.group(1))
    return frozenset(names)


def query_for_variable(definition: str) -> str:
    """A Grafana variable query as PromQL: ``label_values(m, l)`` becomes ``count by (l) (m)``."""
    match = _LABEL_VALUES.match(definition)
    if match:
        return f"count by ({match.group(2)}) ({match.group(1)})"
    return definition


def expressions_to_check() -> list[tuple[Kind, str, str, str]]:
    """``(kind, where, expr as written, query as sent)`` for every dashboard and rule expression."""
    checks: list[tuple[Kind, str, str, str]] = [
        ("panel", where, expr, substitute_grafana_macros(expr))
        for where, expr in dashboard_expressions()
    ]
    # Panels filtered by a variable must also show data for one concrete value of it.
    checks.extend(
        ("panel", f"{where} [{_CONCRETE_TEXT}]", expr, substitute_grafana_macros(expr, CONCRETE))
        for where, expr in dashboard_expressions()
        if any(f"${name}" in expr or f"${{{name}" in expr for name in CONCRETE)
    )
    checks.extend(
        ("variable", where, expr, query_for_variable(substitute_grafana_macros(expr)))
        for where, expr in dashboard_variable_queries()
    )
    checks.extend(("rule", where, expr, expr) for where, expr in rule_expressions())
    return checks


def unknown_metric_names(exposed: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """Names dashboards or rules read that neither the collector nor a recording rule provides."""
    known = exposed | recorded_names()
    used: dict[str, list[str]] = {}
    for kind, where, expr, _query in expressions_to_check():
        for name in metric_names(expr) - known:
            used.setdefault(name, []).append(f"{kind} {where}")
    return {name: tuple(places) for name, places in used.items()}


def write_prometheus_files(folder: Path, collector_port: int) -> Path:
    """A Prometheus config for the proof, derived from ``deploy/prometheus/prometheus.yml``.

    The collector job keeps its name (dashboards select ``job="reservewatch"``) and points at
    the demo; scrapes and rule evaluations run every second; the rule files are copies of
    ``deploy/prometheus/rules/*.yml`` with each group's ``interval`` lowered to 1 s.
    """
    deployed = cast("dict[str, Any]", yaml.safe_load(DEPLOY_PROMETHEUS_CONFIG.read_text()))
    job = next(job for job in deployed["scrape_configs"] if job["job_name"] == COLLECTOR_JOB)
    job = {
        **job,
        "scrape_interval": SCRAPE_INTERVAL,
        "scrape_timeout": SCRAPE_INTERVAL,
        "static_configs": [{"targets": [f"127.0.0.1:{collector_port}"]}],
    }
    rules_folder = folder / "rules"
    rules_folder.mkdir(parents=True, exist_ok=True)
    for name, document in rule_documents().items():
        groups = [{**group, "interval": SCRAPE_INTERVAL} for group in document["groups"]]
        (rules_folder / name).write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    config = {
        "global": {
            "scrape_interval": SCRAPE_INTERVAL,
            "scrape_timeout": SCRAPE_INTERVAL,
            "evaluation_interval": SCRAPE_INTERVAL,
        },
        "rule_files": [str(rules_folder / "*.yml")],
        "scrape_configs": [job],
    }
    path = folder / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _executable(name: str, hint: str) -> str:
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        raise ProofError(f"{name} is not installed ({hint})")
    return found


@contextmanager
def _process(argv: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        process = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            stop(process)


def _evaluate(prometheus_url: str) -> list[Evaluation]:
    evaluations: list[Evaluation] = []
    for kind, where, expr, query in expressions_to_check():
        answer = _get_json(
            f"{prometheus_url}/api/v1/query?{urllib.parse.urlencode({'query': query})}"
        )
        data = answer.get("data") or {}
        result = data.get("result") or []
        series = (
            len(result) if data.get("resultType") in {"vector", "matrix"} else int(bool(result))
        )
        evaluations.append(
            Evaluation(
                kind=kind,
                where=where,
                expr=expr,
                query=query,
                status=str(answer.get("status")),
                series=series,
                error=str(answer.get("error", "")),
            )
        )
    return evaluations


def _rule_problems(prometheus_url: str) -> list[str]:
    answer = _get_json(f"{prometheus_url}/api/v1/rules")
    groups = answer.get("data", {}).get("groups", [])
    problems: list[str] = []
    expected = {
        group["name"] for document in rule_documents().values() for group in document["groups"]
    }
    loaded = {str(group["name"]) for group in groups}
    problems.extend(f"group {name} was not loaded" for name in sorted(expected - loaded))
    for group in groups:
        for rule in group.get("rules", []):
            if rule.get("health") != "ok":
                detail = rule.get("lastError") or "not evaluated yet"
                problems.append(f"{group['name']}/{rule['name']}: {rule.get('health')} ({detail})")
    return problems


def _scrapes(prometheus_url: str) -> int:
    query = f'count_over_time(up{{job="{COLLECTOR_JOB}"}}[10m])'
    answer = _get_json(f"{prometheus_url}/api/v1/query?{urllib.parse.urlencode({'query': query})}")
    result = answer.get("data", {}).get("result", [])
    return int(float(result[0]["value"][1])) if result else 0


def _alert_names(prometheus_url: str) -> frozenset[str]:
    alerts = _get_json(f"{prometheus_url}/api/v1/alerts").get("data", {}).get("alerts", [])
    return frozenset(str(alert["labels"]["alertname"]) for alert in alerts)


def run_proof(
    workdir: Path,
    *,
    deadline_s: float = 80.0,
    min_scrapes: int = 5,
    at: datetime | None = None,
    need_alerts: frozenset[str] = frozenset(),
) -> ProofReport:
    """Run the demo and Prometheus in ``workdir`` until every check passes (and the alerts in
    ``need_alerts`` are pending or firing) or ``deadline_s`` after the collector serves.
    ``at`` runs the demo's world as of that instant (``reservewatch demo --at``) instead of now.

    Returns the report of the last evaluation; both processes are stopped by PID before it
    returns.
    """
    started = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    reservewatch = _executable("reservewatch", "pip install -e . in the project's venv")
    prometheus = _executable("prometheus", "Debian package prometheus")
    collector_port = free_port()
    prometheus_port = free_port()
    prometheus_url = f"http://127.0.0.1:{prometheus_port}"
    demo_argv = [
        reservewatch, "demo",
        "--listen", f"127.0.0.1:{collector_port}",
        "--workdir", str(workdir / "demo"),
        "--duration", str(int(deadline_s) + 150),
    ]  # fmt: skip
    if at is not None:
        demo_argv += ["--at", at.isoformat()]
    config = write_prometheus_files(workdir / "prometheus", collector_port)
    prometheus_argv = [
        prometheus,
        f"--config.file={config}",
        f"--storage.tsdb.path={workdir / 'prometheus' / 'data'}",
        f"--web.listen-address=127.0.0.1:{prometheus_port}",
    ]
    notes: list[str] = []
    with (
        _process(demo_argv, workdir / "demo.log") as demo,
        _process(prometheus_argv, workdir / "prometheus.log") as server,
    ):
        for process, what, log in (
            (demo, "the demo", "demo.log"),
            (server, "Prometheus", "prometheus.log"),
        ):
            if process.poll() is not None:
                raise ProofError(f"{what} exited at once; see {workdir / log}")
        try:
            # The demo writes its simulated history before it serves: up to a minute on a
            # loaded machine (several proofs at once, or libfaketime on every clock call).
            wait_for(lambda: port_open(collector_port), 90, "the demo's collector")
            wait_for(lambda: _is_ready(f"{prometheus_url}/-/ready"), 30, "Prometheus")
        except TimeoutError as err:
            raise ProofError(f"{err}; logs in {workdir}") from err
        serving = time.monotonic()  # the deadline counts from here: data, not start-up
        while True:
            evaluations = _evaluate(prometheus_url)
            scrapes = _scrapes(prometheus_url)
            problems = _rule_problems(prometheus_url)
            done = (
                all(e.passed for e in evaluations)
                and not problems
                and scrapes >= min_scrapes
                and need_alerts <= _alert_names(prometheus_url)
            )
            if done or time.monotonic() - serving > deadline_s:
                break
            time.sleep(2)
        exposition = _get_text(f"http://127.0.0.1:{collector_port}/metrics")
        alert_names = tuple(sorted(_alert_names(prometheus_url)))
        notes.append(f"alerts pending or firing in the demo: {', '.join(alert_names) or 'none'}")
        notes.append(f"the demo's world as of {at.isoformat() if at else 'now'}")
        notes.append(f"logs and data in {workdir}")
    exposed = exposed_sample_names(exposition)
    return ProofReport(
        evaluations=tuple(evaluations),
        exposed_names=exposed,
        unknown_names=unknown_metric_names(exposed),
        rule_problems=tuple(problems),
        samples_scraped=scrapes,
        elapsed_s=time.monotonic() - started,
        alerts=alert_names,
        notes=tuple(notes),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/prometheus-proof",
        description="Evaluate every dashboard and rule expression against a real Prometheus "
        "scraping the demo.",
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep logs and data here (default: a temp folder)"
    )
    parser.add_argument("--deadline", type=float, default=80.0, help="seconds to wait for data")
    parser.add_argument("--verbose", action="store_true", help="list every expression")
    parser.add_argument(
        "--at",
        type=lambda text: datetime.fromisoformat(text.replace("Z", "+00:00")),
        help="run the demo's world as of this instant (ISO 8601 with a zone)",
    )
    arguments = parser.parse_args(argv)
    workdir = arguments.workdir or Path(tempfile.mkdtemp(prefix="reservewatch-proof-"))
    try:
        report = run_proof(workdir, deadline_s=arguments.deadline, at=arguments.at)
    except ProofError as err:
        print(f"prometheus-proof: {err}", file=sys.stderr)
        return 2
    if arguments.verbose:
        for evaluation in report.evaluations:
            mark = "ok  " if evaluation.passed else "FAIL"
            print(f"{mark} {evaluation.kind:<8} {evaluation.series:>3}  {evaluation.where}")
    print(report.render())
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())

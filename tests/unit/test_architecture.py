"""The house's rules, read from the code: data flows one way.

- no import circle among ``collector``'s and ``remittance``'s modules (imports inside
  functions included; imports only for type checking excluded: they never run);
- ``remittance`` imports nothing of ``collector``; neither imports the ``simulator``, except
  the ``demo`` command, which runs it;
- ``prometheus_client`` is imported only where metrics are exposed;
- ``collector`` is layered (:data:`LAYERS`: cli > app > http, mail, commands > documents,
  metrics > accounts, sources, telemetry > store > config > bitcoin > basics > remittance):
  a module imports only from below, the three wings never from one another, and every
  exception is named with its reason (:data:`LAYER_EXCEPTIONS`);
- no module under ``collector``, ``remittance`` or ``simulator`` is longer than 600 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).parents[2]
PACKAGES = ("collector", "remittance")
METRICS_MODULES = {
    # The metrics package maps the components' state to families; http serves them.
    "collector.metrics",
    "collector.metrics.contract",
    "collector.http.server",
}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _imports(tree: ast.AST) -> Iterator[str]:
    """Every module an import statement names, but not those under ``if TYPE_CHECKING``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        named = set(_imports(ast.parse(path.read_text(encoding="utf-8"))))
        graph[name] = {other for other in named if other in modules and other != name}
        graph[name] |= {other for other in named if other.split(".")[0] in ("simulator",)}
        graph[name] |= (
            {"prometheus_client"}
            if any(other.split(".")[0] == "prometheus_client" for other in named)
            else set()
        )
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in graph:
                continue
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def test_no_import_circle_among_the_products_modules() -> None:
    assert _circles(_graph()) == []


def test_the_rules_import_nothing_of_the_collector() -> None:
    graph = _graph()
    leaks = {
        module: sorted(o for o in imports if o.startswith("collector"))
        for module, imports in graph.items()
        if module.startswith("remittance")
    }
    assert {module: found for module, found in leaks.items() if found} == {}


def test_only_the_demo_command_runs_the_simulator() -> None:
    users = {module for module, imports in _graph().items() if "simulator.runner" in imports}
    assert users <= {"collector.cli"}
    assert not [
        m
        for m, i in _graph().items()
        if m != "collector.cli" and any(o.startswith("simulator") for o in i)
    ]


def test_prometheus_client_is_imported_only_where_metrics_are_exposed() -> None:
    users = {module for module, imports in _graph().items() if "prometheus_client" in imports}
    assert users <= METRICS_MODULES


def test_every_contract_metric_is_in_the_published_contract() -> None:
    """collector/metrics/contract.py (what the code builds) and tests/metric_contract.py (what
    dashboards and alerts may use) name the same metrics."""
    from collector.metrics.contract import SPECS
    from tests.metric_contract import GAUGES_AND_COUNTERS, HISTOGRAMS

    built = {
        f"{name}_total" if spec.kind == "counter" else f"{name}_info" if spec.kind == "info"
        else name
        for name, spec in SPECS.items()
    }  # fmt: skip
    assert built == GAUGES_AND_COUNTERS | HISTOGRAMS


LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"cli"}),
    frozenset({"app"}),
    frozenset({"http", "mail", "commands"}),
    frozenset({"documents", "metrics"}),
    frozenset({"accounts", "sources", "telemetry"}),  # the three wings: never one another
    frozenset({"store"}),
    frozenset({"config"}),
    frozenset({"bitcoin"}),
    frozenset({"__init__", "clock", "errors", "logs", "backoff"}),
)
"""collector's packages and modules, from the top; a module imports only from layers below
its own (or its own package), and remittance sits below them all."""

LAYER_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("config", "sources"): "the configuration checks a pool account against the pool table "
    "(collector.sources.pools.registry) and builds on the pool settings the adapters read "
    "(collector.sources.pools.settings), as Telegraf's config loader asks its plugin registry",
}
"""Imports against the order, each named and justified."""


def _layer(module: str) -> tuple[int, str] | None:
    if module.startswith("remittance"):
        return len(LAYERS), "remittance"
    parts = module.split(".")
    if parts[0] != "collector":
        return None
    name = parts[1] if len(parts) > 1 else "__init__"
    for index, group in enumerate(LAYERS):
        if name in group:
            return index, name
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def test_every_import_follows_the_declared_layer_order() -> None:
    against: list[str] = []
    for module, imports in sorted(_graph().items()):
        here = _layer(module)
        for other in sorted(imports):
            there = _layer(other)
            if here is None or there is None or here[1] == there[1]:
                continue
            if there[0] > here[0] or (here[1], there[1]) in LAYER_EXCEPTIONS:
                continue
            against.append(f"{module} -> {other}")
    assert against == []


def test_every_layer_exception_is_still_needed() -> None:
    used = {
        (here[1], there[1])
        for module, imports in _graph().items()
        for other in imports
        if (here := _layer(module)) and (there := _layer(other)) and there[0] <= here[0]
    }
    assert set(LAYER_EXCEPTIONS) <= used


def test_no_module_is_longer_than_600_lines() -> None:
    paths = [p for package in (*PACKAGES, "simulator") for p in (ROOT / package).rglob("*.py")]
    long = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts): lines
        for path in paths
        if "migrations" not in path.parts
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > 600
    }
    assert long == {}

"""Render every dashboard to ``dashboards/json/<name>.json``.

Run ``python -m dashboards.build`` after changing a dashboard module and commit the JSON;
``tests/unit/dashboards/test_dashboards.py`` fails while the committed files and the code disagree.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from grafana_foundation_sdk.builders.dashboard import Dashboard

from dashboards import (
    collector_health,
    grid_overview,
    operation_drilldown,
    reserve,
    reserve_remittances,
)
from dashboards.panels import render

JSON_DIR = Path(__file__).resolve().parent / "json"

# File stem -> the function building that dashboard.
DASHBOARDS: Mapping[str, Callable[[], Dashboard]] = {
    "grid-overview": grid_overview.dashboard,
    "reserve-remittances": reserve_remittances.dashboard,
    "reserve": reserve.dashboard,
    "operation-drilldown": operation_drilldown.dashboard,
    "collector-health": collector_health.dashboard,
}


def render_all() -> dict[str, str]:
    """Every dashboard's JSON text, keyed by its file name (``grid-overview.json``, ...)."""
    return {
        f"{stem}.json": render(build_dashboard()) for stem, build_dashboard in DASHBOARDS.items()
    }


def write_all(directory: Path = JSON_DIR) -> list[Path]:
    """Write every dashboard into ``directory``, removing JSON files no dashboard produces."""
    directory.mkdir(parents=True, exist_ok=True)
    rendered = render_all()
    for stale in directory.glob("*.json"):
        if stale.name not in rendered:
            stale.unlink()
    written: list[Path] = []
    for name, text in rendered.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main() -> int:
    """Entry point of ``python -m dashboards.build``."""
    for path in write_all():
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

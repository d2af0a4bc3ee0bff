"""The documentation site builds with ``mkdocs build --strict`` (no broken link or anchor, no
page left out of the navigation), and its reference pages name what the code has."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _build(site: Path, config: Path = ROOT / "mkdocs.yml") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config),
         "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )  # fmt: skip


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    result = _build(tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    # The pages shown from files beside the code (scripts/mkdocs_hooks.py) are there whole.
    deploy = (tmp_path / "site" / "how-to" / "deploy" / "index.html").read_text("utf-8")
    assert 'id="collectordown"' in deploy


def test_a_broken_link_fails_the_build(tmp_path: Path) -> None:
    """--strict is what keeps the links whole: a page linking to nothing stops the build."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text("utf-8"))
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\n[gone](nowhere.md)\n", encoding="utf-8")
    config.update(docs_dir=str(docs), nav=[{"Home": "index.md"}])
    config["hooks"] = [str(ROOT / hook) for hook in config["hooks"]]
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    result = _build(tmp_path / "site", tmp_path / "mkdocs.yml")
    assert result.returncode != 0
    assert "nowhere.md" in result.stderr


def _alert_names() -> list[str]:
    names = []
    for path in sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text("utf-8"))["groups"]:
            names += [rule["alert"] for rule in group["rules"] if "alert" in rule]
    return names


@pytest.mark.parametrize("name", _alert_names())
def test_every_alert_is_in_the_alerts_reference_with_its_runbook(name: str) -> None:
    page = (DOCS / "reference" / "alerts.md").read_text("utf-8")
    assert f"[`{name}`](../how-to/deploy.md#{name.lower()})" in page


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    """Every command and subcommand the parser takes, as typed ("db upgrade")."""
    names = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                names.append(f"{prefix}{name}")
                names += _commands(sub, f"{prefix}{name} ")
    return names


def test_every_command_is_in_the_cli_reference() -> None:
    from collector.cli import build_parser

    page = (DOCS / "reference" / "cli.md").read_text("utf-8")
    commands = [*_commands(build_parser()), "statement verify"]
    assert "db upgrade" in commands
    for command in commands:
        assert re.search(rf"`{re.escape(command)}[ `]", page), command


def test_every_relative_link_of_the_readme_leads_to_a_file() -> None:
    """The README is read on the forge, outside the site: its links point into docs/."""
    readme = (ROOT / "README.md").read_text("utf-8")
    targets = re.findall(r"\]\((?!https?:)([^)#\s]+)", readme)
    assert "docs/tutorial/demo.md" in targets
    missing = [target for target in targets if not (ROOT / target).exists()]
    assert not missing

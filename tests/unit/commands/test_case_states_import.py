"""Seized cases' legal states imported through the CLI (``import case-states``): each bad row
refused alone with its file, line and column, the valid ones kept and counted; the same row
again changes nothing, a changed one is a revision; the configuration wins; and a reserve
report as of an instant before the import says what it said before, one after it counts the
forfeited coins."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from collector.cli import main
from collector.store.records import CaseStateRecord
from tests.support.forfeiture import (
    AS_OF,
    CASE,
    SEIZED_SAT,
    STATES,
    forfeiture_config,
    store_the_case,
)
from tests.support.scenario import read_store

HEADER = "case,state,from,order,destination\n"
RESTITUTION = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"


def _stored(config_path: Path) -> list[CaseStateRecord]:
    return read_store(config_path, lambda store: store.case_states())


def _import(config: Path, csv_file: Path) -> int:
    return main(["import", "case-states", str(csv_file), "--config", str(config)])


def test_each_bad_row_is_refused_with_its_file_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = forfeiture_config(tmp_path, states=[])
    csv_file = tmp_path / "states.csv"
    csv_file.write_text(
        HEADER + f"{CASE},order_pending,2026-02-20,,\n"
        "KZ-0000-0001,forfeited,2026-03-15,order 1,\n"  # 3: not a configured case
        f"{CASE},confiscated,2026-03-15,order 1,\n"  # 4: no such state
        f"{CASE},forfeited,15.03.2026,order 1,\n"  # 5: not a day
        f"{CASE},forfeited,2099-03-15,order 1,\n"  # 6: not in force yet
        f"{CASE},forfeited,2026-03-15,,\n"  # 7: a forfeiture names its order
        f"{CASE},released,2026-03-25,release 3/2026,\n"  # 8: a release without destination
        f"{CASE},released,2026-03-25,release 3/2026,bc1qnotanaddress\n"  # 9
        f"{CASE},forfeited,2026-02-01,order 1,\n"  # 10: before the pending order
        f"{CASE},forfeited,2026-03-15,final order 2-1234/2026,\n"
    )
    assert _import(config, csv_file) == 2
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert [line.split(":")[:2] for line in lines] == [
        [str(csv_file), str(n)] for n in range(3, 11)
    ]
    for line, column in zip(
        lines,
        ["case", "state", "from", "from", "order", "destination", "destination", "from"],
        strict=True,
    ):
        assert line.split(": ", 1)[1].startswith(column), line
    assert f"{csv_file}: 2 new states stored, 0 already stored, 8 refused" in out
    assert [(s.state, s.effective_from, s.order_ref) for s in _stored(config)] == [
        ("order_pending", date(2026, 2, 20), ""),
        ("forfeited", date(2026, 3, 15), "final order 2-1234/2026"),
    ]


def test_the_same_row_again_changes_nothing_and_a_changed_one_is_a_revision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = forfeiture_config(tmp_path, states=[])
    csv_file = tmp_path / "states.csv"
    csv_file.write_text(HEADER + f"{CASE},released,2026-03-25,release 3/2026,{RESTITUTION}\n")
    assert _import(config, csv_file) == 0
    assert _import(config, csv_file) == 0
    assert "0 new states stored, 1 already stored, 0 refused" in capsys.readouterr().out
    csv_file.write_text(HEADER + f"{CASE},released,2026-03-26,release 3a/2026,{RESTITUTION}\n")
    assert _import(config, csv_file) == 0
    assert "1 new states stored, 0 already stored, 0 refused" in capsys.readouterr().out
    [latest] = _stored(config)
    assert (latest.effective_from, latest.order_ref, latest.destination) == (
        date(2026, 3, 26),
        "release 3a/2026",
        RESTITUTION,
    )


def test_a_state_the_configuration_gives_wins_over_an_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = forfeiture_config(tmp_path)  # order_pending from 20 Feb, forfeited from 15 Mar
    csv_file = tmp_path / "states.csv"
    csv_file.write_text(
        HEADER + f"{CASE},forfeited,2026-03-01,other order,\n"
        f"{CASE},released,2026-03-10,release 3/2026,{RESTITUTION}\n"  # before the forfeiture
    )
    assert _import(config, csv_file) == 2
    first, second = capsys.readouterr().err.splitlines()
    assert first.endswith("state forfeited of case KZ-2026-0042 is configured (from 2026-03-15): "
                          "the configuration wins")  # fmt: skip
    assert second.endswith("out of order (forfeited from 2026-03-15)")
    assert _stored(config) == []


def _report(config: Path, out: Path, *as_of: str) -> dict[str, Any]:
    assert main(["report", "reserve", "--period", "2026-03", *as_of, "--out", str(out),
                 "--config", str(config)]) == 0  # fmt: skip
    if out.suffix != ".json":
        return {}
    report: dict[str, Any] = json.loads(out.read_text())["report"]
    return report


def test_a_report_as_of_before_the_import_is_unchanged_after_it(tmp_path: Path) -> None:
    """The worked forfeiture with the forfeiture imported (now) rather than configured: as of
    2 April, before the import, the case is still pending at the end of March; as of now it
    was forfeited from 15 March 00:00 in Almaty, and its 0.7 BTC count."""
    config = forfeiture_config(tmp_path, states=STATES[:1])
    store_the_case(config)
    before = _report(config, tmp_path / "before.json", "--as-of", AS_OF.isoformat())
    assert before["holdings"]["end"]["held_apart"]["total_sat"] == SEIZED_SAT
    csv_file = tmp_path / "states.csv"
    csv_file.write_text(HEADER + f"{CASE},forfeited,2026-03-15,final order 2-1234/2026,\n")
    assert _import(config, csv_file) == 0

    _report(config, tmp_path / "before.csv", "--as-of", AS_OF.isoformat())  # computed anew
    csv_text = (tmp_path / "before.csv").read_text()
    assert "held_apart,end,KZ-2026-0042,order_pending,70000000,0.70000000" in csv_text
    assert "holdings,end,total,,0,0.00000000" in csv_text
    after = _report(config, tmp_path / "after.json")
    assert (after["holdings"]["end"]["total_sat"], after["holdings"]["end"]["held_apart"]) == (
        SEIZED_SAT,
        {"total_sat": 0, "by_case": []},
    )
    [case] = after["seized"]
    assert (case["state"], case["since"], case["order"]) == (
        "forfeited",
        "2026-03-14T19:00:00Z",
        "final order 2-1234/2026",
    )

"""The docs' worked forfeiture (docs/explanation/reserve.md, "A worked forfeiture"), through
the command line: a case seized in February, its order pending from 20 February and forfeited
on 15 March (Asia/Almaty), is held apart at the start of the March report and counted, and
valued, at its end; the public page turns at 15 March 00:00 in Almaty to the second; and an
edit of the file afterwards changes neither."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import run_cli
from tests.support.configs import editing
from tests.support.forfeiture import AS_OF, STATES, forfeiture_config, store_the_case

pytestmark = pytest.mark.integration


def _cli(path: Path, *args: str) -> None:
    done = run_cli(*args, "--config", str(path))
    assert done.returncode == 0, done.stderr


def _report(path: Path, out: Path) -> dict[str, Any]:
    _cli(path, "report", "reserve", "--period", "2026-03", "--as-of", AS_OF.isoformat(),
         "--out", str(out))  # fmt: skip
    report: dict[str, Any] = json.loads(out.read_text())["report"]
    return report


def test_the_worked_forfeiture_comes_out_of_the_command_line(tmp_path: Path) -> None:
    path = forfeiture_config(tmp_path)
    store_the_case(path)
    report = _report(path, tmp_path / "march.json")
    start, end = report["holdings"]["start"], report["holdings"]["end"]
    assert (start["total_sat"], start["held_apart"]) == (
        0,
        {"total_sat": 70_000_000,
         "by_case": [{"case": "KZ-2026-0042", "state": "order_pending", "sat": 70_000_000}]},
    )  # fmt: skip
    assert end["total_sat"] == 70_000_000 and end["held_apart"]["total_sat"] == 0
    [case] = report["seized"]
    assert (case["state"], case["since"], case["order"]) == (
        "forfeited",
        "2026-03-14T19:00:00Z",
        "final order 2-1234/2026",
    )
    valuation = report["valuation"]
    # 0.7 BTC x 85,000 USD = 59,500.00 USD; x 505.00 KZT/USD = 30,047,500.00 KZT.
    assert (valuation["holdings_start_usd"], valuation["holdings_end_usd"]) == ("0.00", "59500.00")
    assert valuation["holdings_end_kzt"] == "30047500.00"
    # Which price each end used: Kraken's of 12 February, times the NBK's rate of that instant.
    assert (valuation["price_start_usd"], valuation["price_start_usd_instant"]) == (
        "85000",
        "2026-02-12T00:00:00Z",
    )
    assert valuation["price_end_kzt_source"] == "kraken*nbk-csv"

    for name, instant, total, apart in (
        ("before", "2026-03-14T18:59:59+00:00", 0, 70_000_000),
        ("after", "2026-03-14T19:00:00+00:00", 70_000_000, 0),
    ):
        page = tmp_path / name
        _cli(path, "report", "transparency", "--out", str(page), "--as-of", instant)
        public = json.loads((page / "transparency.json").read_text())
        assert (public["total_sat"], public["held_apart"]["total_sat"]) == (total, apart), name
    assert "Тәркілеу туралы шешім күтілуде" in (tmp_path / "before" / "index.html").read_text()
    assert "Решение о конфискации" in (tmp_path / "before" / "ru.html").read_text()

    # The forfeiture struck out of the file afterwards: as of 2 April the states known then
    # stand (kept as a settings revision), so a format never issued before, made now, says the
    # same (the JSON issued is served again as issued whatever the file says).
    with editing(path) as document:
        document["reserve"]["intake"][0]["states"] = STATES[:1]
    _cli(path, "report", "reserve", "--period", "2026-03", "--as-of", AS_OF.isoformat(),
         "--out", str(tmp_path / "march.csv"))  # fmt: skip
    csv_text = (tmp_path / "march.csv").read_text()
    assert "held_apart,start,KZ-2026-0042,order_pending,70000000,0.70000000" in csv_text
    assert ",forfeited,2026-03-14T19:00:00Z,final order 2-1234/2026" in csv_text
    assert "holdings,end,total,,70000000,0.70000000" in csv_text

"""The digital-mining fee's average price from energy invoices, through the CLI (``import
energy-invoices``): the worked example of docs/reference/mining-fee.md with Q1 2026's invoices
imported — 4,801,000.00 KZT paid for 200,000 kWh is 2,400.50 tiyn per kWh (24.005 KZT, to a
hundredth of a tiyn rounded down): the 1 KZT band instead of the configured 18.50 KZT's 25 and 7
KZT, and Q1's fee is 215,500.376 kWh × 1 KZT = 215,500.38 KZT; a statement as of 1 June, before the
import, keeps the configured price. Each bad row is refused alone with its line and column; the same
invoice again changes nothing, a changed one is a revision."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from collector.cli import main
from collector.store.records import EnergyInvoiceRecord
from tests.support import fee_scenario as example
from tests.support.scenario import read_store

HEADER = "site,period,energy_kwh,amount_kzt,invoice_number\n"
Q1_INVOICES = HEADER + (
    "demo-a,2026-01,70000,1610000.00,AE-2026-001\n"  # 23.00 KZT/kWh
    "demo-a,2026-02,60000,1470000.00,AE-2026-002\n"  # 24.50
    "demo-a,2026-03,70000,1721000.00,AE-2026-003\n"  # 24.5857...
)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return example.fee_world(tmp_path)


def _import(config: Path, csv_file: Path) -> int:
    return main(["import", "energy-invoices", str(csv_file), "--config", str(config)])


def _q1(config: Path, out: Path, as_of: datetime) -> dict[str, Any]:
    assert main(["statement", "--config", str(config), "--operation", "op-demo", "--period",
                 "2026-03", "--as-of", as_of.isoformat(), "--format", out.suffix[1:],
                 "--out", str(out)]) == 0  # fmt: skip
    if out.suffix != ".json":
        return {}
    fee = json.loads(out.read_text())["statement"]["mining_fee"]
    q1: dict[str, Any] = next(q for q in fee["quarters"] if q["quarter"] == "2026-Q1")
    return q1


def test_q1s_invoices_set_its_price_and_band_through_the_cli(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "invoices.csv"
    csv_file.write_text(Q1_INVOICES)
    assert _import(config, csv_file) == 0
    assert "3 new invoices stored, 0 already stored, 0 refused" in capsys.readouterr().out

    q1 = _q1(config, tmp_path / "now.json", datetime.now(UTC))
    assert [(p["start"], p["price_tiyn_per_kwh"], p["price_source"], p["rate_tiyn"],
             p["fee_millitiyn"]) for p in q1["parts"]] == [
        ("2026-01-01", "2400.50", "invoices", 100, "12000025100"),
        ("2026-02-15", "2400.50", "invoices", 100, "9550012500"),
    ]  # fmt: skip
    assert (q1["exact_millitiyn"], q1["due_tiyn"], q1["due_kzt"]) == (
        "21550037600",
        21_550_038,
        "215500.38",
    )
    assert (q1["paid_tiyn"], q1["overdue_tiyn"]) == (21_550_038, 0)
    _q1(config, tmp_path / "now.csv", datetime.now(UTC))
    csv_text = (tmp_path / "now.csv").read_text()
    assert "price_tiyn_per_kwh,price_source,rate_tiyn" in csv_text
    assert ",120000.251,telemetry,2400.50,invoices,100,band,12000025100" in csv_text

    # As of 1 June the invoices were not known yet: the configured 18.50 KZT stands.
    before = _q1(config, tmp_path / "june.json", example.AS_OF)
    assert [
        (p["price_tiyn_per_kwh"], p["price_source"], p["rate_tiyn"]) for p in before["parts"]
    ] == [
        ("1850", "configured", 2500),
        ("1850", "configured", 700),
    ]
    assert before["due_kzt"] == "3668507.15"


def test_each_bad_invoice_is_refused_with_its_line_and_column(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "invoices.csv"
    csv_file.write_text(
        HEADER + "demo-a,2026-01,70000,1610000.00,AE-1\n"
        "nowhere,2026-01,1,1,AE-2\n"  # 3
        "demo-a,2026-01-05,1,1,AE-3\n"  # 4: a day, not a month
        "demo-a,2099-01,1,1,AE-4\n"  # 5: not invoiced yet
        "demo-a,2026-02,0,1,AE-5\n"  # 6: no energy
        "demo-a,2026-02,1,1.005,AE-6\n"  # 7: below a tiyn
        "demo-a,2026-02,1,1,AE 7\n"  # 8
        "demo-a,2026-02,1,2,AE-1\n"  # 9: AE-1 again, otherwise
    )
    assert _import(config, csv_file) == 2
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert [line.split(":")[1] for line in lines] == [str(n) for n in range(3, 10)]
    columns = ["unknown site", "period", "period", "energy_kwh", "amount_kzt", "invoice_number",
               "invoice_number"]  # fmt: skip
    for line, column in zip(lines, columns, strict=True):
        assert line.split(": ", 1)[1].startswith(column), line
    assert "1 new invoices stored, 0 already stored, 7 refused" in out


def test_the_same_invoice_again_changes_nothing_and_a_changed_one_is_a_revision(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "invoices.csv"
    csv_file.write_text(HEADER + "demo-a,2026-01,70000,1610000.00,AE-1\n")
    assert _import(config, csv_file) == 0
    assert _import(config, csv_file) == 0
    assert "0 new invoices stored, 1 already stored, 0 refused" in capsys.readouterr().out
    csv_file.write_text(HEADER + "demo-a,2026-01,70000.5,1610011.50,AE-1\n")
    assert _import(config, csv_file) == 0

    def invoices(store: Any) -> Any:
        return store.energy_invoices(["demo-a"], date.min, date.max, as_of=datetime.now(UTC))

    [latest] = read_store(config, invoices)
    assert latest == EnergyInvoiceRecord(
        "demo-a", "AE-1", date(2026, 1, 1), 70_000_500, 161_001_150, latest.observed_at
    )

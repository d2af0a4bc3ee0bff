"""The mandatory sale's evidence through the CLI: an exchange's statement of sales; a bad row is
refused alone with its line, the valid ones are kept, a second import changes nothing, a stored
sale is never re-written, a sale on an exchange the operation's terms do not list is refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from collector.cli import main
from collector.store.records import ExchangeSaleRecord
from tests.support.scenario import read_store, write_config

HEADER = "date,operation,exchange,sold_btc,proceeds,reference\n"
EXCHANGE = "Example AIFC Exchange Ltd"


def _stored(config_path: Path) -> list[ExchangeSaleRecord]:
    return read_store(config_path, lambda store: store.exchange_sales())


def _config(tmp_path: Path) -> Path:
    schedule = [{"from": "2026-01-01", "percent": "50"}]
    return write_config(
        tmp_path, demo={"mandatory_sale": {"schedule": schedule, "exchanges": [EXCHANGE]}}
    )


def test_sales_are_kept_and_each_bad_row_refused_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    csv_file = tmp_path / "sales.csv"
    csv_file.write_text(
        HEADER + f"2026-10-30,op-demo,{EXCHANGE},0.015,1012345.50,EX-1\n"
        f"2026-10-31,op-other,Any Exchange,0.001,,EX-9\n"  # no list for op-other: any name
        f"2026-10-31,op-demo,Unlicensed Ltd,0.001,,EX-2\n"  # 4: not the operation's exchange
        f"2026-10-31,op-demo,{EXCHANGE},0.000000001,,EX-3\n"  # 5: below a satoshi
        f"2026-10-31,op-none,{EXCHANGE},1,,EX-4\n"  # 6: unknown operation
        f"2099-01-01,op-demo,{EXCHANGE},1,,EX-5\n"  # 7: not sold yet
        f"2026-10-31,op-demo,{EXCHANGE},1,,bad reference\n"  # 8
        f"2026-10-31,op-demo,{EXCHANGE},1,12 USD,EX-6\n"  # 9: proceeds not a decimal
    )
    assert main(["import", "exchange-sales", str(csv_file), "--config", str(config)]) == 2
    out, err = capsys.readouterr()
    assert [line.split(":")[1] for line in err.splitlines()] == ["4", "5", "6", "7", "8", "9"]
    assert "not one of the operation's licensed exchanges" in err
    assert "2 new sales stored, 0 already stored, 6 refused" in out
    assert [(s.operation_id, s.sold_on, s.sold_sat, s.proceeds) for s in _stored(config)] == [
        ("op-demo", date(2026, 10, 30), 1_500_000, "1012345.50"),
        ("op-other", date(2026, 10, 31), 100_000, None),
    ]


def test_a_sale_is_stored_once_and_never_rewritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    csv_file = tmp_path / "sales.csv"
    csv_file.write_text(HEADER + f"2026-10-30,op-demo,{EXCHANGE},0.015,,EX-1\n")
    assert main(["import", "exchange-sales", str(csv_file), "--config", str(config)]) == 0
    assert main(["import", "exchange-sales", str(csv_file), "--config", str(config)]) == 0
    assert "0 new sales stored, 1 already stored, 0 refused" in capsys.readouterr().out
    csv_file.write_text(HEADER + f"2026-10-30,op-demo,{EXCHANGE},0.02,,EX-1\n")
    assert main(["import", "exchange-sales", str(csv_file), "--config", str(config)]) == 2
    assert "never re-written" in capsys.readouterr().err
    assert [s.sold_sat for s in _stored(config)] == [1_500_000]


def test_a_file_with_the_wrong_header_stores_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    csv_file = tmp_path / "sales.csv"
    csv_file.write_text("date,operation,sold_btc\n2026-10-30,op-demo,1\n")
    assert main(["import", "exchange-sales", str(csv_file), "--config", str(config)]) == 2
    assert "the header must be date,operation,exchange,sold_btc,proceeds,reference" in (
        capsys.readouterr().err
    )

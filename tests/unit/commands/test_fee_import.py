"""The fee's imports through the CLI: the grid operator's readings and the fee's bank
transfers; a bad row is refused alone with its line, the valid ones are kept, a second import
changes nothing, a stored transfer is never re-written."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from collector.cli import main
from collector.config.load import load_config
from collector.store.database import open_engine
from collector.store.queries import Store
from collector.store.records import FeePaymentRecord, GridMeterRecord
from tests.support.scenario import write_config

LATER = datetime(2027, 1, 1, tzinfo=UTC)


def _stored(config_path: Path) -> tuple[list[GridMeterRecord], list[FeePaymentRecord]]:
    async def read() -> tuple[list[GridMeterRecord], list[FeePaymentRecord]]:
        async with Store(open_engine(load_config(config_path).database)) as store:
            meter = await store.grid_meter(["demo-a"], date.min, date.max, as_of=LATER)
            return meter, await store.fee_payments()

    return asyncio.run(read())


def test_meter_readings_are_kept_and_each_bad_row_refused_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    csv_file = tmp_path / "meter.csv"
    csv_file.write_text(
        "site,period,energy_kwh\n"
        "demo-a,2026-01,1000.5\n"
        "demo-a,2026-02-03,24\n"
        "nowhere,2026-02-03,24\n"  # 4: not a configured site
        "demo-a,2026-13,1\n"  # 5: no such month
        "demo-a,2026-02-04,1.2345\n"  # 6: below a Wh
        "demo-a,2099-01-01,1\n"  # 7: not yet
    )
    assert main(["import", "meter", str(csv_file), "--config", str(config)]) == 2
    out, err = capsys.readouterr()
    assert [line.split(":")[1] for line in err.splitlines()] == ["4", "5", "6", "7"]
    assert "unknown site 'nowhere'" in err
    assert "2 new readings stored, 0 already stored, 4 refused" in out
    readings, _ = _stored(config)
    assert [(r.period_start, r.period_kind, r.energy_wh) for r in readings] == [
        (date(2026, 1, 1), "month", 1_000_500),
        (date(2026, 2, 3), "day", 24_000),
    ]
    csv_file.write_text("site,period,energy_kwh\ndemo-a,2026-01,1000.5\n")
    assert main(["import", "meter", str(csv_file), "--config", str(config)]) == 0
    assert "0 new readings stored, 1 already stored, 0 refused" in capsys.readouterr().out


def test_fee_transfers_are_stored_once_and_never_rewritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    csv_file = tmp_path / "payments.csv"
    csv_file.write_text(
        "date,operation,amount_kzt,reference\n"
        "2026-05-20,op-demo,1234567.89,PP-0001\n"
        "2026-05-21,op-demo,12.345,PP-0002\n"  # 3: below a tiyn
        "2026-05-21,op-none,1,PP-0003\n"  # 4: unknown operation
    )
    assert main(["import", "fee-payments", str(csv_file), "--config", str(config)]) == 2
    out, err = capsys.readouterr()
    assert [line.split(":")[1] for line in err.splitlines()] == ["3", "4"]
    assert "1 new transfers stored" in out
    assert main(["import", "fee-payments", str(csv_file), "--config", str(config)]) == 2
    assert "0 new transfers stored, 1 already stored, 2 refused" in capsys.readouterr().out
    csv_file.write_text("date,operation,amount_kzt,reference\n2026-05-20,op-demo,1,PP-0001\n")
    assert main(["import", "fee-payments", str(csv_file), "--config", str(config)]) == 2
    assert "never re-written" in capsys.readouterr().err
    _, payments = _stored(config)
    assert [(p.reference, p.paid_on, p.amount_tiyn) for p in payments] == [
        ("PP-0001", date(2026, 5, 20), 123_456_789)
    ]


def test_a_file_with_the_wrong_header_stores_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    csv_file = tmp_path / "payments.csv"
    csv_file.write_text("day,operation,amount,reference\n2026-05-20,op-demo,1,PP-1\n")
    assert main(["import", "fee-payments", str(csv_file), "--config", str(config)]) == 2
    assert "the header must be date,operation,amount_kzt,reference" in capsys.readouterr().err

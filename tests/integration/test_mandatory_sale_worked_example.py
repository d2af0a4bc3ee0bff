"""The mandatory sale's worked example (docs/reference/mandatory-sale.md) through the CLI, on
SQLite and PostgreSQL: op-demo mined 3,000,005 sat in October 2026 (1,000,000 on the 29th and
30th, 1,000,005 on the 31st); its terms require 50 % from 1 January 2026 and 75 % from
31 October, with 14 days to sell. Required 1,000,000 + 750,003.75 = 1,750,003.75, rounded once:
1,750,004 sat; the exchange's statement evidences 0.01 BTC on 30 October and 0.005 BTC on
10 November (inside the window), a sale on an exchange the terms do not list is refused: sold
1,500,000 sat, short 250,004 sat, overdue after 15 November."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collector.accounts.service import AccountsService
from collector.cli import main
from collector.clock import FrozenClock
from collector.commands.sales_import import parse_sales_csv
from collector.config.load import load_config
from collector.http.api import AccountsApi
from collector.store.database import open_engine
from collector.store.queries import Store
from tests.support.scenario import AS_OF, populate, write_config

EXCHANGE = "Example AIFC Exchange Ltd"
SALES_CSV = (
    "date,operation,exchange,sold_btc,proceeds,reference\n"
    f"2026-10-30,op-demo,{EXCHANGE},0.01,680000.00,EX-1\n"
    f"2026-11-10,op-demo,{EXCHANGE},0.005,341000.00,EX-2\n"
    "2026-10-31,op-demo,Unlicensed Exchange Ltd,0.0025,,EX-3\n"
)


@pytest.fixture
def config_path(database_url: str, tmp_path: Path) -> Path:
    terms = {
        "schedule": [
            {"from": "2026-01-01", "percent": "50"},
            {"from": "2026-10-31", "percent": "75"},
        ],
        "deadline_days": 14,
        "exchanges": [EXCHANGE],
    }
    path = write_config(tmp_path, database=database_url, demo={"mandatory_sale": terms})
    asyncio.run(populate(database_url))
    return path


def _statement(config: Path, out: Path, fmt: str, as_of: datetime, language: str = "en") -> None:
    argv = ["statement", "--config", str(config), "--operation", "op-demo", "--period",
            "2026-10", "--as-of", as_of.isoformat(), "--format", fmt,
            "--out", str(out), "--lang", language]  # fmt: skip
    assert main(argv) == 0


def test_october_is_short_by_250004_sat_through_the_cli(
    config_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sales = tmp_path / "sales.csv"
    sales.write_text(SALES_CSV)
    assert main(["import", "exchange-sales", str(sales), "--config", str(config_path)]) == 2
    out, err = capsys.readouterr()
    assert "2 new sales stored, 0 already stored, 1 refused" in out
    assert ":4: exchange 'Unlicensed Exchange Ltd' is not one of the operation's" in err
    # The sales are observed when imported: a statement as of a later instant sees them.
    as_of = max(datetime.now(UTC), AS_OF)
    document = tmp_path / "statement.json"
    _statement(config_path, document, "json", as_of)
    section = json.loads(document.read_text())["statement"]["mandatory_sale"]
    october = section["periods"][0]
    assert (october["period"], october["mined_sat"], october["percents"]) == (
        "2026-10",
        3_000_005,
        ["50", "75"],
    )
    assert (october["required_sat"], october["sold_sat"], october["shortfall_sat"]) == (
        1_750_004,
        1_500_000,
        250_004,
    )
    assert (october["deadline"], october["overdue"], october["sales"]) == (
        "2026-11-15T00:00:00+00:00",
        True,
        ["EX-1", "EX-2"],
    )
    assert (section["shortfall_sat"], section["overdue_sat"], section["deadline_days"]) == (
        250_004,
        250_004,
        14,
    )
    assert main(["statement", "verify", str(document), "--config", str(config_path)]) == 0
    # As of the example's instant (12 November) nothing had been imported: nothing sold.
    _statement(config_path, document, "json", AS_OF)
    early = json.loads(document.read_text())["statement"]["mandatory_sale"]["periods"][0]
    assert (early["required_sat"], early["sold_sat"], early["overdue"]) == (1_750_004, 0, False)


def test_the_signed_csv_has_the_section_and_verifies(config_path: Path, tmp_path: Path) -> None:
    sales = tmp_path / "sales.csv"
    sales.write_text(SALES_CSV)
    main(["import", "exchange-sales", str(sales), "--config", str(config_path)])
    out = tmp_path / "statement.csv"
    _statement(config_path, out, "csv", max(datetime.now(UTC), AS_OF))
    rows = [row for row in csv.reader(io.StringIO(out.read_text())) if row]
    [october] = [row for row in rows if row[0] == "mandatory_sale"]
    assert october[1] == "2026-10"
    assert october[4:9] == ["3000005", "50 75", "1750004", "1500000", "250004"]
    assert main(["statement", "verify", str(out), "--config", str(config_path)]) == 0


async def test_the_live_pass_states_the_same_shortfall_in_the_api(config_path: Path) -> None:
    """The live pass's snapshot: the API's balance carries the mandatory sale, its statement
    the same section as statement --as-of the same instant; op-other (no mandatory sale) has
    neither."""
    config = load_config(config_path)
    imported = datetime(2026, 11, 11, 12, tzinfo=UTC)
    after = datetime(2026, 11, 20, tzinfo=UTC)
    async with Store(open_engine(config.database), FrozenClock(imported)) as store:
        sales, problems = parse_sales_csv(SALES_CSV, config, imported.date())
        assert len(problems) == 1
        assert await store.record_exchange_sales(sales) == 2
    async with Store(open_engine(config.database), FrozenClock(after)) as store:
        accounts = AccountsService(config, store, FrozenClock(after))
        await accounts.recompute()
        api = AccountsApi(config, store, accounts)
        balance = await api.balance("op-demo")
        statement = json.loads(await api.statement("op-demo", "2026-10", "json"))
        other = await api.balance("op-other")
        await api.close()
    sale = balance["mandatory_sale"]
    assert isinstance(sale, dict)
    assert (sale["required_sat"], sale["sold_sat"], sale["shortfall_sat"]) == (
        1_750_004,
        1_500_000,
        250_004,
    )
    assert sale["overdue_sat"] == 250_004
    assert "mandatory_sale" not in other
    section = statement["statement"]["mandatory_sale"]
    assert section["periods"][0]["sales"] == ["EX-1", "EX-2"]
    document = config_path.parent / "statement.json"
    await asyncio.to_thread(_statement, config_path, document, "json", after)
    assert json.loads(document.read_text())["statement"]["mandatory_sale"] == section


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Mandatory sale on AIFC exchanges", "1,750,004", "250,004", "50 % / 75 %"]),
        ("ru", ["Обязательная продажа на биржах МФЦА", "1 750 004", "недостача 250 004"]),
        ("kk", ["АХҚО биржаларында міндетті сату", "1 750 004", "жетіспейді 250 004"]),
    ],
)
def test_the_pdf_states_the_shortfall_in_its_language(
    config_path: Path, tmp_path: Path, language: str, words: list[str]
) -> None:
    sales = tmp_path / "sales.csv"
    sales.write_text(SALES_CSV)
    main(["import", "exchange-sales", str(sales), "--config", str(config_path)])
    out = tmp_path / f"statement-{language}.pdf"
    _statement(config_path, out, "pdf", max(datetime.now(UTC), AS_OF), language)
    text = subprocess.run(
        ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())
    for word in words:
        assert word in flat, word
    assert main(["statement", "verify", str(out), "--config", str(config_path)]) == 0

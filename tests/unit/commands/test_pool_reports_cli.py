"""A pool's monthly report to the tax authority through the CLI, on SQLite and PostgreSQL: the
worked example of docs/reference/pool-reports.md (October's report 100,000 sat above the
pool API's credit with the wallet unwatched; November's paid into the watched reserve address
with no credit that month), bad rows refused alone with their month left out, and a corrected
report a new revision that a reading as of before it does not see."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from collector.accounts.pool_reports import pool_reconciliations_as_of
from collector.accounts.service import AccountsService
from collector.cli import main
from collector.clock import FrozenClock
from collector.commands.pool_report_import import import_pool_report
from collector.config.load import load_config
from collector.http.api import AccountsApi
from collector.http.portal_pages import pool_report_table
from collector.store.queries import open_store
from remittance.i18n import wording
from remittance.pool_reports import Finding, MonthReadings
from tests.support.scenario import DEMO_ADDRESS, DEMO_TAX_IDENTITY, populate, write_config

HEADER = (
    "pool,period,iin_bin,name,licence_number,licence_date,wallet,distribution_date,amount_btc\n"
)
UNWATCHED = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"  # BIP 173's example, no one's here
DEMO = "123456789012,Demo Mining LLP,DM-2026-001,2026-01-15"
EXAMPLE = (
    HEADER
    + f"ocean,2026-10,{DEMO},{UNWATCHED},2026-10-31,0.03100005\n"
    + f"ocean,2026-11,{DEMO},{DEMO_ADDRESS},2026-11-05,0.002\n"
)


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Path:
    path = write_config(tmp_path, database=database_url, demo={"tax_identity": DEMO_TAX_IDENTITY})
    asyncio.run(populate(database_url))
    return path


def test_the_worked_example_finds_octobers_report_above_the_credit_and_novembers_unearned(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "ocean-report.csv"
    report.write_text(EXAMPLE)
    assert main(["import", "pool-report", str(report), "--config", str(config)]) == 0
    assert "2 new monthly reports stored, 0 already stored, 0 refused" in capsys.readouterr().out
    assert main(["pool-reports", "--config", str(config)]) == 1
    *months, total = capsys.readouterr().out.splitlines()
    assert months == [
        "op-demo ocean 2026-10: report 3,100,005 sat, api 3,000,005 sat, chain not observable",
        "  finding report_api: 3,100,005 vs 3,000,005 sat, 100,000 apart, 3,100 allowed",
        "op-demo ocean 2026-11: report 200,000 sat, api 0 sat, chain 200,000 sat",
        "  finding report_api: 200,000 vs 0 sat, 200,000 apart, 1,000 allowed",
        "  finding api_chain: 0 vs 200,000 sat, 200,000 apart, 1,000 allowed",
    ]
    assert total.startswith("2 months reconciled as of ")
    assert total.endswith(", 3 findings")
    assert main(["import", "pool-report", str(report), "--config", str(config)]) == 0
    assert "0 new monthly reports stored, 2 already stored" in capsys.readouterr().out


def test_a_bad_row_is_refused_with_its_line_and_its_month_is_not_stored(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "bad.csv"
    report.write_text(
        HEADER
        + f"ocean,2026-10,{DEMO},{UNWATCHED},2026-10-31,0.03100005\n"  # 2: kept
        + f"ocean,2026-11,{DEMO},{UNWATCHED},2026-11-05,0.001\n"  # 3: its month left out
        + f"ocean,2026-11,{DEMO},{UNWATCHED},2026-12-01,0.001\n"  # 4: not a day of November
        + f"ocean,2026-11,999999999999,X,DM-2026-001,2026-01-15,{UNWATCHED},2026-11-05,1\n"
        + f"ocean,2026-11,123456789012,D,DM-9,2026-01-15,{UNWATCHED},2026-11-05,1\n"  # 6
        + f"braiins,2026-11,{DEMO},{UNWATCHED},2026-11-05,1\n"  # 7: no account there
        + f"ocean,2026-11,{DEMO},bc1qnotanaddress,2026-11-05,1\n"  # 8
        + f"ocean,2026-11,{DEMO},{UNWATCHED},2026-11-05,0.123456789\n"  # 9
    )
    assert main(["import", "pool-report", str(report), "--config", str(config)]) == 2
    out, err = capsys.readouterr()
    refused = err.splitlines()
    assert [line.split(":")[1] for line in refused[:6]] == ["4", "5", "6", "7", "8", "9"]
    assert "must be a day (YYYY-MM-DD) of 2026-11" in refused[0]
    assert "iin_bin is not a configured operation's" in refused[1]
    assert "999999999999" not in err  # the identifier is never repeated
    assert "'DM-9' is not op-demo's licence" in refused[2]
    assert "op-demo has no account at that pool" in refused[3]
    assert refused[6].endswith(
        "op-demo ocean 2026-11 not stored: its row at " + f"{report}:4 was refused"
    )
    assert "1 new monthly reports stored, 0 already stored, 7 refused" in out


def test_a_corrected_report_is_a_revision_unseen_as_of_before_it(
    config: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.csv"
    first, second = datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC)
    report.write_text(HEADER + f"ocean,2026-10,{DEMO},{UNWATCHED},2026-10-31,0.03100005\n")
    loaded = load_config(config)
    assert asyncio.run(import_pool_report(loaded, report, FrozenClock(first))) == 0
    report.write_text(HEADER + f"ocean,2026-10,{DEMO},{UNWATCHED},2026-10-31,0.03000005\n")
    assert asyncio.run(import_pool_report(loaded, report, FrozenClock(second))) == 0

    async def reconciled(instant: datetime) -> tuple[MonthReadings, tuple[Finding, ...]]:
        async with open_store(loaded.database, FrozenClock(instant)) as store:
            [month] = (await pool_reconciliations_as_of(store, loaded, instant))["op-demo"]
            assert month.month == date(2026, 10, 1)
            return month.readings, month.findings

    before = asyncio.run(reconciled(first))
    assert before == (
        MonthReadings(3_100_005, 3_000_005, None),
        (Finding("report_api", 3_100_005, 3_000_005, 3_100),),
    )
    assert asyncio.run(reconciled(second)) == (MonthReadings(3_000_005, 3_000_005, None), ())


def test_the_live_pass_reconciles_and_the_balance_lists_the_findings(
    config: Path, tmp_path: Path
) -> None:
    report, imported = tmp_path / "report.csv", datetime(2026, 11, 20, tzinfo=UTC)
    report.write_text(EXAMPLE)
    loaded = load_config(config)
    assert asyncio.run(import_pool_report(loaded, report, FrozenClock(imported))) == 0

    async def balances() -> tuple[Mapping[str, object], Mapping[str, object], str]:
        async with open_store(loaded.database, FrozenClock(imported)) as store:
            accounts = AccountsService(loaded, store, FrozenClock(imported))
            await accounts.recompute()
            api = AccountsApi(loaded, store, accounts)
            balances = await api.balance("op-demo"), await api.balance("op-other")
            page = pool_report_table(wording("ru"), api.pool_reports("op-demo"))
            assert pool_report_table(wording("en"), api.pool_reports("op-other")) == ""
            await api.close()
            return (*balances, page)

    demo, other, page = asyncio.run(balances())
    assert "Отчёты пулов в налоговый орган, сверка" in page
    assert "<td>2026-10</td>" in page and "3\u00a0100\u00a0005" in page
    assert "не наблюдается" in page and "отчёт и API пула; API пула и блокчейн" in page
    assert "123456789012" not in page and "Demo Mining LLP" not in page
    october, november = demo["pool_reports"]
    assert october == {
        "pool": "ocean",
        "month": "2026-10",
        "report_sat": 3_100_005,
        "api_sat": 3_000_005,
        "chain_sat": None,
        "findings": [
            {
                "leg": "report_api",
                "left_sat": 3_100_005,
                "right_sat": 3_000_005,
                "difference_sat": 100_000,
                "allowed_sat": 3_100,
            }
        ],
    }
    assert [f["leg"] for f in november["findings"]] == ["report_api", "api_chain"]
    assert "pool_reports" not in other


def _statement_of_october(config: Path, out: Path, fmt: str, language: str = "en") -> None:
    report = out.parent / "report.csv"
    report.write_text(EXAMPLE)
    loaded = load_config(config)
    imported = datetime(2026, 11, 20, tzinfo=UTC)
    asyncio.run(import_pool_report(loaded, report, FrozenClock(imported)))
    argv = ["statement", "--config", str(config), "--operation", "op-demo", "--period",
            "2026-10", "--as-of", "2026-11-21T00:00:00+00:00", "--format", fmt, "--out",
            str(out), "--lang", language]  # fmt: skip
    assert main(argv) == 0
    assert main(["statement", "verify", str(out), "--config", str(config)]) == 0


def test_the_statement_of_october_carries_its_finding_in_json_and_csv(
    config: Path, tmp_path: Path
) -> None:
    out = tmp_path / "statement.json"
    _statement_of_october(config, out, "json")
    [october] = json.loads(out.read_text())["statement"]["pool_reports"]
    assert (october["month"], october["report_sat"], october["chain_sat"]) == (
        "2026-10",
        3_100_005,
        None,
    )
    assert [f["difference_sat"] for f in october["findings"]] == [100_000]
    csv_out = tmp_path / "statement.csv"
    _statement_of_october(config, csv_out, "csv")
    [row] = [line for line in csv_out.read_text().splitlines() if line.startswith("pool_report,")]
    assert row == "pool_report,ocean,2026-10,3100005,3000005,,report_api"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Pools' reports to the tax authority, reconciled", "not observable",
                "Finding, ocean 2026-10, report vs the pool's API: 3,100,005 and 3,000,005 sat "
                "differ by 100,000 sat, above the 3,100 sat allowed."]),
        ("ru", ["Отчёты пулов в налоговый орган, сверка", "не наблюдается", "100 000"]),
        ("kk", ["Пулдардың салық органына есептері, салыстырылған", "бақыланбайды", "100 000"]),
    ],
)  # fmt: skip
def test_the_pdf_states_the_finding_in_its_language(
    config: Path, tmp_path: Path, language: str, words: list[str]
) -> None:
    out = tmp_path / f"statement-{language}.pdf"
    _statement_of_october(config, out, "pdf", language)
    flat = _pdf_text(out)
    for word in words:
        assert word in flat, word


def test_the_reserve_report_lists_every_finding_in_json_csv_and_the_pdf(
    config: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.csv"
    report.write_text(EXAMPLE)
    loaded = load_config(config)
    asyncio.run(import_pool_report(loaded, report, FrozenClock(datetime(2026, 11, 20, tzinfo=UTC))))
    common = ["report", "reserve", "--config", str(config), "--period", "2026-11", "--as-of",
              "2026-11-21T00:00:00+00:00"]  # fmt: skip
    outs = {fmt: tmp_path / f"reserve.{fmt}" for fmt in ("json", "csv", "pdf")}
    for out in outs.values():
        assert main([*common, "--out", str(out)]) == 0
    kazakh = tmp_path / "reserve-kk.pdf"
    assert main([*common, "--out", str(kazakh), "--lang", "kk"]) == 0
    listed = json.loads(outs["json"].read_text())["report"]["pool_report_findings"]
    assert [(f["operation"], f["month"], f["leg"], f["difference_sat"]) for f in listed] == [
        ("op-demo", "2026-10", "report_api", 100_000),
        ("op-demo", "2026-11", "report_api", 200_000),
        ("op-demo", "2026-11", "api_chain", -200_000),
    ]
    assert (
        "pool_report_finding,op-demo,ocean,2026-10,report_api,3100005,3000005,100000,3100"
        in outs["csv"].read_text()
    )
    english = _pdf_text(outs["pdf"])
    assert "op-demo Finding, ocean 2026-10, report vs the pool's API: 3,100,005" in english
    assert "Сәйкессіздік, ocean 2026-11, пулдың API-і мен блокчейн" in _pdf_text(kazakh)
    page = tmp_path / "public"
    assert main(["report", "transparency", "--config", str(config), "--out", str(page),
                 "--as-of", "2026-11-21T00:00:00+00:00"]) == 0  # fmt: skip
    public = " ".join(f.read_text() for f in page.iterdir())
    assert "pool_report" not in public and "123456789012" not in public
    assert "Finding" not in public and "Demo Mining LLP" not in public


def _pdf_text(pdf: Path) -> str:
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def test_a_json_report_in_the_same_fields_is_imported_and_a_number_refused(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fields = HEADER.strip().split(",")
    october = dict(
        zip(
            fields,
            f"ocean,2026-10,{DEMO},{UNWATCHED},2026-10-31,0.03100005".split(","),
            strict=True,
        )
    )
    november = {**october, "period": "2026-11", "distribution_date": "2026-11-05"}
    report = tmp_path / "ocean-report.json"
    report.write_text(json.dumps([october, {**november, "amount_btc": 0.002}]))
    assert main(["import", "pool-report", str(report), "--config", str(config)]) == 2
    out, err = capsys.readouterr()
    assert err.startswith(f"{report}:item 2: every value is a string")
    assert "1 new monthly reports stored, 0 already stored, 1 refused" in out
    assert main(["pool-reports", "--config", str(config)]) == 1
    assert "op-demo ocean 2026-10: report 3,100,005 sat" in capsys.readouterr().out

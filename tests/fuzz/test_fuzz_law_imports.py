"""Any rows of a seized cases' states or an energy invoices CSV import or are refused line by
line: the parsers return the valid rows and one problem per bad row, or raise CsvImportError
(no header, not CSV), never anything else; what they keep is within bounds."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.commands.case_states_import import parse_case_states_csv
from collector.commands.fee_import import parse_invoices_csv
from collector.commands.imports import CsvImportError
from collector.config.load import load_config
from collector.config.model import Config
from tests.support import fee_scenario
from tests.support.forfeiture import CASE, forfeiture_config

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TODAY = date(2026, 12, 5)
CELLS = st.sampled_from(
    [CASE, "demo-a", "forfeited", "released", "order_pending", "2026-03-15", "2026-03",
     "2026-02-30", "70000.5", "0", "1.005", "9" * 5000, "AE-1", " ", "", '"', "\x00", "\r",
     "a\nb", "²", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"]
) | st.text(max_size=10)  # fmt: skip
ROWS = st.lists(st.lists(CELLS, min_size=0, max_size=6), max_size=6)


@pytest.fixture(scope="module")
def configs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, Config]:
    cases = forfeiture_config(tmp_path_factory.mktemp("cases"), states=[])
    fee = fee_scenario.write_fee_config(tmp_path_factory.mktemp("fee"))
    return load_config(cases), load_config(fee)


def _text(header: str, rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return header + "\n" + out.getvalue()


@FUZZ
@given(rows=ROWS)
def test_any_case_state_rows_import_or_are_refused(
    rows: list[list[str]], configs: tuple[Config, Config]
) -> None:
    try:
        states, problems = parse_case_states_csv(
            _text("case,state,from,order,destination", rows), configs[0], TODAY
        )
    except CsvImportError as err:
        assert err.problems
        return
    assert len(states) + len(problems) <= len(rows)
    assert all(s.case_id == CASE and s.effective_from <= TODAY for s in states)


@FUZZ
@given(rows=ROWS)
def test_any_invoice_rows_import_or_are_refused(
    rows: list[list[str]], configs: tuple[Config, Config]
) -> None:
    try:
        invoices, problems = parse_invoices_csv(
            _text("site,period,energy_kwh,amount_kzt,invoice_number", rows), configs[1], TODAY
        )
    except CsvImportError as err:
        assert err.problems
        return
    assert len(invoices) + len(problems) <= len(rows)
    assert all(i.energy_wh > 0 and i.amount_tiyn >= 0 and i.period <= TODAY for i in invoices)


def test_the_header_alone_imports_nothing(configs: tuple[Config, Config]) -> None:
    assert parse_invoices_csv("site,period,energy_kwh,amount_kzt,invoice_number\n", configs[1],
                              TODAY) == ([], [])  # fmt: skip

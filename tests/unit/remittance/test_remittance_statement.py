from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from remittance import (
    InvalidInputError,
    OperationAccount,
    OperationInfo,
    Statement,
    StatementFormatError,
)
from remittance.json_bytes import readable_json_bytes
from remittance.statement import build_statement
from remittance.statement_json import (
    statement_canonical_bytes,
    statement_from_dict,
    statement_from_json,
    statement_sha256,
    statement_to_dict,
    statement_to_json,
)


def test_statement_json_round_trips(worked_statement: Statement) -> None:
    assert statement_from_json(statement_to_json(worked_statement)) == worked_statement


def test_statement_json_has_integer_sat_fields_and_btc_text(worked_statement: Statement) -> None:
    summary = json.loads(statement_to_json(worked_statement))["summary"]
    assert summary["due_sat"] == 300_001
    assert summary["due_btc"] == "0.00300001"
    for field in (
        "mined_sat", "expected_sat", "remitted_sat", "opening_balance_sat",
        "closing_balance_sat", "shortfall_sat",
    ):  # fmt: skip
        assert isinstance(summary[field], int)


def test_readable_json_is_byte_for_byte_what_the_standard_library_writes(
    worked_statement: Statement,
) -> None:
    # Statements issued before orjson wrote them must be made again byte for byte.
    awkward = replace(
        worked_statement,
        operation_name='«Екібастұз» ЖШС \u2028 "quoted" \\ tab\t \x01 \x7f 🙂',
    )
    for statement in (worked_statement, awkward):
        data = statement_to_dict(statement)
        expected = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        assert statement_to_json(statement) == expected
        assert readable_json_bytes(data) == expected.encode()
        assert (
            readable_json_bytes({"empty": {}, "none": [], "n": None, "big": 2**63 - 1})
            == (
                json.dumps({"empty": {}, "none": [], "n": None, "big": 2**63 - 1}, indent=2) + "\n"
            ).encode()
        )


def test_canonical_bytes_do_not_depend_on_key_order(worked_statement: Statement) -> None:
    data = statement_to_dict(worked_statement)
    reordered = dict(reversed(list(data.items())))
    assert statement_canonical_bytes(statement_from_dict(reordered)) == statement_canonical_bytes(
        worked_statement
    )


def test_a_changed_amount_changes_the_digest(worked_statement: Statement) -> None:
    changed = replace(worked_statement, due_sat=worked_statement.due_sat - 1)
    assert statement_sha256(changed) != statement_sha256(worked_statement)


def test_reading_back_bad_statement_json_names_the_field(worked_statement: Statement) -> None:
    data = json.loads(statement_to_json(worked_statement))
    data["summary"]["due_sat"] = "300001"
    with pytest.raises(StatementFormatError, match=r"summary\.due_sat must be an integer"):
        statement_from_dict(data)
    data = json.loads(statement_to_json(worked_statement))
    data["terms"]["basis"] = "guess"
    with pytest.raises(StatementFormatError, match="one of reported, expected, greater"):
        statement_from_dict(data)
    with pytest.raises(StatementFormatError, match="not JSON"):
        statement_from_json("{")


def test_csv_has_header_days_and_transfers(worked_statement: Statement) -> None:
    from remittance.statement_csv import render_csv

    rows = list(csv.reader(io.StringIO(render_csv(worked_statement).decode())))
    header = {row[1]: row[2] for row in rows if row and row[0] == "statement"}
    assert header["due_sat"] == "300001"
    assert header["statement_sha256"] == statement_sha256(worked_statement)
    days = [row for row in rows if row and row[0] == "day"]
    assert [(row[1], row[2], row[3]) for row in days] == [
        ("2026-10-29", "pool-a", "1000000"),
        ("2026-10-30", "pool-a", "600000"),
        ("2026-10-30", "pool-b", "400000"),
        ("2026-10-31", "pool-a", "1000005"),
    ]
    transfers = [row for row in rows if row and row[0] == "transfer"]
    assert [(row[1][:4], row[4]) for row in transfers] == [("aaaa", "200000")]


def test_statement_for_a_period_outside_the_account_is_an_error(
    worked_account: OperationAccount, worked_operation: OperationInfo
) -> None:
    with pytest.raises(InvalidInputError, match="does not cover period 2026-08"):
        build_statement(worked_account, worked_operation, "2026-08")


def test_statement_for_another_operation_is_an_error(worked_account: OperationAccount) -> None:
    other = OperationInfo("op-other", "Other", "X")
    with pytest.raises(InvalidInputError, match="not the account's"):
        build_statement(worked_account, other, "2026-10")


def test_statement_as_of_must_match_the_account(
    worked_account: OperationAccount, worked_operation: OperationInfo
) -> None:
    with pytest.raises(InvalidInputError, match="differs"):
        build_statement(
            worked_account,
            worked_operation,
            "2026-10",
            as_of=datetime(2026, 11, 13, tzinfo=UTC),
        )


def test_open_period_statement_shows_no_shortfall(
    worked_account: OperationAccount, worked_operation: OperationInfo
) -> None:
    statement = build_statement(worked_account, worked_operation, "2026-11")
    assert statement.is_open
    assert (statement.due_sat, statement.shortfall_sat) == (0, 0)
    assert statement.opening_balance_sat == 100_001  # October's unpaid amount is carried in
    assert statement.implied_efficiency_j_per_th is None
    assert statement.energy_kwh is None
    assert statement_from_json(statement_to_json(statement)) == statement


def test_energy_and_implied_efficiency(worked_statement: Statement) -> None:
    assert worked_statement.energy_kwh == Decimal(28_800)
    assert worked_statement.implied_efficiency_j_per_th == Decimal("20.00")


def test_a_carried_clawback_is_on_the_statement_and_reads_back(
    worked_operation: OperationInfo,
) -> None:
    from datetime import date

    from remittance import DailyEarning, PeriodKind, RateChange, RemittanceTerms, compute_account

    account = compute_account(
        worked_operation.operation_id,
        RemittanceTerms(rates=(RateChange(date(2026, 1, 1), Decimal("0.10")),)),
        [
            DailyEarning(worked_operation.operation_id, "pool-a", date(2026, 10, 1), -1_000_000),
            DailyEarning(worked_operation.operation_id, "pool-a", date(2026, 11, 1), 3_000_000),
        ],
        (), (), (), 6, datetime(2026, 12, 1, tzinfo=UTC),
    )  # fmt: skip
    assert account.terms.period is PeriodKind.MONTHLY
    october = build_statement(account, worked_operation, "2026-10")
    november = build_statement(account, worked_operation, "2026-11")
    assert statement_to_dict(october)["summary"]["clawback_carried_out_sat"] == 100_000
    assert (november.due_sat, november.clawback_carried_in_sat) == (200_000, 100_000)
    assert "clawback_carried" in november.flags
    assert statement_from_json(statement_to_json(november)) == november
    from remittance.statement_csv import render_csv

    rows = list(csv.reader(io.StringIO(render_csv(november).decode())))
    assert ["statement", "clawback_carried_in_sat", "100000"] in rows

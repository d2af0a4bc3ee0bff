"""Statements that stress the renderings: many pages, non-ASCII names; and the doctests."""

from __future__ import annotations

import doctest
import subprocess
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from remittance import Statement, money, periods, share
from remittance.pdf import render_signed_pdf
from remittance.signing import new_private_key, sign_statement_json, verify
from remittance.statement import PoolAmount, StatementDay
from remittance.statement_json import statement_canonical_bytes


def long_statement(statement: Statement) -> Statement:
    days = tuple(
        StatementDay(
            day=date(2026, 10, 1) + timedelta(days=offset),
            mined_sat=3_000 * 12,
            pools=tuple(PoolAmount(f"pool-{index}", 3_000) for index in range(12)),
            expected_sat=36_001,
            pool_hashrate_hs=None,
            network_hashrate_hs=None,
            network_rewards_sat=None,
            missing_reason=None,
        )
        for offset in range(31)
    )
    return replace(statement, days=days)


def test_multi_page_pdf_carries_one_signature_on_every_page_and_verifies(
    worked_statement: Statement,
) -> None:
    key = new_private_key()
    document = render_signed_pdf(long_statement(worked_statement), key)
    assert document.count(b"Ed25519 signature ") >= 3
    assert verify(document, key.public_key()).kind == "pdf"


def test_non_ascii_names_round_trip_and_verify_in_json(worked_statement: Statement) -> None:
    statement = replace(worked_statement, operation_name="Қазақ Майнинг ЖШС")
    key = new_private_key()
    verified = verify(sign_statement_json(statement, key), key.public_key())
    assert verified.statement == statement
    assert statement_canonical_bytes(statement).isascii()
    pdf = render_signed_pdf(statement, key)
    assert verify(pdf, key.public_key()).kind == "pdf"


def test_a_kazakh_name_is_drawn_in_a_unicode_face_and_reads_back_intact(
    worked_statement: Statement, tmp_path: Path
) -> None:
    """Every Kazakh letter (ә ғ қ ң ө ұ ү һ і) and Russian text come back from pdftotext."""
    name = "Екібастұз мемлекеттік майнинг ЖШС — әғқңөұүһі ӘҒҚҢӨҰҮҺІ, ООО «Ёж»"
    statement = replace(worked_statement, operation_name=name)
    key = new_private_key()
    pdf = render_signed_pdf(statement, key)
    assert verify(pdf, key.public_key()).kind == "pdf"
    assert render_signed_pdf(statement, key) == pdf  # the same statement, the same bytes
    path = tmp_path / "statement.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert name in " ".join(text.split())
    assert b"/FontName /" in pdf and b"DejaVuSans" in pdf  # the face is embedded


@pytest.mark.parametrize("module", [money, periods, share])
def test_docstring_examples_hold(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.failed == 0

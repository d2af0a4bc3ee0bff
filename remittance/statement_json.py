"""A statement's JSON document (the model: :mod:`remittance.statement`; its CSV:
:mod:`remittance.statement_csv`).

Amounts are integers in fields ending `_sat`, with `_btc` text beside them for humans (ignored
when reading back); measured numbers and rates are decimal strings; keys come in a fixed order.
:func:`statement_canonical_bytes` (sorted keys, no spaces, ASCII) is what
:func:`statement_sha256` hashes and what the signature covers. Sections a statement may lack
(a clawback, the mining fee, the mandatory sale, the journal, the pools' reports) are written
only where there is one, so older statements keep their bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from remittance.errors import InvalidInputError, StatementFormatError
from remittance.fee_statement import fee_from_dict, fee_to_dict
from remittance.journal import JournalEntry
from remittance.json_bytes import canonical_json_bytes, readable_json_bytes
from remittance.money import sat_to_btc_text
from remittance.obligations import Basis, MissingReason
from remittance.periods import PeriodKind
from remittance.pool_report_statement import section_from_list, section_to_list
from remittance.sale_statement import sale_from_dict, sale_to_dict
from remittance.statement import (
    IncomeLine,
    PoolAmount,
    Restatement,
    RevisedInput,
    Statement,
    StatementDay,
    StatementTranche,
    StatementTransfer,
)
from remittance.statement_reader import StatementReader

STATEMENT_FORMAT = "reservewatch-statement/1"


def statement_canonical_bytes(statement: Statement) -> bytes:
    """Sorted keys, no spaces, ASCII: the bytes that are hashed and signed."""
    return canonical_json_bytes(statement_to_dict(statement))


def statement_sha256(statement: Statement) -> str:
    """Hex SHA-256 of :func:`statement_canonical_bytes`."""
    return hashlib.sha256(statement_canonical_bytes(statement)).hexdigest()


def statement_to_json(statement: Statement) -> str:
    """Readable JSON, keys in reading order."""
    return readable_json_bytes(statement_to_dict(statement)).decode()


def statement_from_json(text: str | bytes) -> Statement:
    """Read a statement back from :func:`statement_to_json` text; raises StatementFormatError."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        msg = f"statement is not JSON: {error}"
        raise StatementFormatError(msg) from error
    if not isinstance(data, dict):
        msg = "statement JSON must be an object"
        raise StatementFormatError(msg)
    return statement_from_dict(data)


def decimal_text(value: Decimal | None) -> str | None:
    # Plain notation (20000000000000000, not 2E+16): these are read by people too.
    return None if value is None else format(value, "f")


def statement_to_dict(statement: Statement) -> dict[str, Any]:
    """The statement as JSON-ready data, keys in reading order."""

    def amount(name: str, value: int) -> dict[str, Any]:
        return {f"{name}_sat": value, f"{name}_btc": sat_to_btc_text(value)}

    return {
        "format": STATEMENT_FORMAT,
        "operation": {
            "id": statement.operation_id,
            "name": statement.operation_name,
            "licence": statement.licence,
        },
        "period": {
            "label": statement.period_label,
            "kind": str(statement.period_kind),
            "start": statement.period_start.isoformat(),
            "end": statement.period_end.isoformat(),
            "deadline": statement.deadline.isoformat(),
            "deadline_timezone": statement.deadline_timezone,
            "is_open": statement.is_open,
            **(
                {
                    "assessed_later": [
                        {
                            **amount("amount", item.amount_sat),
                            "assessed_at": item.assessed_at.isoformat(),
                            "deadline": item.deadline.isoformat(),
                        }
                        for item in statement.assessed_later
                    ]
                }
                if statement.assessed_later
                else {}
            ),
        },
        "as_of": statement.as_of.isoformat(),
        "terms": {
            "rate": str(statement.rate),
            "basis": str(statement.basis),
            "discrepancy_tolerance": str(statement.discrepancy_tolerance),
        },
        "summary": {
            **amount("mined", statement.mined_sat),
            **amount("expected", statement.expected_sat),
            **amount("basis", statement.basis_sat),
            **amount("due", statement.due_sat),
            **clawbacks_carried(statement),
            **amount("remitted", statement.remitted_sat),
            **amount("opening_balance", statement.opening_balance_sat),
            **amount("closing_balance", statement.closing_balance_sat),
            **amount("shortfall", statement.shortfall_sat),
            "overdue_seconds": statement.overdue_seconds,
            **amount("paid_ahead", statement.paid_ahead_sat),
            **amount("account_balance", statement.account_balance_sat),
            "income": [
                {
                    "income": line.income,
                    "counted": line.counted,
                    **amount("amount", line.amount_sat),
                }
                for line in statement.income
            ],
        },
        "flags": list(statement.flags),
        "missing_days": [
            {"day": day.day.isoformat(), "reason": str(day.missing_reason)}
            for day in statement.missing_days
        ],
        "restatements": [
            {
                "period": item.period_label,
                "issued_as_of": item.issued_as_of.isoformat(),
                "issued_due_sat": item.issued_due_sat,
                **amount("due", item.due_sat),
                **amount("delta", item.delta_sat),
                "inputs": [
                    {"input": revised.input, "old": revised.old, "new": revised.new}
                    for revised in item.inputs
                ],
            }
            for item in statement.restatements
        ],
        "unrated_days": [day.isoformat() for day in statement.unrated_days],
        "provisional_days": [day.isoformat() for day in statement.provisional_days],
        "days": [
            {
                "day": day.day.isoformat(),
                **amount("mined", day.mined_sat),
                "pools": [
                    {
                        "pool": p.pool,
                        "income": p.income,
                        "counted": p.counted,
                        "amount_sat": p.amount_sat,
                    }
                    for p in day.pools
                ],
                "expected_sat": day.expected_sat,
                "pool_hashrate_hs": decimal_text(day.pool_hashrate_hs),
                "pool_hashrate_source": day.pool_hashrate_source,
                "pool_hashrate_coverage": decimal_text(day.pool_hashrate_coverage),
                "network_hashrate_hs": decimal_text(day.network_hashrate_hs),
                "network_rewards_sat": day.network_rewards_sat,
                "missing_reason": None if day.missing_reason is None else str(day.missing_reason),
            }
            for day in statement.days
        ],
        "transfers": [
            {
                "txid": transfer.txid,
                "vout": transfer.vout,
                "address": transfer.address,
                **amount("amount", transfer.amount_sat),
                "output_amount_sat": transfer.output_amount_sat,
                "confirmations": transfer.confirmations,
                "block_height": transfer.block_height,
                "block_time": transfer.block_time.isoformat(),
                "late_seconds": transfer.late_seconds,
            }
            for transfer in statement.transfers
        ],
        "energy": {
            "energy_kwh": decimal_text(statement.energy_kwh),
            "implied_efficiency_j_per_th": decimal_text(statement.implied_efficiency_j_per_th),
        },
        # Only where the operation owes the fee: other statements keep their bytes.
        **(
            {}
            if statement.mining_fee is None
            else {"mining_fee": fee_to_dict(statement.mining_fee)}
        ),
        # Only where the terms set a mandatory sale.
        **(
            {}
            if statement.mandatory_sale is None
            else {"mandatory_sale": sale_to_dict(statement.mandatory_sale)}
        ),
        # Only where there is an entry: statements without one keep their bytes.
        **({"journal": [e.listed() for e in statement.journal]} if statement.journal else {}),
        # Only where a pool's report names the period: other statements keep their bytes.
        **(
            {"pool_reports": section_to_list(statement.pool_reports)}
            if statement.pool_reports
            else {}
        ),
    }


def statement_from_dict(data: Mapping[str, Any]) -> Statement:
    """Read a statement back from :func:`statement_to_dict` data; raises StatementFormatError."""
    root = StatementReader(data, "")
    if root.text("format") != STATEMENT_FORMAT:
        msg = f"statement format must be {STATEMENT_FORMAT!r}"
        raise StatementFormatError(msg)
    operation = root.child("operation")
    period = root.child("period")
    terms = root.child("terms")
    summary = root.child("summary")
    energy = root.child("energy")
    days = []
    for day in root.children("days"):
        days.append(
            StatementDay(
                day=day.day("day"),
                mined_sat=day.integer("mined_sat"),
                pools=tuple(
                    PoolAmount(
                        pool.text("pool"),
                        pool.integer("amount_sat"),
                        pool.optional_text("income") or "mining",
                        pool.optional_boolean("counted", default=True),
                    )
                    for pool in day.children("pools")
                ),
                expected_sat=day.optional_integer("expected_sat"),
                pool_hashrate_hs=day.optional_decimal("pool_hashrate_hs"),
                network_hashrate_hs=day.optional_decimal("network_hashrate_hs"),
                network_rewards_sat=day.optional_integer("network_rewards_sat"),
                missing_reason=day.optional_choice("missing_reason", MissingReason),
                pool_hashrate_source=day.optional_text("pool_hashrate_source"),
                pool_hashrate_coverage=(
                    day.optional_decimal("pool_hashrate_coverage")
                    if day.has("pool_hashrate_coverage")
                    else None
                ),
            )
        )
    return Statement(
        operation_id=operation.text("id"),
        operation_name=operation.text("name"),
        licence=operation.text("licence"),
        period_label=period.text("label"),
        period_kind=period.choice("kind", PeriodKind),
        period_start=period.day("start"),
        period_end=period.day("end"),
        deadline=period.instant("deadline"),
        deadline_timezone=period.optional_text("deadline_timezone") or "UTC",
        is_open=period.boolean("is_open"),
        as_of=root.instant("as_of"),
        rate=terms.decimal("rate"),
        basis=terms.choice("basis", Basis),
        discrepancy_tolerance=terms.decimal("discrepancy_tolerance"),
        mined_sat=summary.integer("mined_sat"),
        expected_sat=summary.integer("expected_sat"),
        basis_sat=summary.integer("basis_sat"),
        due_sat=summary.integer("due_sat"),
        remitted_sat=summary.integer("remitted_sat"),
        opening_balance_sat=summary.integer("opening_balance_sat"),
        closing_balance_sat=summary.integer("closing_balance_sat"),
        shortfall_sat=summary.integer("shortfall_sat"),
        overdue_seconds=summary.integer("overdue_seconds"),
        paid_ahead_sat=summary.integer("paid_ahead_sat"),
        account_balance_sat=summary.integer("account_balance_sat"),
        flags=root.texts("flags"),
        days=tuple(days),
        transfers=tuple(
            StatementTransfer(
                txid=transfer.text("txid"),
                vout=transfer.integer("vout"),
                address=transfer.text("address"),
                amount_sat=transfer.integer("amount_sat"),
                output_amount_sat=transfer.integer("output_amount_sat"),
                confirmations=transfer.integer("confirmations"),
                block_height=transfer.integer("block_height"),
                block_time=transfer.instant("block_time"),
                late_seconds=transfer.optional_integer("late_seconds") or 0,
            )
            for transfer in root.children("transfers")
        ),
        energy_kwh=energy.optional_decimal("energy_kwh"),
        implied_efficiency_j_per_th=energy.optional_decimal("implied_efficiency_j_per_th"),
        restatements=tuple(
            Restatement(
                period_label=item.text("period"),
                issued_as_of=item.instant("issued_as_of"),
                issued_due_sat=item.integer("issued_due_sat"),
                due_sat=item.integer("due_sat"),
                inputs=tuple(
                    RevisedInput(
                        revised.text("input"),
                        revised.optional_scalar("old"),
                        revised.optional_scalar("new"),
                    )
                    for revised in item.children("inputs")
                ),
            )
            for item in root.optional_children("restatements")
        ),
        assessed_later=tuple(
            StatementTranche(
                item.integer("amount_sat"), item.instant("assessed_at"), item.instant("deadline")
            )
            for item in period.optional_children("assessed_later")
        ),
        unrated_days=root.days("unrated_days"),
        provisional_days=root.days("provisional_days"),
        clawback_carried_in_sat=summary.integer("clawback_carried_in_sat")
        if summary.has("clawback_carried_in_sat")
        else 0,
        clawback_carried_out_sat=summary.integer("clawback_carried_out_sat")
        if summary.has("clawback_carried_out_sat")
        else 0,
        income=tuple(
            IncomeLine(line.text("income"), line.integer("amount_sat"), line.boolean("counted"))
            for line in summary.optional_children("income")
        ),
        mining_fee=fee_from_dict(data["mining_fee"]) if root.has("mining_fee") else None,
        mandatory_sale=sale_from_dict(data["mandatory_sale"])
        if root.has("mandatory_sale")
        else None,
        journal=tuple(_journal_entry(item) for item in root.optional_children("journal")),
        written_off_sat=summary.integer("written_off_sat") if summary.has("written_off_sat") else 0,
        pool_reports=section_from_list(operation.text("id"), data["pool_reports"])
        if root.has("pool_reports")
        else (),
    )


def _journal_entry(item: StatementReader) -> JournalEntry:
    try:
        return JournalEntry.from_dict(item._data)
    except InvalidInputError as err:
        msg = f"statement field {item._path}: {err}"
        raise StatementFormatError(msg) from err


def clawbacks_carried(statement: Statement) -> dict[str, int]:
    """A clawback carried in or out, only where there is one (older statements keep their
    bytes)."""
    return {
        name: value
        for name, value in (
            ("clawback_carried_in_sat", statement.clawback_carried_in_sat),
            ("clawback_carried_out_sat", statement.clawback_carried_out_sat),
            ("written_off_sat", statement.written_off_sat),
        )
        if value
    }

"""A statement's CSV (:class:`remittance.statement.Statement`): one row per fact under its
kind's first cell, every cell guarded against spreadsheet formulas."""

from __future__ import annotations

import io

from remittance.csv_cells import Number, Writer
from remittance.fee_statement import fee_csv_rows
from remittance.journal import entry_line
from remittance.money import sat_to_btc_text
from remittance.pool_report_statement import section_csv_rows
from remittance.sale_statement import sale_csv_rows
from remittance.statement import PoolAmount, Statement
from remittance.statement_json import clawbacks_carried, decimal_text, statement_sha256


def _cell(value: int | str | None) -> str:
    return "none" if value is None else str(value)


def _assessed_later_rows(statement: Statement) -> list[tuple[str, object]]:
    """`assessed_later`: each amount assessed after the deadline, when, and its deadline
    (`5000 sat assessed 2026-11-20T00:00:00+00:00 due 2026-11-30T00:00:00+00:00`); no row
    when there is none (the CSV as it was before such amounts were kept apart)."""
    if not statement.assessed_later:
        return []
    text = "; ".join(
        f"{t.amount_sat} sat assessed {t.assessed_at.isoformat()} due {t.deadline.isoformat()}"
        for t in statement.assessed_later
    )
    return [("assessed_later", text)]


def render_csv(statement: Statement) -> bytes:
    """A readable CSV: a header section, one row per day and pool, then the transfers.

    Every row starts with its section name (`statement`, `day`, `transfer`) so a spreadsheet
    can filter on it; each section starts with its own column-name row. The header carries
    `statement_sha256`, which ties the CSV to the signed JSON statement.
    """
    buffer = io.StringIO()
    writer = Writer(buffer)  # text cells guarded against spreadsheet formulas
    writer.writerow(["section", "field", "value"])
    header: list[tuple[str, object]] = [
        ("operation_id", statement.operation_id),
        ("operation_name", statement.operation_name),
        ("licence", statement.licence),
        ("period", statement.period_label),
        ("period_start", statement.period_start.isoformat()),
        ("period_end_exclusive", statement.period_end.isoformat()),
        ("deadline", statement.deadline.isoformat()),
        *_assessed_later_rows(statement),
        ("is_open", str(statement.is_open).lower()),
        ("as_of", statement.as_of.isoformat()),
        ("rate", statement.rate),
        ("basis", statement.basis),
        ("mined_sat", statement.mined_sat),
        ("expected_sat", statement.expected_sat),
        ("basis_sat", statement.basis_sat),
        ("due_sat", statement.due_sat),
        ("due_btc", Number(sat_to_btc_text(statement.due_sat))),
        *clawbacks_carried(statement).items(),
        ("opening_balance_sat", statement.opening_balance_sat),
        ("remitted_sat", statement.remitted_sat),
        ("closing_balance_sat", statement.closing_balance_sat),
        ("shortfall_sat", statement.shortfall_sat),
        ("overdue_seconds", statement.overdue_seconds),
        ("paid_ahead_sat", statement.paid_ahead_sat),
        ("account_balance_sat", statement.account_balance_sat),
        ("flags", " ".join(statement.flags)),
        *((f"income_{line.income}_sat", line.amount_sat) for line in statement.income),
        ("counted_income", " ".join(line.income for line in statement.income if line.counted)),
        ("missing_days", " ".join(day.day.isoformat() for day in statement.missing_days)),
        ("unrated_days", " ".join(day.isoformat() for day in statement.unrated_days)),
        ("provisional_days", " ".join(day.isoformat() for day in statement.provisional_days)),
        (
            "restatements",
            " ".join(f"{r.period_label}:{r.delta_sat:+d}" for r in statement.restatements),
        ),
        *(
            ("restated_input", f"{r.period_label} {i.input}: {_cell(i.old)} -> {_cell(i.new)}")
            for r in statement.restatements
            for i in r.inputs
        ),
        *(("journal_entry", entry_line(entry)) for entry in statement.journal),
        ("energy_kwh", Number(decimal_text(statement.energy_kwh) or "")),
        (
            "implied_efficiency_j_per_th",
            Number(decimal_text(statement.implied_efficiency_j_per_th) or ""),
        ),
        ("statement_sha256", statement_sha256(statement)),
    ]
    writer.writerows(("statement", field, value) for field, value in header)
    writer.writerow([])
    writer.writerow(
        ["section", "day", "pool", "amount_sat", "income", "counted", "day_mined_sat",
         "expected_sat", "pool_hashrate_hs", "pool_hashrate_source", "pool_hashrate_coverage",
         "network_hashrate_hs", "network_rewards_sat", "missing_reason"]
    )  # fmt: skip
    for day in statement.days:
        pools = day.pools or (PoolAmount("", 0),)
        for pool in pools:
            writer.writerow(
                [
                    "day",
                    day.day.isoformat(),
                    pool.pool,
                    pool.amount_sat,
                    pool.income if pool.pool else "",
                    (str(pool.counted).lower()) if pool.pool else "",
                    day.mined_sat,
                    "" if day.expected_sat is None else day.expected_sat,
                    Number(decimal_text(day.pool_hashrate_hs) or ""),
                    day.pool_hashrate_source or "",
                    Number(decimal_text(day.pool_hashrate_coverage) or ""),
                    Number(decimal_text(day.network_hashrate_hs) or ""),
                    "" if day.network_rewards_sat is None else day.network_rewards_sat,
                    "" if day.missing_reason is None else day.missing_reason,
                ]
            )
    writer.writerow([])
    writer.writerow(
        ["section", "txid", "vout", "address", "amount_sat", "output_amount_sat",
         "confirmations", "block_height", "block_time", "late_seconds"]
    )  # fmt: skip
    writer.writerows(
        [
            "transfer",
            transfer.txid,
            transfer.vout,
            transfer.address,
            transfer.amount_sat,
            transfer.output_amount_sat,
            transfer.confirmations,
            transfer.block_height,
            transfer.block_time.isoformat(),
            transfer.late_seconds,
        ]
        for transfer in statement.transfers
    )
    if statement.mining_fee is not None:
        writer.writerows(fee_csv_rows(statement.mining_fee))
    if statement.mandatory_sale is not None:
        writer.writerows(sale_csv_rows(statement.mandatory_sale))
    if statement.pool_reports:
        writer.writerows(section_csv_rows(statement.pool_reports))
    return buffer.getvalue().encode()

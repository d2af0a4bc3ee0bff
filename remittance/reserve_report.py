"""The reserve report for the central bank: holdings at the start and end of a period by
source, the period's inflows, what each operation remitted against what it owed, seized inflows
by case, movements to custody, unapproved outflows, valuation and the national hash-rate share.

Pure: the collector gathers the inputs (:class:`ReportInputs`); :func:`build_report` returns
the report as plain data (what the JSON carries, what the CSV and PDF show), the same inputs
giving the same bytes. Amounts are integer satoshis; BTC text is for people only.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from remittance.csv_cells import Number, Writer
from remittance.money import sat_to_btc_text
from remittance.periods import Period
from remittance.reserve import (
    HOLDINGS_AT_RULE,
    RULE,
    SOURCE_OF_ROLE,
    Coin,
    Holdings,
    Movement,
    holdings,
    holdings_at,
    pending,
)
from remittance.valuation import RULE as VALUATION_RULE
from remittance.valuation import ExchangeRate, Price, price_at, value_at

REPORT_KIND = "reserve"


@dataclass(frozen=True, slots=True)
class OperationRow:
    """One operation's remittances over the report's period (from its account as of then)."""

    operation: str
    name: str
    licence: str
    periods: tuple[str, ...]  # its remittance periods that end within the report's
    due_sat: int
    settled_sat: int  # of those periods' dues, paid (FIFO settlement)
    remitted_sat: int  # counted payments confirmed within the report's period
    shortfall_sat: int  # owed past deadlines as of the report's instant (all periods)
    overdue_seconds: int


@dataclass(frozen=True, slots=True)
class CaseInfo:
    case: str
    authority: str
    order_ref: str
    received_from: str


@dataclass(frozen=True, slots=True)
class ReportInputs:
    period: Period
    as_of: datetime
    tip_height: int | None
    zone: str
    coins: Sequence[Coin]
    spends: Sequence[tuple[str, str, int]]
    operations: Sequence[OperationRow]
    cases: Sequence[CaseInfo]
    inflow_confirmations: int
    national_share: Mapping[str, Any] | None = None
    prices: Sequence[Price] = ()
    rates: Sequence[ExchangeRate] = ()
    proofs: Sequence[Mapping[str, Any]] = field(default_factory=tuple)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _valuation(
    inputs: ReportInputs, start: Holdings, end: Holdings, end_at: datetime, inflows: list[Coin]
) -> dict[str, Any] | None:
    """Holdings at the start and end at the latest price then; each inflow at its block's
    time (the rule: :data:`remittance.valuation.RULE`)."""
    if not inputs.prices:
        return None
    doc: dict[str, Any] = {"rule": VALUATION_RULE}
    for currency in ("USD", "KZT"):
        key = currency.lower()
        price = price_at(inputs.prices, currency, end_at, rates=inputs.rates)
        doc[f"price_end_{key}"] = None if price is None else str(price.per_btc)
        doc[f"price_end_{key}_source"] = None if price is None else price.source
        doc[f"price_end_{key}_instant"] = None if price is None else _iso(price.instant)
        for name, h, at in (("start", start, inputs.period.start_at), ("end", end, end_at)):
            value = value_at(h.total_sat, inputs.prices, currency, at, rates=inputs.rates)
            doc[f"holdings_{name}_{key}"] = _money(value)
        values = [
            value_at(c.amount_sat, inputs.prices, currency, c.block_time, rates=inputs.rates)
            for c in inflows
            if c.block_time is not None
        ]
        valued = [v for v in values if v is not None]
        doc[f"inflows_{key}"] = _money(sum(valued, Decimal(0))) if valued or not values else None
        doc[f"inflows_unvalued_{key}"] = sum(1 for v in values if v is None)
    return doc


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _holdings_doc(h: Holdings) -> dict[str, Any]:
    return {
        "total_sat": h.total_sat,
        "by_source": [
            {"source": source, "holder": holder, "sat": sat}
            for (source, holder), sat in sorted(h.by_source.items())
        ],
        "by_wallet": [
            {"role": role, "holder": holder, "sat": sat}
            for (role, holder), sat in sorted(h.by_wallet.items())
        ],
    }


def _in_period(moment: datetime | None, period: Period, as_of: datetime, status: str) -> bool:
    if moment is None:  # in the mempool: belongs to the period that holds the report's instant
        return status == "mempool" and period.start_at <= as_of < period.end_at
    return period.start_at <= moment < period.end_at


def _movement_doc(m: Movement) -> dict[str, Any]:
    return {
        "txid": m.txid,
        "status": m.status,
        "block_height": m.block_height,
        "block_time": _iso(m.block_time),
        "from": [{"role": role, "holder": holder} for role, holder in m.from_wallets],
        "spent_sat": m.spent_sat,
        "to_custody_sat": m.to_custody_sat,
        "internal_sat": m.internal_sat,
        "unapproved_sat": m.unapproved_sat,
        "fee_sat": m.fee_sat,
    }


UNAPPROVED_RULE = (
    "An outflow is unapproved when the reserve's coins are paid to an address that is none of "
    "its reserve, intake or custody wallets' watched addresses; it counts from the mempool. "
    "Its reason: outside (an address outside every wallet), unknown_coin (the same, from "
    "coins the watcher never saw arrive: unattributed) or beyond_gap (a wallet's own address "
    "beyond its gap limit, which a wallet restored from its keys would not find)."
)


def unapproved_doc(m: Movement) -> dict[str, Any]:
    """One unapproved outflow: where it went, why it is unapproved, whose coins left."""
    return {
        **_movement_doc(m),
        "reasons": list(m.reasons),
        "paid_to": [
            {
                "address": c.address,
                "vout": c.vout,
                "sat": c.amount_sat,
                "beyond_gap_of": c.holder or None,
            }
            for c in m.unapproved
        ],
        "by_source": [
            {"source": source, "holder": holder, "sat": sat}
            for (source, holder), sat in sorted(m.unapproved_by_source.items())
        ],
        "unknown_inputs": [{"txid": t, "vout": v} for t, v in m.unknown_inputs],
    }


def pending_doc(movements: Iterable[Movement]) -> dict[str, Any]:
    """The reserve's own transactions still in the mempool, shown apart from the holdings
    (:data:`remittance.reserve.HOLDINGS_AT_RULE`): what they would move once in a block."""
    rows = list(movements)
    return {
        "unapproved_sat": sum(m.unapproved_sat for m in rows),
        "to_custody_sat": sum(m.to_custody_sat for m in rows),
        "fee_sat": sum(m.fee_sat for m in rows),
        "movements": [unapproved_doc(m) if m.unapproved_sat else _movement_doc(m) for m in rows],
    }


def build_report(inputs: ReportInputs) -> dict[str, Any]:
    """The report as plain data (keys in reading order)."""
    period, as_of = inputs.period, inputs.as_of
    end = min(period.end_at, as_of)
    start_holdings = holdings_at(inputs.coins, inputs.spends, period.start_at)
    end_holdings = holdings_at(inputs.coins, inputs.spends, end)
    now = holdings(inputs.coins, inputs.spends)  # the mempool included: outflows at once
    inflows = [c for c in end_holdings.inflows if _in_period(c.block_time, period, as_of, "")]
    by_source: defaultdict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    source_of = SOURCE_OF_ROLE
    for c in inflows:
        totals = by_source[(source_of[c.role], c.holder)]
        totals[0] += c.amount_sat
        totals[1] += 1
    movements = [m for m in now.movements if _in_period(m.block_time, period, as_of, m.status)]
    custody = [m for m in movements if m.to_custody_sat]
    unapproved = [m for m in movements if m.unapproved_sat]
    case_inflows: defaultdict[str, list[Coin]] = defaultdict(list)
    for c in inflows:
        if c.role == "intake":
            case_inflows[c.holder].append(c)
    return {
        "report": REPORT_KIND,
        "period": period.label,
        "start": _iso(period.start_at),
        "end": _iso(period.end_at),
        "as_of": _iso(as_of),
        "time_zone": inputs.zone,
        "tip_height": inputs.tip_height,
        "rules": {
            "holdings": RULE,
            "holdings_at": HOLDINGS_AT_RULE,
            "unapproved": UNAPPROVED_RULE,
            "inflow_confirmations": inputs.inflow_confirmations,
        },
        "holdings": {
            "start": _holdings_doc(start_holdings),
            "end": _holdings_doc(end_holdings),
            # In the mempool at the report's instant, when the period holds it: not counted.
            "pending": pending_doc(pending(inputs.coins, inputs.spends) if end == as_of else ()),
        },
        "inflows": {
            "total_sat": sum(c.amount_sat for c in inflows),
            "by_source": [
                {"source": source, "holder": holder, "sat": sat, "outputs": count}
                for (source, holder), (sat, count) in sorted(by_source.items())
            ],
            "outputs": [
                {
                    "txid": c.txid,
                    "vout": c.vout,
                    "source": source_of[c.role],
                    "holder": c.holder,
                    "address": c.address,
                    "sat": c.amount_sat,
                    "block_height": c.block_height,
                    "block_time": _iso(c.block_time),
                }
                for c in inflows
            ],
        },
        "operations": [
            {
                "operation": row.operation,
                "name": row.name,
                "licence": row.licence,
                "periods": list(row.periods),
                "due_sat": row.due_sat,
                "settled_sat": row.settled_sat,
                "remitted_sat": row.remitted_sat,
                "shortfall_sat": row.shortfall_sat,
                "overdue_seconds": row.overdue_seconds,
            }
            for row in inputs.operations
        ],
        "seized": [
            {
                "case": case.case,
                "authority": case.authority,
                "order_ref": case.order_ref,
                "received_from": case.received_from,
                "received_sat": sum(c.amount_sat for c in case_inflows[case.case]),
                "outputs": [
                    {
                        "txid": c.txid,
                        "vout": c.vout,
                        "sat": c.amount_sat,
                        "block_time": _iso(c.block_time),
                    }
                    for c in case_inflows[case.case]
                ],
            }
            for case in inputs.cases
        ],
        "custody_movements": [_movement_doc(m) for m in custody],
        "unapproved_outflows": [unapproved_doc(m) for m in unapproved],
        "valuation": _valuation(inputs, start_holdings, end_holdings, end, inflows),
        "national_hashrate_share": (
            dict(inputs.national_share) if inputs.national_share is not None else None
        ),
        "proofs": [dict(p) for p in inputs.proofs],
    }


def render_report_csv(report: Mapping[str, Any], sha256: str) -> bytes:
    """The report as CSV rows ``section,field,value…`` (the first line names it, the second
    its SHA-256: what a signature line appended after them covers)."""
    out = io.StringIO()
    writer = Writer(out)  # text cells guarded against spreadsheet formulas

    def put(*cells: object) -> None:
        writer.writerow(cells)

    def btc(sat: int) -> Number:
        return Number(sat_to_btc_text(sat))

    put("report", REPORT_KIND, report["period"], report["as_of"])
    put("report", "report_sha256", sha256)
    for moment in ("start", "end"):
        h = report["holdings"][moment]
        put("holdings", moment, "total", "", h["total_sat"], btc(h["total_sat"]))
        for row in h["by_source"]:
            put("holdings", moment, row["source"], row["holder"], row["sat"], btc(row["sat"]))
    for row in report["holdings"]["pending"]["movements"]:
        put("pending", row["txid"], row["status"], row["spent_sat"],
            row["to_custody_sat"], row["unapproved_sat"], row["fee_sat"])  # fmt: skip
    for row in report["inflows"]["by_source"]:
        put("inflows", row["source"], row["holder"], row["outputs"], row["sat"], btc(row["sat"]))
    put("operations", "operation", "due_sat", "settled_sat", "remitted_sat",
        "shortfall_sat", "overdue_seconds")  # fmt: skip
    for row in report["operations"]:
        put("operation", row["operation"], row["due_sat"], row["settled_sat"],
            row["remitted_sat"], row["shortfall_sat"], row["overdue_seconds"])  # fmt: skip
    for row in report["seized"]:
        put("seized", row["case"], row["authority"], row["order_ref"],
            row["received_sat"], btc(row["received_sat"]))  # fmt: skip
    for row in report["custody_movements"]:
        put("custody", row["txid"], row["status"], row["block_time"] or "",
            row["to_custody_sat"], row["fee_sat"])  # fmt: skip
    for row in report["unapproved_outflows"]:
        for paid in row["paid_to"]:
            reason = (
                "beyond_gap"
                if paid["beyond_gap_of"]
                else next((r for r in row["reasons"] if r != "beyond_gap"), "")
            )
            put("unapproved", row["txid"], row["status"], row["block_time"] or "",
                paid["address"], paid["sat"], reason)  # fmt: skip
    valuation = report.get("valuation")
    if valuation:
        for key in sorted(valuation):
            value = valuation[key]
            if isinstance(value, dict | list):
                continue
            # prices and amounts are numbers written as text; the rule, sources, instants text
            numeric = isinstance(value, str) and key != "rule"
            numeric = numeric and not key.endswith(("_source", "_instant"))
            put("valuation", key, Number(value) if numeric else value)
    share = report.get("national_hashrate_share")
    if share:
        ratio = share.get("average_ratio")
        put("national_hashrate_share", None if ratio is None else Number(str(ratio)),
            share.get("days"))  # fmt: skip
    for proof in report.get("proofs", []):
        put("proof", proof.get("address"), proof.get("status"))
    return out.getvalue().encode()


def holders_named(report: Mapping[str, Any]) -> Iterable[str]:
    """Every holder the report names (for checks that it names only configured ones)."""
    for moment in ("start", "end"):
        for row in report["holdings"][moment]["by_source"]:
            yield row["holder"]

"""The reserve report for the central bank: holdings at the start and end of a period by
source, the period's inflows, what each operation remitted against what it owed, seized inflows
by case, movements to custody, unapproved outflows, valuation and the national hash-rate share.

Pure: the collector gathers the inputs (:class:`ReportInputs`); :func:`build_report` returns
the report as plain data (what the JSON carries, what the CSV and PDF show), the same inputs
giving the same bytes. Amounts are integer satoshis; BTC text is for people only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from remittance.account import OperationAccount
from remittance.cases import (
    CASES_RULE,
    CaseHistory,
    apart_doc,
    approve_releases,
    legal_holdings,
    standing_doc,
)
from remittance.journal import JournalEntry, refund_outpoints
from remittance.official_price import PublishedPrice, WorkingCalendar, official_doc
from remittance.periods import Period
from remittance.periods import iso_instant as _iso
from remittance.pool_report_statement import findings_list
from remittance.pool_reports import Reconciliation
from remittance.reserve import (
    HOLDINGS_AT_RULE,
    RULE,
    SOURCE_OF_ROLE,
    Coin,
    Holdings,
    Movement,
    holdings,
    holdings_at,
)
from remittance.valuation import RULE as VALUATION_RULE
from remittance.valuation import ExchangeRate, Price, price_at, value_at

REPORT_KIND = "reserve"


OPERATIONS_RULE = (
    "Operations: one row per remittance period that ends within the report's period. Due: what "
    "the period owes, as computed at the report's instant. Settled: the part of Due paid by "
    "counted payments confirmed up to the report's instant, applied oldest period first (FIFO), "
    "whenever they arrived. Unpaid = Due - Settled, of which Past deadline (the period's "
    "deadline has passed: the shortfall) and Not yet due (its deadline is after the report's "
    "instant: not payable yet). Payments in the period: counted payments confirmed within the "
    "report's period up to its instant = applied to earlier periods + applied to the periods "
    "listed + applied to later periods + credit not applied yet. A provisional period's figures "
    "may still change: open (not ended at the report's instant: Due counts its days so far), "
    "network figures not final, or days without the figures Due needs."
)


@dataclass(frozen=True, slots=True)
class PeriodRow:
    """One remittance period of an operation that ends within the report's period."""

    period: str
    deadline: datetime
    due_sat: int
    settled_sat: int  # of due, paid by the report's instant (FIFO, whenever paid)
    past_deadline: bool  # its deadline has passed at the report's instant
    provisional: tuple[str, ...] = ()  # "open", "network_figures_not_final", "days_missing"

    @property
    def unpaid_sat(self) -> int:
        return self.due_sat - self.settled_sat


@dataclass(frozen=True, slots=True)
class OperationRow:
    """One operation over the report's period, from its account as of the report's instant:
    its periods ending within the report's (figures that add up: Due = Settled + Unpaid,
    Unpaid = Past deadline + Not yet due) and where its payments in the period went
    (Received = to earlier periods + to these + to later ones + credit)."""

    operation: str
    name: str
    licence: str
    periods: tuple[PeriodRow, ...]
    received_sat: int = 0  # counted payments confirmed within the report's period
    to_earlier_sat: int = 0  # of received: applied to periods ending before the report's
    to_listed_sat: int = 0  # applied to the periods listed
    to_later_sat: int = 0  # applied to periods ending after the report's
    credit_sat: int = 0  # not applied to any period yet


def operation_row(
    operation: str, name: str, licence: str, account: OperationAccount, span: Period
) -> OperationRow:
    """The operation's row over ``span`` from its ``account`` (as of the report's instant)."""
    as_of = account.as_of
    inside = [o for o in account.obligations if span.start_at < o.period.end_at <= span.end_at]
    listed = {o.period.label for o in inside}
    ends = {o.period.label: o.period.end_at for o in account.obligations}
    periods = []
    for o in inside:
        settlement = account.ledger.settlement_for(o.period.label)
        provisional = []
        if o.is_open:
            provisional.append("open")
        if o.provisional_days:
            provisional.append("network_figures_not_final")
        if o.missing_days:
            provisional.append("days_missing")
        periods.append(
            PeriodRow(
                period=o.period.label,
                deadline=o.deadline,
                due_sat=o.due_sat,
                settled_sat=settlement.settled_sat if settlement else 0,
                past_deadline=as_of > o.deadline,
                provisional=tuple(provisional),
            )
        )
    received = [
        out
        for out in account.ledger.counted_outputs
        if out.block_time is not None and span.start_at <= out.block_time < span.end_at
    ]
    keys = {(out.txid, out.vout) for out in received}
    applied = {"earlier": 0, "listed": 0, "later": 0}
    for settlement in account.ledger.settlements:
        for a in settlement.allocations:
            if (a.txid, a.vout) not in keys:
                continue
            end = ends.get(settlement.label, span.end_at)
            where = (
                "listed"
                if settlement.label in listed
                else "earlier"
                if end <= span.start_at
                else "later"
            )
            applied[where] += a.applied_sat
    received_sat = sum(out.amount_sat for out in received)
    return OperationRow(
        operation=operation,
        name=name,
        licence=licence,
        periods=tuple(periods),
        received_sat=received_sat,
        to_earlier_sat=applied["earlier"],
        to_listed_sat=applied["listed"],
        to_later_sat=applied["later"],
        credit_sat=received_sat - sum(applied.values()),
    )


_PERIOD_SUMS = ("due_sat", "settled_sat", "unpaid_sat", "past_deadline_sat", "not_yet_due_sat")


_PERIOD_SUMS = ("due_sat", "settled_sat", "unpaid_sat", "past_deadline_sat", "not_yet_due_sat")


def _operation_doc(row: OperationRow) -> dict[str, Any]:
    periods = [
        {
            "period": p.period,
            "deadline": _iso(p.deadline),
            "due_sat": p.due_sat,
            "settled_sat": p.settled_sat,
            "unpaid_sat": p.unpaid_sat,
            "past_deadline_sat": p.unpaid_sat if p.past_deadline else 0,
            "not_yet_due_sat": 0 if p.past_deadline else p.unpaid_sat,
            "provisional": list(p.provisional),
        }
        for p in row.periods
    ]
    return {
        "operation": row.operation,
        "name": row.name,
        "licence": row.licence,
        "periods": periods,
        **{key: sum(p[key] for p in periods) for key in _PERIOD_SUMS},
        "received_sat": row.received_sat,
        "received_to_earlier_sat": row.to_earlier_sat,
        "received_to_listed_sat": row.to_listed_sat,
        "received_to_later_sat": row.to_later_sat,
        "received_credit_sat": row.credit_sat,
    }


def provisional_doc(
    period: Period, as_of: datetime, operations: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Whether the report may still change, and why: made before its period ended, some
    period's deadline not passed yet, or some period's inputs not final."""
    reasons = []
    if as_of < period.end_at:
        reasons.append("period_not_ended")
    rows = [p for op in operations for p in op["periods"]]
    if any(datetime.fromisoformat(p["deadline"].replace("Z", "+00:00")) >= as_of for p in rows):
        reasons.append("deadlines_not_passed")
    if any("network_figures_not_final" in p["provisional"] for p in rows):
        reasons.append("network_figures_not_final")
    if any("days_missing" in p["provisional"] for p in rows):
        reasons.append("days_missing")
    return {"provisional": bool(reasons), "reasons": reasons}


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
    case_histories: Sequence[CaseHistory] = ()  # each case's legal states (remittance.cases)
    official_prices: Mapping[date, PublishedPrice] = field(default_factory=dict)  # by price day
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    journal: Sequence[JournalEntry] = ()  # the regulator's journal recorded by the instant
    pool_reports: Sequence[Reconciliation] = ()  # the pools' reports reconciled by the instant


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
        for moment, at in (("start", inputs.period.start_at), ("end", end_at)):  # which price
            price = price_at(inputs.prices, currency, at, rates=inputs.rates)
            doc[f"price_{moment}_{key}"] = None if price is None else str(price.per_btc)
            doc[f"price_{moment}_{key}_source"] = None if price is None else price.source
            doc[f"price_{moment}_{key}_instant"] = None if price is None else _iso(price.instant)
        for name, h, at in (("start", start, inputs.period.start_at), ("end", end, end_at)):
            value = value_at(h.total_sat, inputs.prices, currency, at, rates=inputs.rates)
            # Nothing held is worth 0.00 whatever the price, known or not.
            doc[f"holdings_{name}_{key}"] = _money(Decimal(0) if h.total_sat == 0 else value)
        values = [
            value_at(c.amount_sat, inputs.prices, currency, c.block_time, rates=inputs.rates)
            for c in inflows
            if c.block_time is not None
        ]
        valued = [v for v in values if v is not None]
        doc[f"inflows_{key}"] = _money(sum(valued, Decimal(0))) if valued or not values else None
        doc[f"inflows_unvalued_{key}"] = sum(1 for v in values if v is None)
    return doc


def _official(
    inputs: ReportInputs, start: Holdings, end: Holdings, end_at: datetime, inflows: list[Coin]
) -> dict[str, Any] | None:
    """The holdings and each inflow at the official price of the day their instant falls on
    in the regulator's zone (:data:`remittance.official_price.RULE`): one period's end and
    the next one's start take the same."""
    zone = ZoneInfo(inputs.zone)
    first, last = (t.astimezone(zone).date() for t in (inputs.period.start_at, end_at))
    held = [("holdings_start", start.total_sat, first), ("holdings_end", end.total_sat, last)]
    received = [(c.amount_sat, c.block_time.astimezone(zone).date())
                for c in inflows if c.block_time is not None]  # fmt: skip
    return official_doc(held, received, inputs.official_prices, inputs.calendar)


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


def released_doc(m: Movement) -> dict[str, Any]:
    """One release (:data:`remittance.cases.CASES_RULE`): a released case's coins paid to the
    destination its order names."""
    return {
        **_movement_doc(m),
        "released_sat": m.released_sat,
        "paid_to": [
            {"address": c.address, "vout": c.vout, "sat": c.amount_sat} for c in m.released
        ],
        "by_source": [
            {"source": source, "holder": holder, "sat": sat}
            for (source, holder), sat in sorted(m.released_by_source.items())
        ],
    }


def _refund_doc(m: Movement) -> dict[str, Any]:
    """An outflow the regulator's journal approved as a refund to an operation."""
    return {
        **_movement_doc(m),
        "refunded_sat": m.refunded_sat,
        "paid_to": [
            {"address": c.address, "vout": c.vout, "sat": c.amount_sat} for c in m.refunded
        ],
    }


def pending_doc(movements: Iterable[Movement]) -> dict[str, Any]:
    """The reserve's own transactions still in the mempool, shown apart from the holdings
    (:data:`remittance.reserve.HOLDINGS_AT_RULE`): what they would move once in a block."""
    rows = list(movements)
    return {
        "unapproved_sat": sum(m.unapproved_sat for m in rows),
        "released_sat": sum(m.released_sat for m in rows),
        "to_custody_sat": sum(m.to_custody_sat for m in rows),
        "fee_sat": sum(m.fee_sat for m in rows),
        "movements": [unapproved_doc(m) if m.unapproved_sat else _movement_doc(m) for m in rows],
    }


def build_report(inputs: ReportInputs) -> dict[str, Any]:
    """The report as plain data (keys in reading order)."""
    period, as_of, cases = inputs.period, inputs.as_of, inputs.case_histories
    end = min(period.end_at, as_of)
    refunds = refund_outpoints(inputs.journal, as_of)  # approved outflows: not unapproved
    start = legal_holdings(
        holdings_at(inputs.coins, inputs.spends, period.start_at, refunds), cases, period.start_at
    )
    end_legal = legal_holdings(holdings_at(inputs.coins, inputs.spends, end, refunds), cases, end)
    start_holdings, end_holdings = start.counted, end_legal.counted
    # The mempool included: outflows at once; a release judged at the report's instant.
    now = approve_releases(holdings(inputs.coins, inputs.spends, refunds=refunds), cases, as_of)
    standing = {history.case: history for history in cases}
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
    refunded = [m for m in movements if m.refunded]
    case_inflows: defaultdict[str, list[Coin]] = defaultdict(list)
    for c in inflows:
        if c.role == "intake":
            case_inflows[c.holder].append(c)
    operations = [_operation_doc(row) for row in inputs.operations]
    return {
        "report": REPORT_KIND,
        "period": period.label,
        "start": _iso(period.start_at),
        "end": _iso(period.end_at),
        "as_of": _iso(as_of),
        "time_zone": inputs.zone,
        "tip_height": inputs.tip_height,
        "provisional": provisional_doc(period, as_of, operations),
        "rules": {
            "holdings": RULE,
            "holdings_at": HOLDINGS_AT_RULE,
            "unapproved": UNAPPROVED_RULE,
            "cases": CASES_RULE,
            "operations": OPERATIONS_RULE,
            "inflow_confirmations": inputs.inflow_confirmations,
        },
        "holdings": {
            "start": _holdings_doc(start_holdings) | {"held_apart": apart_doc(start)},
            "end": _holdings_doc(end_holdings) | {"held_apart": apart_doc(end_legal)},
            # In the mempool at the report's instant, when the period holds it: not counted.
            "pending": pending_doc(
                [m for m in now.movements if m.status == "mempool"] if end == as_of else ()
            ),
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
        "operations": operations,
        "seized": [
            {
                "case": case.case,
                "authority": case.authority,
                "order_ref": case.order_ref,
                "received_from": case.received_from,
                **standing_doc(standing.get(case.case, CaseHistory(case.case)), end),
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
        "released_outflows": [released_doc(m) for m in movements if m.released_sat],
        # Only where there is one: a report without the journal keeps its bytes.
        **({"refunds": [_refund_doc(m) for m in refunded]} if refunded else {}),
        **({"journal": [e.listed() for e in inputs.journal]} if inputs.journal else {}),
        # Every finding of the pools' reports (only where there is one, as the journal).
        **(
            {"pool_report_findings": found} if (found := findings_list(inputs.pool_reports)) else {}
        ),
        "valuation": _valuation(inputs, start_holdings, end_holdings, end, inflows),
        "official_valuation": _official(inputs, start_holdings, end_holdings, end, inflows),
        "national_hashrate_share": (
            dict(inputs.national_share) if inputs.national_share is not None else None
        ),
        "proofs": [dict(p) for p in inputs.proofs],
    }


def holders_named(report: Mapping[str, Any]) -> Iterable[str]:
    """Every holder the report names (for checks that it names only configured ones)."""
    for moment in ("start", "end"):
        for row in report["holdings"][moment]["by_source"]:
            yield row["holder"]

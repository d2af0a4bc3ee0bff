"""The entry point the collector calls on each pass: every period's obligation and the ledger.

>>> account = compute_account("op-1", terms, earnings, pool_hashrates, network_days, outputs,
...                           required_confirmations=6, as_of=now)  # doctest: +SKIP
>>> account.ledger.balance_sat  # doctest: +SKIP
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import ParamSpec

from remittance.errors import InvalidInputError
from remittance.journal import NO_EFFECTS, JournalEffects
from remittance.ledger import (
    Assessment,
    Due,
    Ledger,
    ReserveOutput,
    assessed_tranches,
    counted_outputs,
    settle_fifo,
)
from remittance.money import MAX_SUPPLY_SAT
from remittance.obligations import (
    DailyEarning,
    DailyNetwork,
    DailyPoolHashrate,
    Obligation,
    RemittanceTerms,
    compute_obligation,
)
from remittance.periods import periods_covering

P = ParamSpec("P")


@dataclass(frozen=True, slots=True)
class OperationAccount:
    """One operation's obligations per period, its ledger and totals, as of one instant."""

    operation: str
    as_of: datetime
    terms: RemittanceTerms
    obligations: tuple[Obligation, ...]
    ledger: Ledger
    total_mined_sat: int
    total_expected_sat: int
    total_due_sat: int
    total_remitted_sat: int
    journal: JournalEffects = NO_EFFECTS  # the regulator's adjustments applied

    def obligation_for(self, label: str) -> Obligation | None:
        """The obligation of the period labelled `label`, if the account covers it."""
        return next((item for item in self.obligations if item.period.label == label), None)


@dataclass(frozen=True, slots=True)
class Obligations:
    """One operation's obligations per period and the payments that count, as of one instant,
    before they are settled (:func:`settle`): what a period's due is, and when it became known
    (``remittance.ledger.assessed_tranches``), is decided from these alone."""

    operation: str
    as_of: datetime
    terms: RemittanceTerms
    obligations: tuple[Obligation, ...]
    payments: tuple[ReserveOutput, ...]
    journal: JournalEffects = NO_EFFECTS


def account_obligations(  # noqa: PLR0917 - the positional order agreed with the collector
    operation_id: str,
    terms: RemittanceTerms,
    earnings: Iterable[DailyEarning],
    pool_hashrates: Iterable[DailyPoolHashrate],
    network_days: Iterable[DailyNetwork],
    outputs: Iterable[ReserveOutput],
    required_confirmations: int,
    as_of: datetime,
    first_day: date | None = None,
    *,
    reserve_addresses: frozenset[str] | None = None,
    no_pool_history_before: date | None = None,
    journal: JournalEffects = NO_EFFECTS,
) -> Obligations:
    """Work out an operation's obligations as of `as_of` (a timezone-aware UTC instant), and
    the payments that count, not yet settled (:func:`settle`).

    Periods run from the one holding `first_day` (default: the first day with an earning or a
    pool hash rate of this operation, else `as_of`'s day) through the one holding `as_of`; the
    last one is open (`is_open`) until its end. Days before `first_day` are not looked at (their
    rows are ignored). Rows for other operations are ignored.

    Raises:
        InvalidInputError: a naive `as_of`, a duplicate (pool, day) earning or (day) hash rate or
            network row, negative network figures, earnings crediting more than 21,000,000 BTC
            in all (or one clawback of more). A negative earning is a pool's clawback:
            kept, and flagged on its period. Days before the rate schedule are listed as
            unrated on their period, never an error of the whole account.

    `no_pool_history_before`: see `compute_obligation` (`pool_publishes_no_history`).
    `journal`: the regulator's adjustments in force (`remittance.journal`): outputs reassigned
    to or from this operation, refunds, write-offs of a period's due.
    """
    if as_of.tzinfo is None:
        msg = "as_of must be timezone-aware (UTC)"
        raise InvalidInputError(msg)
    earnings_by_day = _index_earnings(operation_id, earnings)
    hashrate_by_day: dict[date, DailyPoolHashrate] = {}
    for row in pool_hashrates:
        if row.operation != operation_id:
            continue
        if row.day in hashrate_by_day:
            msg = f"pool hash rate for {operation_id} on {row.day} given twice"
            raise InvalidInputError(msg)
        hashrate_by_day[row.day] = row
    network_by_day: dict[date, DailyNetwork] = {}
    for network in network_days:
        if network.day in network_by_day:
            msg = f"network figures for {network.day} given twice"
            raise InvalidInputError(msg)
        if network.rewards_sat < 0 or network.blocks < 0:
            msg = f"network figures for {network.day}: negative rewards or blocks"
            raise InvalidInputError(msg)
        network_by_day[network.day] = network
    last_day = as_of.astimezone(UTC).date()  # the UTC mining day, whatever the offset
    if first_day is None:
        data_days = [day for day in (*earnings_by_day, *hashrate_by_day) if day <= last_day]
        first_day = min(data_days, default=last_day)
    computed: list[Obligation] = []
    carried_sat = 0  # what earlier periods' clawbacks left below 0, carried forward
    for period in periods_covering(terms.period, first_day, last_day):
        obligation = compute_obligation(
            period,
            terms,
            earnings_by_day=earnings_by_day,
            pool_hashrate_by_day=hashrate_by_day,
            network_by_day=network_by_day,
            as_of=as_of,
            first_day=first_day,
            carried_in_sat=carried_sat,
            no_pool_history_before=no_pool_history_before,
        )
        carried_sat = obligation.carried_out_sat
        computed.append(obligation)
    obligations = tuple(computed)
    payments = counted_outputs(
        [o for o in outputs if (o.txid, o.vout) not in journal.moved_out],
        required_confirmations,
        reserve_addresses=reserve_addresses,
        as_of=as_of,
    )
    if journal.moved_in:  # paid to another operation's address, counted here by the journal
        moved = counted_outputs(journal.moved_in, required_confirmations, as_of=as_of)
        payments = counted_outputs((*payments, *moved), required_confirmations)
    return Obligations(operation_id, as_of, terms, obligations, payments, journal)


def _settled(obligations: Callable[P, Obligations]) -> Callable[P, OperationAccount]:
    def account(*args: P.args, **kwargs: P.kwargs) -> OperationAccount:
        return settle(obligations(*args, **kwargs))

    return account


compute_account = _settled(account_obligations)
"""Work out an operation's account as of `as_of`: :func:`account_obligations` (the same
arguments, the same refusals) settled by :func:`settle`, every period's due due by its
deadline."""


def settle(
    account: Obligations, assessments: Mapping[str, Sequence[Assessment]] | None = None
) -> OperationAccount:
    """The account: ``account``'s dues settled by its payments, oldest first (each period's
    due split by its ``assessments``: an amount first known after a period's deadline is due
    by its assessment + the period's `due_days`, not overdue at once).

    Raises:
        InvalidInputError: the journal refunds more than the payments remitted.
    """
    obligations, journal, as_of = account.obligations, account.journal, account.as_of
    dues = _dues(obligations, account.terms, assessments or {}, as_of, journal)
    ledger = settle_fifo(dues, account.payments, as_of, refunded_sat=journal.refunded_sat)
    return OperationAccount(
        operation=account.operation,
        as_of=as_of,
        terms=account.terms,
        obligations=obligations,
        ledger=ledger,
        total_mined_sat=sum(item.mined_sat for item in obligations),
        total_expected_sat=sum(item.expected_sat for item in obligations),
        total_due_sat=ledger.total_due_sat,
        total_remitted_sat=ledger.total_remitted_sat,
        journal=journal,
    )


def _dues(
    obligations: Sequence[Obligation],
    terms: RemittanceTerms,
    assessments: Mapping[str, Sequence[Assessment]],
    as_of: datetime,
    journal: JournalEffects = NO_EFFECTS,
) -> list[Due]:
    dues = []
    for obligation in obligations:
        due = _written_off(Due.of(obligation), journal.written_off.get(obligation.period.label, 0))
        known = assessments.get(due.label)
        if known and not obligation.is_open and as_of > obligation.deadline:
            _basis, due_days = terms.in_force(obligation.period.start)
            tranches = assessed_tranches(due.due_sat, due.deadline, due_days, known, as_of)
            if len(tranches) > 1:
                due = replace(due, tranches=tranches)
        dues.append(due)
    return dues


def _written_off(due: Due, written_off_sat: int) -> Due:
    """``due`` less a write-off, never below 0 (taken from its latest tranches first)."""
    if written_off_sat <= 0 or due.due_sat <= 0:
        return due
    return replace(due, due_sat=max(due.due_sat - written_off_sat, 0))


def _index_earnings(
    operation_id: str, earnings: Iterable[DailyEarning]
) -> dict[date, list[DailyEarning]]:
    by_day: defaultdict[date, list[DailyEarning]] = defaultdict(list)
    seen: set[tuple[str, date, str]] = set()
    credited_sat = 0  # every credit of the operation, clawbacks aside
    for earning in earnings:
        if earning.operation != operation_id:
            continue
        if earning.amount_sat > 0:
            credited_sat += earning.amount_sat
        if credited_sat > MAX_SUPPLY_SAT or earning.amount_sat < -MAX_SUPPLY_SAT:
            msg = (
                f"earnings of {operation_id} sum past 21,000,000 BTC (the supply of bitcoin) "
                f"at pool {earning.pool}, {earning.day}: {earning.amount_sat} sat"
            )
            raise InvalidInputError(msg)
        key = (earning.pool, earning.day, earning.income)
        if key in seen:
            msg = (
                f"earning for {operation_id}, pool {earning.pool}, {earning.day}"
                f" ({earning.income}) given twice"
            )
            raise InvalidInputError(msg)
        seen.add(key)
        by_day[earning.day].append(earning)
    return dict(by_day)

"""Every operation's account from its inputs (pure): one operation's bad terms or data fail
that operation only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from collector.accounts.inputs import Inputs
from collector.config.model import Config
from collector.config.sections import OperationConfig
from remittance.account import Obligations, OperationAccount, account_obligations, settle
from remittance.errors import (
    InvalidInputError,
    InvalidTermsError,
    NoRateInForceError,
    RemittanceError,
)
from remittance.journal import NO_EFFECTS, journal_effects
from remittance.ledger import Assessment
from remittance.obligations import (
    Basis,
    Income,
    Obligation,
    RateChange,
    RemittanceTerms,
    TermsChange,
)
from remittance.periods import PeriodKind


def terms_of(operation: OperationConfig) -> RemittanceTerms:
    remittance = operation.remittance
    return RemittanceTerms(
        rates=tuple(RateChange(c.effective_from, c.rate) for c in remittance.schedule),
        period=PeriodKind(remittance.period),
        due_days=remittance.due_days,
        basis=Basis(remittance.basis),
        discrepancy_tolerance=remittance.discrepancy_tolerance,
        deadline_zone=ZoneInfo(remittance.deadline_timezone),
        changes=tuple(
            TermsChange(c.effective_from, None if c.basis is None else Basis(c.basis), c.due_days)
            for c in remittance.changes
        ),
        counted_income=frozenset(Income(kind) for kind in remittance.counted_income),
    )


STALE_REASONS: Final = ("invalid_terms", "invalid_input", "wallet_overlap", "error")
"""Why an operation's account could not be recomputed (a bounded label set)."""


@dataclass(frozen=True, slots=True)
class AccountsPass:
    """One pass over every operation: the accounts computed, and those that could not be,
    each with its reason (one of :data:`STALE_REASONS`) and the rules' message."""

    accounts: dict[str, OperationAccount]
    failed: dict[str, tuple[str, str]]


def _stale_reason(err: RemittanceError) -> str:
    if isinstance(err, InvalidTermsError | NoRateInForceError):
        return "invalid_terms"
    if isinstance(err, InvalidInputError):
        return "invalid_input"
    return "error"


@dataclass(frozen=True, slots=True)
class ObligationsPass:
    """One pass's obligations of every operation, not yet settled (:func:`settled_pass`), and
    the operations that failed, as in :class:`AccountsPass`."""

    accounts: dict[str, Obligations]
    failed: dict[str, tuple[str, str]]


def compute_pass(config: Config, inputs: Inputs, as_of: datetime) -> AccountsPass:
    """Every configured operation's account as of ``as_of`` (pure), every period's due due by
    its deadline. One operation's bad terms or bad data fail that operation only: it is listed
    in ``failed``, the others go on."""
    return settled_pass(obligations_pass(config, inputs, as_of))


def settled_pass(
    obligations: ObligationsPass,
    assessments: Mapping[str, Mapping[str, Sequence[Assessment]]] | None = None,
) -> AccountsPass:
    """Every account of ``obligations`` settled (pure), each operation's periods split by its
    ``assessments`` (``collector.accounts.assessments``): settled once, whether assessed or
    not (settling took a quarter of a pass at 100 operations x 2 years)."""
    accounts: dict[str, OperationAccount] = {}
    failed = dict(obligations.failed)
    for operation_id, unsettled in obligations.accounts.items():
        try:
            accounts[operation_id] = settle(unsettled, (assessments or {}).get(operation_id))
        except RemittanceError as err:
            failed[operation_id] = (_stale_reason(err), str(err))
    return AccountsPass(accounts, failed)


def obligations_pass(config: Config, inputs: Inputs, as_of: datetime) -> ObligationsPass:
    """Every configured operation's obligations as of ``as_of`` (pure), not yet settled."""
    accounts: dict[str, Obligations] = {}
    failed: dict[str, tuple[str, str]] = {}
    journal = journal_effects(inputs.journal.entries, {"": inputs.reassigned_outputs}, as_of)
    for operation in config.operations:
        if operation.id in inputs.failed:
            failed[operation.id] = inputs.failed[operation.id]
            continue
        try:
            accounts[operation.id] = account_obligations(
                operation.id,
                terms_of(operation),
                inputs.earnings.get(operation.id, []),
                inputs.hashrates.get(operation.id, []),
                inputs.network,
                inputs.outputs.get(operation.id, []),
                config.reserve.confirmations,
                as_of,
                reserve_addresses=inputs.reserve_addresses.get(
                    operation.id, frozenset(operation.watched_addresses)
                ),
                no_pool_history_before=inputs.no_pool_history_before.get(operation.id),
                journal=journal.get(operation.id, NO_EFFECTS),
            )
        except RemittanceError as err:
            failed[operation.id] = (_stale_reason(err), str(err))
    return ObligationsPass(accounts, failed)


def restated_periods(
    accounts: Mapping[str, OperationAccount],
    issued: Mapping[tuple[str, str], tuple[datetime, int]],
) -> dict[str, int]:
    """Per operation, the closed periods whose due differs from the latest statement issued
    of them once closed (:func:`restated`)."""
    counts: dict[str, int] = {}
    for (operation_id, label), (issued_as_of, issued_due) in issued.items():
        account = accounts.get(operation_id)
        obligation = account.obligation_for(label) if account is not None else None
        if obligation is not None and restated(obligation, issued_as_of, issued_due):
            counts[operation_id] = counts.get(operation_id, 0) + 1
    return counts


def restated(obligation: Obligation, issued_as_of: datetime, issued_due_sat: int) -> bool:
    """A closed period's due differs from the one a statement issued as of ``issued_as_of``
    stated. A statement issued while the period was still open (``issued_as_of`` before its
    end) stated a provisional figure, marked open: the period closing is not a restatement."""
    if obligation.is_open or issued_as_of < obligation.period.end_at:
        return False
    return obligation.due_sat != issued_due_sat


def compute_accounts(
    config: Config, inputs: Inputs, as_of: datetime
) -> dict[str, OperationAccount]:
    """The accounts :func:`compute_pass` could compute (pure)."""
    return compute_pass(config, inputs, as_of).accounts


IssuedDues = Mapping[tuple[str, str], tuple[datetime, int]]
"""(operation, period) -> (as_of, due_sat) of the latest statement issued (Store.issued_dues)."""


def issued_of(issued: IssuedDues, operation_id: str) -> dict[tuple[str, str], tuple[datetime, int]]:
    """The issued dues of one operation."""
    return {key: due for key, due in issued.items() if key[0] == operation_id}


def earnings_discrepancy(account: OperationAccount) -> Decimal | None:
    """Reported ÷ expected for the latest closed period with an expected figure."""
    for obligation in reversed(account.obligations):
        if not obligation.is_open and obligation.expected_sat > 0:
            return Decimal(obligation.mined_sat) / Decimal(obligation.expected_sat)
    return None

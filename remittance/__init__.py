"""The money rules of reservewatch: pure, typed, no I/O, no clock.

The collector builds plain inputs from its store and calls `compute_account` (or, to settle
with assessments decided from the obligations, `account_obligations` then `settle`); statements are
built with `build_statement` and rendered/signed with `signing` and `pdf`.
"""

from remittance.account import (
    Obligations,
    OperationAccount,
    account_obligations,
    compute_account,
    settle,
)
from remittance.errors import (
    InvalidInputError,
    InvalidPeriodLabelError,
    InvalidTermsError,
    KeyFormatError,
    NoRateInForceError,
    RemittanceError,
    SignatureInvalid,
    StatementFormatError,
)
from remittance.ledger import Allocation, Ledger, ReserveOutput, Settlement
from remittance.obligations import (
    Basis,
    DailyEarning,
    DailyNetwork,
    DailyPoolHashrate,
    Income,
    MissingDay,
    MissingReason,
    Obligation,
    ObligationFlag,
    RateChange,
    RemittanceTerms,
)
from remittance.periods import Period, PeriodKind, parse_period_label, period_containing
from remittance.statement import OperationInfo, Statement, build_statement

__all__ = [
    "Allocation",
    "Basis",
    "DailyEarning",
    "DailyNetwork",
    "DailyPoolHashrate",
    "Income",
    "InvalidInputError",
    "InvalidPeriodLabelError",
    "InvalidTermsError",
    "KeyFormatError",
    "Ledger",
    "MissingDay",
    "MissingReason",
    "NoRateInForceError",
    "Obligation",
    "ObligationFlag",
    "Obligations",
    "OperationAccount",
    "OperationInfo",
    "Period",
    "PeriodKind",
    "RateChange",
    "RemittanceError",
    "RemittanceTerms",
    "ReserveOutput",
    "Settlement",
    "SignatureInvalid",
    "Statement",
    "StatementFormatError",
    "account_obligations",
    "build_statement",
    "compute_account",
    "parse_period_label",
    "period_containing",
    "settle",
]

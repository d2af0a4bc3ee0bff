"""The exceptions the money rules raise.

```
RemittanceError              base of everything raised by `remittance`
├── InvalidInputError        an input breaks a rule (duplicate day, negative amount, ...)
├── InvalidTermsError        terms that cannot be applied (bad rate, unsorted schedule)
├── NoRateInForceError       no rate in the schedule covers a period's first day
├── InvalidPeriodLabelError  a label that is not `2026-10`, `2026-W43` or `2026-10-05`
├── StatementFormatError     a statement document (JSON/CSV/PDF) that cannot be read back
├── KeyFormatError           key bytes that are not an Ed25519 key in PEM
└── SignatureInvalid         a signature or digest that does not match the document
```
"""

from __future__ import annotations


class RemittanceError(Exception):
    """Base class for every error raised by the `remittance` package."""


class InvalidInputError(RemittanceError):
    """An input value breaks a rule: a duplicate day, a negative amount, a conflicting output."""


class InvalidTermsError(RemittanceError):
    """Remittance terms that cannot be applied: a rate outside [0, 1], an unsorted schedule."""


class NoRateInForceError(RemittanceError):
    """No rate in the schedule is in force on the first day of a period."""


class InvalidPeriodLabelError(RemittanceError):
    """A period label in none of the formats `2026-10`, `2026-W43`, `2026-10-05`."""


class StatementFormatError(RemittanceError):
    """A statement document (JSON, CSV or PDF) that cannot be parsed back."""


class KeyFormatError(RemittanceError):
    """Key bytes that are not an Ed25519 key in PEM format."""


class SignatureInvalid(RemittanceError):
    """A signature or digest that does not match the signed document."""

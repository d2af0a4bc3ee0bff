"""The mandatory sale's figures as of an instant, per operation with a ``mandatory_sale`` in
its terms: each remittance period's share of the mined coins to sell on an AIFC exchange, what
the imported exchange statements evidence, and the shortfall.

The mined figure of each day is the account's (the obligations' days, as the store knew them
at the instant); the schedule, the deadline and the exchanges are the operation's terms as
known then (:func:`collector.accounts.terms.known_config`); the sales are those the store held
then (``import exchange-sales``). The rules are :mod:`remittance.mandatory_sale`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

from collector.config.model import Config
from collector.store.queries import Store
from remittance.account import OperationAccount
from remittance.errors import InvalidTermsError, RemittanceError
from remittance.mandatory_sale import ExchangeSale, PeriodSale, sale_standing
from remittance.sale_statement import period_to_dict

log = logging.getLogger(__name__)

REFUSED_REASONS: Final = ("invalid_input", "invalid_terms")


@dataclass(frozen=True, slots=True)
class OperationSales:
    """One operation's mandatory sale, period by period, at an instant; ``sales`` every sale
    imported by then (those on another exchange than its terms list are not there)."""

    operation_id: str
    periods: tuple[PeriodSale, ...]
    sales: tuple[ExchangeSale, ...]
    deadline_days: int = 0
    # Why the rules refused the operation's inputs (no periods then), one of REFUSED_REASONS.
    refused: str | None = None

    @property
    def required_sat(self) -> int:
        return sum(p.required_sat for p in self.periods)

    @property
    def sold_sat(self) -> int:
        """What the sales settled of the required figures (a sale beyond them is not here)."""
        return sum(p.sold_sat for p in self.periods)

    @property
    def shortfall_sat(self) -> int:
        return sum(p.shortfall_sat for p in self.periods)

    @property
    def overdue_sat(self) -> int:
        return sum(p.shortfall_sat for p in self.periods if p.overdue)

    def period(self, label: str) -> PeriodSale | None:
        return next((p for p in self.periods if p.label == label), None)

    def balance(self) -> dict[str, object]:
        """The API balance's ``mandatory_sale`` (satoshis): the totals and each period."""
        return {
            "required_sat": self.required_sat,
            "sold_sat": self.sold_sat,
            "shortfall_sat": self.shortfall_sat,
            "overdue_sat": self.overdue_sat,
            "deadline_days": self.deadline_days,
            **({"refused": self.refused} if self.refused else {}),
            "periods": [period_to_dict(p) for p in self.periods],
        }


async def mandatory_sales_as_of(
    store: Store,
    config: Config,
    accounts: Mapping[str, OperationAccount],
    as_of: datetime,
    operation_id: str | None = None,
) -> dict[str, OperationSales]:
    """Every operation's mandatory sale (or ``operation_id``'s) as of ``as_of``, over the
    periods of its account; an operation without ``mandatory_sale`` or an account has none."""
    operations = [
        operation
        for operation in config.operations
        if operation_id in (None, operation.id)
        and operation.mandatory_sale is not None
        and operation.id in accounts
    ]
    if not operations:
        return {}
    stored = await store.exchange_sales([o.id for o in operations], as_of=as_of)
    found = {}
    for operation, terms in ((o, o.mandatory_sale) for o in operations):
        if terms is None:
            continue  # filtered above; told to the type checker
        try:
            sales = tuple(
                ExchangeSale(
                    s.sold_on,
                    s.exchange,
                    s.sold_sat,
                    s.reference,
                    Decimal(s.proceeds) if s.proceeds else None,
                )
                for s in stored
                if s.operation_id == operation.id
                and (not terms.exchanges or s.exchange in terms.exchanges)
            )
            periods = [
                (
                    o.period.label,
                    o.period.start,
                    o.period.end,
                    [(day.day, day.mined_sat) for day in o.days],
                )
                for o in accounts[operation.id].obligations
            ]
            standing = sale_standing(periods, terms.rules(), sales, as_of, terms.deadline_days)
        except RemittanceError as err:  # one operation's bad input: the others are computed
            log.warning(
                "mandatory sale not computed", extra={"operation": operation.id, "error": str(err)}
            )
            reason = "invalid_terms" if isinstance(err, InvalidTermsError) else "invalid_input"
            found[operation.id] = OperationSales(operation.id, (), (), refused=reason)
            continue
        found[operation.id] = OperationSales(operation.id, standing, sales, terms.deadline_days)
    return found

"""Where and how an operation pays: the address in force, and the BIP-21 payment URI.

One function says which address an operation is given on a day: with a
``reserve_descriptor``, the descriptor's next receive address not yet paid (a fresh address
for each remittance); otherwise its configured reserve address, or a retired one still in
force.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Protocol
from urllib.parse import quote

from collector.bitcoin.address import Chain
from collector.bitcoin.descriptors import parse_descriptor
from remittance.money import SAT_PER_BTC


class Retired(Protocol):
    """A reserve address paid to until a day (exclusive)."""

    @property
    def address(self) -> str: ...
    @property
    def until(self) -> date: ...


class PaysTo(Protocol):
    """Where an operation may be told to pay (an operation's configuration is one)."""

    @property
    def reserve_descriptor(self) -> str | None: ...
    @property
    def retired_addresses(self) -> Sequence[Retired]: ...
    @property
    def reserve_addresses(self) -> Sequence[str]: ...


def payment_address(
    operation: PaysTo,
    today: date,
    *,
    chain: Chain = "main",
    used: Iterable[str] = (),
) -> str:
    """The address ``operation`` pays to on ``today`` (a UTC day).

    With a descriptor: its first receive address (branch 0) not among ``used`` (the
    addresses already paid). Otherwise a retired address is still in force before its
    ``until`` day (the earliest such one, as addresses are handed over one after another);
    after them, the first reserve address.
    """
    if operation.reserve_descriptor is not None:
        return parse_descriptor(operation.reserve_descriptor, chain).first_unused(used)
    in_force = sorted(
        (retired for retired in operation.retired_addresses if today < retired.until),
        key=lambda retired: retired.until,
    )
    return in_force[0].address if in_force else operation.reserve_addresses[0]


def bip21_amount(amount_sat: int) -> str:
    """Satoshis as BIP-21's decimal BTC, without trailing zeros: 100001 → ``0.00100001``,
    100000000 → ``1``."""
    whole, fraction = divmod(amount_sat, SAT_PER_BTC)
    return f"{whole}.{fraction:08d}".rstrip("0").rstrip(".")


def bip21_uri(address: str, amount_sat: int, label: str) -> str:
    """``bitcoin:ADDRESS?amount=…&label=…`` (BIP-21; the label percent-encoded as UTF-8). No
    amount when nothing is owed.

    >>> bip21_uri("bc1qexample", 100_001, "Demo LLP 2026-10")
    'bitcoin:bc1qexample?amount=0.00100001&label=Demo%20LLP%202026-10'
    """
    query = [f"amount={bip21_amount(amount_sat)}"] if amount_sat > 0 else []
    query.append(f"label={quote(label, safe='')}")
    return f"bitcoin:{address}?{'&'.join(query)}"

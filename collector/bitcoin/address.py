"""Bitcoin address validation: bech32 (segwit v0), bech32m (v1+) and base58check, per chain.

Decoding and checksums are embit's (a maintained pure-Python Bitcoin library); this module only
adds which prefixes each chain accepts and turns embit's errors into :class:`AddressError`.
"""

from __future__ import annotations

from typing import Literal

from embit.base import EmbitError
from embit.script import address_to_scriptpubkey

from collector.errors import ReservewatchError

Chain = Literal["main", "test", "signet", "regtest"]

_BECH32_HRP: dict[str, tuple[str, ...]] = {
    "main": ("bc",),
    "test": ("tb",),
    "signet": ("tb",),
    "regtest": ("bcrt",),
}
_BASE58_FIRST: dict[str, tuple[str, ...]] = {
    "main": ("1", "3"),
    "test": ("m", "n", "2"),
    "signet": ("m", "n", "2"),
    "regtest": ("m", "n", "2"),
}


class AddressError(ReservewatchError):
    """Not a valid Bitcoin address for the configured chain."""


def validate_address(address: str, chain: Chain = "main") -> str:
    """Return ``address`` if it is a valid address on ``chain``; raise :class:`AddressError`.

    >>> validate_address("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")
    'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq'
    """
    if not isinstance(address, str) or not 14 <= len(address) <= 90:
        raise AddressError(f"{address!r} is not a Bitcoin address (wrong length)")
    hrp, sep, _ = address.lower().rpartition("1")
    if sep and hrp in _BECH32_HRP[chain]:
        if address != address.lower() and address != address.upper():
            raise AddressError(f"{address!r} is not a valid bech32 address (mixed case)")
    elif not address.startswith(_BASE58_FIRST[chain]):
        raise AddressError(f"{address!r} is not an address on the {chain} chain")
    try:
        address_to_scriptpubkey(address)
    except (EmbitError, ValueError, KeyError, IndexError) as err:
        raise AddressError(
            f"{address!r} is not a valid Bitcoin address (bad checksum or encoding)"
        ) from err
    return address

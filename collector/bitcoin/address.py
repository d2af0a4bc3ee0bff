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


_ALL_BECH32_HRP = frozenset(hrp for hrps in _BECH32_HRP.values() for hrp in hrps)


def normalise_address(address: str) -> str:
    """``address`` as it is compared: an all-uppercase bech32 address (BIP 173 allows it, for
    QR codes) in lower case, as chains and explorers write it; anything else unchanged (base58
    is case-sensitive; a mixed-case bech32 address is left for :func:`validate_address` to
    refuse).

    >>> normalise_address("BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ")
    'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq'
    """
    hrp, sep, _ = address.lower().rpartition("1")
    if sep and hrp in _ALL_BECH32_HRP and address == address.upper():
        return address.lower()
    return address


def validate_address(address: str, chain: Chain = "main") -> str:
    """Return ``address`` (normalised: :func:`normalise_address`) if it is a valid address on
    ``chain``; raise :class:`AddressError`.

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
    normalised = normalise_address(address)
    try:
        address_to_scriptpubkey(normalised)  # embit reads bech32 in lower case only
    except (EmbitError, ValueError, KeyError, IndexError) as err:
        raise AddressError(
            f"{address!r} is not a valid Bitcoin address (bad checksum or encoding)"
        ) from err
    return normalised

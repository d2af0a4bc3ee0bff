"""Keys the simulated reserve holds: BIP 32 accounts from a fixed, public test mnemonic, and
the watch-only descriptors of them that the collector is given (checksummed, xpub only).

Never use these keys for anything but the demo and the tests: the mnemonic is printed here.
"""

from __future__ import annotations

from functools import cache

from embit import bip32, bip39, networks
from embit.descriptor.checksum import add_checksum

from collector.bitcoin.address import Chain

MNEMONIC = (
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
)


@cache
def _root() -> bip32.HDKey:
    return bip32.HDKey.from_seed(bip39.mnemonic_to_seed(MNEMONIC))


def account_xpub(account: int, chain: Chain = "main") -> str:
    """The extended public key of BIP 84 account ``account`` (``m/84'/c'/account'``)."""
    coin = 0 if chain == "main" else 1
    key = _root().derive(f"m/84h/{coin}h/{account}h").to_public()
    return str(key.to_string(version=networks.NETWORKS[chain]["xpub"]))


def account_private_key(
    account: int, branch: int, index: int, chain: Chain = "main"
) -> bip32.HDKey:
    """The private key behind ``wpkh(account_xpub(account)/branch/index)`` (for signing)."""
    coin = 0 if chain == "main" else 1
    return _root().derive(f"m/84h/{coin}h/{account}h/{branch}/{index}")


def wpkh_descriptor(account: int, chain: Chain = "main", *, multipath: bool = False) -> str:
    """``wpkh(xpub/0/*)#checksum`` (``/<0;1>/*`` with ``multipath``: receive and change)."""
    path = "<0;1>" if multipath else "0"
    return str(add_checksum(f"wpkh({account_xpub(account, chain)}/{path}/*)"))


def multisig_descriptor(accounts: tuple[int, ...], threshold: int, chain: Chain = "main") -> str:
    """``wsh(sortedmulti(threshold, xpub1/0/*, …))#checksum`` — a multisig custody vault."""
    keys = ",".join(f"{account_xpub(a, chain)}/0/*" for a in accounts)
    return str(add_checksum(f"wsh(sortedmulti({threshold},{keys}))"))

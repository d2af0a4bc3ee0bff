"""The reserve's wallets as the configuration declares them: the plain values the wallet book
(:mod:`collector.bitcoin.wallets`) watches."""

from __future__ import annotations

from collector.bitcoin.descriptors import WatchedDescriptor, parse_descriptor
from collector.bitcoin.wallets import Wallet, WalletBook
from collector.config.model import Config


def wallets_of(config: Config) -> list[Wallet]:
    """Every wallet the configuration declares, operations first."""
    chain = config.network.chain

    def desc(text: str | None) -> WatchedDescriptor | None:
        return None if text is None else parse_descriptor(text, chain)

    found = [
        Wallet("reserve", op.id, op.watched_addresses, desc(op.reserve_descriptor))
        for op in config.operations
    ]
    found += [
        Wallet("intake", case.case, case.addresses, desc(case.descriptor))
        for case in config.reserve.intake
    ]
    found += [
        Wallet("custody", vault.name, vault.addresses, desc(vault.descriptor))
        for vault in config.reserve.custody
    ]
    return found


def wallet_book(config: Config) -> WalletBook:
    """Every declared wallet, derived as far as ``reserve.gap_limit`` asks."""
    return WalletBook(wallets_of(config), config.reserve.gap_limit)

"""The reserve's wallets, and the operations' payout wallets, as the configuration declares
them: the plain values the wallet book (:mod:`collector.bitcoin.wallets`) watches."""

from __future__ import annotations

from collector.bitcoin.descriptors import WatchedDescriptor, check_first_address, parse_descriptor
from collector.bitcoin.wallets import Wallet, WalletBook
from collector.config.model import Config


def wallets_of(config: Config) -> list[Wallet]:
    """Every wallet the configuration declares, operations first."""
    chain = config.network.chain

    def desc(text: str | None, expect_first: str | None) -> WatchedDescriptor | None:
        # check-config refused these already; a configuration built another way (a test's,
        # an environment override) is held to the same: no wallet watches where nobody pays.
        if text is None:
            return None
        descriptor = parse_descriptor(text, chain)
        if expect_first is not None:
            check_first_address(descriptor, expect_first)
        return descriptor

    found = [
        Wallet(
            "reserve",
            op.id,
            op.watched_addresses,
            desc(op.reserve_descriptor, op.reserve_descriptor_expect_first),
        )
        for op in config.operations
    ]
    found += [
        Wallet(
            "intake", case.case, case.addresses, desc(case.descriptor, case.descriptor_expect_first)
        )
        for case in config.reserve.intake
    ]
    found += [
        Wallet(
            "custody",
            vault.name,
            vault.addresses,
            desc(vault.descriptor, vault.descriptor_expect_first),
        )
        for vault in config.reserve.custody
    ]
    # Last: the operations' own payout wallets, watched for the pools' reports only.
    found += [
        Wallet("payout", op.id, w.addresses, desc(w.descriptor, w.descriptor_expect_first))
        for op in config.operations
        for w in op.payout_wallets
    ]
    return found


def wallet_book(config: Config) -> WalletBook:
    """Every declared wallet, derived as far as ``reserve.gap_limit`` asks."""
    return WalletBook(wallets_of(config), config.reserve.gap_limit)

"""The reserve's wallets and whose each watched address is.

Three roles of the reserve: ``reserve`` (an operation's remittance addresses: what arrives is
remitted by that operation), ``intake`` (a seized-asset case's addresses: what arrives is
credited to the case) and ``custody`` (approved destinations: cold storage, multisig vaults).
A fourth, ``payout``, is no part of the reserve: an operation's own payout wallet, where its
pools pay it, watched only so the pools' reports can be checked against the chain
(:mod:`collector.accounts.pool_reports`); :meth:`WalletBook.reserve_owner` never names it, it
needs no proof of control, and what it receives or spends is never the reserve's. Each wallet
is fixed addresses and/or one descriptor; a ranged descriptor is derived up to ``gap_limit``
addresses past the last one used (BIP 44's gap limit), on each of its branches, and derived
further as outputs are found — :meth:`WalletBook.mark_used` says which addresses are new to watch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from collector.bitcoin.descriptors import WatchedDescriptor
from collector.errors import ReservewatchError

Role = Literal["reserve", "intake", "custody", "payout"]
RESERVE_ROLES: tuple[Role, ...] = ("reserve", "intake", "custody")
"""The roles whose coins are the reserve's."""
ROLES: tuple[Role, ...] = (*RESERVE_ROLES, "payout")


BEYOND_GAP_SEARCH = 100
"""How many addresses past those watched :meth:`WalletBook.beyond_gap` derives, per branch."""

NODE_RANGE = 1000
"""How far a node's wallet is asked to watch each descriptor (``importdescriptors`` with
``range [0, max(999, gap_limit)]``): :meth:`WalletBook.derived_by` looks as far."""


class WalletOverlapError(ReservewatchError):
    """Two wallets derive the same address: a payment to it could belong to either."""


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose an address is: the wallet's role and holder, and where a descriptor derived it."""

    role: Role
    holder: str  # the operation id, the case id or the custody wallet's name
    descriptor: str | None = None
    branch: int = 0
    index: int = 0


@dataclass(frozen=True, slots=True)
class Wallet:
    role: Role
    holder: str
    addresses: tuple[str, ...]
    descriptor: WatchedDescriptor | None = None


class WalletBook:
    """Every watched address and its :class:`Owner`, derived as far as the gap limit asks."""

    def __init__(self, wallets: Iterable[Wallet], gap_limit: int = 20) -> None:
        self._gap = gap_limit
        self._owners: dict[str, Owner] = {}
        self._wallets = list(wallets)
        self._derived: dict[tuple[str, int], int] = {}  # (descriptor, branch) -> count derived
        self._descriptors: dict[str, tuple[Wallet, WatchedDescriptor]] = {}
        self._beyond: dict[str, Owner] = {}  # addresses derived past the gap, not watched
        self._beyond_to: dict[tuple[str, int], int] = {}  # (descriptor, branch) -> derived to
        # Addresses two wallets derive, found deriving past the configured ones: kept by the
        # first (still watched), credited to neither (:meth:`overlaps`).
        self._overlaps: dict[str, frozenset[tuple[Role, str]]] = {}
        self._configured = False
        for wallet in self._wallets:
            for address in wallet.addresses:
                self._add(address, Owner(wallet.role, wallet.holder))
            if wallet.descriptor is not None:
                d = wallet.descriptor
                self._descriptors[d.text] = (wallet, d)
                for branch in range(d.branches):
                    self._derive(wallet, d, branch, self._gap if d.ranged else 1)
        self._configured = True

    @property
    def wallets(self) -> list[Wallet]:
        return list(self._wallets)

    @property
    def reserve_wallets(self) -> list[Wallet]:
        """The reserve's wallets: every one but the operations' payout wallets."""
        return [w for w in self._wallets if w.role != "payout"]

    def _add(self, address: str, owner: Owner) -> None:
        known = self._owners.get(address)
        if known is not None and (known.role, known.holder) != (owner.role, owner.holder):
            if not self._configured:  # the configuration's own addresses: refused
                raise WalletOverlapError(
                    f"address {address} belongs to {known.role} {known.holder} and to "
                    f"{owner.role} {owner.holder}; an address belongs to one wallet"
                )
            self._overlaps[address] = self._overlaps.get(address, frozenset()) | {
                (known.role, known.holder),
                (owner.role, owner.holder),
            }
        self._owners.setdefault(address, owner)

    @property
    def overlaps(self) -> dict[str, frozenset[tuple[Role, str]]]:
        """Addresses that two wallets derive, found once deriving went past the configured
        ones (an address of one wallet lies beyond another's gap): address -> (role, holder)
        of each. A payment there could belong to either; the accounts credit it to neither
        and mark the operations concerned stale."""
        return dict(self._overlaps)

    def derived_by(
        self, holder: str, address: str, limit: int = NODE_RANGE, role: Role = "reserve"
    ) -> Owner | None:
        """Where ``holder``'s descriptor of ``role`` derives ``address`` within ``limit``
        addresses of each branch (as far as a node's wallet watches it), derived as far as
        needed and then watched; None if it does not."""
        if (owner := self._owners.get(address)) is not None:
            return owner if (owner.holder, owner.role) == (holder, role) else None
        for wallet, d in self._descriptors.values():
            if wallet.holder != holder or wallet.role != role or not d.ranged:
                continue
            for branch in range(d.branches):
                index = self._derived.get((d.text, branch), 0)
                while index < limit:
                    upto = min(limit, index + self._gap)
                    if address in self._derive(wallet, d, branch, upto):
                        return self._owners.get(address)
                    index = upto
        return None

    def _derive(self, wallet: Wallet, d: WatchedDescriptor, branch: int, upto: int) -> list[str]:
        done = self._derived.get((d.text, branch), 0)
        new: list[str] = []
        for index in range(done, upto):
            address = d.address(index, branch)
            self._add(address, Owner(wallet.role, wallet.holder, d.text, branch, index))
            new.append(address)
        self._derived[(d.text, branch)] = max(done, upto)
        return new

    def derive_to(self, descriptor: str, count: int) -> None:
        """Derive ``count`` addresses of each branch of ``descriptor`` (as far as another
        watcher — the node's wallet — watches it)."""
        wallet, d = self._descriptors[descriptor]
        if d.ranged:
            for branch in range(d.branches):
                self._derive(wallet, d, branch, count)

    def beyond_gap(self, address: str) -> Owner | None:
        """Whose own address ``address`` is, when a ranged descriptor derives it past the
        addresses watched (beyond the gap limit: a wallet restored from its keys would not
        find it) — up to :data:`BEYOND_GAP_SEARCH` further on each branch; None otherwise,
        and for a watched address. Derived once and kept: an unwatched address paid by the
        reserve's own transaction is rare."""
        if address in self._owners:
            return None
        for text, (wallet, d) in self._descriptors.items():
            if not d.ranged or wallet.role == "payout":  # the operator's, not the reserve's
                continue
            for branch in range(d.branches):
                watched = self._derived.get((text, branch), 0)
                start = max(self._beyond_to.get((text, branch), 0), watched)
                for index in range(start, watched + BEYOND_GAP_SEARCH):
                    found = d.address(index, branch)
                    self._beyond.setdefault(
                        found, Owner(wallet.role, wallet.holder, text, branch, index)
                    )
                self._beyond_to[(text, branch)] = max(start, watched + BEYOND_GAP_SEARCH)
        return self._beyond.get(address)

    def owner(self, address: str) -> Owner | None:
        return self._owners.get(address)

    def reserve_owner(self, address: str) -> Owner | None:
        """Whose address ``address`` is when it is the reserve's (not a payout wallet's)."""
        owner = self._owners.get(address)
        return None if owner is None or owner.role == "payout" else owner

    def payout_owner(self, address: str) -> Owner | None:
        """The operation whose payout wallet ``address`` is; None for any other address."""
        owner = self._owners.get(address)
        return owner if owner is not None and owner.role == "payout" else None

    def __contains__(self, address: object) -> bool:
        return address in self._owners

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._owners))

    def __len__(self) -> int:
        return len(self._owners)

    def watched_by_role(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(ROLES, 0)
        for owner in self._owners.values():
            counts[owner.role] += 1
        return counts

    def addresses_of(self, holder: str, roles: tuple[Role, ...] = RESERVE_ROLES) -> frozenset[str]:
        """``holder``'s watched addresses in ``roles`` (the reserve's by default: never an
        operation's payout wallet's)."""
        return frozenset(
            a for a, o in self._owners.items() if o.holder == holder and o.role in roles
        )

    def mark_used(self, addresses: Iterable[str]) -> list[str]:
        """Note that ``addresses`` received something; derive ``gap_limit`` past each used
        index. Returns the addresses now watched that were not before (to read at once)."""
        new: list[str] = []
        for address in addresses:
            owner = self._owners.get(address)
            if owner is None or owner.descriptor is None:
                continue
            wallet, d = self._descriptors[owner.descriptor]
            if d.ranged:
                new += self._derive(wallet, d, owner.branch, owner.index + 1 + self._gap)
        return new

    def proof_addresses(self) -> list[tuple[Wallet, str]]:
        """The addresses whose BIP-322 proofs stand for each wallet's control: its fixed
        addresses, and its descriptor's first address (the first receive address shows the
        keys behind every address the descriptor derives). A payout wallet is the operator's,
        not the reserve's: it proves nothing and needs no proof."""
        wallets = self.reserve_wallets
        found: list[tuple[Wallet, str]] = [(w, a) for w in wallets for a in w.addresses]
        found += [(w, w.descriptor.address(0, 0)) for w in wallets if w.descriptor]
        return found

    def learn(self, addresses: Iterable[str]) -> None:
        """Derive as far as ``addresses`` (outputs already seen) show the wallets were used,
        gap after gap, as the watcher did when it found them."""
        remaining = set(addresses)
        while known := {a for a in remaining if a in self._owners}:
            self.mark_used(known)
            remaining -= known

    def next_unused(self, holder: str, used: Iterable[str]) -> str | None:
        """The first address of ``holder``'s descriptor (receive branch) not in ``used``;
        its first fixed address when it has no descriptor; None for an unknown holder."""
        used_set = set(used)
        for wallet in self._wallets:
            if wallet.holder != holder or wallet.role == "payout":
                continue
            d = wallet.descriptor
            if d is not None and d.ranged:
                return d.first_unused(used_set)
            if wallet.addresses:
                return wallet.addresses[0]
            return d.address() if d is not None else None
        return None

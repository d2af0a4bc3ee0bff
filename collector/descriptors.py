"""Output descriptors (BIP 380–386): parsed, checked and derived with embit.

embit (already the project's Bitcoin library: addresses, scripts) parses the descriptor
language — ``wpkh``, ``sh(wpkh)``, ``wsh(multi|sortedmulti)``, ``tr``, ranged ``xpub/…/*`` and
multipath ``<0;1>`` — and derives addresses. bdkpython (Bitcoin Dev Kit) would do the same
behind a 20 MB native wheel and a wallet model we do not need; embit is pure Python and already
a dependency. embit accepts a wrong ``#checksum`` silently, so the checksum is checked here
(BIP 380: the checksum catches a mistyped descriptor; without one a typo would quietly watch
someone else's addresses). A descriptor with a private key is refused: secrets never live in
the configuration.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from embit import networks
from embit.bip32 import HDKey
from embit.descriptor import Descriptor
from embit.descriptor.checksum import checksum

from collector.bitcoin_address import Chain
from collector.errors import ReservewatchError

__all__ = ["DescriptorError", "WatchedDescriptor", "parse_descriptor"]

_MAX_LENGTH = 4096


class DescriptorError(ReservewatchError):
    """Not a usable output descriptor."""


@dataclass(frozen=True, slots=True)
class WatchedDescriptor:
    """A checked descriptor: its text (with checksum) and the addresses it derives — per
    branch (``<0;1>`` is two: receive and change; BIP 389). A fixed descriptor (no ``*``) has
    one address per branch: its keys derived along their paths (``xpub/0`` is the xpub's
    child 0, not the xpub's own key; BIP 380's key expressions)."""

    text: str
    chain: Chain
    _parsed: Descriptor = field(compare=False, repr=False)

    @property
    def ranged(self) -> bool:
        return bool(self._parsed.is_wildcard)

    @property
    def branches(self) -> int:
        return int(self._parsed.num_branches)

    def single_path_bodies(self) -> list[str]:
        """The descriptor (without checksum) once per branch: ``<0;1>`` becomes ``0`` and
        ``1``, as Bitcoin Core's ``listdescriptors`` shows an imported multipath descriptor."""
        body = self.text.partition("#")[0]
        if self.branches == 1:
            return [body]

        def pick(branch: int) -> str:
            return re.sub(r"<([0-9h';]+)>", lambda m: str(m.group(1)).split(";")[branch], body)

        return [pick(branch) for branch in range(self.branches)]

    def first_unused(self, used: Iterable[str]) -> str:
        """The first receive address (branch 0) not in ``used``; a fixed descriptor's one
        (of branch 0)."""
        if not self.ranged:
            return self.address()
        paid = set(used)
        index = 0
        while (address := self.address(index)) in paid:
            index += 1
        return address

    def address(self, index: int = 0, branch: int = 0) -> str:
        """The address at ``index`` of ``branch`` (a fixed descriptor has only index 0)."""
        if not 0 <= branch < self.branches:
            raise DescriptorError(f"{self.text} has no branch {branch}")
        if not self.ranged and index:
            raise DescriptorError(f"{self.text} is not ranged: it has one address per branch")
        if not 0 <= index < _HARDENED:
            raise DescriptorError(f"index {index} is not an unhardened child index")
        return _derived_address(self, index, branch)


_HARDENED = 0x80000000


@lru_cache(maxsize=200_000)
def _derived_address(d: WatchedDescriptor, index: int, branch: int) -> str:
    """Derivation costs ~0.4 ms an address in pure Python; each pass of the accounts and
    every poll ask for the same ones again. embit's ``derive`` fills the ``*`` with ``index``
    and a multipath step with its ``branch`` and derives every key along its whole path; a
    fixed descriptor is derived too (with no ``*`` the index is unused): its ``address()``
    alone would read each extended key as it is written, ignoring the steps after it."""
    derived = d._parsed.derive(index, branch_index=branch if d.branches > 1 else None)
    return str(derived.address(networks.NETWORKS[d.chain]))


def parse_descriptor(text: str, chain: Chain) -> WatchedDescriptor:
    """Check ``text`` (``desc#checksum``) and return it ready to derive; raise
    :class:`DescriptorError` saying what is wrong.

    >>> d = parse_descriptor(
    ...     "wpkh(02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9)#8zl0zxma",
    ...     "main")
    >>> d.address()
    'bc1q0ht9tyks4vh7p5p904t340cr9nvahy7u3re7zg'
    """
    if not isinstance(text, str) or not 0 < len(text) <= _MAX_LENGTH:
        raise DescriptorError(f"a descriptor is text of 1 to {_MAX_LENGTH} characters")
    body, sep, given = text.strip().partition("#")
    if not sep:
        raise DescriptorError(
            "the descriptor has no #checksum (bitcoin-cli getdescriptorinfo prints it)"
        )
    try:
        expected = checksum(body)
    except (ValueError, KeyError) as err:
        raise DescriptorError(f"not a descriptor: {err}") from err
    if given != expected:
        raise DescriptorError(
            "the #checksum does not match the descriptor: it was mistyped or altered"
        )
    if body.startswith(("addr(", "raw(")):
        raise DescriptorError("addr() and raw() descriptors: list the address under addresses")
    try:
        parsed = Descriptor.from_string(body)
    except Exception as err:  # embit raises bare Exception, ValueError or KeyError
        raise DescriptorError(f"not a descriptor embit can read: {err}") from err
    want = networks.NETWORKS[chain]["xpub"]
    for key in parsed.keys:
        if key.is_private:
            raise DescriptorError(
                "the descriptor holds a private key; give the public one (xpub/tpub): "
                "reservewatch only watches"
            )
        if isinstance(key.key, HDKey) and key.key.version != want:
            kind = "xpub" if chain == "main" else "tpub"
            raise DescriptorError(f"an extended key is not for the {chain} chain (want {kind})")
    if parsed.is_wildcard and any(not key.is_wildcard for key in parsed.keys if key.is_extended):
        raise DescriptorError("every extended key of a ranged descriptor must end in /*")
    return WatchedDescriptor(f"{body}#{expected}", chain, parsed)

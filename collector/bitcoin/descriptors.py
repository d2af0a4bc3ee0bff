"""Output descriptors (BIP 380–386): parsed, checked and derived with embit.

embit (already the project's Bitcoin library: addresses, scripts) parses the descriptor
language — ``wpkh``, ``sh(wpkh)``, ``wsh(multi|sortedmulti)``, ``tr``, ranged ``xpub/…/*`` and
multipath ``<0;1>`` — and derives addresses. bdkpython (Bitcoin Dev Kit) would do the same
behind a 20 MB native wheel and a wallet model we do not need; embit is pure Python and already
a dependency. embit accepts a wrong ``#checksum`` silently, so the checksum is checked here
(BIP 380: the checksum catches a mistyped descriptor; without one a typo would quietly watch
someone else's addresses). A descriptor with a private key is refused: secrets never live in
the configuration.

embit also reads some descriptors the BIPs call invalid; those are refused here, before any
address is derived from them: a character outside BIP 380's set (a Cyrillic ``х`` typed for
``x``), a key origin or path step that is not ``NUM``, ``NUMh`` or ``NUM'`` (``-0``, ``0H``, a
trailing ``/``; BIP 380), an uncompressed key under ``wpkh``/``wsh`` (BIP 382) or ``tr``
(BIP 386), a P2SH script above 520 bytes (``sh(multi(16,…))``, BIP 383) or a P2WSH one above
3,600 (Bitcoin Core's standardness limit), multipath steps of different lengths (BIP 389).
Whatever embit says is put on one line: the CLI prints it as one.
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
from embit.ec import PublicKey

from collector.bitcoin.address import Chain
from collector.errors import ReservewatchError

__all__ = ["DescriptorError", "WatchedDescriptor", "check_first_address", "parse_descriptor"]

_MAX_LENGTH = 4096
# BIP 380's INPUT_CHARSET: the characters a descriptor may hold (the checksum covers these).
_CHARSET = frozenset(
    "0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyz"
    'ABCDEFGH`#"\\ '
)
_STEP = re.compile(r"[0-9]{1,10}[h']?")  # BIP 380: NUM, NUMh or NUM'
_FINGERPRINT = re.compile(r"[0-9a-fA-F]{8}")
_MAX_P2SH_SCRIPT = 520  # BIP 16: a redeem script is one push, at most 520 bytes
_MAX_P2WSH_SCRIPT = 3600  # Bitcoin Core's MAX_STANDARD_P2WSH_SCRIPT_SIZE


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
    _check_characters(text.strip())
    try:
        expected = checksum(body)
    except Exception as err:  # embit's own DescriptorError, ValueError or KeyError
        raise DescriptorError(f"not a descriptor: {_one_line(err)}") from err
    if given != expected:
        raise DescriptorError(
            "the #checksum does not match the descriptor: it was mistyped or altered"
        )
    if body.startswith(("addr(", "raw(")):
        raise DescriptorError("addr() and raw() descriptors: list the address under addresses")
    _check_paths(body)
    try:
        parsed = Descriptor.from_string(body)
    except Exception as err:  # embit raises bare Exception, ValueError or KeyError
        raise DescriptorError(f"not a descriptor embit can read: {_one_line(err)}") from err
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
    _check_script_rules(parsed)
    return WatchedDescriptor(f"{body}#{expected}", chain, parsed)


def check_first_address(descriptor: WatchedDescriptor, expected: str) -> None:
    """Raise :class:`DescriptorError` unless ``descriptor`` derives ``expected`` first (index 0
    of its receive branch): the address its owner's wallet shows first. Real wallets have
    silently derived other addresses than the one the owner read (BlueWallet#8599,
    bitcoin-safe#79); a descriptor that disagrees watches where nobody pays.

    >>> d = parse_descriptor(
    ...     "wpkh(02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9)#8zl0zxma",
    ...     "main")
    >>> check_first_address(d, "bc1q0ht9tyks4vh7p5p904t340cr9nvahy7u3re7zg")  # agrees: None
    """
    first = descriptor.address(0, 0)
    if first != expected:
        raise DescriptorError(
            f"the descriptor derives {first} first, not {expected}: check the key, its path "
            "and the script type against the wallet that gave the address"
        )


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


def _check_characters(text: str) -> None:
    for position, char in enumerate(text, start=1):
        if char not in _CHARSET:
            raise DescriptorError(
                f"character {char!r} (U+{ord(char):04X}) at position {position} is not in the "
                "descriptor character set (BIP 380): a look-alike letter typed for a Latin one?"
            )


def _check_paths(body: str) -> None:
    """Every key origin's fingerprint is 8 hex digits and every step of an origin or a path
    is ``NUM``, ``NUMh`` or ``NUM'`` below 2^31 (BIP 380), ``*`` or a multipath
    ``<NUM;NUM;…>`` (BIP 389): embit reads ``-0``, ``0H`` and a trailing ``/`` as steps."""
    for origin in re.findall(r"\[([^\]]*)\]", body):
        if not _FINGERPRINT.fullmatch(origin.partition("/")[0]):
            raise DescriptorError(f"key origin [{origin}]: the fingerprint is not 8 hex digits")
    for piece in body.split("/")[1:]:
        step = re.split(r"[/,)\]]", piece, maxsplit=1)[0]
        if step == "*":
            continue
        if step in ("*h", "*'"):
            raise DescriptorError(
                f"a hardened wildcard /{step}: an xpub cannot derive hardened children (BIP 32)"
            )
        if step.startswith("<") and step.endswith(">"):
            steps = step[1:-1].split(";")
            if len(steps) < 2 or not all(_is_step(s) for s in steps):
                raise DescriptorError(f"multipath step {step!r}: want <NUM;NUM;…> (BIP 389)")
        elif not _is_step(step):
            raise DescriptorError(
                f"derivation step {step!r}: want NUM, NUMh or NUM' below 2^31 (BIP 380)"
            )


def _is_step(step: str) -> bool:
    return bool(_STEP.fullmatch(step)) and int(step.rstrip("h'")) < _HARDENED


def _check_script_rules(parsed: Descriptor) -> None:
    """What embit reads but the BIPs refuse: uncompressed keys in segwit and taproot, scripts
    above their size limit, multipath steps of different lengths."""
    if parsed.is_segwit or parsed.is_taproot:
        for key in parsed.keys:
            if isinstance(key.key, PublicKey) and not key.key.compressed:
                raise DescriptorError(
                    "an uncompressed public key under wpkh, wsh or tr: segwit and taproot take "
                    "compressed keys only (BIP 382, BIP 386)"
                )
    lengths = {len(key.branches) for key in parsed.keys if key.branches is not None}
    if len(lengths) > 1:
        raise DescriptorError(
            "multipath steps of different lengths: every <…;…> must list as many (BIP 389)"
        )
    if parsed.miniscript is None:
        return
    first = parsed.derive(0, branch_index=0 if parsed.num_branches > 1 else None)
    if parsed.wsh:
        size, limit, kind = len(first.witness_script().data), _MAX_P2WSH_SCRIPT, "P2WSH"
    elif parsed.sh:
        size, limit, kind = len(first.redeem_script().data), _MAX_P2SH_SCRIPT, "P2SH"
    else:
        return
    if size > limit:
        raise DescriptorError(
            f"the {kind} script is {size} bytes, above the {limit}-byte limit: no coin paid to it "
            "could be spent (BIP 383: at most 15 keys in sh(multi))"
        )

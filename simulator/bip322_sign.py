"""A BIP-322 *simple* signer, for tests and the demo: the regulator's side only verifies
(the ``bip322`` package); this plays the reserve wallet's holder.

It follows BIP-322 (https://github.com/bitcoin/bips/blob/master/bip-0322.mediawiki), with
embit for keys, scripts and sighashes:

* the message hash is the BIP-340 tagged hash ``sha256_tag("BIP0322-signed-message", m)``;
* ``to_spend``: version 0, lock time 0, one input spending ``000…000:0xFFFFFFFF`` with
  sequence 0 and scriptSig ``OP_0 PUSH32[message_hash]``, one output of value 0 paying the
  address's scriptPubKey;
* ``to_sign``: version 0, lock time 0, one input spending ``to_spend:0`` with sequence 0, one
  output of value 0 with scriptPubKey ``OP_RETURN``; it is signed as any spend of that
  output would be (P2WPKH: BIP-143, SIGHASH_ALL; P2TR key path: BIP-341, SIGHASH_DEFAULT);
* the *simple* signature is the base64 of ``to_sign``'s input witness, consensus-encoded,
  prefixed by its variant ``smp`` (BIP-322 2.0.0: signers MUST prefix the variant).

ECDSA nonces are RFC 6979 (deterministic), so the BIP's published P2WPKH vectors come out
byte for byte; Schnorr signatures are checked by verifying them instead.

    python -m simulator.bip322_sign --wif L3VF... --message-file proof.txt
"""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path
from typing import Literal

from embit import ec
from embit.hashes import tagged_hash
from embit.script import Script, Witness, p2pkh, p2tr, p2wpkh
from embit.transaction import SIGHASH, Transaction, TransactionInput, TransactionOutput

TAG = "BIP0322-signed-message"
Kind = Literal["p2wpkh", "p2tr"]
_OP_0_PUSH32 = b"\x00\x20"
_OP_RETURN = b"\x6a"


def message_hash(message: str) -> bytes:
    return bytes(tagged_hash(TAG, message.encode("utf-8")))


def to_spend(script_pubkey: Script, message: str) -> Transaction:
    script_sig = Script(_OP_0_PUSH32 + message_hash(message))
    vin = [TransactionInput(b"\x00" * 32, 0xFFFFFFFF, script_sig=script_sig, sequence=0)]
    return Transaction(version=0, vin=vin, vout=[TransactionOutput(0, script_pubkey)], locktime=0)


def to_sign(spend: Transaction) -> Transaction:
    vin = [TransactionInput(spend.txid(), 0, sequence=0)]
    return Transaction(version=0, vin=vin, vout=[TransactionOutput(0, Script(_OP_RETURN))])


def address_of(key: ec.PrivateKey, kind: Kind = "p2wpkh", network: str = "main") -> str:
    from embit.networks import NETWORKS  # noqa: PLC0415 - only here

    script = p2wpkh(key.get_public_key()) if kind == "p2wpkh" else p2tr(key.get_public_key())
    return str(script.address(NETWORKS[network]))


def sign_simple(key: ec.PrivateKey, message: str, kind: Kind = "p2wpkh") -> str:
    """The BIP-322 simple signature of ``message`` by ``key``'s ``kind`` address: ``smp`` and
    the base64 witness."""
    public = key.get_public_key()
    script_pubkey = p2wpkh(public) if kind == "p2wpkh" else p2tr(public)
    spend = to_spend(script_pubkey, message)
    tx = to_sign(spend)
    if kind == "p2wpkh":
        digest = tx.sighash_segwit(0, p2pkh(public), 0, SIGHASH.ALL)
        der = key.sign(digest).serialize() + bytes([SIGHASH.ALL])
        witness = Witness([der, public.sec()])
    else:
        digest = tx.sighash_taproot(0, [script_pubkey], [0], SIGHASH.DEFAULT)
        witness = Witness([key.taproot_tweak(b"").schnorr_sign(digest).serialize()])
    return "smp" + base64.b64encode(witness.serialize()).decode("ascii")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Sign a message, BIP-322 simple (demo only).")
    parser.add_argument("--wif", required=True, help="the private key, WIF (a demo key only)")
    parser.add_argument("--message-file", type=Path, required=True)
    parser.add_argument("--kind", choices=["p2wpkh", "p2tr"], default="p2wpkh")
    args = parser.parse_args(argv)
    key = ec.PrivateKey.from_wif(args.wif)
    message = args.message_file.read_text(encoding="utf-8")
    print(sign_simple(key, message, args.kind))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The simulator's BIP-322 signer against the BIP's published vectors, and the maintained
verifier (``bip322``) accepts what it signs and refuses what it should."""

from __future__ import annotations

import bip322
import pytest
from embit import ec
from embit.script import p2wpkh

from collector.commands.proofs import verify_signature
from simulator.bip322_sign import address_of, message_hash, sign_simple, to_sign, to_spend

# bip-0322/basic-test-vectors.json (BIP-322 2.0.0): "tx_hashes" and "simple".
WIF = "L3VFeEujGtevx9w18HD1fhRbCH67Az2dpCymeRE1SoPK6XQtaN2k"
ADDRESS = "bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l"
VECTORS = {
    "": {
        "hash": "c90c269c4f8fcbe6880f72a721ddfbf1914268a794cbb21cfafee13770ae19f1",
        "to_spend": "c5680aa69bb8d860bf82d4e9cd3504b55dde018de765a91bb566283c545a99a7",
        "to_sign": "1e9654e951a5ba44c8604c4de6c67fd78a27e81dcadcfe1edf638ba3aaebaed6",
        "signature": "smpAkcwRAIgM2gBAQqvZX15ZiysmKmQpDrG83avLIT492QBzLnQIxYCIBaTpOaD20qRlEyl"
        "yxFSeEA2ba9YOixpX8z46TSDtS40ASECx/EgAxlkQpQ9hYjgGu6EBCPMVPwVIVJqO4XCsMvViHI=",
    },
    "Hello World": {
        "hash": "f0eb03b1a75ac6d9847f55c624a99169b5dccba2a31f5b23bea77ba270de0a7a",
        "to_spend": "b79d196740ad5217771c1098fc4a4b51e0535c32236c71f1ea4d61a2d603352b",
        "to_sign": "88737ae86f2077145f93cc4b153ae9a1cb8d56afa511988c149c5c8c9d93bddf",
        "signature": "smpAkcwRAIgZRfIY3p7/DoVTty6YZbWS71bc5Vct9p9Fia83eRmw2QCICK/ENGfwLtptFluM"
        "Gs2KsqoNSk89pO7F29zJLUx9a/sASECx/EgAxlkQpQ9hYjgGu6EBCPMVPwVIVJqO4XCsMvViHI=",
    },
}
KEY = ec.PrivateKey.from_wif(WIF)


def test_the_key_is_the_vectors_address() -> None:
    assert address_of(KEY) == ADDRESS


@pytest.mark.parametrize("message", list(VECTORS))
def test_the_signer_reproduces_the_bips_vectors(message: str) -> None:
    vector = VECTORS[message]
    assert message_hash(message).hex() == vector["hash"]
    spend = to_spend(p2wpkh(KEY.get_public_key()), message)
    assert spend.txid().hex() == vector["to_spend"]
    assert to_sign(spend).txid().hex() == vector["to_sign"]
    assert sign_simple(KEY, message) == vector["signature"]


@pytest.mark.parametrize("message", list(VECTORS))
def test_the_verifier_accepts_the_published_signatures(message: str) -> None:
    assert verify_signature(ADDRESS, message, VECTORS[message]["signature"])


def test_a_taproot_key_path_signature_verifies_and_binds_its_message() -> None:
    address = address_of(KEY, "p2tr")
    signature = sign_simple(KEY, "reservewatch", "p2tr")
    assert verify_signature(address, "reservewatch", signature)
    assert not verify_signature(address, "reservewatch!", signature)


@pytest.mark.parametrize(
    ("address", "message", "signature"),
    [
        (ADDRESS, "Hello world", VECTORS["Hello World"]["signature"]),  # another message
        ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "", VECTORS[""]["signature"]),
        (ADDRESS, "", "not base64 at all!"),
        (ADDRESS, "", ""),
        ("not-an-address", "", VECTORS[""]["signature"]),
    ],
)
def test_the_verifier_refuses_what_does_not_verify(
    address: str, message: str, signature: str
) -> None:
    assert not verify_signature(address, message, signature)


def test_the_library_raises_its_own_error_on_refusal() -> None:
    with pytest.raises(bip322.VerificationError):
        bip322.verify_simple_encoded(
            ADDRESS, "Hello world", VECTORS["Hello World"]["signature"].removeprefix("smp")
        )

"""Reserve wallets: descriptors checked like Bitcoin Core checks them (checksum, public keys
only, the configured chain), derived to the gap limit and further as addresses are used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from embit.descriptor.checksum import add_checksum

from collector.bitcoin.descriptors import DescriptorError, parse_descriptor
from collector.bitcoin.wallets import Owner, Wallet, WalletBook, WalletOverlapError
from collector.cli import main
from collector.config.load import parse_config
from collector.config.wallets import wallet_book
from collector.errors import ConfigError
from simulator.keys import account_xpub, multisig_descriptor, wpkh_descriptor
from tests.support.configs import operation, raw_config

# BIP 84's test vector: m/84'/0'/0'/0/0 of the "abandon … about" mnemonic.
FIRST = "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
OTHER = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"  # BIP 173's P2WPKH example


def test_a_ranged_descriptor_derives_bip84_addresses() -> None:
    d = parse_descriptor(wpkh_descriptor(0), "main")
    assert d.ranged
    assert d.address(0) == FIRST


def test_a_multipath_descriptor_has_a_receive_and_a_change_branch() -> None:
    d = parse_descriptor(wpkh_descriptor(0, multipath=True), "main")
    assert d.branches == 2
    assert d.address(0, 0) == FIRST
    assert d.address(0, 1) != FIRST


def test_a_multisig_vault_derives_p2wsh_addresses() -> None:
    d = parse_descriptor(multisig_descriptor((1, 2, 3), 2), "main")
    assert d.address(0).startswith("bc1q") and len(d.address(0)) == 62


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"wpkh({account_xpub(0)}/0/*)", "no #checksum"),
        (wpkh_descriptor(0)[:-1] + ("x" if wpkh_descriptor(0)[-1] != "x" else "y"), "mistyped"),
        (add_checksum(f"wpkh({account_xpub(0, 'test')}/0/*)"), "not for the main chain"),
        (
            add_checksum(
                "wpkh(xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPG"
                "JxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi/0/*)"
            ),
            "private key",
        ),
        (add_checksum("addr(bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu)"), "addresses"),
        ("wpkh(" + "a" * 5000 + ")#abcdefgh", "1 to 4096"),
    ],
)
def test_a_bad_descriptor_is_refused_saying_why(text: str, reason: str) -> None:
    with pytest.raises(DescriptorError, match=reason):
        parse_descriptor(text, "main")


def _book(gap: int = 3) -> WalletBook:
    d = parse_descriptor(wpkh_descriptor(0), "main")
    vault = parse_descriptor(multisig_descriptor((1, 2, 3), 2), "main")
    return WalletBook(
        [
            Wallet("reserve", "alpha", (), d),
            Wallet("custody", "vault", (), vault),
            Wallet("intake", "case-1", ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",)),
        ],
        gap,
    )


def test_the_book_watches_the_gap_and_derives_further_as_addresses_are_used() -> None:
    book = _book(gap=3)
    d = parse_descriptor(wpkh_descriptor(0), "main")
    assert book.watched_by_role() == {"reserve": 3, "intake": 1, "custody": 3, "payout": 0}
    owner = book.owner(d.address(2))
    assert owner is not None and (owner.role, owner.holder, owner.index) == ("reserve", "alpha", 2)
    assert d.address(3) not in book
    new = book.mark_used([d.address(2)])
    assert new == [d.address(i) for i in (3, 4, 5)]
    assert book.mark_used([d.address(2)]) == []  # used again: nothing more to derive


def test_learning_from_stored_outputs_follows_gap_after_gap() -> None:
    book = _book(gap=3)
    d = parse_descriptor(wpkh_descriptor(0), "main")
    book.learn([d.address(2), d.address(5), d.address(8), d.address(30)])
    assert d.address(11) in book
    assert d.address(30) not in book  # beyond every gap: the watcher never saw it either


def test_next_unused_address_is_the_first_not_yet_paid() -> None:
    book = _book()
    d = parse_descriptor(wpkh_descriptor(0), "main")
    assert book.next_unused("alpha", []) == FIRST
    assert book.next_unused("alpha", [FIRST, d.address(1)]) == d.address(2)
    assert book.next_unused("case-1", []) == "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
    assert book.next_unused("nobody", []) is None


def test_a_fixed_descriptor_is_watched_at_its_derived_key_on_every_branch() -> None:
    """Issue 27: ``wpkh(xpub/0/0)`` is BIP 84's first address, not the xpub's own key's; a
    fixed ``/<0;1>/0`` is two addresses (BIP 389), both watched, the receive one paid."""
    fixed = parse_descriptor(add_checksum(f"wpkh({account_xpub(0)}/0/0)"), "main")
    assert fixed.address() == FIRST
    both = parse_descriptor(add_checksum(f"wpkh({account_xpub(0)}/<0;1>/0)"), "main")
    change = parse_descriptor(wpkh_descriptor(0, multipath=True), "main").address(0, 1)
    book = WalletBook([Wallet("reserve", "alpha", (), both)], gap_limit=3)
    assert set(book) == {FIRST, change}
    owner = book.owner(change)
    assert owner is not None and (owner.branch, owner.index) == (1, 0)
    assert book.next_unused("alpha", [FIRST]) == FIRST  # a fixed descriptor has one to give
    assert book.mark_used([FIRST]) == []


def test_two_wallets_deriving_one_address_are_refused() -> None:
    d = parse_descriptor(wpkh_descriptor(0), "main")
    with pytest.raises(WalletOverlapError, match="belongs to one wallet"):
        WalletBook([Wallet("reserve", "alpha", (), d), Wallet("custody", "vault", (FIRST,))])


def test_an_address_of_two_wallets_found_past_the_gap_is_listed_not_raised() -> None:
    """Issue 27, item 4: one operation's fixed address is another's descriptor's 6th; the
    configuration derives 3 and passes; once the descriptor's 3rd is paid the book derives to
    the 6th. It raised there, and every accounts pass with it; now it is an overlap."""
    d = parse_descriptor(wpkh_descriptor(0), "main")
    book = WalletBook(
        [Wallet("reserve", "alpha", (), d), Wallet("reserve", "beta", (d.address(5),))],
        gap_limit=3,
    )
    assert book.overlaps == {}
    book.learn([d.address(2)])
    assert book.overlaps == {d.address(5): frozenset({("reserve", "alpha"), ("reserve", "beta")})}


def test_a_payment_where_a_node_watches_is_found_past_the_gap() -> None:
    """bitcoind watches a descriptor to its imported range (1,000): an output at index 500
    is the holder's own address, though no gap walk reaches it; another holder's is not."""
    d = parse_descriptor(wpkh_descriptor(0), "main")
    other = parse_descriptor(wpkh_descriptor(1), "main")
    book = WalletBook(
        [Wallet("reserve", "alpha", (), d), Wallet("reserve", "beta", (), other)], gap_limit=20
    )
    book.learn([d.address(500)])
    assert d.address(500) not in book
    owner = book.derived_by("alpha", d.address(500))
    assert owner is not None and (owner.holder, owner.index) == ("alpha", 500)
    assert d.address(500) in book.addresses_of("alpha")
    assert book.derived_by("beta", other.address(1500)) is None  # past the node's range
    assert book.derived_by("beta", d.address(3)) is None  # alpha's


def _config(reserve: dict[str, Any], **wallets: Any) -> dict[str, Any]:
    """alpha paying to the ``wallets`` given (none unless they say), with ``reserve``."""
    return raw_config(operation("alpha", **{"reserve_addresses": []} | wallets), reserve=reserve)


def test_the_config_takes_descriptors_intake_cases_and_custody_wallets() -> None:
    config = parse_config(
        _config(
            {
                "gap_limit": 30,
                "intake": [
                    {
                        "case": "KZ-2026-0042",
                        "descriptor": wpkh_descriptor(5),
                        "authority": "Financial Monitoring Agency",
                        "order_ref": "Court order 2-1234/2026",
                        "received_from": "exchange account 77",
                    }
                ],
                "custody": [{"name": "cold-vault", "descriptor": multisig_descriptor((1, 2), 2)}],
            },
            reserve_descriptor=wpkh_descriptor(0),
        )
    )
    book = wallet_book(config)
    assert book.watched_by_role() == {"reserve": 30, "intake": 30, "custody": 30, "payout": 0}
    assert config.reserve.intake[0].source == "seized"


def test_config_problems_name_the_field() -> None:
    bad = wpkh_descriptor(0)[:-2] + "zz"
    intake = {"case": "alpha", "addresses": [FIRST], "authority": "A", "order_ref": "1"}
    with pytest.raises(ConfigError) as caught:
        parse_config(_config({"intake": [intake]}, reserve_descriptor=bad))
    text = "\n".join(caught.value.problems)
    assert "operations[0].reserve_descriptor: the #checksum does not match" in text
    assert "reserve.intake[0].case: 'alpha' is already an operation" in text
    with pytest.raises(ConfigError, match=r"reserve.custody\[0\]: give a descriptor or addresses"):
        parse_config(_config({"custody": [{"name": "vault"}]}, reserve_addresses=[FIRST]))


def test_a_look_alike_letter_in_a_descriptor_is_one_line_from_check_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 27: a Cyrillic х typed for the x of xpub gave embit's traceback."""
    typo = wpkh_descriptor(0).replace("xpub", "\u0445pub")
    path = tmp_path / "reservewatch.yaml"
    path.write_text(yaml.safe_dump(_config({}, reserve_descriptor=typo)), encoding="utf-8")
    assert main(["check-config", "--config", str(path), "--skip-secrets"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "operations[0].reserve_descriptor: character 'х' (U+0445) at position 6" in line


def test_an_operation_needs_somewhere_to_pay() -> None:
    with pytest.raises(ConfigError, match="reserve_addresses or a reserve_descriptor"):
        parse_config(_config({}))


def test_a_descriptor_deriving_the_address_its_owner_expects_first_is_taken() -> None:
    """Issue 27, item 3: each wallet may name the address its owner's wallet shows first:
    BIP 84's first for the operation, the receive branch's first of a multipath descriptor
    (in upper case, as a QR code gives it: the same address), a multisig vault's first."""
    seized = wpkh_descriptor(5, multipath=True)
    seized_first = parse_descriptor(seized, "main").address(0, 0)
    intake = {
        "case": "KZ-2026-0042",
        "descriptor": seized,
        "descriptor_expect_first": seized_first.upper(),
        "authority": "A",
        "order_ref": "1",
    }
    vault = multisig_descriptor((1, 2, 3), 2)
    vault_first = parse_descriptor(vault, "main").address(0)
    config = parse_config(
        _config(
            {
                "intake": [intake],
                "custody": [
                    {"name": "vault", "descriptor": vault, "descriptor_expect_first": vault_first}
                ],
            },
            reserve_descriptor=add_checksum(f"wpkh({account_xpub(0)}/0/0)"),
            reserve_descriptor_expect_first=FIRST,
        )
    )
    assert config.reserve.intake[0].descriptor_expect_first == seized_first
    assert wallet_book(config).next_unused("alpha", []) == FIRST


def test_a_descriptor_deriving_another_first_address_is_refused_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The change branch (``/1/*``) copied for the receive one: check-config says so in one
    line naming the file and the field, exit 2; ``run`` refuses the file the same way."""
    change = add_checksum(f"wpkh({account_xpub(0)}/1/*)")
    path = tmp_path / "reservewatch.yaml"
    document = _config({}, reserve_descriptor=change, reserve_descriptor_expect_first=FIRST)
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    derived = parse_descriptor(change, "main").address(0)
    for command in (["check-config", "--skip-secrets"], ["run", "--once"]):
        assert main([*command, "--config", str(path)]) == 2
        [line] = capsys.readouterr().err.splitlines()
        assert line == (
            f"{path}: operations[0].reserve_descriptor: the descriptor derives {derived} first, "
            f"not {FIRST}: check the key, its path and the script type against the wallet that "
            "gave the address"
        )


@pytest.mark.parametrize(
    ("wallet", "problem"),
    [
        ({"descriptor_expect_first": "bc1qnotanaddress"}, "descriptor_expect_first: "),
        ({"descriptor": None, "addresses": [FIRST], "descriptor_expect_first": FIRST}, "needs a"),
    ],
)
def test_an_expected_first_address_must_be_an_address_and_have_a_descriptor(
    wallet: dict[str, Any], problem: str
) -> None:
    vault = {"name": "vault", "descriptor": multisig_descriptor((1, 2), 2), **wallet}
    with pytest.raises(ConfigError, match=rf"reserve.custody\[0\].*{problem}"):
        parse_config(_config({"custody": [vault]}, reserve_addresses=[OTHER]))


def test_a_configuration_built_without_its_checks_is_held_to_the_expected_address() -> None:
    """At run time the wallet book checks again: a configuration not read from the file
    (built by a program, its checks skipped) cannot watch a descriptor its owner disowns."""
    config = parse_config(_config({}, reserve_descriptor=wpkh_descriptor(1)))
    operation = config.operations[0].model_copy(update={"reserve_descriptor_expect_first": FIRST})
    unchecked = config.model_copy(update={"operations": (operation,)})
    with pytest.raises(DescriptorError, match=f"first, not {FIRST}"):
        wallet_book(unchecked)


def test_a_payout_wallet_is_watched_but_never_the_reserves() -> None:
    payout = parse_descriptor(wpkh_descriptor(5), "main")
    config = parse_config(
        _config(
            {"gap_limit": 3},
            reserve_addresses=[OTHER],
            payout_wallets=[{"descriptor": payout.text}, {"addresses": [FIRST]}],
        )
    )
    book = wallet_book(config)
    assert book.watched_by_role() == {"reserve": 1, "intake": 0, "custody": 0, "payout": 4}
    assert book.owner(payout.address(2)) == Owner("payout", "alpha", payout.text, 0, 2)
    assert book.reserve_owner(payout.address(2)) is None and book.reserve_owner(FIRST) is None
    assert book.payout_owner(OTHER) is None
    assert book.addresses_of("alpha") == {OTHER}  # the reserve's addresses of alpha
    assert [w.role for w in book.reserve_wallets] == ["reserve"]
    assert [a for _, a in book.proof_addresses()] == [OTHER]  # no proof asked of a payout
    assert book.next_unused("alpha", []) == OTHER
    assert book.beyond_gap(payout.address(10)) is None  # not the reserve's, past the gap
    assert book.derived_by("alpha", payout.address(10)) is None  # not a reserve descriptor
    assert book.mark_used([payout.address(2)]) == [payout.address(3), payout.address(4),
                                                   payout.address(5)]  # fmt: skip


def test_check_config_refuses_a_payout_address_another_wallet_declares() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(
            _config(
                {},
                reserve_addresses=[OTHER],
                payout_wallets=[{"addresses": [OTHER]}, {"addresses": ["bc1qnotanaddress"]}],
            )
        )
    text = "\n".join(caught.value.problems)
    assert "operations[0].payout_wallets[0].addresses[0]: payout address" in text
    assert "also declared at operations[0].reserve_addresses[0]" in text
    assert "operations[0].payout_wallets[1].addresses[0]:" in text

"""The configuration's checks across fields, on the validated sections and, for a document
that did not validate, on the raw YAML (so one run lists every problem)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Literal

from collector.bitcoin.address import AddressError, Chain, validate_address
from collector.bitcoin.descriptors import DescriptorError, check_first_address, parse_descriptor
from collector.config.sections import ApiToken, OperationConfig, ReserveConfig, WalletConfig

SERVICE_ACCOUNTS: Final = ("reservewatch-collector", "grid-operator")
"""The broker's service accounts in the shipped ACL (``deploy/mosquitto/acl``). A site's
account is named after its site id, and the ACL's patterns give every account the site topics
of its own name: a site named like a service account would share that account's rights."""


def service_account_problem(site_id: str, mqtt_username: str | None) -> str | None:
    """Why ``site_id`` cannot be a site id: it names a broker service account."""
    accounts = {*SERVICE_ACCOUNTS, *([mqtt_username] if mqtt_username else [])}
    if site_id not in accounts:
        return None
    return (
        f"site id {site_id!r} is the name of a broker service account (sites publish under an "
        f"account named after their id; service accounts: {', '.join(sorted(accounts))})"
    )


def _shared_tax_identities(operations: Sequence[OperationConfig]) -> list[str]:
    """A pool report's row finds its operation by IIN/BIN: two operations with one would make
    it guess."""
    first: dict[str, int] = {}
    problems = []
    for index, operation in enumerate(operations):
        if operation.tax_identity is None:
            continue
        held = first.setdefault(operation.tax_identity.iin_bin, index)
        if held != index:
            problems.append(
                f"operations[{index}].tax_identity.iin_bin: also operations[{held}]'s; a pool "
                "report's row finds its operation by IIN/BIN"
            )
    return problems


def cross_field_problems(
    operations: Sequence[OperationConfig],
    reserve: ReserveConfig,
    tokens: Sequence[ApiToken],
    chain: Chain,
    mqtt_username: str | None = None,
) -> list[str]:
    """What no one field can say is wrong: duplicate ids, accounts, addresses and
    descriptors; holders named twice; tokens naming unknown operations; addresses and
    descriptors not of the chain; a site named like a broker service account."""
    problems: list[str] = []
    seen_ops: set[str] = set()
    seen_sites: dict[str, str] = {}
    seen_accounts: set[tuple[str, str]] = set()
    seen_addresses: dict[str, str] = {}  # address -> the field path that declared it first
    for op_index, operation in enumerate(operations):
        if operation.id in seen_ops:
            problems.append(f"operations[{op_index}].id: duplicate operation id {operation.id!r}")
        seen_ops.add(operation.id)
        for site_index, site in enumerate(operation.sites):
            if site.id in seen_sites:
                problems.append(
                    f"operations[{op_index}].sites[{site_index}].id: duplicate site id "
                    f"{site.id!r} (also in operation {seen_sites[site.id]!r})"
                )
            seen_sites[site.id] = operation.id
            if clash := service_account_problem(site.id, mqtt_username):
                problems.append(f"operations[{op_index}].sites[{site_index}].id: {clash}")
        for pool_index, pool in enumerate(operation.pools):
            key = (pool.kind, pool.account)
            if key in seen_accounts:
                problems.append(
                    f"operations[{op_index}].pools[{pool_index}]: pool account "
                    f"{pool.kind}/{pool.account} is declared twice"
                )
            seen_accounts.add(key)
        declared = (
            [
                (f"operations[{op_index}].reserve_addresses[{i}]", a)
                for i, a in enumerate(operation.reserve_addresses)
            ]
            + [
                (f"operations[{op_index}].retired_addresses[{i}].address", r.address)
                for i, r in enumerate(operation.retired_addresses)
            ]
            + [
                (f"operations[{op_index}].payout_wallets[{w}].addresses[{i}]", a)
                for w, wallet in enumerate(operation.payout_wallets)
                for i, a in enumerate(wallet.addresses)
            ]
        )
        for here, address in declared:
            # One address, one operation: a payment to a shared address could belong to
            # either, and no rule may guess which.
            first = seen_addresses.setdefault(address, here)
            if first != here:
                problems.append(
                    f"{here}: {'payout' if '.payout_wallets[' in here else 'reserve'} address "
                    f"{address} is also declared at {first}; "
                    "an address belongs to one operation"
                )
    problems += _shared_tax_identities(operations)
    holders = set(seen_ops)
    named: list[tuple[str, str, list[tuple[str, WalletConfig]]]] = [
        ("intake", "case", [(c.case, c) for c in reserve.intake]),
        ("custody", "name", [(v.name, v) for v in reserve.custody]),
    ]
    for group, field_name, wallets in named:
        for w_index, (name, wallet) in enumerate(wallets):
            if name in holders:
                problems.append(
                    f"reserve.{group}[{w_index}].{field_name}: {name!r} is already an "
                    "operation, case or custody wallet; each holder has one name"
                )
            holders.add(name)
            for a_index, address in enumerate(wallet.addresses):
                here = f"reserve.{group}[{w_index}].addresses[{a_index}]"
                first = seen_addresses.setdefault(address, here)
                if first != here:
                    problems.append(
                        f"{here}: address {address} is also declared at {first}; "
                        "an address belongs to one wallet"
                    )
    seen_descriptors: dict[str, str] = {}
    for loc, text, _ in _declared_descriptors(operations, reserve):
        here = _format_loc(loc)
        first = seen_descriptors.setdefault(text.partition("#")[0].strip(), here)
        if first != here:
            problems.append(
                f"{here}: the same descriptor is also declared at {first}; "
                "a descriptor belongs to one wallet"
            )
    for token_index, token in enumerate(tokens):
        unknown = sorted(set(token.operations) - seen_ops)
        if unknown:
            names = ", ".join(unknown)
            problems.append(f"api.tokens[{token_index}].operations: unknown operation(s) {names}")
    for loc, message in _addresses_valid(operations, reserve, chain):
        problems.append(f"{_format_loc(loc)}: {message}")
    return problems


def _addresses_valid(
    operations: Sequence[OperationConfig], reserve: ReserveConfig, chain: Chain
) -> list[tuple[tuple[str | int, ...], str]]:
    problems: list[tuple[tuple[str | int, ...], str]] = []
    declared: list[tuple[tuple[str | int, ...], str]] = []
    for op_index, operation in enumerate(operations):
        declared += (
            [
                (("operations", op_index, "reserve_addresses", i), address)
                for i, address in enumerate(operation.reserve_addresses)
            ]
            + [
                (("operations", op_index, "retired_addresses", i, "address"), retired.address)
                for i, retired in enumerate(operation.retired_addresses)
            ]
            + [
                (("operations", op_index, "payout_wallets", w, "addresses", i), address)
                for w, wallet in enumerate(operation.payout_wallets)
                for i, address in enumerate(wallet.addresses)
            ]
        )
    declared += [  # where a release order sends a seized case's coins
        (("reserve", "intake", c_index, "states", s_index, "destination"), state.destination)
        for c_index, case in enumerate(reserve.intake)
        for s_index, state in enumerate(case.states)
        if state.destination
    ]
    for loc, address in declared:
        try:
            validate_address(address, chain)
        except AddressError as err:
            problems.append((loc, str(err)))
    for loc, text, expected in _declared_descriptors(operations, reserve):
        expect_first = expected
        if expected is not None:
            try:
                validate_address(expected, chain)
            except AddressError as err:
                problems.append(((*loc[:-1], f"{loc[-1]}_expect_first"), str(err)))
                expect_first = None
        try:
            descriptor = parse_descriptor(text, chain)
            if expect_first is not None:
                check_first_address(descriptor, expect_first)
        except DescriptorError as err:
            problems.append((loc, str(err)))
    for group, wallets in (("intake", reserve.intake), ("custody", reserve.custody)):
        for w_index, wallet in enumerate(wallets):
            for a_index, address in enumerate(wallet.addresses):
                try:
                    validate_address(address, chain)
                except AddressError as err:
                    problems.append((("reserve", group, w_index, "addresses", a_index), str(err)))
    return problems


def _declared_descriptors(
    operations: Sequence[OperationConfig], reserve: ReserveConfig
) -> list[tuple[tuple[str | int, ...], str, str | None]]:
    """Each descriptor's field path, its text and the address its owner expects first."""
    found: list[tuple[tuple[str | int, ...], str, str | None]] = [
        (
            ("operations", i, "reserve_descriptor"),
            op.reserve_descriptor,
            op.reserve_descriptor_expect_first,
        )
        for i, op in enumerate(operations)
        if op.reserve_descriptor is not None
    ]
    found.extend(
        (("operations", i, "payout_wallets", w, "descriptor"), p.descriptor,
         p.descriptor_expect_first)
        for i, op in enumerate(operations)
        for w, p in enumerate(op.payout_wallets)
        if p.descriptor is not None
    )  # fmt: skip
    for group, wallets in (("intake", reserve.intake), ("custody", reserve.custody)):
        found.extend(
            (("reserve", group, i, "descriptor"), w.descriptor, w.descriptor_expect_first)
            for i, w in enumerate(wallets)
            if w.descriptor is not None
        )
    return found


def _format_loc(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


_CHAINS: Final[dict[str, Literal["main", "test", "signet", "regtest"]]] = {
    "main": "main",
    "test": "test",
    "signet": "signet",
    "regtest": "regtest",
}


def _raw_username(data: dict[str, Any]) -> str | None:
    mqtt = data.get("mqtt")
    username = mqtt.get("username") if isinstance(mqtt, dict) else None
    return username if isinstance(username, str) else None


def _raw_cross_field(data: dict[str, Any]) -> list[str]:
    """The cross-field problems of a document that did not validate, read defensively."""
    problems: list[str] = []
    network = data.get("network")
    chain = network.get("chain", "main") if isinstance(network, dict) else "main"
    operations = data.get("operations")
    if not isinstance(operations, list):
        return problems
    seen_ops: set[str] = set()
    seen_sites: dict[str, str] = {}
    for op_index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            continue
        op_id = operation.get("id")
        if isinstance(op_id, str):
            if op_id in seen_ops:
                problems.append(f"operations[{op_index}].id: duplicate operation id {op_id!r}")
            seen_ops.add(op_id)
        sites = operation.get("sites")
        for site_index, site in enumerate(sites if isinstance(sites, list) else []):
            site_id = site.get("id") if isinstance(site, dict) else None
            if isinstance(site_id, str):
                if site_id in seen_sites:
                    problems.append(
                        f"operations[{op_index}].sites[{site_index}].id: duplicate site id "
                        f"{site_id!r} (also in operation {seen_sites[site_id]!r})"
                    )
                seen_sites[site_id] = str(op_id)
                if clash := service_account_problem(site_id, _raw_username(data)):
                    problems.append(f"operations[{op_index}].sites[{site_index}].id: {clash}")
        addresses = operation.get("reserve_addresses")
        for index, address in enumerate(addresses if isinstance(addresses, list) else []):
            if isinstance(address, str) and chain in _CHAINS:
                try:
                    validate_address(address, _CHAINS[chain])
                except AddressError as err:
                    problems.append(f"operations[{op_index}].reserve_addresses[{index}]: {err}")
    return problems

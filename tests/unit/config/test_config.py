"""check-config's rules: every problem named with its file and field path."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from collector.config.base import resolve_secret
from collector.config.checks import SERVICE_ACCOUNTS
from collector.config.load import load_config, parse_config
from collector.errors import ConfigError, SecretError
from tests.support import configs
from tests.support.configs import build_config, raw_config

VALID_ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
OTHER_ADDRESS = "bc1q0xcqpzrky6eff2g52qdye53xkk9jxkvrh6yhyw"


def operation(**overrides: Any) -> dict[str, Any]:
    """The issue's example operation: a Braiins account and one site in Pavlodar."""
    return (
        configs.operation(
            "ekibastuz-1",
            VALID_ADDRESS,
            name="Ekibastuz State Mining 1",
            license="KZ-DM-0001",
            remittance={"rate": "0.10", "period": "monthly", "due_days": 10},
            pools=[configs.pool("ekibastuz1", "braiins", token_env="BRAIINS_TOKEN")],
            sites=[
                configs.site(
                    "ekb-a", region="pavlodar", power_quota_w=60_000_000, efficiency_j_per_th=21.5
                )
            ],
        )
        | overrides
    )


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, "site.yaml")
    return caught.value.problems


def test_the_issue_example_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database": "sqlite+aiosqlite:///reservewatch.db",
                "http": {"listen": "127.0.0.1:9108"},
                "mqtt": {"url": "mqtt://127.0.0.1:1883", "topic_prefix": "reservewatch"},
                "network": {"esplora_url": "http://127.0.0.1:3002/api"},
                "reserve": {"confirmations": 6},
                "operations": [operation()],
            }
        )
    )
    config = load_config(path)
    assert config.operations[0].remittance.schedule[0].rate == Decimal("0.10")
    assert config.database.url == "sqlite+aiosqlite:///reservewatch.db"
    assert config.http.port == 9108


def test_a_rate_outside_the_unit_interval_names_its_path() -> None:
    second = operation(
        id="second", sites=[], remittance={"rate": "1.5"}, reserve_addresses=[OTHER_ADDRESS]
    )
    assert problems(raw_config(operation(), second)) == [
        "site.yaml: operations[1].remittance.rate: must be between 0 and 1"
    ]


def test_duplicate_operation_and_site_ids_are_refused() -> None:
    lines = problems(raw_config(operation(), operation(pools=[])))
    assert "site.yaml: operations[1].id: duplicate operation id 'ekibastuz-1'" in lines
    assert any(
        line.startswith("site.yaml: operations[1].sites[0].id: duplicate site id") for line in lines
    )


@pytest.mark.parametrize("account", ["reservewatch-collector", "grid-operator", "rw-collector-2"])
def test_a_site_named_like_a_broker_service_account_is_refused(account: str) -> None:
    """Sites publish under an account named after their id; the ACL's patterns would give a
    service account that site's topics (deploy/mosquitto/acl), so no site may take its name:
    the shipped accounts' names, and the collector's own ``mqtt.username``."""
    site = {"id": account, "region": "pavlodar", "power_quota_w": 1, "efficiency_j_per_th": 20}
    data = raw_config(
        operation(sites=[operation()["sites"][0], site]), mqtt={"username": "rw-collector-2"}
    )
    [line] = problems(data)
    assert line.startswith(
        f"site.yaml: operations[0].sites[1].id: site id {account!r} is the name of a broker "
        "service account"
    )
    assert "grid-operator, reservewatch-collector, rw-collector-2" in line
    data["operations"][0]["remittance"] = {"rate": "2"}  # the raw checks say it too
    assert any(f"operations[0].sites[1].id: site id {account!r}" in x for x in problems(data))


def test_the_service_accounts_refused_as_site_ids_are_the_shipped_acls() -> None:
    acl = Path(__file__).resolve().parents[3] / "deploy" / "mosquitto" / "acl"
    users = [line.split()[1] for line in acl.read_text().splitlines() if line.startswith("user ")]
    assert sorted(users) == sorted(SERVICE_ACCOUNTS)


def test_a_reserve_address_shared_by_two_operations_names_both_paths() -> None:
    second = operation(
        id="second", sites=[], pools=[], reserve_addresses=[OTHER_ADDRESS, VALID_ADDRESS]
    )
    assert problems(raw_config(operation(), second)) == [
        f"site.yaml: operations[1].reserve_addresses[1]: reserve address {VALID_ADDRESS} is "
        "also declared at operations[0].reserve_addresses[0]; an address belongs to one operation"
    ]


def test_an_invalid_reserve_address_is_refused_with_its_index() -> None:
    bad = VALID_ADDRESS[:-1] + "x"
    [line] = problems(raw_config(operation(reserve_addresses=[VALID_ADDRESS, bad])))
    assert line.startswith("site.yaml: operations[0].reserve_addresses[1]: ")
    assert "not a valid Bitcoin address" in line


def test_an_all_uppercase_bech32_address_is_accepted_and_compared_in_lower_case() -> None:
    # BIP 173: an all-uppercase bech32 address (as QR codes carry it) is the same address; it
    # had been refused as "bad checksum or encoding". Mixed case stays refused.
    from collector.bitcoin.address import AddressError, validate_address

    upper = VALID_ADDRESS.upper()
    assert validate_address(upper) == VALID_ADDRESS
    assert validate_address("TB1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KXPJZSX", "test") == (
        "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"
    )
    with pytest.raises(AddressError, match="mixed case"):
        validate_address(VALID_ADDRESS[:10] + VALID_ADDRESS[10:].upper())
    retired = [{"address": OTHER_ADDRESS.upper(), "until": "2026-01-01"}]
    config = build_config(operation(reserve_addresses=[upper], retired_addresses=retired))
    assert config.operations[0].watched_addresses == (VALID_ADDRESS, OTHER_ADDRESS)
    # The same address in either case is one address: declared twice, it is named twice.
    second = operation(id="second", sites=[], pools=[], reserve_addresses=[VALID_ADDRESS])
    [line] = problems(raw_config(operation(reserve_addresses=[upper]), second))
    assert "reserve address bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq is also declared" in line


def test_a_testnet_address_is_refused_on_mainnet() -> None:
    testnet = "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"
    [line] = problems(raw_config(operation(reserve_addresses=[testnet])))
    assert "not an address on the main chain" in line


def test_an_unknown_pool_kind_lists_the_known_ones() -> None:
    [line] = problems(raw_config(operation(pools=[{"kind": "slushy", "account": "a"}])))
    assert line.startswith("site.yaml: operations[0].pools[0].kind: unknown pool kind 'slushy'")
    assert "braiins" in line


def test_unconfirmed_pool_rules_are_settings_checked_where_they_are_written() -> None:
    pool = {"kind": "ocean", "account": "bc1qocean"}
    lines = problems(
        raw_config(
            operation(
                pools=[
                    {**pool, "day_hashrate_unit": "furlongs"},
                    {**pool, "account": "b", "timestamp_zone": "Mars/Olympus"},
                    {**pool, "account": "c", "hashrate_min_coverage": "1.5"},
                ],
                remittance={"rate": "0.1", "counted_income": []},
            )
        )
    )
    assert any("operations[0].pools[0].day_hashrate_unit: " in line for line in lines)
    assert any("operations[0].pools[1].timestamp_zone: " in line for line in lines)
    assert any("operations[0].pools[2].hashrate_min_coverage: " in line for line in lines)
    assert any("operations[0].remittance.counted_income: " in line for line in lines)
    config = build_config(operation(pools=[{**pool, "day_hashrate_unit": "off"}]))
    [account] = config.operations[0].pools
    assert (account.day_hashrate_unit, account.timestamp_zone) == ("off", "UTC")
    assert config.operations[0].remittance.counted_income == ("mining", "fee_rebate")


def test_several_problems_are_all_reported() -> None:
    lines = problems(
        raw_config(operation(id="Bad ID!", remittance={"rate": "-1"}), http={"listen": "nowhere"})
    )
    assert len(lines) == 3
    assert any(line.startswith("site.yaml: http.listen: must be host:port") for line in lines)


def test_unknown_fields_are_refused() -> None:
    assert problems({"datbase": "x"}) == ["site.yaml: datbase: unknown field"]


def test_rates_must_be_ordered_and_exclusive_with_rate() -> None:
    rates = [{"from": "2026-06-01", "rate": "0.2"}, {"from": "2026-01-01", "rate": "0.1"}]
    lines = problems(raw_config(operation(remittance={"rates": rates})))
    assert lines == [
        "site.yaml: operations[0].remittance: "
        "rates must be in increasing order of from, each date once"
    ]


def test_passwords_never_live_in_urls() -> None:
    [line] = problems({"database": "postgresql+asyncpg://rw:hunter2@db/reservewatch"})
    assert "must not contain a password" in line
    assert "hunter2" not in line


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("operations:\n  - id: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems[0].startswith(f"{path}: not valid YAML at line")


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESERVEWATCH_HTTP__LISTEN", "0.0.0.0:9200")
    config = parse_config({"http": {"listen": "127.0.0.1:9108"}})
    assert config.http.port == 9200


def test_secrets_resolve_from_env_or_file_and_name_only_the_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POOL_TOKEN", "s3cret")
    assert resolve_secret("POOL_TOKEN", None, "pool token").get_secret_value() == "s3cret"  # type: ignore[union-attr]
    secret_file = tmp_path / "token"
    secret_file.write_text("from-file\n")
    assert resolve_secret(None, secret_file, "pool token").get_secret_value() == "from-file"  # type: ignore[union-attr]
    with pytest.raises(SecretError, match="MISSING_TOKEN is not set"):
        resolve_secret("MISSING_TOKEN", None, "pool token")


def test_a_deadline_timezone_must_be_an_iana_zone() -> None:
    almaty = build_config(operation(remittance={"rate": "0.1", "deadline_timezone": "Asia/Almaty"}))
    assert almaty.operations[0].remittance.deadline_timezone == "Asia/Almaty"
    [line] = problems(
        raw_config(operation(remittance={"rate": "0.1", "deadline_timezone": "Almaty"}))
    )
    assert line.startswith("site.yaml: operations[0].remittance.deadline_timezone: ")
    assert "not an IANA time zone" in line


def test_an_id_that_breaks_the_pattern_is_explained_in_words() -> None:
    [line] = problems(raw_config(operation(id="Ekibastuz_1")))
    assert line.startswith("site.yaml: operations[0].id: 'Ekibastuz_1' must be 1 to 63 lower-case")
    assert "pattern" not in line


def test_cross_field_problems_are_listed_beside_field_problems() -> None:
    """A bad checksum and a duplicate site id are reported in the same run as a bad rate."""
    bad_checksum = VALID_ADDRESS[:-1] + ("q" if VALID_ADDRESS[-1] != "q" else "p")
    lines = problems(
        raw_config(
            operation(remittance={"rate": "7"}, reserve_addresses=[bad_checksum]),
            operation(id="other", reserve_addresses=[OTHER_ADDRESS]),
        )
    )
    joined = "\n".join(lines)
    assert "operations[0].remittance.rate" in joined
    assert "operations[0].reserve_addresses[0]" in joined
    assert "operations[1].sites[0].id: duplicate site id 'ekb-a'" in joined


def test_a_language_other_than_kazakh_russian_or_english_names_the_allowed_ones() -> None:
    [problem] = problems(raw_config(operation(language="de")))
    assert problem.startswith("site.yaml: operations[0].language:")
    assert "'kk', 'ru' or 'en'" in problem


def test_a_reminder_needs_a_day_or_more_before_the_deadline() -> None:
    remittance = {"rate": "0.10", "remind_days_before": 0}
    [problem] = problems(raw_config(operation(remittance=remittance)))
    assert problem.startswith("site.yaml: operations[0].remittance.remind_days_before:")


def _case(*states: dict[str, Any]) -> dict[str, Any]:
    case = {
        "case": "KZ-2026-0042",
        "authority": "Anti-Corruption Agency",
        "order_ref": "seizure 1/2026",
        "addresses": [OTHER_ADDRESS],
        "states": list(states),
    }
    return raw_config(operation(), reserve={"time_zone": "Asia/Almaty", "intake": [case]})


def test_a_case_s_states_take_effect_at_the_start_of_their_day_in_the_regulator_s_zone() -> None:
    config = parse_config(
        _case(
            {"state": "order_pending", "from": "2026-03-03"},
            {"state": "forfeited", "from": "2026-03-15", "order": "final order 7/2026"},
        )
    )
    [history] = config.reserve.case_histories()
    assert [(c.state, c.effective_at.isoformat(), c.order) for c in history.changes] == [
        ("order_pending", "2026-03-02T19:00:00+00:00", ""),
        ("forfeited", "2026-03-14T19:00:00+00:00", "final order 7/2026"),
    ]


def test_a_case_s_states_are_refused_out_of_order_or_without_their_order() -> None:
    forfeited = {"state": "forfeited", "from": "2026-03-15", "order": "final order 7/2026"}
    [backwards] = problems(_case(forfeited, {"state": "order_pending", "from": "2026-03-20"}))
    assert backwards.startswith("site.yaml: reserve.intake[0]")
    assert "order_pending cannot follow forfeited" in backwards
    [early] = problems(
        _case({"state": "order_pending", "from": "2026-03-20"}, forfeited),
    )
    assert "forfeited takes effect before order_pending" in early
    [no_order] = problems(_case({"state": "forfeited", "from": "2026-03-15"}))
    assert "reserve.intake[0].states[0]" in no_order and "set order" in no_order
    [no_destination] = problems(_case({"state": "released", "from": "2026-03-15", "order": "r"}))
    assert "destination" in no_destination


def test_the_calendar_lists_holidays_and_weekend_days_made_working_apart() -> None:
    config = parse_config(
        {"calendar": {"holidays": ["2027-01-01"], "working_days": ["2027-01-02"]}}
    )
    calendar = config.calendar.working_calendar()
    assert not calendar.is_working(date(2027, 1, 1))
    assert calendar.is_working(date(2027, 1, 2))  # a Saturday made working
    [weekday] = problems({"calendar": {"working_days": ["2027-01-04"]}})
    assert "working_days lists only weekend days made working" in weekday
    [both] = problems({"calendar": {"holidays": ["2027-01-02"], "working_days": ["2027-01-02"]}})
    assert "a holiday and a working day at once: 2027-01-02" in both


def test_a_release_order_s_destination_must_be_an_address_of_the_chain() -> None:
    release = {"state": "released", "from": "2026-03-20", "order": "release 3/2026",
               "destination": "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"}  # fmt: skip
    [line] = problems(_case(release))
    assert line.startswith("site.yaml: reserve.intake[0].states[0].destination: ")


IDENTITY = {"iin_bin": "123456789012", "licence_date": "2024-03-01"}


def test_two_operations_with_one_iin_bin_are_refused_naming_both() -> None:
    second = operation(
        id="second", sites=[], pools=[], reserve_addresses=[OTHER_ADDRESS], tax_identity=IDENTITY
    )
    assert problems(raw_config(operation(tax_identity=IDENTITY), second)) == [
        "site.yaml: operations[1].tax_identity.iin_bin: also operations[0]'s; a pool report's "
        "row finds its operation by IIN/BIN"
    ]


def test_an_iin_bin_is_twelve_digits() -> None:
    [line] = problems(raw_config(operation(tax_identity={"iin_bin": "12345"})))
    assert line.startswith("site.yaml: operations[0].tax_identity.iin_bin:")


def test_the_tolerance_defaults_to_1000_sat_or_a_tenth_of_a_percent() -> None:
    config = parse_config(raw_config(operation(tax_identity=IDENTITY)), "site.yaml")
    assert config.pool_reports.tolerance.allowed_sat(3_100_005, 3_000_005) == 3_100
    assert problems({"pool_reports": {"tolerance_ppm": -1}})[0].startswith(
        "site.yaml: pool_reports.tolerance_ppm:"
    )

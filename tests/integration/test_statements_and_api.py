"""Statements from the store, their signatures, the CSV import, and the operators' API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text

from collector.accounts.service import AccountsService
from collector.cli import main
from collector.clock import FrozenClock
from collector.config.load import load_config
from collector.errors import AccountsNotReady
from collector.http.api import AccountsApi
from collector.http.server import HttpServer
from collector.metrics import build_registry
from collector.store.database import open_engine
from collector.store.queries import Store
from collector.store.records import ChainTipRecord, ReserveOutputRecord, RollupDelta
from tests.support.configs import editing
from tests.support.poppler import pdf_words
from tests.support.processes import free_port
from tests.support.scenario import (
    AS_OF,
    DEMO_ADDRESS,
    OBSERVED_AT,
    TOKENS,
    database_url,
    populate,
    write_config,
)

NEW_ADDRESS = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"  # another valid mainnet address


@pytest.fixture
def scenario(tmp_path: Path) -> Iterator[Path]:
    config_path = write_config(tmp_path)
    asyncio.run(populate(database_url(config_path)))
    yield config_path


def _statement(config: Path, out: Path, fmt: str = "json", as_of: str | None = None) -> int:
    return main(_argv(config, out, fmt, as_of))


def _argv(config: Path, out: Path, fmt: str = "json", as_of: str | None = None) -> list[str]:
    return (
        [
            "statement",
            "--config",
            str(config),
            "--operation",
            "op-demo",
            "--period",
            "2026-10",
            "--format",
            fmt,
            "--out",
            str(out),
            "--as-of",
            as_of or AS_OF.isoformat(),
        ]
    )  # fmt: skip


def test_the_same_instant_written_with_an_offset_gives_the_same_statement(
    scenario: Path, tmp_path: Path
) -> None:
    # 2026-11-12T00:00Z is 05:00 in Almaty: the same instant, so the same days and bytes.
    assert _statement(scenario, tmp_path / "z.json", as_of="2026-11-12T00:00:00Z") == 0
    assert _statement(scenario, tmp_path / "kz.json", as_of="2026-11-12T05:00:00+05:00") == 0
    assert (tmp_path / "z.json").read_bytes() == (tmp_path / "kz.json").read_bytes()
    statement = json.loads((tmp_path / "kz.json").read_text())["statement"]
    assert statement["as_of"] == "2026-11-12T00:00:00+00:00"


def test_the_worked_example_statement_comes_out_of_the_store(
    scenario: Path, tmp_path: Path
) -> None:
    out = tmp_path / "op-demo-2026-10.json"
    assert _statement(scenario, out) == 0

    statement = json.loads(out.read_text())["statement"]
    summary = statement["summary"]
    assert summary["mined_sat"] == 3_000_005
    assert summary["expected_sat"] == 3_000_000
    assert summary["due_sat"] == 300_001
    assert summary["remitted_sat"] == 200_000
    assert summary["closing_balance_sat"] == 100_001
    assert summary["shortfall_sat"] == 100_001
    assert [t["amount_sat"] for t in statement["transfers"]] == [200_000]


@pytest.mark.parametrize("fmt", ["json", "csv", "pdf"])
def test_every_format_verifies_and_a_changed_byte_does_not(
    scenario: Path, tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"statement.{fmt}"
    assert _statement(scenario, out, fmt) == 0
    public_key = scenario.parent / "statement-key.pub.pem"
    assert main(["statement", "verify", str(out), "--public-key", str(public_key)]) == 0
    assert "verified" in capsys.readouterr().out

    document = bytearray(out.read_bytes())
    index = document.find(b"100001") if fmt != "pdf" else len(document) // 2
    document[index] ^= 0x01
    out.write_bytes(bytes(document))
    assert main(["statement", "verify", str(out), "--config", str(scenario)]) == 1
    assert "NOT VERIFIED" in capsys.readouterr().err


def test_a_pdf_is_in_the_operations_language_unless_lang_says_another(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with editing(scenario) as document:
        document["operations"][0].update(language="ru", name="Қазақ Қуат Майнинг ЖШС")
    assert _statement(scenario, tmp_path / "ru.pdf", "pdf") == 0
    assert main([*_argv(scenario, tmp_path / "kk.pdf", "pdf"), "--lang", "kk"]) == 0
    public_key = str(scenario.parent / "statement-key.pub.pem")
    texts = {}
    for language in ("ru", "kk"):
        path = tmp_path / f"{language}.pdf"
        assert main(["statement", "verify", str(path), "--public-key", public_key]) == 0
        texts[language] = pdf_words(path.read_bytes(), tmp_path)[0]
    assert "Выписка по отчислениям в резерв" in texts["ru"]
    assert "Резервке аударым бойынша үзінді көшірме" in texts["kk"]
    assert all("Қазақ Қуат Майнинг ЖШС" in text for text in texts.values())
    capsys.readouterr()


def test_a_signing_key_others_can_read_is_refused(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (scenario.parent / "statement-key.pem").chmod(0o644)
    assert _statement(scenario, tmp_path / "s.json") == 1
    assert "readable by group or others" in capsys.readouterr().err


def test_a_payment_after_the_deadline_is_shown_late_even_once_paid_in_full(
    scenario: Path, tmp_path: Path
) -> None:
    async def pay_late() -> None:
        config = load_config(scenario)
        observed = datetime(2026, 11, 15, tzinfo=UTC)
        async with Store(open_engine(config.database), FrozenClock(observed)) as store:
            await store.upsert_reserve_outputs(
                [
                    ReserveOutputRecord(
                        "b" * 64,
                        0,
                        "op-demo",
                        DEMO_ADDRESS,
                        100_001,
                        "confirmed",
                        950_600,
                        "44" * 32,
                        datetime(2026, 11, 14, 12, tzinfo=UTC),  # 3.5 days after the deadline
                    )
                ]
            )
            await store.save_chain_tip(ChainTipRecord("main", 951_100, "55" * 32, observed))

    asyncio.run(pay_late())
    out = tmp_path / "late.json"
    assert _statement(scenario, out, as_of="2026-11-20T00:00:00Z") == 0
    statement = json.loads(out.read_text())["statement"]
    assert statement["summary"]["shortfall_sat"] == 0
    assert [t["late_seconds"] for t in statement["transfers"]] == [0, 3 * 86_400 + 12 * 3600]
    assert "paid_late" in statement["flags"]


def test_a_deadline_in_the_regulators_time_zone_is_the_end_of_its_day_there(
    scenario: Path, tmp_path: Path
) -> None:
    almaty = tmp_path / "almaty.yaml"
    with editing(scenario, to=almaty) as document:
        document["operations"][0]["remittance"]["deadline_timezone"] = "Asia/Almaty"
    out = tmp_path / "almaty.json"
    assert _statement(almaty, out) == 0
    statement = json.loads(out.read_text())["statement"]
    # The end of 10 November in Almaty is 19:00 UTC; as of 12 November 00:00 UTC, 29 h late.
    assert statement["period"]["deadline"] == "2026-11-10T19:00:00+00:00"
    assert statement["period"]["deadline_timezone"] == "Asia/Almaty"
    assert statement["summary"]["overdue_seconds"] == 29 * 3600


def test_check_config_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_config(tmp_path)
    assert main(["check-config", "--config", str(good)]) == 0
    assert "valid: 2 operations" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    with editing(good, to=bad) as document:
        document["operations"][1]["remittance"]["rate"] = "1.25"
    assert main(["check-config", "--config", str(bad)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"{bad}: operations[1].remittance.rate: must be between 0 and 1"
    )
    shared = tmp_path / "shared.yaml"
    with editing(good, to=shared) as document:
        document["operations"][1]["reserve_addresses"] = [DEMO_ADDRESS]
    assert main(["check-config", "--config", str(shared)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"{shared}: operations[1].reserve_addresses[0]: reserve address {DEMO_ADDRESS} is also "
        "declared at operations[0].reserve_addresses[0]; an address belongs to one operation"
    )


def test_csv_import_is_idempotent_and_all_or_nothing(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "earnings.csv"
    good.write_text(
        "operation,pool,date,amount_sat\n"
        "op-demo,ocean/pool-b,2026-10-29,5\n"
        "op-demo,ocean/pool-b,2026-10-31,7\n"
    )
    assert main(["import", "earnings", str(good), "--config", str(scenario)]) == 0
    assert main(["import", "earnings", str(good), "--config", str(scenario)]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "operation,pool,date,amount_sat\n"
        "op-demo,ocean/pool-b,2026-10-30,9\n"
        "op-demo,braiins/unknown,2026-10-30,1\n"
        "op-demo,ocean/pool-b,30/10/2026,1\n"
        "op-demo,ocean/pool-b,2026-10-30,1.5\n"
        "nonexistent,ocean/pool-b,2026-10-30,1\n"
        "op-demo,ocean/pool-b,2026-11-31,1\n"
        "op-demo,ocean/pool-b,2099-11-05,1\n"
    )
    assert main(["import", "earnings", str(bad), "--config", str(scenario)]) == 2
    errors = capsys.readouterr().err
    assert f"{bad}:3: pool 'braiins/unknown' is not configured" in errors
    assert f"{bad}:4: date '30/10/2026' is not YYYY-MM-DD" in errors
    assert f"{bad}:5: amount_sat '1.5'" in errors
    assert f"{bad}:6: unknown operation 'nonexistent'" in errors
    assert f"{bad}:7: date '2026-11-31' does not exist" in errors
    assert f"{bad}:8: date 2099-11-05 is after today" in errors
    assert "nothing imported" in errors

    async def stored() -> list[tuple[str, int]]:
        async with Store(open_engine(load_config(scenario).database)) as store:
            rows = await store.earnings("op-demo")
        return [(f"{r.account} {r.day}", r.amount_sat) for r in rows if r.account == "pool-b"]

    assert asyncio.run(stored()) == [
        ("pool-b 2026-10-29", 5),
        ("pool-b 2026-10-30", 400_000),
        ("pool-b 2026-10-31", 7),
    ]


@pytest.fixture
async def api(scenario: Path) -> Iterator[str]:  # type: ignore[misc]
    config = load_config(scenario)
    port = free_port()
    config = config.model_copy(
        update={"http": config.http.model_copy(update={"listen": f"127.0.0.1:{port}"})}
    )
    async with Store(open_engine(config.database)) as store:
        clock = FrozenClock(AS_OF)
        accounts = AccountsService(config, store, clock)
        await accounts.recompute()
        registry, _ = build_registry([accounts])
        api = AccountsApi(config, store, accounts)
        server = HttpServer(config.http, config.api.tokens, registry, clock, reports=api)
        await server.start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            await server.stop()


def _bearer(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[name]}"}


async def test_an_operator_reads_its_own_balance_and_statement(api: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(
            f"{api}/api/v1/operations/op-demo/balance", headers=_bearer("op-demo")
        ) as r:
            assert r.status == 200
            balance = await r.json()
            assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert balance["shortfall_sat"] == 100_001
        assert balance["overdue_seconds"] == 86_400
        url = f"{api}/api/v1/operations/op-demo/statements/2026-10.pdf"
        async with session.get(url, headers=_bearer("op-demo")) as r:
            assert r.status == 200
            assert r.content_type == "application/pdf"
            assert (await r.read()).startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 401),
        ({"Authorization": f"Basic {TOKENS['op-demo']}"}, 401),
        (_bearer("op-other"), 403),
        (_bearer("regulator"), 200),
    ],
)
async def test_an_operator_cannot_read_another_operations_statements(
    api: str, headers: dict[str, str], status: int
) -> None:
    async with aiohttp.ClientSession() as session:
        for path in ("balance", "statements/2026-10.json"):
            async with session.get(f"{api}/api/v1/operations/op-demo/{path}", headers=headers) as r:
                assert r.status == status
                if status != 200:
                    assert "Traceback" not in await r.text()


async def test_repeated_failed_authentication_is_slowed_down(api: str) -> None:
    async with aiohttp.ClientSession() as session:
        statuses = []
        for _ in range(12):
            async with session.get(
                f"{api}/api/v1/operations/op-demo/balance",
                headers={"Authorization": "Bearer guess"},
            ) as r:
                statuses.append(r.status)
        assert statuses[:10] == [401] * 10
        assert statuses[10:] == [429, 429]


async def test_a_period_that_names_no_period_is_400_and_says_why(api: str) -> None:
    async with aiohttp.ClientSession() as session:
        for period, why in (
            ("2026-13", "month must be in 1..12"),
            ("9999-99", "month must be in 1..12"),
            ("2026-W99", "week"),
            ("2026-02-30", "day"),
            ("26-1", "expected YYYY-MM"),
        ):
            async with session.get(
                f"{api}/api/v1/operations/op-demo/statements/{period}.json",
                headers=_bearer("regulator"),
            ) as r:
                assert r.status == 400, period
                assert why in (await r.json())["error"], period


async def test_the_bearer_scheme_is_case_insensitive(api: str) -> None:
    token = TOKENS["regulator"]
    async with aiohttp.ClientSession() as session:
        for scheme in ("bearer", "BEARER", "Bearer"):
            async with session.get(
                f"{api}/api/v1/operations/op-demo/balance",
                headers={"Authorization": f"{scheme} {token}"},
            ) as r:
                assert r.status == 200, scheme


async def test_a_valid_token_is_not_locked_out_by_guesses_from_its_address(api: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(12):
            async with session.get(
                f"{api}/api/v1/operations/op-demo/balance",
                headers={"Authorization": "Bearer guess"},
            ) as r:
                pass
        assert r.status == 429  # guesses are still slowed down
        async with session.get(
            f"{api}/api/v1/operations/op-demo/balance", headers=_bearer("regulator")
        ) as r:
            assert r.status == 200


async def test_metrics_honour_name_filters(api: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(
            f"{api}/metrics", params={"name[]": "reservewatch_operation_remitted_btc_total"}
        ) as r:
            text = await r.text()
        assert r.status == 200
        names = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1] != "#"}
        assert names == {"reservewatch_operation_remitted_btc_total"}


async def test_unknown_operations_periods_and_formats_are_404(api: str) -> None:
    async with aiohttp.ClientSession() as session:
        for path in (
            "op-demo/statements/2026-10.xml",
            "op-demo/statements/1999-01.json",
        ):
            async with session.get(
                f"{api}/api/v1/operations/{path}", headers=_bearer("regulator")
            ) as r:
                assert r.status == 404, path
        async with session.get(
            f"{api}/api/v1/operations/nope/balance", headers=_bearer("regulator")
        ) as r:
            assert r.status == 404


async def test_remittance_metrics_are_exposed_from_the_store(api: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{api}/metrics") as r:
        text = await r.text()
    assert 'reservewatch_operation_remittance_shortfall_btc{operation="op-demo"} 0.00100001' in text
    assert 'reservewatch_operation_remittance_due_btc_total{operation="op-demo"} 0.00300001' in text
    info = 'license="DM-2026-001",name="Demo Mining LLP",operation="op-demo"'
    assert f"reservewatch_operation_info{{{info}}} 1.0" in text


async def test_before_the_first_pass_the_api_says_not_ready_and_never_recomputes(
    scenario: Path,
) -> None:
    config = load_config(scenario)
    async with Store(open_engine(config.database)) as store:
        accounts = AccountsService(config, store, FrozenClock(AS_OF))
        api = AccountsApi(config, store, accounts)
        with pytest.raises(AccountsNotReady):
            await api.balance("op-demo")
        with pytest.raises(AccountsNotReady):
            await api.statement("op-demo", "2026-10", "json")
        assert accounts.accounts == {}  # asked twice, computed nothing


def test_the_apis_statement_is_the_clis_as_of_the_same_instant_and_goes_on_record(
    scenario: Path, tmp_path: Path
) -> None:
    """The API answers from the accounts' snapshot (no read of its own); `statement --as-of`
    reads the store. Both must give the same bytes, the period's energy included, counted
    over the minutes before the instant only."""
    config = load_config(scenario)

    def metered(minute: datetime, energy_wh: int) -> RollupDelta:
        return RollupDelta("demo-a", "op-demo", minute, 1, 4e5, 4e5, energy_wh, 2e16, 1, 1)

    async def served_by_the_api() -> tuple[dict[str, bytes], list[tuple[str, str]]]:
        observed = FrozenClock(AS_OF - timedelta(minutes=1))  # each flush before the instant
        async with Store(open_engine(config.database), observed) as store:
            await store.flush_telemetry(
                [
                    metered(datetime(2026, 10, 30, 12, tzinfo=UTC), 9_600_000),
                    metered(datetime(2026, 11, 11, 23, 59, tzinfo=UTC), 1_500),
                    metered(AS_OF, 7_000),  # the instant's own minute: after it
                ],
                [],
            )
            store.clock = FrozenClock(AS_OF)
            accounts = AccountsService(config, store, FrozenClock(AS_OF))
            await accounts.recompute()
            api = AccountsApi(config, store, accounts)
            served = {p: await api.statement("op-demo", p, "json") for p in ("2026-10", "2026-11")}
            await api.close()  # the HTTP server's stop: what was served is on record
            async with store.engine.connect() as connection:
                rows = (
                    await connection.execute(
                        text("SELECT period, sha256 FROM issued_statements ORDER BY period")
                    )
                ).all()
        return served, [(str(r[0]), str(r[1])) for r in rows]

    served, recorded = asyncio.run(served_by_the_api())
    for period, document in served.items():
        out = tmp_path / f"{period}.json"
        argv = _argv(scenario, out)
        argv[argv.index("2026-10")] = period
        assert main(argv) == 0
        assert out.read_bytes() == document
    statements = {p: json.loads(d)["statement"] for p, d in served.items()}
    assert statements["2026-10"]["energy"]["energy_kwh"] == "9600"
    assert statements["2026-11"]["energy"]["energy_kwh"] == "1.5"
    assert recorded == [(p, json.loads(d)["sha256"]) for p, d in sorted(served.items())]


def test_telemetry_that_arrives_after_the_instant_does_not_change_a_statement_as_of_it(
    scenario: Path, tmp_path: Path
) -> None:
    """Issue 26, item 9: 400 kWh of 30 October, sent late (a gateway's buffer), arrives on
    15 November. October as of 12 November stated 9,600 kWh, and still does; as of
    15 November it states 10,000."""
    config = load_config(scenario)

    def metered(minute: datetime, energy_wh: int) -> RollupDelta:
        return RollupDelta("demo-a", "op-demo", minute, 1, 4e5, 4e5, energy_wh, 2e16, 1, 1)

    async def flush(observed: datetime, delta: RollupDelta) -> None:
        async with Store(open_engine(config.database), FrozenClock(observed)) as store:
            await store.flush_telemetry([delta], [])

    asyncio.run(flush(datetime(2026, 10, 30, 12, 1, tzinfo=UTC), metered(
        datetime(2026, 10, 30, 12, tzinfo=UTC), 9_600_000)))  # fmt: skip
    before = tmp_path / "before.json"
    assert _statement(scenario, before) == 0
    asyncio.run(flush(datetime(2026, 11, 15, 8, 0, 30, tzinfo=UTC), metered(
        datetime(2026, 10, 30, 12, tzinfo=UTC), 400_000)))  # fmt: skip
    again = tmp_path / "again.json"
    assert _statement(scenario, again) == 0
    assert json.loads(again.read_text())["statement"]["energy"]["energy_kwh"] == "9600"
    assert again.read_bytes() == before.read_bytes()
    later = tmp_path / "later.json"
    assert _statement(scenario, later, as_of="2026-11-15T08:01:00Z") == 0
    assert json.loads(later.read_text())["statement"]["energy"]["energy_kwh"] == "10000"
    # Observed at 08:00:30, it counts from the next whole minute, 08:01.
    edge = tmp_path / "edge.json"
    assert _statement(scenario, edge, as_of="2026-11-15T08:00:59Z") == 0
    assert json.loads(edge.read_text())["statement"]["energy"]["energy_kwh"] == "9600"


def test_check_config_refuses_a_file_that_rewrites_an_issued_closed_period(
    scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 26, item 13: October issued as of 12 November (200,000 remitted to the demo
    address); a file that drops the address instead of moving it to `retired_addresses` would
    make it 0. check-config names the field (exit 2); the collector's start-up check gives
    one line and the metric per period."""
    from collector.accounts.rewrites import RewriteMetrics, issued_rewrites
    from collector.accounts.terms import terms_documents
    from collector.metrics.accounts import rewrite_families

    config = load_config(scenario)

    async def record_terms() -> None:
        async with Store(open_engine(config.database), FrozenClock(OBSERVED_AT)) as store:
            await store.record_terms(terms_documents(config))

    asyncio.run(record_terms())
    assert _statement(scenario, tmp_path / "october.json") == 0
    assert main(["check-config", "--config", str(scenario)]) == 0
    capsys.readouterr()
    moved = tmp_path / "moved.yaml"
    with editing(scenario, to=moved) as document:
        document["operations"][0]["reserve_addresses"] = [NEW_ADDRESS]
    assert main(["check-config", "--config", str(moved)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"{moved}: operations[0].reserve_addresses[0]: configuration rewrites issued closed "
        "period: operation=op-demo period=2026-10 (issued as of 2026-11-12T00:00:00+00:00) "
        "remitted 200,000 -> 0; fields: reserve_addresses[0]"
    )
    # The right way: the old address moved to retired_addresses keeps its payments counting.
    retired = tmp_path / "retired.yaml"
    with editing(moved, to=retired) as document:
        retiring = [{"address": DEMO_ADDRESS, "until": "2026-12-01"}]
        document["operations"][0]["retired_addresses"] = retiring
    assert "retired_addresses" in retired.read_text()
    assert main(["check-config", "--config", str(retired)]) == 0

    async def at_start() -> tuple[list[str], float | None]:
        edited = load_config(moved)
        async with Store(open_engine(edited.database)) as store:
            found = await issued_rewrites(store, edited, AS_OF)
        metrics = RewriteMetrics(edited)
        metrics.rewrites = found
        [gauge] = rewrite_families(metrics)
        value = next(s.value for s in gauge.samples if s.labels["operation"] == "op-demo")
        return [r.line() for r in found], value

    lines, value = asyncio.run(at_start())
    assert len(lines) == 1
    assert value == 1

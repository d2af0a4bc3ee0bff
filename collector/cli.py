"""The ``reservewatch`` command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Final, NoReturn

from collector import __version__
from collector import commands as one_shot
from collector.commands.journal_args import add_journal_parser, run_journal
from collector.config.load import load_config, reference_problems
from collector.config.model import Config
from collector.errors import ConfigError, ListenError, ReservewatchError
from collector.logs import setup_logging

DESCRIPTION = """\
reservewatch watches state-linked Bitcoin mining operations for a regulator: what each site
draws from the grid and hashes (MQTT telemetry), what each pool credits (pool APIs), what the
network pays (Esplora or bitcoind), what each operation owes the state reserve, and what it
really paid on-chain. It serves Prometheus metrics and signed remittance statements.

Start here:
  reservewatch demo                              everything on one machine, simulated, no set-up
  reservewatch check-config --config FILE        validate a configuration file
  reservewatch run --config FILE                 the collector, until Ctrl-C or SIGTERM
"""

EPILOG = """\
exit status: 0 success, 1 runtime failure, 2 invalid configuration or arguments.
Environment: RESERVEWATCH_<FIELD>[__<SUBFIELD>] overrides any configuration field,
e.g. RESERVEWATCH_HTTP__LISTEN=0.0.0.0:9108. Secrets come only from *_env / *_file references.
"""


RATES_HELP = """\
Append the National Bank of Kazakhstan's official rates (KZT per unit of a currency) to the
store; the reserve's tenge value is its dollar value times the USD rate in force. The CSV has
the header date,currency,rate,quant, one row per day and currency, as the NBK publishes them
(https://nationalbank.kz/rss/get_rates.cfm?fdate=DD.MM.YYYY: <title>USD</title>,
<description>rate</description>, <quant>1</quant>):

  date,currency,rate,quant
  01.12.2026,USD,470.81,1
  2026-12-02,USD,471.05,1

date is DD.MM.YYYY (as the NBK writes it) or YYYY-MM-DD; a rate is in force from 00:00 of its
day in the regulator's time zone. rate is KZT per `quant` units. Every row is checked first:
an invalid file imports nothing and lists its bad rows. Append-only: a day already stored
with the same rate is skipped; with another rate it is refused.
"""


def _config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, required=True, metavar="FILE", help="the YAML configuration file"
    )


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from err


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time") from err
    # One instant, one reading: an offset (+05:00) is normalised to UTC here, so the same
    # instant written two ways names the same mining days.
    try:
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except OverflowError as err:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise argparse.ArgumentTypeError(f"{text!r} is outside the years 1-9999 in UTC") from err


class _Parser(argparse.ArgumentParser):
    """Its errors are one line on stderr (exit 2), as every error of the command is."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="reservewatch",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"reservewatch {__version__}")
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="log verbosity (logfmt lines on stderr; default info)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="run the whole system on this machine with simulated sites, pools and chain",
        description="Starts an MQTT broker (mosquitto if on PATH, else the embedded amqtt), "
        "simulated sites publishing telemetry, fake pool and Esplora servers speaking the "
        "real formats, SQLite in a temporary folder, and the collector on --listen. Prints "
        "a live summary until Ctrl-C.",
    )
    demo.add_argument("--listen", default="127.0.0.1:9108", help="collector HTTP address")
    demo.add_argument(
        "--duration", type=float, default=None, metavar="SECONDS", help="stop after this long"
    )
    demo.add_argument("--workdir", type=Path, default=None, help="keep the demo's files here")
    demo.add_argument(
        "--broker",
        choices=["auto", "mosquitto", "amqtt"],
        default="auto",
        help="MQTT broker: mosquitto if installed (auto, the default), or the embedded amqtt",
    )
    demo.add_argument(
        "--at",
        type=_instant,
        default=None,
        metavar="TIME",
        help="run the simulated world as of this instant (ISO 8601 with a zone, e.g. "
        "2027-01-01T00:00:00Z) instead of now; its clock then runs at real pace",
    )

    run = commands.add_parser(
        "run",
        help="run the collector (until SIGINT/SIGTERM, or one pass with --once)",
        description="Applies database migrations, then ingests telemetry, polls every source "
        "on its schedule, recomputes remittances and serves /metrics, /healthz, /readyz and "
        "the API. SIGINT or SIGTERM flush the store, disconnect and exit 0.",
    )
    _config_argument(run)
    run.add_argument(
        "--once", action="store_true", help="one pass over every source, then exit (for cron)"
    )
    run.add_argument(
        "--since",
        type=_day,
        metavar="YYYY-MM-DD",
        help="with --once: fill every source from this day (network, pools, reserve), "
        "showing progress on stderr; started again, it fetches only what is not stored; exit "
        "1 with one line saying what is missing if it could not fill everything",
    )

    check = commands.add_parser(
        "check-config",
        help="validate a configuration file without touching the network",
        description="Exit 0 when valid; otherwise exit 2 and print one line per problem, "
        "naming the file and the field path. Every secret the file references must be "
        "there: each *_env variable set, each *_file readable, the signing key mode 600 "
        "(--skip-secrets to check a config away from its secrets).",
    )
    _config_argument(check)
    check.add_argument(
        "--skip-secrets",
        action="store_true",
        help="do not check that every *_env variable is set and every *_file readable "
        "(to check a config away from its secrets)",
    )

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_commands.add_parser("upgrade", help="apply database migrations")
    _config_argument(upgrade)

    statement = commands.add_parser(
        "statement",
        help="an operation's signed remittance statement for a period; "
        "`statement verify FILE` checks one",
        description="Builds the statement of --operation for --period (2026-10, 2026-W43 or "
        "2026-10-05) from the store as of --as-of (default now), signs it with "
        "statement.signing_key_file and writes it to --out (default stdout). "
        "To check a statement: reservewatch statement verify FILE --public-key PEM.",
    )
    _config_argument(statement)
    statement.add_argument(
        "--operation", required=True, metavar="ID", help="the operation's id in the config"
    )
    statement.add_argument(
        "--period", required=True, metavar="PERIOD",
        help="the period: 2026-10 (month), 2026-W43 (ISO week) or 2026-10-05 (day), UTC",
    )  # fmt: skip
    statement.add_argument("--format", choices=["json", "csv", "pdf"], default="json")
    statement.add_argument(
        "--out", type=Path, default=None, metavar="PATH", help="write here (default: stdout)"
    )
    statement.add_argument(
        "--as-of",
        type=_instant,
        default=None,
        metavar="TIME",
        help="the instant the statement is as of (ISO 8601, UTC unless an offset is given; "
        "default now): what the store knew then. A future instant is refused unless "
        "--projection is given",
    )
    _lang_argument(statement, "the PDF's", None, "; JSON and CSV stay English")
    statement.add_argument(
        "--projection",
        action="store_true",
        help="allow a future --as-of: an unsigned projection, marked so on every page "
        "(never a statement)",
    )

    importer = commands.add_parser("import", help="import data exported elsewhere")
    import_commands = importer.add_subparsers(dest="import_command", required=True, metavar="KIND")
    raw = argparse.RawDescriptionHelpFormatter
    for name, words, description in (
        ("earnings", "backfill daily pool earnings from a CSV (operation,pool,date,amount_sat)",
         "Idempotent: importing the same file twice changes nothing. `pool` is kind/account\n"
         "as configured (e.g. braiins/ekibastuz1). Every row is checked first; an invalid\n"
         "file imports nothing and lists its bad rows."),
        ("rates", "official exchange rates of the National Bank of Kazakhstan (tenge per unit)",
         RATES_HELP),
        ("official-prices", "the State Revenue Committee's daily prices (Tax Code art. 325)",
         "CSV date,asset,price_kzt (31.12.2026,BTC,48123456.78), on working days of calendar:\n"
         "all or nothing, append-only (another price for a stored day is refused)."),
    ):  # fmt: skip
        table = import_commands.add_parser(name, help=words, description=description,
                                           formatter_class=raw)  # fmt: skip
        table.add_argument("file", type=Path, metavar="FILE.csv")
        _config_argument(table)
    for law_input in one_shot.add_law_inputs(import_commands):  # the fee's, the pools' reports
        _config_argument(law_input)

    proof = commands.add_parser(
        "proof", help="BIP-322 proofs of control of reserve addresses: add, list, message"
    )
    proof_commands = proof.add_subparsers(dest="proof_command", required=True, metavar="ACTION")
    proof_add = proof_commands.add_parser(
        "add",
        help="register a signed proof (stored whatever its verdict)",
        description="Verifies a BIP-322 simple signature (base64, in --signature-file) of the "
        "message by --address, checks that the message names the address and a block of the "
        "best chain at most reserve.proof_max_age_blocks below the tip, and stores it. Exit "
        "0 when it proves control, 1 when stored but invalid or stale, 2 on bad input.",
    )
    _config_argument(proof_add)
    proof_add.add_argument("--address", required=True, metavar="ADDRESS")
    proof_add.add_argument("--signature-file", type=Path, required=True, metavar="FILE")
    signed = proof_add.add_mutually_exclusive_group(required=True)
    signed.add_argument("--message-file", type=Path, metavar="FILE", help="the signed message")
    signed.add_argument("--message", metavar="TEXT", help="the signed message itself")
    proof_list = proof_commands.add_parser(
        "list", help="one line per address: proven, unproven, invalid or stale, and when"
    )
    _config_argument(proof_list)
    proof_message = proof_commands.add_parser(
        "message", help="print the message to sign for an address (names the tip's hash)"
    )
    _config_argument(proof_message)
    proof_message.add_argument("--address", required=True, metavar="ADDRESS")

    report = commands.add_parser("report", help="render reports from the store")
    report_commands = report.add_subparsers(dest="report_command", required=True, metavar="KIND")
    grid = report_commands.add_parser(
        "grid",
        help="load vs quota per region and national hash-rate share (PNG or PDF)",
    )
    _config_argument(grid)
    grid.add_argument("--period", required=True, metavar="PERIOD", help="e.g. 2026-11")
    grid.add_argument("--out", type=Path, required=True, metavar="FILE.png|FILE.pdf")
    _lang_argument(grid, "the picture's", "en")
    reserve = report_commands.add_parser(
        "reserve",
        help="the reserve's signed report for the central bank (PDF, CSV or JSON)",
        description="Holdings at the start and end of --period by source, inflows, each "
        "operation's remittances against what it owed, seized inflows by case, movements to "
        "custody, unapproved outflows, valuation and the national hash-rate share; signed "
        "with statement.signing_key_file (check it with: reservewatch statement verify FILE).",
    )
    _config_argument(reserve)
    reserve.add_argument(
        "--period", required=True, metavar="PERIOD", help="2026 (year), 2026-Q4, 2026-11, UTC"
    )
    reserve.add_argument("--out", type=Path, required=True, metavar="FILE.pdf|.csv|.json")
    _lang_argument(reserve, "the PDF's", "en", "; JSON and CSV stay English")
    reserve.add_argument(
        "--as-of", type=_instant, default=None, metavar="TIME",
        help="what the store knew at this instant (ISO 8601; default now; never the future)",
    )  # fmt: skip
    transparency = report_commands.add_parser(
        "transparency",
        help="the public page: holdings by source, watched addresses and their proofs (HTML "
        "and JSON; nothing that is not public)",
    )
    _config_argument(transparency)
    transparency.add_argument("--out", type=Path, required=True, metavar="DIR")
    transparency.add_argument("--as-of", type=_instant, default=None, metavar="TIME")

    keygen = commands.add_parser(
        "keygen", help="create an Ed25519 statement signing key (private file, mode 0600)"
    )
    keygen.add_argument("--out", type=Path, required=True, metavar="KEY.pem")
    add_journal_parser(commands, _config_argument, _instant)
    one_shot.add_pool_reports_parser(commands, _config_argument, _instant)
    return parser


def build_verify_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="reservewatch statement verify",
        description="Check a statement's SHA-256 and Ed25519 signature (JSON, CSV or PDF).",
    )
    parser.add_argument("file", type=Path, metavar="FILE")
    key = parser.add_mutually_exclusive_group(required=True)
    key.add_argument("--public-key", type=Path, metavar="PEM", help="the regulator's public key")
    key.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="use the public half of statement.signing_key_file",
    )
    return parser


def _load(path: Path) -> Config:
    return load_config(path)


def _signing_key_problem(config: Config, source: str) -> str | None:
    """The configured statement signing key loaded as ``statement`` would load it: a file
    that is no Ed25519 private key is one line naming it."""
    from collector.config.keys import load_signing_key  # noqa: PLC0415 - keeps --help fast

    path = config.statement.signing_key_file
    if path is None:
        return None
    try:
        load_signing_key(path)
    except ReservewatchError as err:
        return f"{source}: statement.signing_key_file: {' '.join(str(err).split())}"
    return None


def _check_config(args: argparse.Namespace) -> int:
    config = _load(args.config)
    problems = [] if args.skip_secrets else reference_problems(config, str(args.config))
    if not args.skip_secrets and not any("signing_key_file" in line for line in problems):
        key_problem = _signing_key_problem(config, str(args.config))
        if key_problem:
            problems.append(key_problem)
    if not config.operations:
        problems.append(f"{args.config}: operations: none configured (nothing to watch)")
    if not problems and _store_exists(config):
        problems.extend(asyncio.run(_rewrite_problems(config, str(args.config))))
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        return 2
    sites = sum(len(op.sites) for op in config.operations)
    pools = sum(len(op.pools) for op in config.operations)
    operations = len(config.operations)
    print(f"{args.config}: valid: {operations} operations, {sites} sites, {pools} pool accounts")
    for line in term_changes(config):
        print(f"  {line}")
    return 0


def _store_exists(config: Config) -> bool:
    """False for a SQLite file not created yet (nothing issued; never create it here)."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415 - keeps --help fast

    url = make_url(config.database.url)
    return url.get_backend_name() != "sqlite" or Path(url.database or "").is_file()


async def _rewrite_problems(config: Config, source: str) -> list[str]:
    """One line per issued closed period the file's terms would change, naming the fields;
    nothing when the store is not reachable (said on stderr) or holds nothing yet."""
    from collector.accounts.rewrites import issued_rewrites  # noqa: PLC0415
    from collector.clock import SystemClock  # noqa: PLC0415
    from collector.store.database import current_revision, open_engine  # noqa: PLC0415
    from collector.store.queries import Store  # noqa: PLC0415

    engine = open_engine(config.database)
    try:
        if await current_revision(engine) is None:
            return []
        found = await issued_rewrites(Store(engine), config, SystemClock().now())
    except Exception as err:
        print(
            f"{source}: database: not reachable ({type(err).__name__}); "
            "not checked against the statements issued",
            file=sys.stderr,
        )
        return []
    finally:
        await engine.dispose()
    index = {operation.id: number for number, operation in enumerate(config.operations)}
    return [
        f"{source}: operations[{index[rewrite.operation_id]}].{field}: {rewrite.line()}"
        if not field.startswith("settings ")
        else f"{source}: {field.removeprefix('settings ')}: {rewrite.line()}"
        for rewrite in found
        for field in rewrite.fields or ("settings ",)
    ]


def term_changes(config: Config) -> list[str]:
    """What changes for which period: every effective-dated entry of the configuration."""
    lines: list[str] = []
    for operation in config.operations:
        remittance = operation.remittance
        kind = remittance.period
        for change in remittance.rates[1:]:
            lines.append(
                f"{operation.id}: rate {change.rate} from {change.effective_from} (its days on; "
                f"a {kind} period holding it is due at each day's rate)"
            )
        for terms in remittance.changes:
            what = ", ".join(
                f"{name} {value}"
                for name, value in (("basis", terms.basis), ("due_days", terms.due_days))
                if value is not None
            )
            starting = f"starting {terms.effective_from} or later"
            lines.append(f"{operation.id}: {what} for {kind} periods {starting}")
        for pool in operation.pools:
            if pool.effective_from is not None or pool.until is not None:
                since = pool.effective_from or "the start"
                until = f" until {pool.until} (exclusive)" if pool.until else ""
                lines.append(f"{operation.id}: pool {pool.target} counts from {since}{until}")
        for retired in operation.retired_addresses:
            lines.append(
                f"{operation.id}: reserve address {retired.address} retired on {retired.until}: "
                "still watched, its payments still count"
            )
    return lines


async def _db_upgrade(config: Config) -> None:
    from collector.store.database import current_revision  # noqa: PLC0415
    from collector.store.queries import open_store  # noqa: PLC0415

    async with open_store(config.database) as store:
        print(f"database at revision {await current_revision(store.engine)}")


def _db(args: argparse.Namespace) -> int:
    asyncio.run(_db_upgrade(_load(args.config)))
    return 0


def _run(args: argparse.Namespace) -> int:
    from collector.app import run_collector  # noqa: PLC0415 - keeps --help fast

    try:
        return run_collector(_load(args.config), once=args.once, since=args.since)
    except ListenError as err:  # the port in use: the operator's to fix, exit 2
        print(f"reservewatch: {err}", file=sys.stderr)
        return 2


def _demo(args: argparse.Namespace) -> int:
    # The simulator is the demo's world, beside the product: only this command runs it.
    from simulator.runner import run_demo  # noqa: PLC0415

    try:
        status: int = run_demo(
            listen=args.listen,
            duration_s=args.duration,
            workdir=args.workdir,
            broker=args.broker,
            at=args.at,
        )
    except FileNotFoundError as err:  # no broker to start: one line, not a traceback
        print(f"reservewatch: {err}", file=sys.stderr)
        return 1
    return status


def _lang_argument(
    parser: argparse.ArgumentParser, what: str, default: str | None, note: str = ""
) -> None:
    """``--lang kk|ru|en``; without it ``default`` (``None``: the operation's language)."""
    words = default or "the operation's `language`"
    help_text = f"{what} language: Kazakh, Russian or English (default: {words}){note}"
    parser.add_argument("--lang", choices=["kk", "ru", "en"], default=default, help=help_text)


def _statement(args: argparse.Namespace) -> int:
    from collector.documents.statements import write_statement  # noqa: PLC0415

    return asyncio.run(
        write_statement(
            _load(args.config),
            args.operation,
            args.period,
            args.format,
            args.out,
            args.as_of,
            projection=args.projection,
            language=args.lang,
        )
    )


def _import(args: argparse.Namespace) -> int:
    return one_shot.run_import(args.import_command, _load(args.config), args.file)


def _report(args: argparse.Namespace) -> int:
    if args.report_command == "reserve":
        from collector.documents.reserve_report import write_reserve_report  # noqa: PLC0415

        return asyncio.run(
            write_reserve_report(_load(args.config), args.period, args.out, args.as_of, args.lang)
        )
    if args.report_command == "transparency":
        from collector.documents.reserve_report import write_transparency  # noqa: PLC0415

        return asyncio.run(write_transparency(_load(args.config), args.out, args.as_of))
    from collector.documents.grid_report import write_grid_report  # noqa: PLC0415 - plotting

    return asyncio.run(write_grid_report(_load(args.config), args.period, args.out, args.lang))


def _keygen(args: argparse.Namespace) -> int:
    from collector.documents.statements import write_signing_key  # noqa: PLC0415

    return write_signing_key(args.out)


def _proof(args: argparse.Namespace) -> int:
    from collector.commands import proofs  # noqa: PLC0415

    config = _load(args.config)
    try:
        if args.proof_command == "add":
            return asyncio.run(
                proofs.add_proof(
                    config,
                    args.address,
                    args.signature_file,
                    message=args.message,
                    message_file=args.message_file,
                )
            )
        if args.proof_command == "message":
            return asyncio.run(proofs.print_message(config, args.address))
        return asyncio.run(proofs.list_proofs(config))
    except proofs.ProofInputError as err:
        print(f"reservewatch: {err}", file=sys.stderr)
        return 2


COMMANDS: Final[Mapping[str, Callable[[argparse.Namespace], int]]] = {
    "check-config": _check_config,
    "db": _db,
    "run": _run,
    "demo": _demo,
    "statement": _statement,
    "import": _import,
    "report": _report,
    "proof": _proof,
    "keygen": _keygen,
    "journal": lambda args: run_journal(args, _load(args.config)),
    "pool-reports": lambda args: one_shot.run_pool_reports(args, _load(args.config)),
}
"""The commands, each run by one function (what the parser's subcommands name)."""


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:2] == ["statement", "verify"]:
            from collector.documents.statements import verify_statement  # noqa: PLC0415

            verify_args = build_verify_parser().parse_args(argv[2:])
            setup_logging("warning")
            return verify_statement(verify_args.file, verify_args.public_key, verify_args.config)
        args = build_parser().parse_args(argv)
        setup_logging(args.log_level)
        return COMMANDS[args.command](args)
    except ConfigError as err:
        for line in err.problems:
            print(line, file=sys.stderr)
        return 2
    except ReservewatchError as err:
        print(f"reservewatch: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

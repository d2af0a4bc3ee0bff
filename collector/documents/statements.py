"""Statements from the store: build, sign, write, verify; the signing key's file.

(The HTTP API's statements come from the accounts' snapshot instead:
:mod:`collector.http.api`.)

The statement is computed exactly as the metrics are (:mod:`collector.accounts`), from stored data
as of an instant, so the same store and instant always give the same statement and digest.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from collector.accounts.mandatory_sale import OperationSales
from collector.accounts.mining_fee import OperationFees
from collector.accounts.snapshot import snapshot_as_of
from collector.accounts.statement_inputs import StatementInputs, energy_wh, restatements_of
from collector.accounts.terms import terms_documents
from collector.clock import SystemClock
from collector.config.keys import load_signing_key
from collector.config.load import load_config
from collector.config.model import Config
from collector.config.sections import OperationConfig
from collector.errors import OutputError, SecretError, StatementUnavailable, UnknownOperation
from collector.store.queries import Store, open_store
from remittance.account import OperationAccount
from remittance.errors import RemittanceError
from remittance.fee_statement import fee_section
from remittance.periods import parse_period_label
from remittance.pool_report_statement import months_in
from remittance.pool_reports import Reconciliation
from remittance.sale_statement import sale_section
from remittance.signing import (
    load_public_key,
    new_private_key,
    private_key_pem,
    public_key_of,
    public_key_pem,
    sign_statement_csv,
    sign_statement_json,
    verify,
)
from remittance.statement import (
    OperationInfo,
    Statement,
    build_statement,
)
from remittance.statement_csv import render_csv
from remittance.statement_json import statement_sha256, statement_to_dict


async def build_statement_from_store(
    config: Config, store: Store, operation: OperationConfig, period: str, as_of: datetime
) -> Statement:
    """The statement of ``period`` as of ``as_of``, from the inputs and terms known then."""
    try:
        parse_period_label(period)
    except RemittanceError as err:
        raise StatementUnavailable(str(err)) from err
    # Only what was known at ``as_of`` — inputs, terms and settings: the same statement
    # whenever it is made again. This operation's account only: never the others'.
    snapshot = await snapshot_as_of(store, config, as_of, operation.id)
    if operation.id in snapshot.failed:
        _reason, message = snapshot.failed[operation.id]
        raise StatementUnavailable(f"{operation.id}: the account cannot be computed: {message}")
    return await statement_of_account(
        store,
        snapshot.config.operation(operation.id),
        period,
        snapshot.accounts[operation.id],
        fees=snapshot.mining_fees.get(operation.id),
        reconciled=snapshot.pool_reports.get(operation.id, ()),
        sales=snapshot.mandatory_sales.get(operation.id),
    )


async def statement_of_account(
    store: Store,
    operation: OperationConfig,
    period: str,
    account: OperationAccount,
    issued: Mapping[tuple[str, str], tuple[datetime, int]] | None = None,
    *,
    fees: OperationFees | None = None,
    reconciled: Sequence[Reconciliation] = (),
    sales: OperationSales | None = None,
) -> Statement:
    """The statement of ``period`` from an account already computed (as of ``account.as_of``):
    with the restatements of closed periods and the period's energy, read from the store.
    ``issued`` (the operation's ``Store.issued_dues`` as the accounts' pass read them) saves
    reading them again; ``fees``, the operation's digital-mining fee as of the same instant."""
    try:
        period_range = parse_period_label(period)
    except RemittanceError as err:
        raise StatementUnavailable(str(err)) from err
    as_of = account.as_of
    restatements = await restatements_of(store, operation.id, account, as_of, issued)
    sites = [site.id for site in operation.sites]
    energy = await energy_wh(store, sites, period_range, as_of)
    recorded = operation.id in await store.terms_as_of(as_of)
    return statement_from_inputs(
        operation,
        period,
        account,
        StatementInputs(as_of, {period: energy}, tuple(restatements), recorded),
        fees=fees,
        reconciled=reconciled,
        sales=sales,
    )


def statement_from_inputs(
    operation: OperationConfig,
    period: str,
    account: OperationAccount,
    inputs: StatementInputs,
    *,
    fees: OperationFees | None = None,
    reconciled: Sequence[Reconciliation] = (),
    sales: OperationSales | None = None,
) -> Statement:
    """The statement of ``period`` from an account and its statement inputs (pure: no read),
    with the digital-mining fee's section where ``fees`` are given, the pools' reports'
    months of the period among ``reconciled``, and the mandatory sale's where ``sales`` are
    (an operation whose rules refused its inputs has no section)."""
    try:
        statement = build_statement(
            account,
            OperationInfo(operation.id, operation.name, operation.license),
            period,
            energy_wh_in_period=inputs.energy_wh.get(period),
            restatements=inputs.restatements,
        )
        days = parse_period_label(period)
    except RemittanceError as err:
        covered = [obligation.period.label for obligation in account.obligations]
        span = f"{covered[0]} to {covered[-1]}" if covered else "none yet"
        raise StatementUnavailable(
            f"{operation.id} {period}: {err} (periods covered as of "
            f"{account.as_of.isoformat(timespec='seconds')}: {span})"
        ) from err
    if fees is not None:
        section = fee_section(
            fees.standings, fees.credit_tiyn, (days.start, days.end), fees.time_zone
        )
        statement = replace(statement, mining_fee=section)
    if months := months_in(reconciled, days.start, days.end):
        statement = replace(statement, pool_reports=months)
    if sales is not None and sales.refused is None:
        shown = sale_section(sales.periods, sales.deadline_days, (days.start, days.end))
        statement = replace(statement, mandatory_sale=shown)
    if not inputs.terms_recorded:
        # None of the operation's terms were recorded by then: the file's were used, and a
        # later edit of the file gives another statement as of the same instant.
        return replace(statement, flags=(*statement.flags, "terms_from_file"))
    return statement


def sign(statement: Statement, fmt: str, key: Ed25519PrivateKey, language: str = "en") -> bytes:
    """The signed document; only the PDF is written in ``language`` (JSON and CSV are data)."""
    if fmt == "json":
        return sign_statement_json(statement, key)
    if fmt == "csv":
        return sign_statement_csv(statement, key)
    if fmt == "pdf":
        # reportlab and matplotlib's font table take a third of a second to import: only
        # when a PDF is asked for, not at every start of the collector.
        from remittance.pdf import render_signed_pdf  # noqa: PLC0415

        return render_signed_pdf(statement, key, language)
    raise StatementUnavailable(f"unknown statement format {fmt!r}")


async def render_statement(  # noqa: PLR0917 - mirrors the statement's coordinates
    config: Config,
    store: Store,
    operation: OperationConfig,
    period: str,
    fmt: str,
    as_of: datetime,
    *,
    issue: bool = False,
    language: str | None = None,
) -> bytes:
    """The signed statement of ``operation`` for ``period`` as of ``as_of``, from what the
    store knew at ``as_of``; its digest is recorded. With ``issue`` (the CLI, the mailer) the
    document is kept whole, and a statement issued before for the same coordinates is served
    again exactly as it was issued. A PDF is written in ``language`` (default: the
    operation's)."""
    as_of = as_of.astimezone(UTC)
    language = language or operation.language
    kept_as = issued_format(fmt, language)
    if issue:
        issued = await store.issued_document(operation.id, period, as_of, kept_as)
        if issued is not None:
            return issued
    key = load_signing_key(config.statement.signing_key_file)
    statement = await build_statement_from_store(config, store, operation, period, as_of)
    document = sign(statement, fmt, key, language)
    digest = statement_sha256(statement)
    await store.record_statement(operation.id, period, as_of, digest)
    if issue:
        await store.save_issued_document(
            operation.id, period, as_of, kept_as, digest, statement.due_sat, document
        )
    return document


def issued_format(fmt: str, language: str) -> str:
    """How an issued document is kept: ``pdf`` (English, as before languages), ``pdf-kk``,
    ``pdf-ru``; JSON and CSV are the same in every language."""
    return f"{fmt}-{language}" if fmt == "pdf" and language != "en" else fmt


async def write_statement(  # noqa: PLR0917 - one argument per CLI option
    config: Config,
    operation_id: str,
    period: str,
    fmt: str,
    out: Path | None,
    as_of: datetime | None,
    *,
    projection: bool = False,
    language: str | None = None,
) -> int:
    """The ``statement`` command. A statement as of a future instant would sign figures that
    have not happened: refused (exit 2), unless ``projection``, which writes it unsigned and
    marked as a projection."""
    try:
        operation = config.operation(operation_id)
    except KeyError as err:
        known = ", ".join(op.id for op in config.operations) or "none"
        raise UnknownOperation(
            f"no operation {operation_id!r} in the configuration (configured: {known})"
        ) from err
    async with open_store(config.database) as store:
        # The file's terms first, then "now": a statement made right after an edit of the
        # file (the default --as-of) states the edited terms, not the ones before.
        await store.record_terms(terms_documents(config))
        now = SystemClock().now()
        as_of = as_of or now
        future = as_of > now
        if future and not projection:
            print(
                f"reservewatch: --as-of {as_of.isoformat()} is in the future (now "
                f"{now.isoformat(timespec='seconds')}): a statement states what has happened; "
                "add --projection for an unsigned projection",
                file=sys.stderr,
            )
            return 2
        if future:
            document = await render_projection(
                config, store, operation, period, fmt, as_of, language=language
            )
        else:
            document = await render_statement(
                config, store, operation, period, fmt, as_of, issue=True,
                language=language,
            )  # fmt: skip
    write_output(out, document)
    return 0


async def render_projection(  # noqa: PLR0917 - mirrors the statement's coordinates
    config: Config,
    store: Store,
    operation: OperationConfig,
    period: str,
    fmt: str,
    as_of: datetime,
    *,
    language: str | None = None,
) -> bytes:
    """What the statement would say as of a future instant if nothing else arrived: never
    signed, never recorded, marked as a projection."""
    from remittance.pdf import PROJECTION_MARK, render_projection_pdf  # noqa: PLC0415 - see sign

    statement = await build_statement_from_store(config, store, operation, period, as_of)
    if fmt == "pdf":
        return render_projection_pdf(statement, language or operation.language)
    if fmt == "csv":
        return f"# {PROJECTION_MARK}\n".encode() + render_csv(statement)
    body = {"projection": True, "note": PROJECTION_MARK, "statement": statement_to_dict(statement)}
    return (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode()


def write_output(out: Path | None, document: bytes) -> None:
    """``document`` to ``out`` (stdout when None); a path that cannot be written is one clear
    error, never a traceback."""
    if out is None:
        sys.stdout.buffer.write(document)
        return
    try:
        out.write_bytes(document)
    except OSError as err:
        raise OutputError(f"cannot write {out}: {err.strerror or err}") from err
    print(f"wrote {out} ({len(document)} bytes)", file=sys.stderr)


def _public_key(public_key_file: Path | None, config_file: Path | None) -> Ed25519PublicKey:
    if public_key_file is not None:
        try:
            return load_public_key(public_key_file.read_bytes())
        except OSError as err:
            raise SecretError(f"cannot read public key {public_key_file}: {err.strerror}") from err
        except RemittanceError as err:
            raise SecretError(f"public key {public_key_file}: {err}") from err
    if config_file is None:
        raise SecretError("give --public-key or --config")
    return public_key_of(load_signing_key(load_config(config_file).statement.signing_key_file))


def _what(document: bytes) -> str:
    """``statement`` or ``reserve report``, by the document's own markings."""
    markers = (b"reservewatch-signed-reserve-report/", b"report,reserve,", b"Report SHA-256 ")
    return "reserve report" if any(m in document[:200_000] for m in markers) else "statement"


def verify_statement(path: Path, public_key_file: Path | None, config_file: Path | None) -> int:
    """Exit 0 and say what was verified, or exit 1 and say why not."""
    public_key = _public_key(public_key_file, config_file)
    try:
        document = path.read_bytes()
    except OSError as err:
        print(f"{path}: cannot read: {err.strerror}", file=sys.stderr)
        return 1
    try:
        verified = verify(document, public_key)
    except RemittanceError as err:
        print(f"{path}: NOT VERIFIED: {err}", file=sys.stderr)
        return 1
    print(
        f"{path}: verified {verified.kind} {_what(document)}, sha256 {verified.statement_sha256}, "
        f"signed by key {verified.key_id}"
    )
    return 0


def write_signing_key(out: Path) -> int:
    """Create a new statement signing key readable only by its owner; print the public half."""
    key = new_private_key()
    public = out.with_suffix(".pub.pem")
    for path in (out, public):
        # Either file there already: another key's half, never overwritten nor left mismatched.
        if os.path.lexists(path):
            raise OutputError(f"{path} exists: a signing key is never overwritten")
    try:
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(private_key_pem(key))
    except FileExistsError as err:
        raise OutputError(f"{out} exists: a signing key is never overwritten") from err
    except OSError as err:
        raise OutputError(f"cannot write {err.filename or out}: {err.strerror or err}") from err
    try:
        descriptor = os.open(public, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(public_key_pem(public_key_of(key)))
    except OSError as err:
        out.unlink()  # this run's private key alone, without its public half: not kept
        if isinstance(err, FileExistsError):
            raise OutputError(f"{public} exists: a signing key is never overwritten") from err
        raise OutputError(f"cannot write {public}: {err.strerror or err}") from err
    print(f"wrote {out} (mode 600) and its public key {public}")
    return 0

"""The reserve's reports from the store: the signed report for the central bank
(``report reserve``) and the public transparency page (``report transparency``).

Both read what the store knew as of an instant (default now), so the same store and instant
give the same report. The transparency page holds only what the chain already shows anyone
(addresses, amounts, transactions) and the proofs of control: no operation's obligations, no
case file beyond its id and authority.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from collector.accounts.cases import known_cases
from collector.accounts.journal import read_journal
from collector.accounts.pool_reports import pool_reconciliations_as_of
from collector.accounts.reserve import WalletProof, coin_of, proof_rules, wallet_proofs
from collector.accounts.snapshot import AccountsSnapshot, snapshot_as_of
from collector.accounts.terms import terms_documents
from collector.clock import SystemClock
from collector.config.keys import load_signing_key
from collector.config.model import Config, regulator_zone
from collector.config.wallets import wallet_book
from collector.documents.grid_report import gather_grid_figures
from collector.documents.public_page import PAGE_NAMES, transparency_html
from collector.documents.statements import issued_format, write_output
from collector.errors import OutputError, ReservewatchError
from collector.sources.official_price import load_official_prices
from collector.sources.prices import load_valuation_inputs
from collector.store.queries import Store, open_store
from remittance.account import OperationAccount
from remittance.cases import CASES_RULE, apart_doc, approve_releases, legal_holdings
from remittance.errors import RemittanceError
from remittance.periods import Period, parse_report_period
from remittance.proofs import parse_proof_message
from remittance.reserve import HOLDINGS_AT_RULE, RULE, holdings, holdings_at
from remittance.reserve_pdf import render_report_pdf
from remittance.reserve_report import (
    CaseInfo,
    OperationRow,
    ReportInputs,
    build_report,
    operation_row,
    pending_doc,
)
from remittance.reserve_report_csv import render_report_csv
from remittance.signing import report_sha256, sign_report_csv, sign_report_json

FORMATS = {".json": "json", ".csv": "csv", ".pdf": "pdf"}


class ReserveReportError(ReservewatchError):
    """The report cannot be made as asked (period, format, instant)."""


def _period(label: str) -> Period:
    try:
        return parse_report_period(label)
    except RemittanceError as err:
        raise ReserveReportError(str(err)) from err


def operation_rows(
    config: Config, accounts: Mapping[str, OperationAccount], span: Period
) -> list[OperationRow]:
    """Per operation: its periods ending within ``span`` and where its payments within
    ``span`` went, from its account as of the report's instant
    (:func:`remittance.reserve_report.operation_row`)."""
    return [
        operation_row(op.id, op.name, op.license, accounts[op.id], span)
        for op in config.operations
        if op.id in accounts  # an account refused (terms, inputs): the accounts pass says why
    ]


async def national_share(
    config: Config, store: Store, span: Period, as_of: datetime
) -> dict[str, Any] | None:
    figures = await gather_grid_figures(config, store, span, as_of)
    if not figures.national_share:
        return None
    # Complete days only, as the grid report: a day some operation has not reported yet
    # (the period's last, as of its end) would pull the average down by that operation.
    ratios = [Decimal(repr(v)) for v in figures.complete_share.values()]
    average = sum(ratios, Decimal(0)) / len(ratios) if ratios else None
    return {
        "average_ratio": None if average is None else str(average.quantize(Decimal("0.000001"))),
        "days": len(ratios),
        "left_out": {op: [d.isoformat() for d in days] for op, days in figures.left_out.items()},
    }


async def gather_report(snapshot: AccountsSnapshot, store: Store, span: Period) -> ReportInputs:
    """What the report states, from what the store knew at the snapshot's instant and the
    configuration (terms and settings) known then."""
    config, as_of = snapshot.config, snapshot.as_of
    tip = await store.chain_tip(config.network.chain, as_of=as_of)
    outputs = await store.reserve_outputs(statuses=("mempool", "confirmed", "removed"), as_of=as_of)
    spends = await store.reserve_spends(as_of=as_of)
    accounts = snapshot.accounts
    prices, rates = await load_valuation_inputs(
        store, span.start_at, min(span.end_at, as_of), as_of=as_of
    )
    book = wallet_book(config)
    max_age_blocks, max_age = proof_rules(config.reserve)
    proofs = await wallet_proofs(store, book, max_age_blocks, as_of=as_of, max_age=max_age)
    zone = regulator_zone(config)
    first, last = (t.astimezone(zone).date() for t in (span.start_at, min(span.end_at, as_of)))
    official = await load_official_prices(store, first, last, zone, as_of=as_of)
    return ReportInputs(
        period=span,
        as_of=as_of,
        tip_height=tip.height if tip is not None else None,
        zone=str(regulator_zone(config)),
        coins=[coin_of(o) for o in outputs],
        spends=[(s.txid, s.prev_txid, s.prev_vout) for s in spends],
        operations=operation_rows(config, accounts, span),
        cases=[
            CaseInfo(c.case, c.authority, c.order_ref, c.received_from)
            for c in config.reserve.intake
        ],
        inflow_confirmations=config.reserve.confirmations,
        national_share=await national_share(config, store, span, as_of),
        prices=prices,
        rates=rates,
        proofs=[proof_doc(p) for p in proofs],
        case_histories=(await known_cases(store, config.reserve, as_of)).case_histories(),
        official_prices=official,
        calendar=config.calendar.working_calendar(),
        journal=(await read_journal(store, config, as_of)).entries,
        pool_reports=[
            month
            for months in (await pool_reconciliations_as_of(store, config, as_of)).values()
            for month in months
        ],
    )


def _instant(moment: datetime | None) -> str | None:
    """An instant as people and the JSON read it: ISO 8601 to the second, in UTC."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def proof_doc(row: WalletProof) -> dict[str, Any]:
    """One proof address and its proof, whole: what anyone needs to check it again (the
    message exactly as signed, the signature, the block the message names) and the verdict."""
    proof = row.proof
    named = None if proof is None else parse_proof_message(proof.message)
    return {
        "role": row.role,
        "holder": row.holder,
        "address": row.address,
        "status": str(row.status),
        "registered_at": _instant(row.registered_at),
        "expires_at": _instant(row.expires_at),
        "message": None if proof is None else proof.message,
        "signature": None if proof is None else proof.signature,
        "signature_valid": None if proof is None else proof.signature_valid,
        "block_hash": None if named is None else named.block_hash,
        "block_height": None if proof is None else proof.block_height,
    }


def render_report(report: dict[str, Any], fmt: str, config: Config, language: str = "en") -> bytes:
    """The signed report; only the PDF is written in ``language`` (JSON and CSV are data)."""
    key = load_signing_key(config.statement.signing_key_file)
    digest = report_sha256(report)
    if fmt == "json":
        return sign_report_json(report, key)
    if fmt == "csv":
        return sign_report_csv(render_report_csv(report, digest), key)
    return render_report_pdf(report, digest, key, language)


def _as_of(as_of: datetime | None) -> datetime:
    now = SystemClock().now()
    as_of = (as_of or now).astimezone(UTC)
    if as_of > now:
        raise ReserveReportError(
            f"--as-of {as_of.isoformat()} is in the future (now "
            f"{now.isoformat(timespec='seconds')}): a report states what has happened"
        )
    return as_of


async def write_reserve_report(
    config: Config, period: str, out: Path, as_of: datetime | None = None, language: str = "en"
) -> int:
    """The ``report reserve`` command: the format from ``out``'s suffix, a PDF in
    ``language`` (kk, ru or en)."""
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise ReserveReportError(
            f"the reserve report is written as .json, .csv or .pdf, not {out.suffix or 'no suffix'}"
        )
    span = _period(period)
    async with open_store(config.database) as store:
        await store.record_terms(terms_documents(config))  # before "now" is read
        instant = _as_of(as_of)
        # A report issued before as of this instant is served again as it was issued.
        kept_as = issued_format(fmt, language)
        document = (await store.issued_report("reserve", span.label, instant)).get(kept_as)
        if document is None:
            # The terms and settings known at the instant, not the file's today.
            snapshot = await snapshot_as_of(store, config, instant)
            report = build_report(await gather_report(snapshot, store, span))
            document = render_report(report, fmt, snapshot.config, language)
            await store.save_issued_report("reserve", span.label, instant, {kept_as: document})
    write_output(out, document)
    return 0


# -- the public transparency page ------------------------------------------------------------


def transparency_document(config: Config, inputs: ReportInputs) -> dict[str, Any]:
    """What the public page shows: holdings by source at its instant — the same rule and
    figure as the reserve report's (:data:`remittance.reserve.HOLDINGS_AT_RULE`): blocks
    only, the reserve's own transactions in the mempool shown apart as pending — every
    wallet's fixed and used addresses with what they received — all of it on the chain
    already — and its proof of control. Descriptors are not shown: their keys would disclose
    addresses not yet used."""
    cases = inputs.case_histories
    legal = legal_holdings(holdings_at(inputs.coins, inputs.spends, inputs.as_of), cases,
                           inputs.as_of)  # fmt: skip
    h = legal.counted
    now = approve_releases(holdings(inputs.coins, inputs.spends), cases, inputs.as_of)
    book = wallet_book(config)
    book.learn(c.address for c in inputs.coins)
    received: dict[str, int] = {}
    for c in inputs.coins:
        if c.live and c.role != "outside":
            received[c.address] = received.get(c.address, 0) + c.amount_sat
    wallets = []
    for wallet in book.reserve_wallets:  # an operation's payout wallet is not the reserve's
        used = sorted(a for a in book.addresses_of(wallet.holder) if a in received)
        shown = sorted(set(wallet.addresses) | set(used))
        # A descriptor's keys are not shown: they would disclose addresses not yet used.
        mine = [dict(p) for p in inputs.proofs if p["holder"] == wallet.holder]
        statuses = [p["status"] for p in mine]
        proven = bool(statuses) and all(status == "proven" for status in statuses)
        wallets.append(
            {
                "role": wallet.role,
                "holder": wallet.holder,
                "proof": "proven"
                if proven
                else next((status for status in statuses if status != "proven"), "unproven"),
                # Each proof whole (message, signature, block, verdict): checkable by anyone.
                "proof_addresses": [
                    {k: v for k, v in p.items() if k not in ("role", "holder")} for p in mine
                ],
                "addresses": [{"address": a, "received_sat": received.get(a, 0)} for a in shown],
            }
        )
    return {
        "generated_at": _instant(inputs.as_of),
        "time_zone": inputs.zone,
        "tip_height": inputs.tip_height,
        "total_sat": h.total_sat,
        "by_source": [
            {"source": source, "holder": holder, "sat": sat}
            for (source, holder), sat in sorted(h.by_source.items())
        ],
        # Seized cases' coins not (or no longer) the state's, by case and legal state.
        "held_apart": apart_doc(legal),
        "pending": pending_doc(m for m in now.movements if m.status == "mempool"),
        "wallets": wallets,
        "rule": RULE,
        "cases_rule": CASES_RULE,
        "holdings_rule": HOLDINGS_AT_RULE,
        "proof_max_age_days": config.reserve.proof_max_age_days,
    }


async def write_transparency(config: Config, out: Path, as_of: datetime | None = None) -> int:
    """The ``report transparency`` command: ``out/index.html`` and ``out/transparency.json``."""
    async with open_store(config.database) as store:
        await store.record_terms(terms_documents(config))  # before "now" is read
        instant = _as_of(as_of)
        # A page issued before as of this instant is published again as it was issued.
        files = await store.issued_report("transparency", "", instant)
        if set(files) != set(PAGE_FILES):
            month = _period(instant.strftime("%Y-%m"))
            snapshot = await snapshot_as_of(store, config, instant)  # its wallets as known then
            inputs = await gather_report(snapshot, store, month)
            files = page_files(transparency_document(snapshot.config, inputs))
            await store.save_issued_report("transparency", "", instant, files)
    write_page(out, files)
    return 0


PAGE_FILES = {"json": "transparency.json"} | {
    f"html-{language}": name for language, name in PAGE_NAMES.items()
}
"""The public page's files, by the format they are kept under: the JSON and one HTML page per
language (:data:`collector.documents.public_page.PAGE_NAMES`)."""


def page_files(doc: dict[str, Any]) -> dict[str, bytes]:
    """The public page's files' bytes, by format (:data:`PAGE_FILES`)."""
    return {
        "json": (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode(),
    } | {f"html-{language}": transparency_html(doc, language).encode() for language in PAGE_NAMES}


def write_page(out: Path, files: dict[str, bytes]) -> None:
    """The page's files under ``out``; one clear error when they cannot be written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        for fmt, name in PAGE_FILES.items():
            (out / name).write_bytes(files[fmt])
    except OSError as err:
        raise OutputError(f"cannot write {out}: {err.strerror or err}") from err
    names = ", ".join(f"{out}/{name}" for name in PAGE_FILES.values())
    print(f"wrote {names}", file=sys.stderr)

"""The reserve's reports from the store: the signed report for the central bank
(``report reserve``) and the public transparency page (``report transparency``).

Both read what the store knew as of an instant (default now), so the same store and instant
give the same report. The transparency page holds only what the chain already shows anyone
(addresses, amounts, transactions) and the proofs of control: no operation's obligations, no
case file beyond its id and authority.
"""

from __future__ import annotations

import html
import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from collector.accounts.reserve import coin_of, wallet_proofs
from collector.accounts.snapshot import AccountsSnapshot, snapshot_as_of
from collector.accounts.terms import terms_documents
from collector.clock import SystemClock
from collector.config.model import Config, regulator_zone
from collector.config.wallets import wallet_book
from collector.documents.grid_report import gather_grid_figures
from collector.documents.statements import load_signing_key, write_output
from collector.errors import OutputError, ReservewatchError
from collector.sources.prices import load_valuation_inputs
from collector.store.queries import Store, open_store
from remittance.account import OperationAccount
from remittance.errors import RemittanceError
from remittance.periods import Period, parse_report_period
from remittance.reserve import HOLDINGS_AT_RULE, RULE, holdings_at, pending
from remittance.reserve_pdf import btc, render_report_pdf
from remittance.reserve_report import (
    CaseInfo,
    OperationRow,
    ReportInputs,
    build_report,
    pending_doc,
    render_report_csv,
)
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
    """Per operation: its periods ending within ``span``, their dues and what settled them,
    payments confirmed within ``span`` and its shortfall as of the accounts' instant."""
    rows: list[OperationRow] = []
    for op in config.operations:
        account = accounts.get(op.id)
        if account is None:
            continue  # its terms or inputs were refused: the accounts pass says why
        inside = [o for o in account.obligations if span.start < o.period.end <= span.end]
        labels = {o.period.label for o in inside}
        settlements = [s for s in account.ledger.settlements if s.label in labels]
        rows.append(
            OperationRow(
                operation=op.id,
                name=op.name,
                licence=op.license,
                periods=tuple(o.period.label for o in inside),
                due_sat=sum(o.due_sat for o in inside),
                settled_sat=sum(s.settled_sat for s in settlements),
                remitted_sat=sum(
                    o.amount_sat
                    for o in account.ledger.counted_outputs
                    if o.block_time is not None and span.start_at <= o.block_time < span.end_at
                ),
                shortfall_sat=account.ledger.shortfall_sat,
                overdue_seconds=account.ledger.overdue_seconds,
            )
        )
    return rows


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
    proofs = await wallet_proofs(store, book, config.reserve.proof_max_age_blocks, as_of=as_of)
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
        proofs=[
            {
                "role": p.role,
                "holder": p.holder,
                "address": p.address,
                "status": str(p.status),
                "registered_at": None if p.registered_at is None else p.registered_at.isoformat(),
            }
            for p in proofs
        ],
    )


def render_report(report: dict[str, Any], fmt: str, config: Config) -> bytes:
    key = load_signing_key(config.statement.signing_key_file)
    digest = report_sha256(report)
    if fmt == "json":
        return sign_report_json(report, key)
    if fmt == "csv":
        return sign_report_csv(render_report_csv(report, digest), key)
    return render_report_pdf(report, digest, key)


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
    config: Config, period: str, out: Path, as_of: datetime | None = None
) -> int:
    """The ``report reserve`` command: the format from ``out``'s suffix."""
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
        document = (await store.issued_report("reserve", span.label, instant)).get(fmt)
        if document is None:
            # The terms and settings known at the instant, not the file's today.
            snapshot = await snapshot_as_of(store, config, instant)
            report = build_report(await gather_report(snapshot, store, span))
            document = render_report(report, fmt, snapshot.config)
            await store.save_issued_report("reserve", span.label, instant, {fmt: document})
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
    h = holdings_at(inputs.coins, inputs.spends, inputs.as_of)
    book = wallet_book(config)
    book.learn(c.address for c in inputs.coins)
    received: dict[str, int] = {}
    for c in inputs.coins:
        if c.live and c.role != "outside":
            received[c.address] = received.get(c.address, 0) + c.amount_sat
    wallets = []
    for wallet in book.wallets:
        used = sorted(a for a in book.addresses_of(wallet.holder) if a in received)
        shown = sorted(set(wallet.addresses) | set(used))
        # A descriptor's keys are not shown: they would disclose addresses not yet used.
        statuses = [p["status"] for p in inputs.proofs if p["holder"] == wallet.holder]
        proven = bool(statuses) and all(status == "proven" for status in statuses)
        wallets.append(
            {
                "role": wallet.role,
                "holder": wallet.holder,
                "proof": "proven"
                if proven
                else next((status for status in statuses if status != "proven"), "unproven"),
                "proof_addresses": [
                    {"address": p["address"], "status": p["status"]}
                    for p in inputs.proofs
                    if p["holder"] == wallet.holder
                ],
                "addresses": [{"address": a, "received_sat": received.get(a, 0)} for a in shown],
            }
        )
    return {
        "generated_at": inputs.as_of.isoformat().replace("+00:00", "Z"),
        "tip_height": inputs.tip_height,
        "total_sat": h.total_sat,
        "by_source": [
            {"source": source, "holder": holder, "sat": sat}
            for (source, holder), sat in sorted(h.by_source.items())
        ],
        "pending": pending_doc(pending(inputs.coins, inputs.spends)),
        "wallets": wallets,
        "rule": RULE,
        "holdings_rule": HOLDINGS_AT_RULE,
    }


def transparency_html(doc: dict[str, Any]) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(r['source'])}</td><td>{e(r['holder'])}</td>"
        f"<td class=n>{btc(r['sat'])}</td></tr>"
        for r in doc["by_source"]
    )
    waiting = doc["pending"]
    pending_text = (
        f"<p>Pending, not counted above (in the mempool): {len(waiting['movements'])} "
        f"transaction(s) of the reserve's own, {btc(waiting['unapproved_sat'])} BTC to "
        f"addresses outside its wallets, {btc(waiting['to_custody_sat'])} BTC to custody, "
        f"{btc(waiting['fee_sat'])} BTC in fees: "
        + ", ".join(f"<code>{e(m['txid'])}</code>" for m in waiting["movements"])
        + ".</p>"
        if waiting["movements"]
        else ""
    )
    wallets = ""
    for w in doc["wallets"]:
        items = "".join(
            f"<tr><td><code>{e(a['address'])}</code></td><td class=n>{btc(a['received_sat'])}"
            "</td></tr>"
            for a in w["addresses"]
        )
        signed_by = ", ".join(
            f"<code>{e(p['address'])}</code> ({e(p['status'])})" for p in w["proof_addresses"]
        )
        wallets += (
            f"<h3>{e(w['role'])}: {e(w['holder'])}</h3>"
            f"<p>Proof of control: <b>{e(w['proof'])}</b> — a BIP-322 signature by {signed_by}"
            " of a message naming a recent block.</p>"
            f"<table><tr><th>Address</th><th>Received BTC</th></tr>{items}</table>"
        )
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<title>State crypto reserve: holdings</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd}"
        ".n{text-align:right;font-variant-numeric:tabular-nums}</style>"
        f"<h1>State crypto reserve</h1><p>As of {e(doc['generated_at'])} (block "
        f"{doc['tip_height']}): {btc(doc['total_sat'])} BTC held.</p>"
        f"<h2>Holdings by source</h2><table><tr><th>Source</th><th>Holder</th>"
        f"<th>BTC</th></tr>{rows}</table>{pending_text}<p>{e(doc['holdings_rule'])}</p>"
        f"<p>{e(doc['rule'])}</p>"
        f"<h2>Watched addresses</h2><p>Every address below can be checked on any block "
        f"explorer; <a href=transparency.json>transparency.json</a> has the same data.</p>"
        f"{wallets}</html>\n"
    )


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


PAGE_FILES = {"json": "transparency.json", "html": "index.html"}
"""The public page's files, by the format they are kept under."""


def page_files(doc: dict[str, Any]) -> dict[str, bytes]:
    """The public page's files' bytes, by format (:data:`PAGE_FILES`)."""
    return {
        "json": (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode(),
        "html": transparency_html(doc).encode(),
    }


def write_page(out: Path, files: dict[str, bytes]) -> None:
    """``out/index.html`` and ``out/transparency.json``; one clear error when they cannot be."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        for fmt, name in PAGE_FILES.items():
            (out / name).write_bytes(files[fmt])
    except OSError as err:
        raise OutputError(f"cannot write {out}: {err.strerror or err}") from err
    print(f"wrote {out}/index.html and {out}/transparency.json", file=sys.stderr)

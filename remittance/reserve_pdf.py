"""The reserve report as a signed A4 PDF (see :mod:`remittance.reserve_report`), in Kazakh,
Russian or English (:mod:`remittance.i18n`: the words from the language's catalogue, its
number separators; the rules' texts translated where the catalogue has them, else as signed).

Text in DejaVu Sans (registered by :mod:`remittance.pdf`: it covers Kazakh and Russian);
times in the regulator's time zone; amounts in BTC with eight decimals and thousands
separators; every table's columns have set widths and their headers wrap, so the longest
language's words stay inside the A4 page. Every page's footer carries the report's SHA-256
and the Ed25519 signature (:func:`remittance.signing.sign_report_pdf`; placeholders as for
statements).
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from remittance.i18n import Wording, wording
from remittance.journal import JournalEntry
from remittance.official_price import SOURCE as OFFICIAL_SOURCE
from remittance.pdf import BODY_FONT, BOLD_FONT, N_, draw_signature_footer
from remittance.pool_report_statement import finding_text
from remittance.signing import (
    PDF_REPORT_DIGEST_LABEL,
    key_id,
    sign_report_pdf,
)

_STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), BODY_FONT, 7.5),
        ("FONT", (0, 0), (-1, 0), BOLD_FONT, 7.5),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f2f2")]),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)
_STYLES = getSampleStyleSheet()
_SMALL = _STYLES["Normal"].clone("reserve-small", fontName=BODY_FONT, fontSize=7.5, leading=9)
_HEAD = _SMALL.clone("reserve-head", fontName=BOLD_FONT)
_HEAD_RIGHT = _HEAD.clone("reserve-head-right", alignment=TA_RIGHT)
_ADDRESS = _SMALL.clone("reserve-address", fontSize=6, leading=7.5)
"""A Bitcoin address (up to 62 characters, a taproot or P2WSH one) fits 80 mm in this face,
its cell padding included."""
_SOURCE_WORDS = {
    "mined": N_("Remitted by operation {holder}"),
    "seized": N_("Forfeited, case {holder}"),
    "unattributed": N_("Paid to custody from outside: {holder}"),
}
_STATE_WORDS = {"seized": N_("seized, not forfeited"),
                "order_pending": N_("forfeiture order pending"),
                "forfeited": N_("forfeited"), "released": N_("released by order")}  # fmt: skip
_ROLE_WORDS = {"reserve": N_("reserve"), "intake": N_("intake"), "custody": N_("custody")}
_STATUS_WORDS = {"proven": N_("proven"), "unproven": N_("unproven"), "invalid": N_("invalid"),
                 "stale": N_("stale")}  # fmt: skip


def _source_words(w: Wording, row: dict[str, Any]) -> str:
    if not row["holder"]:  # unattributed: coins spent that the watcher never saw arrive
        return w.text("Unattributed: coins never seen arriving")
    return w.text(_SOURCE_WORDS[row["source"]], holder=row["holder"])


def _case_words(w: Wording, row: dict[str, Any], zone: ZoneInfo) -> str:
    """A case's legal state at the report's end, since when and by which order."""
    state = w.text(_STATE_WORDS[row.get("state", "seized")])
    if row.get("since") is None:
        return state
    since = w.text("{state} since {when}", state=state, when=_when(w, row["since"], zone))
    return since + (f" ({row['order']})" if row.get("order") else "")


def _official_valuation(w: Wording, doc: dict[str, Any] | None) -> list[Flowable]:
    """The official price's valuation: each figure with the price and the day it used."""
    if not doc:
        return [_p(w.text("No official price (State Revenue Committee) is imported."))]
    words = {
        "holdings_start": N_("Holdings at the start"),
        "holdings_end": N_("Holdings at the end"),
    }
    lines = [
        w.text(
            "{what} ({day}): {value} KZT at the official price of {price_day}, {price} KZT per "
            "BTC ({source}).",
            what=w.text(words[name]), day=v["day"], value=_amount(w, v["value_kzt"]),
            price_day=v["price_day"], price=_amount(w, v["price_kzt"]),
            source=_official_source(w, v.get("source")),
        )
        if v
        else w.text("{what}: no official price published for its price day.",
                    what=w.text(words[name]))
        for name, v in ((n, doc[n]) for n in words)
    ]  # fmt: skip
    lines.append(
        w.text(
            "Inflows: {value} KZT at each day's official price ({valued} valued, {unvalued} "
            "without a price; prices: {sources}).",
            value=_amount(w, doc["inflows_kzt"]), valued=len(doc["inflows"]),
            unvalued=doc["inflows_unvalued"],
            sources="; ".join(sorted({_official_source(w, v.get("source"))
                                      for v in doc["inflows"]})) or "-",
        )
        + " " + _rule(w, doc["rule"])
    )  # fmt: skip
    return [_p(line) for line in lines]


def _official_source(w: Wording, source: str | None) -> str:
    """Whose official price: the Committee's publication, or its basis in its stead."""
    if not source or source == OFFICIAL_SOURCE:
        return w.text("the State Revenue Committee's publication")
    return w.text(
        "CoinMarketCap's daily average at the National Bank's rate: the Committee's stated "
        "basis, not its publication"
    )


def _amount(w: Wording, text: str | None) -> str:
    """``"1234567.891"`` → ``1,234,567.89`` (``1 234 567,89`` in kk, ru); a dash when unknown."""
    if text is None:
        return "—"
    return w.decimal(Decimal(text), 2)


def _when(w: Wording, text: str | None, zone: ZoneInfo) -> str:
    """An instant in the regulator's zone, named (``Asia/Almaty``, not ``+05``)."""
    if text is None:
        return w.text("in the mempool")
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(zone)
    return moment.strftime(f"%Y-%m-%d %H:%M {zone.key}")


def _day(text: str | None, zone: ZoneInfo) -> str:
    """An instant's day in the regulator's zone (a dash when none)."""
    if text is None:
        return ""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(zone)
    return moment.date().isoformat()


def _utc_day(text: str) -> str:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).strftime("%Y-%m-%d")


def _period_words(w: Wording, report: dict[str, Any], zone: ZoneInfo) -> str:
    """The report's period as what it is: whole UTC days (as pools and the chain account),
    with the instants its ends fall on in the regulator's zone."""
    start, end = report["start"], report["end"]
    last = datetime.fromisoformat(end.replace("Z", "+00:00")) - timedelta(days=1)
    return w.text(
        "Period {period}: the UTC days {first} to {last} (from {start} to {end})",
        period=report["period"], first=_utc_day(start), last=last.date().isoformat(),
        start=_when(w, start, zone), end=_when(w, end, zone),
    )  # fmt: skip


def _price_source(w: Wording, source: str | None) -> str:
    """``kraken*nbk-csv`` (a tenge price derived from the dollar one) in words."""
    if source is None:
        return w.text("no price")
    if "*" in source:
        usd, rate = source.split("*", 1)
        return w.text("{usd} (BTC/USD) × {rate} (USD/KZT rate)", usd=usd, rate=rate)
    return source


def _rule(w: Wording, text: str) -> str:
    """A rule's text in the language when the catalogue has it, else as the report states it."""
    return w.text(text) if text else ""


def _p(text: str) -> Paragraph:
    return Paragraph(escape(text), _SMALL)


def _table(
    header: list[str], rows: list[list[Any]], widths_mm: tuple[float, ...], right_from: int = 1
) -> Table:
    """A table of set column widths (in mm, at most the 180 mm between the margins) whose
    header cells wrap: no language's words run off the page."""
    head = [
        Paragraph(escape(text), _HEAD_RIGHT if index >= right_from else _HEAD)
        for index, text in enumerate(header)
    ]
    table = Table([head, *rows], repeatRows=1, hAlign="LEFT", colWidths=[x * mm for x in widths_mm])
    style = TableStyle(_STYLE.getCommands())
    style.add("ALIGN", (right_from, 0), (-1, -1), "RIGHT")
    table.setStyle(style)
    return table


def _story(report: dict[str, Any], w: Wording) -> list[Flowable]:
    styles = getSampleStyleSheet()
    for name in ("Title", "Heading2", "Normal"):
        styles[name].fontName = BOLD_FONT if name != "Normal" else BODY_FONT
    styles["Heading2"].keepWithNext = 1  # a heading never ends a page without its table
    heading = styles["Heading2"]
    zone = ZoneInfo(report["time_zone"])
    story: list[Flowable] = [
        Paragraph(
            escape(w.text("State crypto reserve — report for {period}", period=report["period"])),
            styles["Title"],
        ),
        _p(
            w.text(
                "{period}; figures as of {as_of} (chain tip {tip}).",
                period=_period_words(w, report, zone),
                as_of=_when(w, report["as_of"], zone),
                tip=report["tip_height"],
            )
        ),
    ]
    provisional = report.get("provisional") or {}
    if provisional.get("provisional"):
        reasons = " ".join(w.text(_PROVISIONAL_WORDS[r]) for r in provisional["reasons"])
        marked = w.text("Figures marked * may still change.")
        title = w.text("Provisional.")
        story.append(
            Paragraph(
                f"<b>{escape(title)}</b> {escape(reasons)} {escape(marked)}",
                _SMALL.clone("warning", textColor=colors.HexColor("#8a1c00")),
            )
        )
    story += [Spacer(1, 4 * mm), Paragraph(escape(w.text("Holdings by source")), heading)]

    def holdings_rows(moment: str) -> list[list[Any]]:
        h = report["holdings"][moment]
        rows = [[_p(_source_words(w, r)), w.btc(r["sat"])] for r in h["by_source"]]
        apart = [
            [_p(w.text("Held apart, not the state's: case {case}, {state}", case=r["case"],
                       state=w.text(_STATE_WORDS[r["state"]]))),
             w.btc(r["sat"])]
            for r in h.get("held_apart", {}).get("by_case", [])
        ]  # fmt: skip
        return [*rows, [w.text("Total"), w.btc(h["total_sat"])], *apart]

    for moment, words in (("start", N_("At the start")), ("end", N_("At the end"))):
        story += [
            _p(w.text(words)),
            _table([w.text("Source"), "BTC"], holdings_rows(moment), (120, 40)),
        ]
    waiting = report["holdings"]["pending"]
    if waiting["movements"]:
        story.append(
            _p(
                w.text(
                    "Pending, not counted above (in the mempool at the report's instant): the "
                    "reserve's own transactions: {count}; unapproved {unapproved} BTC, to "
                    "custody {custody} BTC, fees {fee} BTC.",
                    count=len(waiting["movements"]), unapproved=w.btc(waiting["unapproved_sat"]),
                    custody=w.btc(waiting["to_custody_sat"]), fee=w.btc(waiting["fee_sat"]),
                )
            )
        )  # fmt: skip
    story += [Spacer(1, 3 * mm), Paragraph(escape(w.text("Inflows in the period")), heading)]
    story.append(
        _table(
            [w.text("Source"), w.text("Outputs"), "BTC"],
            [
                [_p(_source_words(w, r)), str(r["outputs"]), w.btc(r["sat"])]
                for r in report["inflows"]["by_source"]
            ]
            + [[w.text("Total"), "", w.btc(report["inflows"]["total_sat"])]],
            (110, 25, 40),
        )
    )
    story += _operations(report, w, heading)
    story += [
        Spacer(1, 3 * mm),
        Paragraph(escape(w.text("Seized assets received, by case")), heading),
        _table(
            [w.text("Case"), w.text("Authority"), w.text("Order"), w.text("Received from"),
             w.text("Legal state"), "BTC"],
            [[_p(r["case"]), _p(r["authority"]), _p(r["order_ref"]), _p(r["received_from"]),
              _p(_case_words(w, r, zone)), w.btc(r["received_sat"])] for r in report["seized"]],
            (20, 28, 24, 22, 64, 22), right_from=5,
        ),
    ]  # fmt: skip
    for r in report.get("released_outflows", []):
        paid = "; ".join(f"{p['address']} {w.btc(p['sat'])}" for p in r["paid_to"])
        story.append(
            _p(
                w.text(
                    "Released by order: {txid} ({when}), {amount} BTC to {paid}.",
                    txid=r["txid"], when=_when(w, r["block_time"], zone),
                    amount=w.btc(r["released_sat"]), paid=paid,
                )
            )
        )  # fmt: skip
    story += [
        Spacer(1, 3 * mm),
        Paragraph(escape(w.text("Movements to custody")), heading),
        _table(
            [w.text("Transaction"), w.text("When"), w.text("To custody, BTC"),
             w.text("Fee, BTC")],
            [[r["txid"][:16] + "…", _when(w, r["block_time"], zone), w.btc(r["to_custody_sat"]),
              w.btc(r["fee_sat"])] for r in report["custody_movements"]],
            (40, 55, 40, 35), right_from=2,
        ),
    ]  # fmt: skip
    story += _unapproved(report, w, heading, zone)
    story += _journal(report, w, heading, zone)
    if findings := report.get("pool_report_findings"):
        story += [
            Spacer(1, 3 * mm),
            Paragraph(escape(w.text("Pools' reports to the tax authority, reconciled")), heading),
        ] + [
            Paragraph(f"<b>{escape(f['operation'])}</b> {escape(finding_text(f, w))}", _SMALL)
            for f in findings
        ]
    story += _valuation(report, w, heading)
    story += _official_valuation(w, report.get("official_valuation"))
    share = report.get("national_hashrate_share")
    story += [Spacer(1, 3 * mm), Paragraph(escape(w.text("National hash-rate share")), heading)]
    if share and share.get("average_ratio") is not None:
        percent = w.decimal(Decimal(share["average_ratio"]) * 100, 3)
        story.append(
            _p(
                w.text(
                    "{percent} % of the network on average over the days with every "
                    "operation's figures ({days}).",
                    percent=percent, days=share["days"],
                )
            )
        )  # fmt: skip
    else:
        story.append(_p(w.text("No hash-rate figures for the period.")))
    if report.get("proofs"):
        story += [
            Spacer(1, 3 * mm),
            Paragraph(escape(w.text("Proofs of control")), heading),
            _table(
                [w.text("Wallet"), w.text("Address"), w.text("Status"), w.text("Registered"),
                 w.text("Until")],
                [[_p(f"{_role(w, p.get('role'))} {p.get('holder', '')}"),
                  Paragraph(escape(p["address"]), _ADDRESS),
                  _p(w.text(_STATUS_WORDS.get(p["status"], p["status"]))),
                  _day(p.get("registered_at"), zone), _day(p.get("expires_at"), zone)]
                 for p in report["proofs"]],
                (24, 80, 28, 24, 24), right_from=5,
            ),
        ]  # fmt: skip
    story += [Spacer(1, 4 * mm), Paragraph(escape(w.text("Rules")), heading)]
    for rule in ("holdings", "holdings_at", "unapproved"):
        story.append(_p(_rule(w, report["rules"][rule])))
    return story


def _role(w: Wording, role: str | None) -> str:
    return w.text(_ROLE_WORDS[role]) if role in _ROLE_WORDS else (role or "")


def _unapproved(report: dict[str, Any], w: Wording, heading: Any, zone: ZoneInfo) -> list[Flowable]:
    story: list[Flowable] = [
        Spacer(1, 3 * mm),
        Paragraph(escape(w.text("Unapproved outflows")), heading),
    ]
    unapproved = report["unapproved_outflows"]
    if not unapproved:
        story.append(_p(w.text("None.")))
    unknown = w.text("unattributed (coins never seen arriving)")
    for r in unapproved:
        sources = "; ".join(f"{s['holder'] or unknown} {w.btc(s['sat'])}" for s in r["by_source"])
        paid = "; ".join(
            f"{p['address']} {w.btc(p['sat'])}"
            + (w.text(" (beyond the gap limit of {gap})", gap=p["beyond_gap_of"])
               if p["beyond_gap_of"] else "")
            for p in r["paid_to"]
        )  # fmt: skip
        words = w.text(
            "({when}): {amount} BTC to {paid}. Sources: {sources}. Reason: {reasons}.",
            when=_when(w, r["block_time"], zone), amount=w.btc(r["unapproved_sat"]), paid=paid,
            sources=sources, reasons=", ".join(r["reasons"]),
        )  # fmt: skip
        story.append(Paragraph(f"<b>{escape(r['txid'])}</b> {escape(words)}", _SMALL))
    return story


_JOURNAL_KINDS = {"refund": N_("refund"), "reassignment": N_("reassignment"),
                  "write_off": N_("write-off")}  # fmt: skip


def _journal(report: dict[str, Any], w: Wording, heading: Any, zone: ZoneInfo) -> list[Flowable]:
    """The regulator's journal: the refunds it approved, then every entry recorded by the
    report's instant (only where there is one: a report without the journal keeps its bytes)."""
    if "refunds" not in report and "journal" not in report:
        return []
    story: list[Flowable] = [
        Spacer(1, 3 * mm),
        Paragraph(escape(w.text("Regulator's journal")), heading),
    ]
    for r in report.get("refunds", ()):
        paid = "; ".join(f"{p['address']} {w.btc(p['sat'])}" for p in r["paid_to"])
        words = w.text(
            "({when}): refund of {amount} BTC to {paid}, approved by the journal.",
            when=_when(w, r["block_time"], zone), amount=w.btc(r["refunded_sat"]), paid=paid,
        )  # fmt: skip
        story.append(Paragraph(f"<b>{escape(r['txid'])}</b> {escape(words)}", _SMALL))
    for listed in report.get("journal", ()):
        e = JournalEntry.from_dict(listed)
        what = {
            "refund": f"{e.operation} {w.btc(e.amount_sat)} BTC",
            "write_off": f"{e.operation} {e.period} {w.btc(e.amount_sat)} BTC",
            "reassignment": f"{e.operation} → {e.to_operation}",
        }[str(e.kind)]
        output = f" {e.outpoint_text}" if e.outpoint is not None else ""
        story.append(
            _p(
                w.text(
                    "{recorded}: {kind} {what}{output}, in effect from {effective}: {reason} "
                    "[{reference}]",
                    recorded=_when(w, e.recorded_at.isoformat(), zone),
                    kind=w.text(_JOURNAL_KINDS[str(e.kind)]), what=what, output=output,
                    effective=_when(w, e.effective_at.isoformat(), zone), reason=e.reason,
                    reference=e.reference,
                )
            )
        )  # fmt: skip
    return story


def _valuation(report: dict[str, Any], w: Wording, heading: Any) -> list[Flowable]:
    valuation = report.get("valuation")
    story: list[Flowable] = [Spacer(1, 3 * mm), Paragraph(escape(w.text("Valuation")), heading)]
    if not valuation:
        return [*story, _p(w.text("No price is known for the period: no valuation."))]
    rows = [
        (N_("Holdings at the start"), "holdings_start"),
        (N_("Holdings at the end"), "holdings_end"),
        (N_("Inflows in the period"), "inflows"),
        (N_("Price per BTC at the end"), "price_end"),
    ]
    return [
        *story,
        _table(
            ["", w.text("US dollars"), w.text("Tenge")],
            [[_p(w.text(label)), _amount(w, valuation[f"{key}_usd"]),
              _amount(w, valuation[f"{key}_kzt"])] for label, key in rows],
            (80, 45, 50),
        ),
        _p(
            w.text(
                "Prices: {usd} in dollars; {kzt} in tenge.",
                usd=_price_source(w, valuation["price_end_usd_source"]),
                kzt=_price_source(w, valuation["price_end_kzt_source"]),
            )
            + " "
            + _rule(w, valuation["rule"])
        ),
    ]  # fmt: skip


_PROVISIONAL_WORDS = {
    "period_not_ended": N_("The report's period had not ended at its instant."),
    "deadlines_not_passed": N_(
        "Some periods' deadlines had not passed: their unpaid amounts are not yet due."
    ),
    "network_figures_not_final": N_("Some days' network figures were not final."),
    "days_missing": N_("Some days lacked the figures the due needs."),
}
_PERIOD_MARKS = {"open": N_("open"), "network_figures_not_final": N_("network figures not final"),
                 "days_missing": N_("days missing")}  # fmt: skip


def _operations(report: dict[str, Any], w: Wording, heading: Any) -> list[Flowable]:
    """Two tables whose figures add up, each column defined below them: per period ending
    within the report's, Due = Settled + Past deadline + Not yet due; per operation, payments
    in the report's period = to earlier periods + to these + to later ones + credit."""
    zone = ZoneInfo(report["time_zone"])
    rows: list[list[Any]] = []
    for op in report["operations"]:
        named = w.text("{name} ({operation}, licence {licence})", name="\0", operation=op[
            "operation"], licence=op["licence"])  # fmt: skip
        rows.append([
            Paragraph(escape(named).replace("\0", f"<b>{escape(op['name'])}</b>"), _SMALL),
            "", "", "", "", "",
        ])  # fmt: skip
        for p in op["periods"]:
            marks = ", ".join(w.text(_PERIOD_MARKS[m]) for m in p["provisional"])
            label = f"{p['period']}{' *' if p['provisional'] else ''}"
            rows.append([
                _p(label + (f" ({marks})" if marks else "")), _day(p["deadline"], zone),
                w.btc(p["due_sat"]), w.btc(p["settled_sat"]), w.btc(p["past_deadline_sat"]),
                w.btc(p["not_yet_due_sat"]),
            ])  # fmt: skip
        if len(op["periods"]) != 1:
            total = (
                N_("Total") if op["periods"] else N_("No period ends within the report's period")
            )
            rows.append([
                _p(w.text(total)), "", w.btc(op["due_sat"]), w.btc(op["settled_sat"]),
                w.btc(op["past_deadline_sat"]), w.btc(op["not_yet_due_sat"]),
            ])  # fmt: skip
    dues = _table(
        [w.text("Operation / period"), w.text("Deadline"), w.text("Due"), w.text("Settled"),
         w.text("Past deadline"), w.text("Not yet due")],
        rows, (52, 20, 26, 26, 26, 26), right_from=2,
    )  # fmt: skip
    payments = _table(
        [w.text("Operation"), w.text("Received"), w.text("To earlier periods"),
         w.text("To those above"), w.text("To later periods"), w.text("Credit")],
        [[_p(op["operation"]), w.btc(op["received_sat"]), w.btc(op["received_to_earlier_sat"]),
          w.btc(op["received_to_listed_sat"]), w.btc(op["received_to_later_sat"]),
          w.btc(op["received_credit_sat"])] for op in report["operations"]],
        (36, 28, 28, 28, 28, 28),
    )  # fmt: skip
    return [
        Spacer(1, 3 * mm),
        Paragraph(escape(w.text("Operations: dues, BTC")), heading),
        dues,
        Spacer(1, 2 * mm),
        Paragraph(escape(w.text("Operations: payments received in the period, BTC")), heading),
        payments,
        Spacer(1, 1 * mm),
        _p(_rule(w, report["rules"].get("operations", ""))),
    ]


def render_report_pdf(
    report: dict[str, Any], sha256: str, private_key: Ed25519PrivateKey, language: str = "en"
) -> bytes:
    """The report as an A4 PDF in ``language`` (en, kk, ru) signed with ``private_key``
    (``signing.verify`` checks it)."""
    w = wording(language)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=22 * mm,
        title=w.text("State crypto reserve report {period}", period=report["period"]),
        author="reservewatch",
        subject=f"report sha256 {sha256}",
        lang=language,
        invariant=1,
        pageCompression=0,
    )
    footer_key = key_id(private_key.public_key())

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        digest = f"{PDF_REPORT_DIGEST_LABEL}{sha256}"
        draw_signature_footer(canvas, digest, footer_key, w.text("page {page}", page=doc.page))

    document.build(_story(report, w), onFirstPage=footer, onLaterPages=footer)
    return sign_report_pdf(buffer.getvalue(), private_key)

"""The portal's HTML: server-rendered pages, no script, every word from the catalogues.

Each function returns a whole page as text; everything that comes from data is escaped
(:func:`html.escape`). The one stylesheet is inline and allowed by its hash in the page's
Content-Security-Policy (:data:`CONTENT_SECURITY_POLICY`), so no other style or any script
can run.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from html import escape
from urllib.parse import unquote

from collector.accounts.mandatory_sale import OperationSales
from collector.accounts.mining_fee import OperationFees
from collector.bitcoin.payment import accruing_text, payment_breakdown
from collector.http.portal_view import OperationView
from remittance.i18n import Wording
from remittance.pool_report_statement import LEG_WORDS
from remittance.pool_reports import Reconciliation
from remittance.sale_statement import percents_text, totals_text

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
"""Each language named in itself, in the order the language links show them."""

STYLE = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:2rem auto;max-width:60rem;color:#111;
padding:0 1rem}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;justify-content:space-between;
align-items:center;border-bottom:1px solid #999}
h1{font-size:1.5rem}nav.lang a{margin-right:.5rem}nav.lang a[aria-current]{font-weight:bold;
color:#111;text-decoration:none}
.wide{overflow-x:auto}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.2rem .6rem;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}#breakdown td.n{white-space:nowrap}
#statements td:first-child,#mandatory-sale td:first-child{white-space:nowrap}
tr:nth-child(even) td{background:#f2f2f2}.due{color:#b00020;font-weight:bold}
tr.total th,tr.total td{border-top:1px solid #111;font-weight:bold}
code{word-break:break-all}.pay{display:flex;flex-wrap:wrap;gap:1rem 2rem;align-items:flex-start}
.pay>div{min-width:0;flex:1 1 20rem}form.inline{display:inline}
@media (max-width:40rem){body{margin:1rem auto}td,th{padding:.2rem .3rem}}
"""
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _labels(words: Wording) -> dict[str, str]:
    """The pages' fixed words in ``words``' language, escaped for HTML."""
    _ = words.text
    return {
        "sign_out": escape(_("Sign out")),
        "portal": escape(_("Reserve remittance portal")),
        "token_refused": escape(_("That token is not valid.")),
        "sign_in": escape(_("Sign in")),
        "api_token": escape(_("API token")),
        "not_computed_yet": escape(_("not computed yet")),
        "operations": escape(_("Operations")),
        "operation": escape(_("Operation")),
        "identifier": escape(_("Identifier")),
        "balance_btc": escape(_("Balance, BTC")),
        "how_to_pay": escape(_("How to pay")),
        "send_to": escape(_("Send the amount to this reserve address from your own wallet:")),
        "address": escape(_("Address")),
        "amount_to_pay": escape(_("Amount to pay")),
        "nothing_to_pay": escape(_("Nothing to pay now.")),
        "shortfall_btc": escape(_("Shortfall, BTC")),
        "to_pay_btc": escape(_("To pay, BTC")),
        "overdue": escape(_("Overdue")),
        "language": escape(_("Language")),
        "payment_link_bip_21": escape(_("Payment link (BIP-21)")),
        "confirmations_note": escape(
            _("A payment counts once it has the confirmations the regulator requires.")
        ),
        "qr_label": escape(_("QR code of the payment link")),
        "licence": escape(_("Licence")),
        "as_of": escape(_("As of")),
        "statements": escape(_("Statements")),
        "period": escape(_("Period")),
        "payment_deadline": escape(_("Payment deadline")),
        "due_btc": escape(_("Due, BTC")),
        "unpaid_btc": escape(_("Unpaid, BTC")),
        "download": escape(_("Download")),
        "statement_sha_256": escape(_("Statement SHA-256")),
        "verify_note": escape(
            _(
                "Every file is signed by the regulator. Check one with: reservewatch statement "
                "verify FILE --public-key regulator.pub.pem; it prints the statement SHA-256 "
                "shown here."
            )
        ),
        "all_operations": escape(_("All operations")),
    }


def _page(words: Wording, title: str, body: str, *, who: str = "", csrf: str = "") -> str:
    _ = words.text
    labels = _labels(words)
    signed_in = (
        f'<span>{escape(who)}</span> <form class="inline" method="post" action="/portal/logout">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<button type="submit">{labels["sign_out"]}</button></form>'
        if who
        else ""
    )
    current = ' aria-current="true"'
    languages = " ".join(
        f'<a href="?lang={code}" lang="{code}" hreflang="{code}"'
        f"{current if code == words.language else ''}>{LANGUAGE_NAMES[code]}</a>"
        for code in LANGUAGE_NAMES
    )
    return (
        f'<!doctype html><html lang="{words.language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{labels['portal']}</h1>"
        f'<nav class="lang" aria-label="{labels["language"]}">{languages}</nav>'
        f"<div>{signed_in}</div></header><main>{body}</main></body></html>"
    )


def login_page(words: Wording, csrf: str, *, failed: bool = False) -> str:
    """The sign-in form: the API token, and the form's CSRF token."""
    _ = words.text
    labels = _labels(words)
    problem = f'<p class="due" role="alert">{labels["token_refused"]}</p>' if failed else ""
    body = (
        f"<h2>{labels['sign_in']}</h2>{problem}"
        '<form method="post" action="/portal/login">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<label>{labels["api_token"]} <input type="password" name="token" id="token" '
        'autocomplete="current-password" required></label> '
        f'<button type="submit">{labels["sign_in"]}</button></form>'
    )
    return _page(words, _("Sign in"), body)


def operations_page(
    words: Wording, who: str, csrf: str, views: Sequence[OperationView], missing: Sequence[str]
) -> str:
    """The operations the signed-in user may read, each with its balance."""
    _ = words.text
    labels = _labels(words)
    rows = "".join(
        f'<tr data-operation="{escape(view.operation_id)}">'
        f'<td><a href="/portal/op/{escape(view.operation_id)}">{escape(view.name)}</a></td>'
        f'<td>{escape(view.operation_id)}</td><td class="n">{escape(words.btc(view.balance_sat))}'
        f'</td><td class="n">{escape(words.btc(view.pay_sat))}</td>'
        f'<td class="n{" due" if view.shortfall_sat else ""}">'
        f"{escape(words.btc(view.shortfall_sat))}</td>"
        f'<td class="n">{escape(_overdue(words, view.overdue_seconds))}</td></tr>'
        for view in views
    )
    rows += "".join(
        f'<tr><td><a href="/portal/op/{escape(op)}">{escape(op)}</a></td><td>{escape(op)}</td>'
        f'<td colspan="4">{labels["not_computed_yet"]}</td></tr>'
        for op in missing
    )
    body = (
        f'<h2>{labels["operations"]}</h2><div class="wide"><table id="operations"><tr>'
        f"<th>{labels['operation']}</th><th>{labels['identifier']}</th>"
        f'<th class="n">{labels["balance_btc"]}</th><th class="n">{labels["to_pay_btc"]}</th>'
        f'<th class="n">{labels["shortfall_btc"]}</th><th class="n">{labels["overdue"]}</th>'
        f"</tr>{rows}</table></div>"
    )
    return _page(words, _("Operations"), body, who=who, csrf=csrf)


def _overdue(words: Wording, seconds: int) -> str:
    if seconds <= 0:
        return words.text("no")
    days, rest = divmod(seconds, 86_400)
    return words.text("{days} d {hours} h", days=days, hours=rest // 3600)


def operation_page(
    words: Wording,
    view: OperationView,
    *,
    who: str,
    csrf: str,
    qr_svg: str,
    digests: Sequence[tuple[str, str]],
    fees: OperationFees | None = None,
    reconciled: Sequence[Reconciliation] = (),
    sales: OperationSales | None = None,
) -> str:
    """An operation's balance, deadline, what to pay (address, amount, BIP-21 URI and its QR
    code) and its statements with their SHA-256."""
    _ = words.text
    labels = _labels(words)

    def when(moment: datetime | None) -> str:
        return _("none") if moment is None else words.instant(moment, view.zone)

    def btc(amount_sat: int) -> str:
        return f"{words.btc(amount_sat)} BTC"

    figures = [
        (_("Balance"), btc(view.balance_sat), "balance"),
        (_("Next deadline"), when(view.next_deadline), "next-deadline"),
        (_("Shortfall (deadline passed)"), btc(view.shortfall_sat), "shortfall"),
        (_("Overdue"), _overdue(words, view.overdue_seconds), "overdue"),
        (_("Credit (paid ahead)"), btc(view.credit_sat), "credit"),
    ]
    summary = "".join(
        f'<tr><th>{escape(label)}</th><td id="{ident}" class="n'
        f'{" due" if ident == "shortfall" and view.shortfall_sat else ""}">{escape(value)}</td>'
        "</tr>"
        for label, value, ident in figures
    )
    parts = "".join(
        f'<tr class="part"><td>{escape(part)}</td><td class="n">{escape(btc(amount))}</td></tr>'
        for part, amount in payment_breakdown(view.payment, words, view.zone)
    )
    if not parts:
        parts = f'<tr><td colspan="2">{labels["nothing_to_pay"]}</td></tr>'
    accrual = accruing_text(view.payment, words)
    pay = (
        f'<h3>{labels["how_to_pay"]}</h3><table id="breakdown">{parts}<tr class="total">'
        f'<th>{labels["amount_to_pay"]}</th><td class="n" id="amount">'
        f"{escape(btc(view.pay_sat))}</td></tr></table>"
        + ("" if accrual is None else f'<p id="accruing">{escape(accrual)}</p>')
        + f'<div class="pay"><div>'
        f"<p>{labels['send_to']}</p>"
        f'<table><tr><th>{labels["address"]}</th><td><code id="address">'
        f"{escape(view.address)}</code></td></tr>"
        f"<tr><th>{labels['payment_link_bip_21']}</th><td>"
        f'<a id="uri" href="{escape(view.uri)}"><code>{escape(unquote(view.uri))}</code></a>'
        "</td></tr>"
        f"</table><p>{labels['confirmations_note']}"
        f'</p></div><div id="qr" role="img" aria-label="{labels["qr_label"]}">'
        f"{qr_svg}</div></div>"
    )
    digest_of = dict(digests)
    unknown = _("n/a")
    statements = "".join(
        f"<tr><td>{escape(line.label)}</td><td>{escape(when(line.deadline))}</td>"
        f'<td class="n">{escape(words.btc(line.due_sat))}</td>'
        f'<td class="n">{escape(words.btc(line.unpaid_sat))}</td><td>'
        + " ".join(
            f'<a href="/portal/op/{escape(view.operation_id)}/statements/{escape(line.label)}'
            f'.{fmt}" download>{fmt.upper()}</a>'
            for fmt in ("pdf", "csv", "json")
        )
        + f'</td><td><code class="sha256" data-period="{escape(line.label)}">'
        f"{escape(digest_of.get(line.label, unknown))}</code></td></tr>"
        for line in view.periods
    )
    body = (
        f'<h2 id="operation">{escape(view.name)} ({escape(view.operation_id)})</h2>'
        f"<p>{labels['licence']}: {escape(view.licence)}. "
        f"{labels['as_of']}: {escape(when(view.as_of))}.</p>"
        f"<table>{summary}</table>{pay}"
        f"<h3>{labels['statements']}</h3>"
        f'<div class="wide"><table id="statements"><tr><th>{labels["period"]}</th>'
        f"<th>{labels['payment_deadline']}</th>"
        f'<th class="n">{labels["due_btc"]}</th><th class="n">{labels["unpaid_btc"]}</th>'
        f"<th>{labels['download']}</th><th>{labels['statement_sha_256']}</th></tr>"
        f"{statements}</table></div><p>{labels['verify_note']}</p>"
        f"{fee_table(words, fees, view.zone)}{sale_table(words, sales, view.zone)}"
        f"{pool_report_table(words, reconciled)}"
        f'<p><a href="/portal/">{labels["all_operations"]}</a></p>'
    )
    return _page(words, view.name, body, who=who, csrf=csrf)


def fee_table(words: Wording, fees: OperationFees | None, zone: str) -> str:
    """The digital-mining fee's quarters (tenge, paid by bank transfer): each quarter's
    deadlines, fee, paid and overdue; nothing for an operation that owes no fee."""
    if fees is None or not fees.standings:
        return ""
    _ = words.text

    def kzt(amount_tiyn: int) -> str:
        return escape(words.decimal(Decimal(amount_tiyn) / 100, 2))

    rows = "".join(
        f"<tr><td>{escape(s.fee.quarter.label)}</td>"
        f"<td>{escape(words.instant(s.declaration_deadline - timedelta(seconds=1), zone))}</td>"
        f"<td>{escape(words.instant(s.payment_deadline - timedelta(seconds=1), zone))}</td>"
        f'<td class="n">{kzt(s.fee.due_tiyn)}</td><td class="n">{kzt(s.paid_tiyn)}</td>'
        f'<td class="n{" due" if s.overdue_tiyn else ""}">{kzt(s.overdue_tiyn)}</td></tr>'
        for s in reversed(fees.standings)
    )
    headers = (_("Quarter"), _("Declaration due by"), _("Payment due by"), _("Fee, KZT"),
               _("Paid, KZT"), _("Overdue, KZT"))  # fmt: skip
    number = ' class="n"'
    head = "".join(f"<th{number if i >= 3 else ''}>{escape(h)}</th>" for i, h in enumerate(headers))
    return (
        f"<h3>{escape(_('Digital-mining fee (tenge per kWh, by quarter)'))}</h3>"
        f'<div class="wide"><table id="mining-fee"><tr>{head}</tr>{rows}</table></div>'
        f"<p>{escape(_('The fee is paid by bank transfer, not to the reserve address.'))}</p>"
    )


SALE_PERIODS_SHOWN = 12
"""The mandatory sale's latest periods on the operation's page (every earlier one still short
is shown too)."""


def sale_table(words: Wording, sales: OperationSales | None, zone: str) -> str:
    """The mandatory sale (coins to sell on AIFC exchanges), newest period first: what was
    mined, the percents in force, the share to sell, what the exchanges' statements evidence,
    the shortfall (marked once past its deadline) and the deadline's last second (the periods
    are UTC days, as the statement gives them; shown in ``zone``, where the reader is, like
    the fee's deadlines); nothing for an operation whose terms set no mandatory sale."""
    if sales is None:
        return ""
    _ = words.text
    title = escape(_("Mandatory sale on AIFC exchanges (share of the mined coins, by period)"))
    if sales.refused is not None:
        refused = _("The mandatory sale is not computed: its terms or inputs were refused "
                    "({reason}).", reason=sales.refused)  # fmt: skip
        return f'<h3>{title}</h3><p id="mandatory-sale" class="due">{escape(refused)}</p>'
    cut = len(sales.periods) - SALE_PERIODS_SHOWN
    shown = [p for i, p in enumerate(sales.periods) if i >= cut or p.shortfall_sat]
    rows = "".join(
        f"<tr><td>{escape(p.label)}</td>"
        f'<td class="n">{escape(words.sat(p.mined_sat))}</td>'
        f'<td class="n">{escape(percents_text(words, p.percents))}</td>'
        f'<td class="n">{escape(words.sat(p.required_sat))}</td>'
        f'<td class="n">{escape(words.sat(p.sold_sat))}</td>'
        f'<td class="n{" due" if p.overdue else ""}">{escape(words.sat(p.shortfall_sat))}</td>'
        f"<td>{escape(words.instant(p.deadline - timedelta(seconds=1), zone))}</td>"
        f"<td>{escape(', '.join(p.sales) or _('none'))}</td></tr>"
        for p in reversed(shown)
    )
    headers = (_("Period"), _("Mined, sat"), _("Percent"), _("To sell, sat"), _("Sold, sat"),
               _("Short, sat"), _("Sell by"), _("Exchange references"))  # fmt: skip
    number = ' class="n"'
    head = "".join(
        f"<th{number if 1 <= i <= 5 else ''}>{escape(h)}</th>" for i, h in enumerate(headers)
    )
    totals = totals_text(words, sales.shortfall_sat, sales.overdue_sat)
    return (
        f"<h3>{title}</h3>"
        f'<div class="wide"><table id="mandatory-sale"><tr>{head}</tr>{rows}</table></div>'
        f"<p>{escape(totals)}</p>"
    )


def pool_report_table(words: Wording, reconciled: Sequence[Reconciliation]) -> str:
    """The pools' reports reconciled, newest month first: the three readings and the legs
    beyond the tolerance; nothing for an operation no report names (never its IIN/BIN)."""
    if not reconciled:
        return ""
    _ = words.text

    def cell(amount_sat: int | None) -> str:
        return escape(_("not observable") if amount_sat is None else words.sat(amount_sat))

    rows = "".join(
        f"<tr><td>{escape(m.pool)}</td><td>{m.month:%Y-%m}</td>"
        f'<td class="n">{cell(m.readings.report_sat)}</td>'
        f'<td class="n">{cell(m.readings.api_sat)}</td>'
        f'<td class="n">{cell(m.readings.chain_sat)}</td>'
        f"<td{' class=due' if m.findings else ''}>"
        f"{escape('; '.join(_(LEG_WORDS[f.leg]) for f in m.findings) or _('none'))}</td></tr>"
        for m in sorted(reconciled, key=lambda m: (m.month, m.pool), reverse=True)
    )
    headers = (_("Pool"), _("Month"), _("Report, sat"), _("Pool's API, sat"), _("Chain, sat"),
               _("Findings"))  # fmt: skip
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    title = escape(_("Pools' reports to the tax authority, reconciled"))
    return (
        f"<h3>{title}</h3>"
        f'<div class="wide"><table id="pool-reports"><tr>{head}</tr>{rows}</table></div>'
    )


def error_page(words: Wording, message: str, *, who: str = "", csrf: str = "") -> str:
    """A refusal or an error, said in words, with the way back."""
    _ = words.text
    labels = _labels(words)
    body = (
        f'<h2 role="alert">{escape(message)}</h2>'
        f'<p><a href="/portal/">{labels["all_operations"]}</a></p>'
    )
    return _page(words, message, body, who=who, csrf=csrf)

"""The public transparency page as HTML, one page per language: ``index.html`` in Kazakh (the
state language), ``ru.html`` and ``en.html``, each linking to the others, all from the one
document ``transparency.json`` holds (``reserve_report.transparency_document``).

Words come from the Babel catalogues (:mod:`remittance.i18n`), numbers and instants are the
language's (BTC with eight decimals; instants to the minute in the regulator's zone; block
heights as explorers write them, without separators). Every
proof of control is published whole — the address, the message exactly as signed, the
signature, the block its message names, when it was registered and until when it stands — so
that anyone can check it with a BIP-322 verifier and a block explorer; a wallet without a
proof says so, and names no signature.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from remittance.i18n import LANGUAGES, Language, Wording, wording

PAGE_NAMES: Final[Mapping[Language, str]] = {"kk": "index.html", "ru": "ru.html", "en": "en.html"}
"""Each language's page (Kazakh, the state language, at the site's root)."""
LANGUAGE_NAMES: Final[Mapping[Language, str]] = {
    "kk": "Қазақша",
    "ru": "Русский",
    "en": "English",
}

_STYLE = (
    "body{font-family:sans-serif;max-width:62em;margin:2em auto;padding:0 1em;line-height:1.4}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{padding:2px 8px;"
    "border-bottom:1px solid #ddd;text-align:left}.n{text-align:right;"
    "font-variant-numeric:tabular-nums;white-space:nowrap}tr.total td{font-weight:bold;"
    "border-top:1px solid #888}nav{text-align:right}nav a,nav b{margin-left:1em}"
    "pre,.sig{background:#f4f4f4;padding:4px 6px;font-size:90%;white-space:pre-wrap;"
    "overflow-wrap:anywhere;margin:.2em 0}.proof{border-left:3px solid #ccc;padding-left:.8em;"
    "margin:.6em 0}.proven{color:#14662b}.stale,.invalid{color:#a3260f}.unproven{color:#666}"
)


def _moment(w: Wording, text: str | None, zone: str) -> str:
    if text is None:
        return ""
    return w.instant(datetime.fromisoformat(text.replace("Z", "+00:00")), zone)


def _source_words(w: Wording, row: Mapping[str, Any]) -> str:
    if row["source"] == "mined":
        return w.text("Remitted by an operation")
    if row["source"] == "seized":  # only a forfeited case's coins are holdings
        return w.text("Forfeited seized assets")
    if row["holder"]:
        return w.text("Paid to custody from outside")
    return w.text("Coins never seen arriving")


def _case_state(w: Wording, state: str) -> str:
    words = {
        "seized": w.text("Seized, not forfeited"),
        "order_pending": w.text("Forfeiture order pending"),
        "forfeited": w.text("Forfeited"),
        "released": w.text("Released by order"),
    }
    return words[state]


def _held_apart(w: Wording, doc: Mapping[str, Any]) -> str:
    """The seized cases' coins that are not the state's (yet, or any more), by case."""
    apart = doc.get("held_apart") or {"total_sat": 0, "by_case": []}
    if not apart["by_case"]:
        return ""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(r['case'])}</td><td>{e(_case_state(w, r['state']))}</td>"
        f"<td class=n>{e(w.btc(r['sat']))}</td></tr>"
        for r in apart["by_case"]
    )
    heading = w.text("Seized assets held apart: not the state's property")
    case, state, total = w.text("Case"), w.text("Legal state"), w.text("Total")
    return (
        f"<h2>{e(heading)}</h2><table><tr><th>{e(case)}</th><th>{e(state)}</th>"
        f"<th class=n>BTC</th></tr>{rows}<tr class=total><td colspan=2>{e(total)}</td>"
        f"<td class=n>{e(w.btc(apart['total_sat']))}</td></tr></table>"
        f"<p>{e(w.text(doc['cases_rule']))}</p>"
    )


def _status(w: Wording, status: str) -> str:
    words = {
        "proven": w.text("proven"),
        "unproven": w.text("unproven"),
        "invalid": w.text("invalid"),
        "stale": w.text("stale"),
    }
    return f"<b class={status}>{html.escape(words[status])}</b>"


def _wallet_heading(w: Wording, wallet: Mapping[str, Any]) -> str:
    holder = wallet["holder"]
    if wallet["role"] == "reserve":
        return w.text("Reserve wallet of operation {holder}", holder=holder)
    if wallet["role"] == "intake":
        return w.text("Intake wallet of case {holder}", holder=holder)
    return w.text("Custody wallet {holder}", holder=holder)


def _proof(w: Wording, proof: Mapping[str, Any], zone: str) -> str:
    e = html.escape
    address = f"<code>{e(proof['address'])}</code>"
    if proof.get("signature") is None:
        return (
            "<div class=proof>"
            + w.text("No proof of control is registered for {address}.", address=address)
            + "</div>"
        )
    status = proof["status"]
    lines = [
        w.text("{address}: {status}.", address=address, status=_status(w, status)),
        w.text(
            "Registered {registered}; the message names block {height}.",
            registered=e(_moment(w, proof["registered_at"], zone)),
            height=proof["block_height"] if proof["block_height"] is not None else "—",
        ),
    ]
    if proof.get("expires_at") is not None:
        until = e(_moment(w, proof["expires_at"], zone))
        lines.append(
            w.text("Stale since {instant}: a newer proof is due.", instant=until)
            if status == "stale"
            else w.text("Stands until {instant}.", instant=until)
        )
    signed, signature = w.text("Message signed"), w.text("Signature (BIP-322)")
    return (
        "<div class=proof><p>"
        + " ".join(lines)
        + "</p>"
        + f"<div>{e(signed)}:</div><pre>{e(proof['message'])}</pre>"
        + f"<div>{e(signature)}:</div>"
        + f"<div class=sig><code>{e(proof['signature'])}</code></div></div>"
    )


def _wallet(w: Wording, wallet: Mapping[str, Any], zone: str) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td><code>{e(a['address'])}</code></td><td class=n>{e(w.btc(a['received_sat']))}"
        "</td></tr>"
        for a in wallet["addresses"]
    )
    total = sum(a["received_sat"] for a in wallet["addresses"])
    proofs = "".join(_proof(w, p, zone) for p in wallet["proof_addresses"])
    standing = w.text("Proof of control: {status}", status=_status(w, wallet["proof"]))
    address, received, total_words = w.text("Address"), w.text("Received, BTC"), w.text("Total")
    return (
        f"<h3>{e(_wallet_heading(w, wallet))}</h3><p>{standing}</p>{proofs}"
        f"<table><tr><th>{e(address)}</th><th class=n>{e(received)}</th></tr>{rows}"
        f"<tr class=total><td>{e(total_words)}</td><td class=n>{e(w.btc(total))}</td></tr>"
        "</table>"
    )


def transparency_html(doc: Mapping[str, Any], language: Language) -> str:
    """The page in ``language``."""
    w, e, zone = wording(language), html.escape, doc["time_zone"]
    switch = " ".join(
        f"<b>{LANGUAGE_NAMES[other]}</b>"
        if other == language
        else f"<a href={PAGE_NAMES[other]} hreflang={other} lang={other}>"
        f"{LANGUAGE_NAMES[other]}</a>"
        for other in LANGUAGES
    )
    rows = "".join(
        f"<tr><td>{e(_source_words(w, r))}</td><td>{e(r['holder'])}</td>"
        f"<td class=n>{e(w.btc(r['sat']))}</td></tr>"
        for r in doc["by_source"]
    )
    total_words = w.text("Total")
    total = (
        f"<tr class=total><td colspan=2>{e(total_words)}</td>"
        f"<td class=n>{e(w.btc(doc['total_sat']))}</td></tr>"
    )
    waiting = doc["pending"]
    pending = (
        "<p>"
        + e(
            w.text(
                "Pending, not counted above (in the mempool): {count} transaction(s) of the "
                "reserve's own, {unapproved} BTC to addresses outside its wallets, {custody} BTC "
                "to custody, {fee} BTC in fees:",
                count=len(waiting["movements"]),
                unapproved=w.btc(waiting["unapproved_sat"]),
                custody=w.btc(waiting["to_custody_sat"]),
                fee=w.btc(waiting["fee_sat"]),
            )
        )
        + " "
        + ", ".join(f"<code>{e(m['txid'])}</code>" for m in waiting["movements"])
        + ".</p>"
        if waiting["movements"]
        else ""
    )
    as_of = _moment(w, doc["generated_at"], zone)
    title = w.text("State crypto reserve")
    wallets = "".join(_wallet(w, wallet, zone) for wallet in doc["wallets"])
    by_source, source, holder = w.text("Holdings by source"), w.text("Source"), w.text("Holder")
    watched = w.text("Watched wallets and their proofs of control")
    return (
        f"<!doctype html><html lang={language}><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{e(title)}</title><style>{_STYLE}</style><nav>{switch}</nav>"
        f"<h1>{e(title)}</h1><p>"
        + e(
            w.text(
                "As of {instant} (block {block}): {total} BTC held.",
                instant=as_of,
                block=doc["tip_height"] if doc["tip_height"] is not None else "—",
                total=w.btc(doc["total_sat"]),
            )
        )
        + f"</p><h2>{e(by_source)}</h2>"
        f"<table><tr><th>{e(source)}</th><th>{e(holder)}</th>"
        f"<th class=n>BTC</th></tr>{rows}{total}</table>{pending}"
        f"<p>{e(w.text(doc['holdings_rule']))}</p><p>{e(w.text(doc['rule']))}</p>"
        f"{_held_apart(w, doc)}"
        f"<h2>{e(watched)}</h2><p>"
        + w.text(
            "Every address below can be checked on any block explorer; {json} holds the same "
            "data, every proof included.",
            json="<a href=transparency.json>transparency.json</a>",
        )
        + "</p><p>"
        + e(
            w.text(
                "To check a proof: verify its signature with any BIP-322 verifier for the "
                "address and the message exactly as shown (three lines, no final newline), and "
                "check on a block explorer that the block the message names is at the height "
                "shown. A proof stands {days} days from its registration, then is stale until "
                "a newer one is registered.",
                days=doc["proof_max_age_days"],
            )
        )
        + f"</p>{wallets}</html>\n"
    )

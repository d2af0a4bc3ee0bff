"""A seized case forfeited mid-period in the reserve report and on the public page: held apart
at the period's start (its order pending), counted at its end; a release to the ordered
destination listed as a release, not an unapproved outflow; every language names the state."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from collector.config.model import Config
from collector.documents.public_page import transparency_html
from collector.documents.reserve_report import transparency_document
from remittance.cases import CASES_RULE
from remittance.periods import parse_report_period
from remittance.reserve import Coin
from remittance.reserve_pdf import render_report_pdf
from remittance.reserve_report import CaseInfo, ReportInputs, build_report
from remittance.reserve_report_csv import render_report_csv
from remittance.signing import new_private_key, report_sha256
from tests.support.configs import reserve_only
from tests.support.poppler import pdf_words

FORFEITED = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
RELEASED = "bc1q0xcqpzrky6eff2g52qdye53xkk9jxkvrh6yhyw"
VICTIM = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
STRANGER = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
FORFEITED_AT = datetime(2026, 3, 14, 19, tzinfo=UTC)  # 15 March 00:00 in Almaty
AS_OF = datetime(2026, 4, 2, tzinfo=UTC)


def tx(n: int) -> str:
    return f"{n:064x}"


def _config() -> Config:
    def case(name: str, address: str, states: list[dict[str, str]]) -> dict[str, Any]:
        return {"case": name, "authority": "ACA", "order_ref": "seizure", "addresses": [address],
                "states": states}  # fmt: skip

    return reserve_only(
        time_zone="Asia/Almaty",
        intake=[
            case("KZ-1", FORFEITED, [
                {"state": "order_pending", "from": "2026-02-20"},
                {"state": "forfeited", "from": "2026-03-15", "order": "final 7/2026"},
            ]),
            case("KZ-2", RELEASED, [
                {"state": "released", "from": "2026-03-20", "order": "release 3/2026",
                 "destination": VICTIM},
            ]),
        ],
    )  # fmt: skip


def _inputs(config: Config) -> ReportInputs:
    intake = config.reserve.intake
    coins = [
        Coin(tx(1), 0, 70_000_000, "intake", "KZ-1", FORFEITED, "confirmed", 100,
             datetime(2026, 2, 10, tzinfo=UTC)),
        Coin(tx(2), 0, 9_000_000, "intake", "KZ-2", RELEASED, "confirmed", 101,
             datetime(2026, 2, 11, tzinfo=UTC)),
        # KZ-2's coins to the victim, after the release (a 10,000 sat fee)...
        Coin(tx(3), 0, 5_990_000, "outside", "", VICTIM, "confirmed", 200,
             datetime(2026, 3, 21, tzinfo=UTC)),
        # ...and the rest of them to a stranger: still unapproved.
        Coin(tx(3), 1, 3_000_000, "outside", "", STRANGER, "confirmed", 200,
             datetime(2026, 3, 21, tzinfo=UTC)),
    ]  # fmt: skip
    return ReportInputs(
        period=parse_report_period("2026-03"),
        as_of=AS_OF,
        tip_height=300,
        zone="Asia/Almaty",
        coins=coins,
        spends=[(tx(3), tx(2), 0)],
        operations=[],
        cases=[CaseInfo(c.case, "ACA", c.order_ref, c.received_from) for c in intake],
        inflow_confirmations=1,
        case_histories=config.reserve.case_histories(),
    )


def test_a_case_forfeited_mid_period_is_apart_at_the_start_and_held_at_the_end() -> None:
    report = build_report(_inputs(_config()))
    start, end = report["holdings"]["start"], report["holdings"]["end"]
    assert start["total_sat"] == 0
    assert start["held_apart"] == {
        "total_sat": 79_000_000,
        "by_case": [
            {"case": "KZ-1", "state": "order_pending", "sat": 70_000_000},
            {"case": "KZ-2", "state": "seized", "sat": 9_000_000},
        ],
    }
    assert end["total_sat"] == 70_000_000
    assert end["by_source"] == [{"source": "seized", "holder": "KZ-1", "sat": 70_000_000}]
    assert end["held_apart"] == {"total_sat": 0, "by_case": []}  # KZ-2's coins all left
    [kz1, kz2] = report["seized"]
    assert (kz1["state"], kz1["since"], kz1["order"]) == (
        "forfeited",
        "2026-03-14T19:00:00Z",
        "final 7/2026",
    )
    assert (kz2["state"], kz2["destination"]) == ("released", VICTIM)
    assert report["rules"]["cases"] == CASES_RULE


def test_a_release_to_the_ordered_destination_is_listed_apart_from_the_unapproved() -> None:
    report = build_report(_inputs(_config()))
    [released] = report["released_outflows"]
    assert released["paid_to"] == [{"address": VICTIM, "vout": 0, "sat": 5_990_000}]
    [unapproved] = report["unapproved_outflows"]
    assert [p["address"] for p in unapproved["paid_to"]] == [STRANGER]
    assert unapproved["unapproved_sat"] == 3_000_000
    csv_text = render_report_csv(report, "0" * 64).decode()
    assert "held_apart,start,KZ-1,order_pending,70000000,0.70000000" in csv_text
    assert f"released,{tx(3)},confirmed,2026-03-21T00:00:00Z,{VICTIM},5990000" in csv_text
    # Received in February: nothing in the period; forfeited since 15 March in Almaty.
    assert "seized,KZ-1,ACA,seizure,0,0.00000000,forfeited,2026-03-14T19:00:00Z" in csv_text


def test_the_pdf_states_each_case_s_legal_state_and_what_is_held_apart(tmp_path: Path) -> None:
    report = build_report(_inputs(_config()))
    pdf = render_report_pdf(report, report_sha256(report), new_private_key())
    text, _ = pdf_words(pdf, tmp_path)
    assert "Held apart, not the state's: case KZ-1, forfeiture order pending" in text
    assert "forfeited since 2026-03-15 00:00" in text  # the zone and the order wrap in the cell
    assert "Asia/Almaty (final 7/2026)" in text
    assert "Released by order" in text


def test_the_public_page_shows_the_cases_held_apart_in_three_languages() -> None:
    config = _config()
    inputs = _inputs(config)
    before = transparency_document(config, replace(inputs, as_of=datetime(2026, 3, 1, tzinfo=UTC)))
    assert before["total_sat"] == 0 and before["held_apart"]["total_sat"] == 79_000_000
    after = transparency_document(config, inputs)
    assert after["total_sat"] == 70_000_000 and after["held_apart"]["total_sat"] == 0
    words = {"kk": "Тәркілеу туралы шешім күтілуде", "ru": "Решение о конфискации",
             "en": "Forfeiture order pending"}  # fmt: skip
    for language, pending_words in words.items():
        page = transparency_html(before, language)  # type: ignore[arg-type]
        assert pending_words in page, language
        assert "KZ-1" in page
    assert "Тәркіленген активтер" in transparency_html(after, "kk")

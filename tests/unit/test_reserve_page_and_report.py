"""The public page and the central bank's report state one holdings figure for one instant,
by one rule (confirmed holdings), with the reserve's mempool transactions shown apart as
pending on both."""

from __future__ import annotations

from datetime import UTC, datetime

from collector.config.load import parse_config
from collector.documents.reserve_report import transparency_document
from remittance.periods import parse_report_period
from remittance.reserve import HOLDINGS_AT_RULE, RULE, Coin
from remittance.reserve_report import ReportInputs, build_report

VAULT = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
STRANGER = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
T0 = datetime(2026, 10, 3, tzinfo=UTC)
AS_OF = datetime(2026, 10, 9, 12, tzinfo=UTC)


def tx(n: int) -> str:
    return f"{n:064x}"


def test_the_page_and_the_report_give_the_same_holdings_with_an_outflow_pending() -> None:
    config = parse_config(
        {
            "network": {"esplora_url": "http://127.0.0.1:1/api"},
            "reserve": {"custody": [{"name": "vault", "addresses": [VAULT]}]},
            "operations": [],
        }
    )
    coins = [
        Coin(tx(1), 0, 250_000_000, "custody", "vault", VAULT, "confirmed", 100, T0),
        # In the mempool at the instant: 0.1 BTC out, the rest back, a 1,000 sat fee.
        Coin(tx(2), 0, 10_000_000, "outside", "", STRANGER, "mempool"),
        Coin(tx(2), 1, 239_999_000, "custody", "vault", VAULT, "mempool"),
    ]
    inputs = ReportInputs(
        period=parse_report_period("2026-10"),
        as_of=AS_OF,
        tip_height=200,
        zone="Asia/Almaty",
        coins=coins,
        spends=[(tx(2), tx(1), 0)],
        operations=[],
        cases=[],
        inflow_confirmations=1,
    )
    report = build_report(inputs)
    page = transparency_document(config, inputs)
    assert report["holdings"]["end"]["total_sat"] == page["total_sat"] == 250_000_000
    assert report["holdings"]["end"]["by_source"] == page["by_source"]
    assert report["holdings"]["pending"] == page["pending"]
    assert page["pending"]["unapproved_sat"] == 10_000_000
    assert page["pending"]["fee_sat"] == 1_000
    assert [m["txid"] for m in page["pending"]["movements"]] == [tx(2)]
    # The outflow alarms from the mempool all the same; both documents state the rule.
    assert [m["txid"] for m in report["unapproved_outflows"]] == [tx(2)]
    assert report["rules"]["holdings_at"] == page["holdings_rule"] == HOLDINGS_AT_RULE
    assert report["rules"]["holdings"] == page["rule"] == RULE

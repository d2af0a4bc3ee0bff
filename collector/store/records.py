"""Plain, frozen records that cross the store's boundary (never ORM objects).

Adapters and the telemetry path produce these; :class:`collector.store.queries.Store` writes
and reads them. Amounts are integer satoshis, hash rates H/s, power W, energy Wh, times UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from remittance import ledger

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def row_of(record: Any) -> dict[str, Any]:
    """A record as a row: its fields by name. Every record here is flat (no field holds a
    record or a container), so this is what ``dataclasses.asdict`` gives, without the deep
    copy of every value that made it a tenth of the telemetry flush (py-spy, site stream)."""
    record_type = type(record)
    names = _FIELD_NAMES.get(record_type)
    if names is None:
        names = _FIELD_NAMES[record_type] = tuple(field.name for field in fields(record))
    return {name: getattr(record, name) for name in names}


@dataclass(frozen=True, slots=True)
class RollupDelta:
    """What one flush adds to a site's minute: sums, so several flushes of a minute add up."""

    site_id: str
    operation_id: str
    minute: datetime
    samples: int
    power_w_sum: float
    power_w_max: float
    energy_wh: int
    hashrate_hs_sum: float
    hashrate_samples: int
    miners_online_last: int | None


@dataclass(frozen=True, slots=True)
class Rollup:
    site_id: str
    operation_id: str
    minute: datetime
    samples: int
    power_w_avg: float
    power_w_max: float
    energy_wh: int
    hashrate_hs_avg: float | None
    miners_online_last: int | None


@dataclass(frozen=True, slots=True)
class SiteStateRecord:
    site_id: str
    last_ts: datetime
    meter_wh: int | None
    energy_total_wh: int
    power_w: float
    hashrate_hs: float | None
    miners_online: int | None
    miners_total: int | None


@dataclass(frozen=True, slots=True)
class CurtailmentRecord:
    region: str
    issued_at: datetime
    max_power_w: int | None
    until: datetime | None
    lifted_at: datetime | None


@dataclass(frozen=True, slots=True)
class EarningRecord:
    """Earnings credited by a pool to one account for one UTC day."""

    operation_id: str
    pool_kind: str
    account: str
    day: date
    amount_sat: int
    source: str = "api"
    income: str = "mining"  # mining | fee_rebate | referral | other


@dataclass(frozen=True, slots=True)
class PoolHashrateDayRecord:
    operation_id: str
    pool_kind: str
    account: str
    day: date
    hashrate_hs: float
    source: str = "pool"  # pool | samples
    coverage: float | None = None  # samples: the share of the day they covered


@dataclass(frozen=True, slots=True)
class PoolHashrateSampleRecord:
    """One hash-rate reading of a pool account by the collector, when it was observed."""

    operation_id: str
    pool_kind: str
    account: str
    observed_at: datetime
    hashrate_hs: float


@dataclass(frozen=True, slots=True)
class PoolStatusRecord:
    operation_id: str
    pool_kind: str
    account: str
    hashrate_hs: float
    hashrate_24h_hs: float
    workers_online: int
    workers_offline: int
    observed_at: datetime


@dataclass(frozen=True, slots=True)
class BlockRecord:
    height: int
    block_hash: str
    time: datetime
    reward_sat: int


@dataclass(frozen=True, slots=True)
class NetworkDayRecord:
    day: date
    blocks: int
    rewards_sat: int
    hashrate_hs: float
    difficulty: float | None
    complete: bool


@dataclass(frozen=True, slots=True)
class ChainTipRecord:
    chain: str
    height: int
    block_hash: str | None
    observed_at: datetime


@dataclass(frozen=True, slots=True)
class ReserveOutputRecord:
    """An output paying a reserve address; ``status`` is mempool, confirmed or removed."""

    txid: str
    vout: int
    operation_id: str
    address: str
    amount_sat: int
    status: str
    block_height: int | None
    block_hash: str | None
    block_time: datetime | None
    kind: str = "remittance"  # "internal": a movement of the reserve's own coins; "outflow"
    # (or "payout": paid into an operation's payout wallet, no part of the reserve)
    role: str = "reserve"  # the wallet's: reserve, intake, custody, payout, or outside


PAYOUT: Final = "payout"
"""The kind and role of an output paying an operation's payout wallet: stored beside the
reserve's outputs for the pools' reports' chain leg only. :meth:`Store.reserve_outputs` leaves
it out unless asked for by kind, so no figure of the reserve ever reads one."""

RESERVE_KINDS: Final = ("remittance", "internal", "outflow")
"""The kinds of the reserve's own outputs (what :meth:`Store.reserve_outputs` reads by default)."""

WATCHED_KINDS: Final = (*RESERVE_KINDS, PAYOUT)
"""Every kind the chain watchers store (and re-check after a re-organisation)."""


def confirmations(output: ReserveOutputRecord, tip_height: int) -> int:
    """Blocks on top of (and including) the output's block; 0 unless confirmed (the one
    rule for the watcher's rechecks and the reserve's figures)."""
    if output.status != "confirmed":
        return 0
    return ledger.confirmations(output.block_height, tip_height)


@dataclass(frozen=True, slots=True)
class ReserveSpendRecord:
    """Transaction ``txid`` spends the watched output ``prev_txid:prev_vout``."""

    txid: str
    prev_txid: str
    prev_vout: int


@dataclass(frozen=True, slots=True)
class PriceQuoteRecord:
    """``rate`` units of ``quote`` for one ``base`` (``BTC``/``USD`` from a ticker,
    ``USD``/``KZT`` from the National Bank), quoted by ``source`` for ``instant``;
    ``recorded_at`` is when the store learnt it (``None`` on a record not yet stored)."""

    base: str
    quote: str
    source: str
    instant: datetime
    rate: Decimal
    recorded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class GridMeterRecord:
    """The grid operator's reading: ``energy_wh`` of ``site_id`` over the day or month
    (``period_kind``) starting ``period_start``; ``observed_at`` when the store learnt it."""

    site_id: str
    period_start: date
    period_kind: str  # "day" or "month"
    energy_wh: int
    observed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FeePaymentRecord:
    """A bank transfer of the digital-mining fee by ``operation_id``."""

    operation_id: str
    reference: str
    paid_on: date
    amount_tiyn: int
    observed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PoolReportRowRecord:
    """A row of ``pool``'s report for the month starting ``period``: ``amount_sat`` distributed
    to ``wallet`` of ``operation_id`` on ``distributed_on``; ``observed_at`` when imported."""

    operation_id: str
    pool: str
    period: date
    line: int
    miner_name: str
    licence_number: str
    licence_date: date
    wallet: str
    distributed_on: date
    amount_sat: int
    observed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ExchangeSaleRecord:
    """A sale of ``operation_id``'s mined coins on an AIFC exchange (``proceeds`` the
    statement's decimal text, shown only)."""

    operation_id: str
    reference: str
    sold_on: date
    exchange: str
    sold_sat: int
    proceeds: str | None = None
    observed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CaseStateRecord:
    """A seized case's change of legal state as imported (:mod:`remittance.cases`): ``state``
    from the start of ``effective_from`` in the reserve's zone by ``order_ref``; a release
    names its ``destination``. ``observed_at``: when the store learnt this revision."""

    case_id: str
    state: str  # order_pending, forfeited or released
    effective_from: date
    order_ref: str
    destination: str | None = None
    observed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class EnergyInvoiceRecord:
    """A supplier's invoice of ``site_id``'s electricity for the month starting ``period``:
    ``energy_wh`` invoiced and ``amount_tiyn`` paid; ``observed_at`` when the store learnt
    this revision."""

    site_id: str
    invoice_number: str
    period: date
    energy_wh: int
    amount_tiyn: int
    observed_at: datetime | None = None

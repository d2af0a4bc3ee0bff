"""SQLAlchemy 2 typed tables. Money is integer satoshis (BIGINT); timestamps are UTC.

Every write the collector makes is an idempotent upsert keyed by what identifies the fact (a
site and minute, an account and day, an output's txid and vout), so re-polling, backfilling and
restarting never count anything twice. Inputs that change a remittance figure also keep every
revision, append-only, with when it was observed (the ``*_revisions`` tables below).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC, on SQLite (which stores text) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; timestamps must be UTC-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {value!r}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UtcDateTime(),
        int: BigInteger,
    }


class TelemetryRollup(Base):
    """One site's telemetry over one UTC minute."""

    __tablename__ = "telemetry_rollups"

    site_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    minute: Mapped[datetime] = mapped_column(primary_key=True)
    operation_id: Mapped[str] = mapped_column(String(63), index=True)
    samples: Mapped[int] = mapped_column(Integer)
    power_w_sum: Mapped[float] = mapped_column(Float)
    power_w_max: Mapped[float] = mapped_column(Float)
    energy_wh: Mapped[int] = mapped_column(BigInteger, default=0)
    hashrate_hs_sum: Mapped[float] = mapped_column(Float, default=0.0)
    hashrate_samples: Mapped[int] = mapped_column(Integer, default=0)
    miners_online_last: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class TelemetryEnergyObserved(Base):
    """What the store learned of one site's minute of energy, by when it learned it: each
    flush's energy for the minute, summed per whole minute of observation (``observed_at``,
    the flush's instant rounded up to the minute). Energy as of T sums the rows observed by T,
    so telemetry arriving after T never changes a statement as of T. Rows from before this
    table existed count as observed at their own minute."""

    __tablename__ = "telemetry_energy_observed"

    site_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    minute: Mapped[datetime] = mapped_column(primary_key=True)
    observed_at: Mapped[datetime] = mapped_column(primary_key=True)
    energy_wh: Mapped[int] = mapped_column(BigInteger, default=0)


class SiteState(Base):
    """What a restart needs to continue a site's counters: the last reading and the meter."""

    __tablename__ = "site_state"

    site_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    last_ts: Mapped[datetime]
    meter_wh: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    energy_total_wh: Mapped[int] = mapped_column(BigInteger, default=0)
    power_w: Mapped[float] = mapped_column(Float)
    hashrate_hs: Mapped[float | None] = mapped_column(Float, nullable=True)
    miners_online: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    miners_total: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class CurtailmentOrder(Base):
    """A grid operator's curtailment order for a region, as received (history kept)."""

    __tablename__ = "curtailment_orders"

    region: Mapped[str] = mapped_column(String(63), primary_key=True)
    issued_at: Mapped[datetime] = mapped_column(primary_key=True)
    max_power_w: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    until: Mapped[datetime | None] = mapped_column(nullable=True)
    lifted_at: Mapped[datetime | None] = mapped_column(nullable=True)


class PoolEarning(Base):
    """Earnings a pool credited to one account for one UTC day."""

    __tablename__ = "pool_earnings"

    operation_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    pool_kind: Mapped[str] = mapped_column(String(31), primary_key=True)
    account: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # mining | fee_rebate | referral | other
    income: Mapped[str] = mapped_column(String(16), primary_key=True, server_default="mining")
    amount_sat: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16))  # api | csv
    recorded_at: Mapped[datetime]


class PoolHashrateDay(Base):
    """A pool account's average hash rate over one UTC day, in H/s."""

    __tablename__ = "pool_hashrate_days"

    operation_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    pool_kind: Mapped[str] = mapped_column(String(31), primary_key=True)
    account: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    hashrate_hs: Mapped[float] = mapped_column(Float)
    # pool (the pool's own daily figure) | samples (time-weighted from the collector's own)
    source: Mapped[str] = mapped_column(String(16), server_default="pool")
    coverage: Mapped[float | None] = mapped_column(Float, nullable=True)  # samples: day share
    recorded_at: Mapped[datetime]


class PoolStatus(Base):
    """The last good snapshot of a pool account: hash rates and workers, with when it was seen."""

    __tablename__ = "pool_status"

    operation_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    pool_kind: Mapped[str] = mapped_column(String(31), primary_key=True)
    account: Mapped[str] = mapped_column(String(200), primary_key=True)
    hashrate_hs: Mapped[float] = mapped_column(Float)
    hashrate_24h_hs: Mapped[float] = mapped_column(Float)
    workers_online: Mapped[int] = mapped_column(BigInteger)
    workers_offline: Mapped[int] = mapped_column(BigInteger)
    observed_at: Mapped[datetime]


class PoolHashrateSample(Base):
    """One hash-rate reading of a pool account by the collector, as observed (append-only):
    where a pool publishes no daily hash rate, the day's is averaged from these."""

    __tablename__ = "pool_hashrate_samples"

    operation_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    pool_kind: Mapped[str] = mapped_column(String(31), primary_key=True)
    account: Mapped[str] = mapped_column(String(200), primary_key=True)
    observed_at: Mapped[datetime] = mapped_column(primary_key=True)
    hashrate_hs: Mapped[float] = mapped_column(Float)


class NetworkBlock(Base):
    """A block of the best chain as last seen: its reward (subsidy + fees) in satoshis."""

    __tablename__ = "network_blocks"

    height: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    block_hash: Mapped[str] = mapped_column(String(64))
    time: Mapped[datetime] = mapped_column(index=True)
    reward_sat: Mapped[int] = mapped_column(BigInteger)


class NetworkDay(Base):
    """The network over one UTC day: blocks, all rewards (subsidy + fees), average hash rate."""

    __tablename__ = "network_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    blocks: Mapped[int] = mapped_column(Integer)
    rewards_sat: Mapped[int] = mapped_column(BigInteger)
    hashrate_hs: Mapped[float] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float, nullable=True)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_at: Mapped[datetime]


class ChainTip(Base):
    """The best chain's tip as last seen (one row per chain)."""

    __tablename__ = "chain_tip"

    chain: Mapped[str] = mapped_column(String(16), primary_key=True)
    height: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    observed_at: Mapped[datetime]


class _OutputState:
    """An output paying a reserve address (``txid``, ``vout``) and where it stands."""

    txid: Mapped[str] = mapped_column(String(64), primary_key=True)
    vout: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation_id: Mapped[str] = mapped_column(String(63), index=True)
    address: Mapped[str] = mapped_column(String(90))
    amount_sat: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    block_height: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    block_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    block_time: Mapped[datetime | None] = mapped_column(nullable=True)
    kind: Mapped[str] = mapped_column(String(16), server_default="remittance")
    role: Mapped[str] = mapped_column(String(16), server_default="reserve")


class ReserveOutput(_OutputState, Base):
    """A transaction output paying a reserve address, and where it stands on the chain.

    ``status`` is ``mempool`` (seen, unconfirmed), ``confirmed`` (in a block of the best chain)
    or ``removed`` (gone: replaced, or re-organised out). ``kind`` is ``remittance`` (paid in
    from outside) or ``internal`` (its transaction spends from a watched address: the
    reserve's own change, consolidation or move, never a payment), or ``outflow`` (an output of
    the reserve's own spending transaction to an address no wallet watches). ``role`` is the
    wallet's: ``reserve`` (``operation_id`` is the operation), ``intake`` (the case id),
    ``custody`` (the custody wallet's name) or ``outside`` (an outflow; no holder). Only
    confirmed remittances to reserve wallets with enough confirmations count as remitted.
    """

    __tablename__ = "reserve_outputs"

    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]


class ReserveSpend(Base):
    """A watched output (``prev_txid``, ``prev_vout``) spent by transaction ``txid``, as first
    seen: a fact that never changes (a transaction's inputs are fixed); whether the spend
    stands follows the spending transaction's own outputs (:class:`ReserveOutput`)."""

    __tablename__ = "reserve_spends"

    txid: Mapped[str] = mapped_column(String(64), primary_key=True)
    prev_txid: Mapped[str] = mapped_column(String(64), primary_key=True)
    prev_vout: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_seen: Mapped[datetime]


class IssuedStatement(Base):
    """A statement that was generated (and perhaps e-mailed): its digest, for the record."""

    __tablename__ = "issued_statements"

    operation_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    as_of: Mapped[datetime] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    emailed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    recipients: Mapped[str | None] = mapped_column(Text, nullable=True)


# -- revisions: every input that changes a figure, append-only, with when it was observed -----
#
# The tables above hold each fact as last seen (the live path reads them). Each write that
# changes a fact also appends its new value here, in the same transaction, with the instant
# the store's clock gave; a fact seen again unchanged appends nothing. "As of T" reads the
# latest revision of each fact observed at or before T, so a statement as of T is the same
# whenever it is made again.


class _AccountDayRevision:
    """The key of a pool account's daily fact, and when this value of it was observed."""

    operation_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    pool_kind: Mapped[str] = mapped_column(String(31), primary_key=True)
    account: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    observed_at: Mapped[datetime] = mapped_column(primary_key=True)


class EarningRevision(_AccountDayRevision, Base):
    """A value of :class:`PoolEarning` as observed at ``observed_at``."""

    __tablename__ = "earning_revisions"

    income: Mapped[str] = mapped_column(String(16), primary_key=True, server_default="mining")
    amount_sat: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16))


class PoolHashrateRevision(_AccountDayRevision, Base):
    """A value of :class:`PoolHashrateDay` as observed at ``observed_at``."""

    __tablename__ = "pool_hashrate_revisions"

    hashrate_hs: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16), server_default="pool")
    coverage: Mapped[float | None] = mapped_column(Float, nullable=True)


class NetworkDayRevision(Base):
    """A value of :class:`NetworkDay` as observed at ``observed_at``."""

    __tablename__ = "network_day_revisions"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    observed_at: Mapped[datetime] = mapped_column(primary_key=True)
    blocks: Mapped[int] = mapped_column(Integer)
    rewards_sat: Mapped[int] = mapped_column(BigInteger)
    hashrate_hs: Mapped[float] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float, nullable=True)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)


class ReserveOutputRevision(_OutputState, Base):
    """Where a reserve output stood (:class:`ReserveOutput`) as observed at ``observed_at``."""

    __tablename__ = "reserve_output_revisions"

    observed_at: Mapped[datetime] = mapped_column(primary_key=True)


class ChainTipRevision(Base):
    """A best-chain tip as observed at ``observed_at``: confirmations as of an instant count
    from the tip known then."""

    __tablename__ = "chain_tip_revisions"

    chain: Mapped[str] = mapped_column(String(16), primary_key=True)
    observed_at: Mapped[datetime] = mapped_column(primary_key=True)
    height: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class IssuedDocument(Base):
    """An issued statement, stored whole: served again byte for byte as it was issued."""

    __tablename__ = "issued_documents"

    operation_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    as_of: Mapped[datetime] = mapped_column(primary_key=True)
    format: Mapped[str] = mapped_column(String(8), primary_key=True)
    statement_sha256: Mapped[str] = mapped_column(String(64))
    due_sat: Mapped[int] = mapped_column(BigInteger)
    issued_at: Mapped[datetime]
    document: Mapped[bytes] = mapped_column(LargeBinary)


class IssuedReport(Base):
    """A reserve report or public page as issued (``kind`` ``reserve`` or ``transparency``),
    stored whole: the same command as of the same instant serves it again byte for byte."""

    __tablename__ = "issued_reports"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    as_of: Mapped[datetime] = mapped_column(primary_key=True)
    format: Mapped[str] = mapped_column(String(8), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))  # of the document's bytes
    issued_at: Mapped[datetime]
    document: Mapped[bytes] = mapped_column(LargeBinary)


class AssessedDues(Base):
    """An operation's periods' dues as the store knew them at an instant: the assessments
    that make an amount first known after its deadline due from then (issue 26, item 4).
    What the store knew at a past instant never changes, so they are kept once computed and
    a restart reads them rather than computing a pass per instant. ``basis`` fingerprints
    what else the figure came from (the operation's terms and the settings as known then,
    and the code of the money rules): a change of either computes them afresh."""

    __tablename__ = "assessed_dues"

    operation_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    known_at: Mapped[datetime] = mapped_column(primary_key=True)
    basis: Mapped[str] = mapped_column(String(64), primary_key=True)
    dues: Mapped[str] = mapped_column(Text)  # canonical JSON: period label -> due in sat
    computed_at: Mapped[datetime]


class ReminderSent(Base):
    """A payment reminder e-mailed before a deadline; appended once, never changed: a
    restart reads what was sent and does not send it again."""

    __tablename__ = "reminders_sent"

    operation_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    deadline: Mapped[datetime] = mapped_column(primary_key=True)
    sent_at: Mapped[datetime]
    unpaid_sat: Mapped[int] = mapped_column(BigInteger)
    emailed_to: Mapped[str] = mapped_column(Text)  # addresses, comma-separated
    language: Mapped[str] = mapped_column(String(8))


class TermsRevision(Base):
    """An operation's terms (its configuration entry, as JSON) as observed at
    ``observed_at``: a statement as of an instant is computed with the terms known then."""

    __tablename__ = "terms_revisions"

    operation_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    observed_at: Mapped[datetime] = mapped_column(primary_key=True)
    document: Mapped[str] = mapped_column(Text)


class PriceQuote(Base):
    """A price or an official rate, as observed (append-only): ``rate`` units of ``quote`` for
    one ``base`` (BTC in USD from an exchange ticker, USD in KZT from the National Bank),
    quoted by ``source`` for ``instant``; ``recorded_at`` is when the store learnt it. The
    rate is kept as its decimal text, exact on every backend."""

    __tablename__ = "price_quotes"

    base: Mapped[str] = mapped_column(String(8), primary_key=True)
    quote: Mapped[str] = mapped_column(String(8), primary_key=True)
    source: Mapped[str] = mapped_column(String(31), primary_key=True)
    instant: Mapped[datetime] = mapped_column(primary_key=True)
    rate: Mapped[str] = mapped_column(String(48))
    recorded_at: Mapped[datetime]


class ControlProof(Base):
    """A BIP-322 proof of control as registered (append-only), with what was established at
    registration: the signature's verification, the height of the message's block on the best
    chain then (``None``: not a block of it) and that chain's tip."""

    __tablename__ = "control_proofs"

    address: Mapped[str] = mapped_column(String(90), primary_key=True)
    registered_at: Mapped[datetime] = mapped_column(primary_key=True)
    message: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(Text)
    signature_valid: Mapped[bool] = mapped_column(Boolean)
    block_height: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    tip_height: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class ReserveDestination(Base):
    """What the chain source read of an address outside every wallet that the reserve's
    coins were paid to, when (``observed_at``): its oldest confirmed transaction found
    (``first_txid``, whose block's time is ``first_seen``; both ``NULL`` when it had only
    mempool transactions) and whether its history was read to its start (``complete``). Read
    once, kept: what an outflow's destination was is judged as it was then."""

    __tablename__ = "reserve_destinations"

    address: Mapped[str] = mapped_column(String(90), primary_key=True)
    first_txid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    first_seen: Mapped[datetime | None] = mapped_column(nullable=True)
    complete: Mapped[bool] = mapped_column(Boolean)
    observed_at: Mapped[datetime]


class GridMeterReading(Base):
    """The grid operator's metered energy of one site over a day or a month (``period_kind``
    ``day`` or ``month``, ``period_start`` its first day in the regulator's zone), kept as
    revisions by when the store learnt them: an import that changes a reading appends one."""

    __tablename__ = "grid_meter_readings"

    site_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    period_kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    observed_at: Mapped[datetime] = mapped_column(primary_key=True)
    energy_wh: Mapped[int] = mapped_column(BigInteger)


class MiningFeePayment(Base):
    """A bank transfer of the digital-mining fee, in tiyn, as imported; a bank's reference
    identifies it within its payer operation and is never re-written."""

    __tablename__ = "mining_fee_payments"

    operation_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    reference: Mapped[str] = mapped_column(String(100), primary_key=True)
    paid_on: Mapped[date] = mapped_column(Date)
    amount_tiyn: Mapped[int] = mapped_column(BigInteger)
    observed_at: Mapped[datetime] = mapped_column()


class JournalRecord(Base):
    """One entry of the regulator's journal (append-only): its canonical JSON as signed, the
    key that signed it and the signature; ``recorded_at`` from the collector's clock."""

    __tablename__ = "journal_entries"

    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recorded_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))
    operation_id: Mapped[str] = mapped_column(String(63))
    document: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(88))


class PoolReportRow(Base):
    """One row of a pool's monthly distribution report to the tax authority, as imported: a
    month's report (operation, pool, period) is stored whole at each revision, observed when
    imported; the operation is found by its IIN/BIN, which is not stored."""

    __tablename__ = "pool_report_rows"

    operation_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    pool: Mapped[str] = mapped_column(String(31), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)  # the month's first day
    observed_at: Mapped[datetime] = mapped_column(primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True)  # its order in the report
    miner_name: Mapped[str] = mapped_column(String(200))
    licence_number: Mapped[str] = mapped_column(String(100))
    licence_date: Mapped[date] = mapped_column(Date)
    wallet: Mapped[str] = mapped_column(String(90))
    distributed_on: Mapped[date] = mapped_column(Date)
    amount_sat: Mapped[int] = mapped_column(BigInteger)


class ExchangeSaleRow(Base):
    """A sale of mined coins on an AIFC exchange, from the exchange's statement as imported;
    its reference identifies it within the operation and is never re-written."""

    __tablename__ = "exchange_sales"

    operation_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    reference: Mapped[str] = mapped_column(String(100), primary_key=True)
    sold_on: Mapped[date] = mapped_column(Date)
    exchange: Mapped[str] = mapped_column(String(100))
    sold_sat: Mapped[int] = mapped_column(BigInteger)
    proceeds: Mapped[str | None] = mapped_column(String(40), nullable=True)  # exact decimal text
    observed_at: Mapped[datetime] = mapped_column()


class CaseStateImport(Base):
    """A seized case's change of legal state imported from a CSV, kept as revisions by when
    the store learnt them (one per case and state): an import that changes the day, the order
    or the destination appends one; the same row again appends nothing."""

    __tablename__ = "case_state_imports"

    case_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), primary_key=True)
    observed_at: Mapped[datetime] = mapped_column(primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date)
    order_ref: Mapped[str] = mapped_column(String(200))
    destination: Mapped[str | None] = mapped_column(String(90), nullable=True)


class EnergyInvoice(Base):
    """A supplier's invoice of a site's electricity for a month (``period`` its first day), as
    imported, kept as revisions by when the store learnt them (one per site and invoice
    number): the quarter's invoices give the site's average price paid per kWh."""

    __tablename__ = "energy_invoices"

    site_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    invoice_number: Mapped[str] = mapped_column(String(100), primary_key=True)
    observed_at: Mapped[datetime] = mapped_column(primary_key=True)
    period: Mapped[date] = mapped_column(Date)
    energy_wh: Mapped[int] = mapped_column(BigInteger)
    amount_tiyn: Mapped[int] = mapped_column(BigInteger)

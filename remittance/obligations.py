"""Mined, expected and due per period, under an effective-dated rate schedule.

Rules, per period of the operation's terms (see `compute_obligation`):

- **mined_sat** = Σ pool-reported earnings credited for the period's UTC days, over all of the
  operation's pool accounts, of the income kinds the terms count (`counted_income`: mining
  rewards and fee rebates by default; referral income and other credits are kept and shown,
  never counted unless the terms say so).
- **expected_sat** = round_half_up( Σ_days h_op(d) / h_net(d) × rewards_sat(d) ), where h_op is the
  operation's average pool-reported hash rate that day, h_net the network hash rate that day and
  rewards_sat all block subsidies + fees of that day. The sum is exact (`Fraction`); it is rounded
  **once per period**, here and nowhere else. A day without network data, without a pool hash
  rate (or one averaged from samples covering too little of the day), or with a zero/invalid
  network hash rate is listed in `missing_days` and adds 0.
- **basis_sat** = mined (`reported`), expected (`expected`) or the larger (`greater`). The
  basis and `due_days` are those in force on the period's first day (`RemittanceTerms.changes`).
  **A missing day is never worth 0 to the expected basis**: on a day listed in `missing_days`
  the expected measure takes that day's mined amount instead (what the pools reported is a
  floor the operator cannot dispute; a hash rate withheld must not lower what is owed). The
  shown `expected_sat` stays the hash-rate figure of the days that have one (flagged
  `expected_incomplete`); with a basis other than `reported`, flag
  `expected_missing_days_reported` says the basis used the reported amount for those days.
- **due_sat**, rounded half up once per period:
  - one rate in force on every counted day (the usual case): rate × basis_sat, from the integer
    basis shown on the statement, so a reader can check it by hand;
  - the rate changes inside the period, or some days have no rate: Σ over the rated days of
    (that day's rate × that day's basis), the day's basis being its mined amount (`reported`)
    or its exact expected amount (`expected`). For `greater`, both sums are worked out and the
    larger one is due: the measure is chosen by what it owes on the rated days, never by totals
    that count unrated days or weigh a low-rate day like a high-rate one (so `greater` never
    owes more than either measure alone, nor less). `basis_sat` is the chosen measure's
    total. The `rate` shown is the first rated day's; flag `rate_changed` says another
    applied too.
  - never below 0: a period whose clawbacks exceed its earnings owes nothing (flag `clawback`),
    and what it would owe below 0 (`carried_out_sat`) is **carried forward**: taken off the
    next periods' due, oldest first, until used up (`carried_in_sat`, flag
    `clawback_carried`). A pool's clawback takes back coins that an earlier period already
    owed a share of; the reserve never pays out, but it does not keep charging for them.
- A day before the schedule's first `effective_from` has **no rate**: it is listed in
  `unrated_days`, adds nothing to due, and flags the period `no_rate_in_force`. It is an error
  of that day only; the rest of the period, and every other period, is computed as usual.
- A negative day (a pool's clawback) is kept as given; flag `clawback`.
- A day whose network figures are not final (`complete=False`: not every block of the day is
  known yet) is listed in `provisional_days`, and flags the period `expected_provisional`.
- flag `reported_below_expected` when expected_sat > 0 and
  expected_sat − mined_sat > discrepancy_tolerance × expected_sat, whatever the basis.
- flag `expected_incomplete` when any day is missing.

For the period containing `as_of` (open), only days up to and including `as_of`'s UTC day are
looked at; later days are neither counted nor missing. Likewise days before the operation's
first day (in its first period).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from remittance.errors import InvalidTermsError, NoRateInForceError
from remittance.money import measured_decimal, round_half_up_sat
from remittance.periods import Period, PeriodKind, deadline


class Basis(StrEnum):
    """What the obligation is computed on."""

    REPORTED = "reported"
    EXPECTED = "expected"
    GREATER = "greater"


class ObligationFlag(StrEnum):
    """Facts about a period a reader must notice."""

    REPORTED_BELOW_EXPECTED = "reported_below_expected"
    EXPECTED_INCOMPLETE = "expected_incomplete"
    EXPECTED_PROVISIONAL = "expected_provisional"
    NO_RATE_IN_FORCE = "no_rate_in_force"
    RATE_CHANGED = "rate_changed"
    CLAWBACK = "clawback"
    CLAWBACK_CARRIED = "clawback_carried"
    EXPECTED_MISSING_DAYS_REPORTED = "expected_missing_days_reported"


class Income(StrEnum):
    """What a pool credit is for. Pools credit more than mining: Braiins' `bos_plus_reward` is
    a fee rebate, its `referral_reward` is income for bringing others."""

    MINING = "mining"
    FEE_REBATE = "fee_rebate"
    REFERRAL = "referral"
    OTHER = "other"


DEFAULT_COUNTED_INCOME = frozenset({Income.MINING, Income.FEE_REBATE})


class MissingReason(StrEnum):
    """Why a day contributes nothing to the expected figure."""

    NO_NETWORK_DATA = "no_network_data"
    NO_POOL_HASHRATE = "no_pool_hashrate"
    LOW_HASHRATE_COVERAGE = "low_hashrate_coverage"
    NETWORK_HASHRATE_ZERO = "network_hashrate_zero"
    INVALID_HASHRATE = "invalid_hashrate"
    POOL_PUBLISHES_NO_HISTORY = "pool_publishes_no_history"
    """Before the collector's first hash-rate sample of an account whose pool publishes no
    daily hash rate (OCEAN): no figure for the day can exist, not a gap in collection."""


@dataclass(frozen=True, slots=True)
class RateChange:
    """From `effective_from` (a UTC day) on, `rate` (e.g. Decimal("0.10")) is in force."""

    effective_from: date
    rate: Decimal


@dataclass(frozen=True, slots=True)
class TermsChange:
    """From `effective_from` (a UTC day) on, periods that start that day or later use this
    `basis` and these `due_days` (None: unchanged). A closed period keeps its terms."""

    effective_from: date
    basis: Basis | None = None
    due_days: int | None = None


@dataclass(frozen=True, slots=True)
class RemittanceTerms:
    """What an operation owes the reserve and when.

    Args:
        rates: the rate schedule, strictly ordered by `effective_from`; the past is never
            rewritten, a change is a new entry.
        period: how obligations are grouped in time.
        due_days: days after a period's end by which it must be paid.
        basis: what the rate applies to.
        discrepancy_tolerance: how far (as a fraction of expected) reported may fall below
            expected before the period is flagged.
        deadline_zone: the regulator's time zone; the deadline is the end of day `due_days`
            there (periods stay whole UTC mining days, as pools account).
    """

    rates: tuple[RateChange, ...]
    period: PeriodKind = PeriodKind.MONTHLY
    due_days: int = 10
    basis: Basis = Basis.REPORTED
    discrepancy_tolerance: Decimal = Decimal("0.05")
    deadline_zone: tzinfo = UTC  # the deadline is the end of day `due_days` in this zone
    changes: tuple[TermsChange, ...] = ()  # effective-dated basis and due_days
    counted_income: frozenset[Income] = DEFAULT_COUNTED_INCOME  # what `mined` sums

    def __post_init__(self) -> None:
        if not self.rates:
            msg = "rates: at least one RateChange is required"
            raise InvalidTermsError(msg)
        for index, change in enumerate(self.rates):
            if not isinstance(change.rate, Decimal) or not change.rate.is_finite():
                msg = f"rates[{index}].rate: must be a finite Decimal, got {change.rate!r}"
                raise InvalidTermsError(msg)
            if not Decimal(0) <= change.rate <= Decimal(1):
                msg = f"rates[{index}].rate: must be between 0 and 1, got {change.rate}"
                raise InvalidTermsError(msg)
            if index and change.effective_from <= self.rates[index - 1].effective_from:
                msg = f"rates[{index}].effective_from: must be after the previous entry's"
                raise InvalidTermsError(msg)
        if self.due_days < 0:
            msg = f"due_days: must be >= 0, got {self.due_days}"
            raise InvalidTermsError(msg)
        for index, term_change in enumerate(self.changes):
            if index and term_change.effective_from <= self.changes[index - 1].effective_from:
                msg = f"changes[{index}].effective_from: must be after the previous entry's"
                raise InvalidTermsError(msg)
            if term_change.due_days is not None and term_change.due_days < 0:
                msg = f"changes[{index}].due_days: must be >= 0, got {term_change.due_days}"
                raise InvalidTermsError(msg)
        tolerance = self.discrepancy_tolerance
        if not isinstance(tolerance, Decimal) or not Decimal(0) <= tolerance <= Decimal(1):
            msg = f"discrepancy_tolerance: must be a Decimal between 0 and 1, got {tolerance!r}"
            raise InvalidTermsError(msg)
        if not self.counted_income or not all(isinstance(i, Income) for i in self.counted_income):
            msg = "counted_income: at least one Income kind is required"
            raise InvalidTermsError(msg)

    def in_force(self, day: date) -> tuple[Basis, int]:
        """The basis and due days of a period that starts on `day`."""
        basis, due_days = self.basis, self.due_days
        for term_change in self.changes:
            if term_change.effective_from > day:
                break
            basis = term_change.basis or basis
            due_days = due_days if term_change.due_days is None else term_change.due_days
        return basis, due_days

    def rate_or_none(self, day: date) -> Decimal | None:
        """The rate in force on `day`, or None before the schedule's first entry."""
        rate = None
        for change in self.rates:
            if change.effective_from > day:
                break
            rate = change.rate
        return rate

    def rate_on(self, day: date) -> Decimal:
        """The rate in force on `day`; `NoRateInForceError` before the schedule starts."""
        rate = self.rate_or_none(day)
        if rate is None:
            msg = f"no rate in force on {day.isoformat()}; the schedule starts on " + (
                self.rates[0].effective_from.isoformat()
            )
            raise NoRateInForceError(msg)
        return rate


@dataclass(frozen=True, slots=True)
class DailyEarning:
    """What one pool account credited the operation for one UTC day."""

    operation: str
    pool: str
    day: date
    amount_sat: int
    income: Income = Income.MINING


@dataclass(frozen=True, slots=True)
class DailyPoolHashrate:
    """The operation's average pool-reported hash rate over one UTC day, summed over its pools.

    `source` says where it came from: `pool` (the pool's own daily figure), `samples` (a
    time-weighted average of the collector's hash-rate samples of the account, `coverage` the
    smallest share of the day they covered), or both joined by `+` when its accounts differ.
    """

    operation: str
    day: date
    hashrate_hs: float | Decimal
    source: str = "pool"
    coverage: Decimal | None = None
    covered: bool = True  # False: samples cover too little of the day; the day is missing


@dataclass(frozen=True, slots=True)
class DailyNetwork:
    """The whole network on one UTC day: blocks found, subsidies + fees, average hash rate."""

    day: date
    blocks: int
    rewards_sat: int
    hashrate_hs: float | Decimal
    complete: bool = True  # False while some of the day's blocks are not known yet


@dataclass(frozen=True, slots=True)
class MissingDay:
    """A day that adds nothing to the expected figure, and why."""

    day: date
    reason: MissingReason


@dataclass(frozen=True, slots=True)
class DayFigures:
    """One UTC day of a period: earnings per pool and the exact expected amount.

    `expected_exact_sat` is None on a missing day. It is exact; `expected_display_sat` rounds it
    for display only (per-day displayed figures may differ from the period total by rounding).
    """

    day: date
    earnings_by_pool: tuple[tuple[str, int], ...]
    pool_hashrate_hs: Decimal | None
    network_hashrate_hs: Decimal | None
    network_rewards_sat: int | None
    network_blocks: int | None
    expected_exact_sat: Fraction | None
    uncounted: tuple[tuple[str, Income, int], ...] = ()
    """Credits of kinds the terms do not count (pool, kind, amount): shown, never in mined."""
    counted_kinds: tuple[tuple[str, Income, int], ...] = ()
    """The counted credits by kind, where a pool credited more than one kind that day."""
    pool_hashrate_source: str | None = None
    pool_hashrate_coverage: Decimal | None = None

    @property
    def mined_sat(self) -> int:
        """Σ earnings of the day over all pool accounts."""
        return sum(amount_sat for _, amount_sat in self.earnings_by_pool)

    @property
    def expected_display_sat(self) -> int | None:
        """The day's expected amount rounded half up, for display only."""
        if self.expected_exact_sat is None:
            return None
        return round_half_up_sat(self.expected_exact_sat)


@dataclass(frozen=True, slots=True)
class Obligation:
    """What an operation owes for one period, and how it was worked out."""

    period: Period
    rate: Decimal
    basis: Basis
    mined_sat: int
    expected_sat: int
    basis_sat: int
    due_sat: int
    deadline: datetime
    is_open: bool
    flags: tuple[ObligationFlag, ...]
    missing_days: tuple[MissingDay, ...]
    days: tuple[DayFigures, ...] = field(repr=False)
    unrated_days: tuple[date, ...] = ()
    provisional_days: tuple[date, ...] = ()
    income_sat: tuple[tuple[Income, int], ...] = ()
    """Σ credits of the period by kind, counted or not (`counted_income` says which count)."""
    counted_income: frozenset[Income] = DEFAULT_COUNTED_INCOME
    carried_in_sat: int = 0
    """Earlier periods' clawbacks taken off this period's due (flag `clawback_carried`)."""
    carried_out_sat: int = 0
    """What this period would owe below 0, carried on to the next period's due."""


def expected_for_day(
    pool_hashrate: DailyPoolHashrate | None,
    network: DailyNetwork | None,
) -> Fraction | MissingReason:
    """The exact expected satoshis of one day: h_op / h_net × rewards_sat, or why it is missing."""
    if network is None:
        return MissingReason.NO_NETWORK_DATA
    if pool_hashrate is None:
        return MissingReason.NO_POOL_HASHRATE
    return _expected_exact(
        measured_decimal(pool_hashrate.hashrate_hs),
        measured_decimal(network.hashrate_hs),
        network.rewards_sat,
    )


def _expected_exact(
    pool_hs: Decimal | None, network_hs: Decimal | None, rewards_sat: int
) -> Fraction | MissingReason:
    """h_op / h_net × rewards_sat exactly, from already measured hash rates."""
    if network_hs is None or pool_hs is None or pool_hs < 0 or network_hs < 0:
        return MissingReason.INVALID_HASHRATE
    if network_hs == 0:
        return MissingReason.NETWORK_HASHRATE_ZERO
    # The same exact value as Fraction(pool_hs) / Fraction(network_hs) * rewards_sat, built
    # from the integer ratios with one normalisation instead of four (it runs once per
    # operation-day, ~73,000 times a pass at 100 operations × 2 years).
    pool_numerator, pool_denominator = pool_hs.as_integer_ratio()
    network_numerator, network_denominator = network_hs.as_integer_ratio()
    return Fraction(
        pool_numerator * network_denominator * rewards_sat,
        pool_denominator * network_numerator,
    )


def compute_obligation(
    period: Period,
    terms: RemittanceTerms,
    *,
    earnings_by_day: Mapping[date, Sequence[DailyEarning]],
    pool_hashrate_by_day: Mapping[date, DailyPoolHashrate],
    network_by_day: Mapping[date, DailyNetwork],
    as_of: datetime,
    first_day: date | None = None,
    carried_in_sat: int = 0,
    no_pool_history_before: date | None = None,
) -> Obligation:
    """The obligation for `period` from already-validated, per-day indexed inputs.

    Days before `first_day` (the operation's first day) and after `as_of`'s day are neither
    counted nor missing. Each day is due at the rate in force that day (see the module rules).
    `carried_in_sat`: what earlier periods' clawbacks left below 0, taken off this due.
    `no_pool_history_before`: a day before it without a pool hash rate is missing because a
    pool account publishes no daily hash rate and was not sampled yet
    (`pool_publishes_no_history`), not `no_pool_hashrate`.
    """
    last_day = as_of.astimezone(UTC).date()  # the UTC mining day, whatever the offset
    basis, due_days = terms.in_force(period.start)
    counted = terms.counted_income
    mining_counted = Income.MINING in counted
    income_sat: dict[Income, int] = {}
    days: list[DayFigures] = []
    missing: list[MissingDay] = []
    day_rates: list[Decimal | None] = []
    provisional: list[date] = []
    mined_sat = 0
    for day in period.days():
        if day > last_day:
            break
        if first_day is not None and day < first_day:
            continue
        credits = earnings_by_day.get(day, ())
        uncounted: tuple[tuple[str, Income, int], ...] = ()
        kinds: tuple[tuple[str, Income, int], ...] = ()
        if mining_counted and all(earning.income is Income.MINING for earning in credits):
            # The usual day: mining credits only, and counted.
            earnings = tuple(sorted((earning.pool, earning.amount_sat) for earning in credits))
            for _, amount_sat in earnings:  # what DayFigures.mined_sat sums, cheaply
                mined_sat += amount_sat
        else:
            earnings, uncounted, kinds = _split_credits(credits, counted)
            mined_sat += sum(amount_sat for _, amount_sat in earnings)
        for earning in credits:
            income_sat[earning.income] = income_sat.get(earning.income, 0) + earning.amount_sat
        day_rates.append(terms.rate_or_none(day))
        pool_hashrate = pool_hashrate_by_day.get(day)
        network = network_by_day.get(day)
        if network is not None and not network.complete:
            provisional.append(day)
        # Each hash rate measured once per day (as `expected_for_day` would, same values).
        pool_hs = measured_decimal(pool_hashrate.hashrate_hs) if pool_hashrate else None
        network_hs = measured_decimal(network.hashrate_hs) if network else None
        expected: Fraction | MissingReason
        if network is None:
            expected = MissingReason.NO_NETWORK_DATA
        elif pool_hashrate is None:
            no_history = no_pool_history_before is not None and day < no_pool_history_before
            expected = (
                MissingReason.POOL_PUBLISHES_NO_HISTORY
                if no_history
                else MissingReason.NO_POOL_HASHRATE
            )
        elif not pool_hashrate.covered:
            expected = MissingReason.LOW_HASHRATE_COVERAGE
        else:
            expected = _expected_exact(pool_hs, network_hs, network.rewards_sat)
        if isinstance(expected, MissingReason):
            missing.append(MissingDay(day, expected))
        days.append(
            DayFigures(
                day=day,
                earnings_by_pool=earnings,
                pool_hashrate_hs=pool_hs,
                network_hashrate_hs=network_hs,
                network_rewards_sat=network.rewards_sat if network else None,
                network_blocks=network.blocks if network else None,
                expected_exact_sat=None if isinstance(expected, MissingReason) else expected,
                uncounted=uncounted,
                counted_kinds=kinds,
                pool_hashrate_source=pool_hashrate.source if pool_hashrate else None,
                pool_hashrate_coverage=pool_hashrate.coverage if pool_hashrate else None,
            )
        )
    # The one rounding of the expected figure: the exact sum over the period's days.
    expected_sat = round_half_up_sat(
        _exact_sum(f.expected_exact_sat for f in days if f.expected_exact_sat is not None)
    )
    # The expected measure of the basis: a missing day counts its mined amount (module rules).
    expected_basis_sat = expected_sat
    if missing:
        expected_basis_sat = round_half_up_sat(
            _exact_sum(
                f.expected_exact_sat if f.expected_exact_sat is not None else Fraction(f.mined_sat)
                for f in days
            )
        )
    rated = [r for r in day_rates if r is not None]
    # The rate shown: the first rated day's; none at all in force is shown as 0, and flagged.
    rate = rated[0] if rated else (terms.rate_or_none(period.start) or Decimal(0))
    unrated = tuple(f.day for f, r in zip(days, day_rates, strict=True) if r is None)
    if not unrated and len(set(rated)) <= 1:
        # The one rounding of the due figure: rate × the period's integer basis.
        use_expected = basis is Basis.EXPECTED or (
            basis is Basis.GREATER and expected_basis_sat > mined_sat
        )
        raw_due_sat = round_half_up_sat(
            Fraction(rate) * (expected_basis_sat if use_expected else mined_sat)
        )
    else:
        # What each measure owes over the rated days, day by day at that day's rate; `greater`
        # takes the measure that owes more (never by totals that count unrated days).
        owed_reported = Fraction(0)
        owed_expected = Fraction(0)
        for figures, day_rate in zip(days, day_rates, strict=True):
            if day_rate is None:
                continue
            owed_reported += Fraction(day_rate) * figures.mined_sat
            owed_expected += Fraction(day_rate) * (
                figures.expected_exact_sat
                if figures.expected_exact_sat is not None
                else Fraction(figures.mined_sat)
            )
        use_expected = basis is Basis.EXPECTED or (
            basis is Basis.GREATER and owed_expected > owed_reported
        )
        # The one rounding, over the rated days.
        raw_due_sat = round_half_up_sat(owed_expected if use_expected else owed_reported)
    basis_sat = expected_basis_sat if use_expected else mined_sat
    clawback = any(amount < 0 for f in days for _, amount in f.earnings_by_pool)
    # A clawback carried from earlier periods is taken off this period's due; what a net
    # negative period would owe below 0 is carried on to the next (module rules).
    net_sat = raw_due_sat - carried_in_sat
    due_sat = max(net_sat, 0)
    carried_out_sat = max(-net_sat, 0)
    flags: list[ObligationFlag] = []
    tolerance = Fraction(terms.discrepancy_tolerance)
    if expected_sat > 0 and (expected_sat - mined_sat) > tolerance * expected_sat:
        flags.append(ObligationFlag.REPORTED_BELOW_EXPECTED)
    if missing:
        flags.append(ObligationFlag.EXPECTED_INCOMPLETE)
        if basis is not Basis.REPORTED:
            flags.append(ObligationFlag.EXPECTED_MISSING_DAYS_REPORTED)
    if provisional:
        flags.append(ObligationFlag.EXPECTED_PROVISIONAL)
    if unrated:
        flags.append(ObligationFlag.NO_RATE_IN_FORCE)
    if len(set(rated)) > 1:
        flags.append(ObligationFlag.RATE_CHANGED)
    if clawback:
        flags.append(ObligationFlag.CLAWBACK)
    if carried_in_sat > 0:
        flags.append(ObligationFlag.CLAWBACK_CARRIED)
    return Obligation(
        period=period,
        rate=rate,
        basis=basis,
        mined_sat=mined_sat,
        expected_sat=expected_sat,
        basis_sat=basis_sat,
        due_sat=due_sat,
        deadline=deadline(period, due_days, terms.deadline_zone),
        is_open=as_of < period.end_at,
        flags=tuple(flags),
        missing_days=tuple(missing),
        days=tuple(days),
        unrated_days=unrated,
        provisional_days=tuple(provisional),
        income_sat=tuple(sorted(income_sat.items())),
        counted_income=counted,
        carried_in_sat=carried_in_sat,
        carried_out_sat=carried_out_sat,
    )


def _split_credits(
    credits: Sequence[DailyEarning], counted: frozenset[Income]
) -> tuple[
    tuple[tuple[str, int], ...],
    tuple[tuple[str, Income, int], ...],
    tuple[tuple[str, Income, int], ...],
]:
    """A day's credits of several kinds: the counted amount per pool, the uncounted credits,
    and the counted credits by kind."""
    per_pool: dict[str, int] = {}
    uncounted: list[tuple[str, Income, int]] = []
    kinds: list[tuple[str, Income, int]] = []
    for earning in credits:
        if earning.income in counted:
            per_pool[earning.pool] = per_pool.get(earning.pool, 0) + earning.amount_sat
            kinds.append((earning.pool, earning.income, earning.amount_sat))
        else:
            uncounted.append((earning.pool, earning.income, earning.amount_sat))
    return tuple(sorted(per_pool.items())), tuple(sorted(uncounted)), tuple(sorted(kinds))


def _exact_sum(values: Iterable[Fraction]) -> Fraction:
    """Σ values exactly, normalised once at the end rather than after every addition."""
    numerator, denominator = 0, 1
    for value in values:
        numerator = numerator * value.denominator + value.numerator * denominator
        denominator *= value.denominator
    return Fraction(numerator, denominator)

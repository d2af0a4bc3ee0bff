"""The demo's simulated world: four state-linked operations, their sites, pools and payments.

Realistic orders of magnitude (see ``shared/reference/domain.md``): sites of 20–60 MW running
S19 XP / S21-class fleets at 17.5–23 J/TH, about 9 EH/s in all against a network of about
1 ZH/s (~0.9 % national share, Kazakhstan reported ~1.4 % in 2025). Every pool kind the
collector supports is used. History starts on the first day of the month two months before
"now" (:func:`history_start`), so on any day at least one whole month has closed and its
deadline has passed (:func:`story_period`); each closed month is remitted on the operations'
pay days of the following month (the 5th to the 9th, before the deadline on the 10th):

* ``ekibastuz-1``, ``karaganda-2``, ``almaty-4`` remit every month in full;
* ``pavlodar-3`` points a quarter of its hash rate at an undeclared account, under-reports its
  earnings (−8 %) and remits only 40 % of what it owes, so the shortfall, overdue and both
  discrepancy paths are all visible.

"now" is an input: the demo reads it from its clock, the tests pin it.

Sites draw about 93 % of their quota, as the simulated gateways (``simulator.sites``) report.

Earnings per day are what an FPPS pool pays for the operation's hash rate on the simulated
chain's actual rewards that day, less a 2 % pool fee, with ±1 % daily noise.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from embit import ec
from embit.networks import NETWORKS
from embit.script import p2wpkh

from collector.bitcoin.descriptors import parse_descriptor
from remittance.money import round_half_up_sat
from remittance.periods import (
    Period,
    PeriodKind,
    deadline,
    period_containing,
    periods_covering,
)
from simulator.fake_chain import FakeChain
from simulator.keys import multisig_descriptor, wpkh_descriptor

POOL_FEE = Decimal("0.02")


@dataclass(frozen=True)
class DemoSite:
    id: str
    region: str
    power_quota_w: int
    efficiency_j_per_th: Decimal
    miners_total: int
    load: float  # fraction of the quota the site draws

    @property
    def power_w(self) -> float:
        return self.power_quota_w * self.load

    @property
    def hashrate_hs(self) -> float:
        return self.power_w / float(self.efficiency_j_per_th) * 1e12


@dataclass(frozen=True)
class DemoPool:
    kind: str
    account: str
    share: float  # of the operation's hash rate pointed at this account


@dataclass(frozen=True)
class DemoOperation:
    id: str
    name: str
    license: str
    rate: str
    sites: tuple[DemoSite, ...]
    pools: tuple[DemoPool, ...]
    paid_fraction: Decimal  # of the previous month's due
    reported_fraction: float  # of what the pools really credited (under-reporting below 1)
    pay_day: int  # day of this month the previous month is remitted

    @property
    def hashrate_hs(self) -> float:
        return sum(site.hashrate_hs for site in self.sites)


def _address(seed: str) -> str:
    key = ec.PrivateKey(random.Random(seed).randbytes(32))  # noqa: S311 - demo keys, never funds
    return str(p2wpkh(key.get_public_key()).address(NETWORKS["main"]))


def _j(value: str) -> Decimal:
    return Decimal(value)


OPERATIONS: tuple[DemoOperation, ...] = (
    DemoOperation(
        "ekibastuz-1",
        "Ekibastuz State Mining 1",
        "KZ-DM-0001",
        "0.10",
        (
            DemoSite("ekb-a", "pavlodar", 60_000_000, _j("21.5"), 19_000, 0.93),
            DemoSite("ekb-b", "pavlodar", 40_000_000, _j("17.5"), 10_500, 0.93),
        ),
        (DemoPool("f2pool", "ekibastuz1", 0.7), DemoPool("foundry", "ekibastuz1-sub", 0.3)),
        Decimal(1),
        1.0,
        6,
    ),
    DemoOperation(
        "karaganda-2",
        "Karaganda Energy Mining",
        "KZ-DM-0002",
        "0.10",
        (DemoSite("krg-a", "karaganda", 50_000_000, _j("23.0"), 15_500, 0.93),),
        (DemoPool("foundry", "karaganda2", 1.0),),
        Decimal(1),
        1.0,
        7,
    ),
    DemoOperation(
        "pavlodar-3",
        "Pavlodar Digital Assets",
        "KZ-DM-0003",
        "0.15",
        (DemoSite("pvl-a", "pavlodar", 30_000_000, _j("20.0"), 8_600, 0.93),),
        (DemoPool("f2pool", "pavlodar3", 0.75),),
        Decimal("0.4"),
        0.92,
        9,
    ),
    DemoOperation(
        "almaty-4",
        "Kapshagay Renewable Mining",
        "KZ-DM-0004",
        "0.10",
        (DemoSite("alm-a", "almaty", 20_000_000, _j("17.5"), 5_700, 0.93),),
        (
            DemoPool("braiins", "kapshagay", 0.4),
            DemoPool("antpool", "kapshagay", 0.3),
            DemoPool("ocean", "bc1qkapshagay", 0.2),
            DemoPool("luxor", "kapshagay", 0.1),
        ),
        Decimal(1),
        1.0,
        5,
    ),
)


def reserve_address(operation_id: str) -> str:
    return _address(f"reserve:{operation_id}")


# The reserve's own story: a seized-asset case whose coins arrive early in the history, a
# custody vault (2-of-3 multisig) they and one operation's first remittance are swept into,
# and — in the mempool when the demo starts — a payment from the vault to an address outside
# every wallet: the unapproved outflow that raises ReserveUnapprovedOutflow.
SEIZED_CASE = "KZ-2026-0042"
SEIZED_CASE_ACCOUNT = 5  # simulator.keys account of the case's intake descriptor
VAULT = "cold-vault-1"
VAULT_ACCOUNTS = (1, 2, 3)
SEIZED_SAT = 250_000_000
SWEPT_OPERATION = "ekibastuz-1"
OUTSIDE_ADDRESS = _address("outside:unapproved")
UNAPPROVED_SAT = 10_000_000

# One operation declares the wallet its pools pay (its own, not the reserve's): F2Pool pays
# it PAID_OUT_SAT at noon UTC on the last day of the month before ``now``'s, the month its
# report to the tax authority covers (:mod:`simulator.pool_report`).
PAYOUT_OPERATION = "ekibastuz-1"
PAID_OUT_SAT = 200_000_000  # 2 BTC


def payout_address(operation_id: str) -> str:
    """Where the demo's pools pay ``operation_id``: its payout wallet."""
    return _address(f"payout:{operation_id}")


def intake_descriptor() -> str:
    return wpkh_descriptor(SEIZED_CASE_ACCOUNT)


def vault_descriptor() -> str:
    return multisig_descriptor(VAULT_ACCOUNTS, 2)


def _derived(descriptor: str, index: int) -> str:
    return parse_descriptor(descriptor, "main").address(index)


def _sweep(chain: FakeChain, source: str, destination: str, fee_sat: int = 2_000) -> int:
    """Move every unspent output of ``source`` to ``destination``; returns the amount sent."""
    amount = sum(value for _, _, value in chain.unspent(source)) - fee_sat
    if amount > 0:
        chain.pay(destination, amount, spend_from=source)
    return max(amount, 0)


@dataclass
class DemoHistory:
    """Earnings per pool account and day, and the remittances paid into the chain."""

    earnings: dict[tuple[str, str], dict[date, int]] = field(default_factory=dict)
    day_hashrate: dict[tuple[str, str], dict[date, float]] = field(default_factory=dict)
    payments: list[tuple[str, int, datetime]] = field(default_factory=list)
    swept_sat: int = 0  # what the reserve moved to its custody vault
    paid_out_sat: int = 0  # what F2Pool paid PAYOUT_OPERATION's payout wallet


DUE_DAYS = 10  # the demo's terms: each month is due 10 days after it ends
PAID_AT_HOUR = 10  # remittances are sent at 10:00 UTC on their pay day


def history_start(now: datetime) -> datetime:
    """The first instant of the month two months before ``now``'s: deep enough that, on any
    day, a whole month whose deadline has passed lies inside the history (see
    :func:`story_period`), with everything paid for it and everything since."""
    month = period_containing(PeriodKind.MONTHLY, now.astimezone(UTC).date())
    for _ in range(2):
        month = period_containing(PeriodKind.MONTHLY, month.start - timedelta(days=1))
    return month.start_at


def story_period(now: datetime) -> Period:
    """The latest month whose deadline has passed at ``now``: every operation has remitted for
    it (pavlodar-3 only 40 %), so it is the month the demo's statements and alerts show: the
    previous month once its deadline (the 11th, 00:00 UTC) is past, the month before it until
    then (at the deadline instant itself a payment is still on time: nothing is past due)."""
    month = period_containing(PeriodKind.MONTHLY, now.astimezone(UTC).date())
    while True:
        month = period_containing(PeriodKind.MONTHLY, month.start - timedelta(days=1))
        if deadline(month, DUE_DAYS) < now:
            return month


FORFEITURE_ORDER = "Specialised inter-district court final order 2-1234/2026"


def case_states(now: datetime) -> list[dict[str, str]]:
    """The seized case's legal states (``reserve.intake[].states``): its forfeiture order
    pending from the history's 6th day, after its coins arrived, and forfeited on the 15th of
    the story's month (:func:`story_period`), 00:00 in Almaty: mid-period in that month's
    reserve report, held apart at its start and the state's at its end."""
    pending = history_start(now).date() + timedelta(days=5)
    forfeited = story_period(now).start + timedelta(days=14)
    return [
        {"state": "order_pending", "from": pending.isoformat()},
        {"state": "forfeited", "from": forfeited.isoformat(), "order": FORFEITURE_ORDER},
    ]


# Kazakhstan's fixed public holidays (Labour Code art. 84 as commonly listed), for the demo's
# calendar only: a real configuration lists each year's, with the days the government moves.
_FIXED_HOLIDAYS = ((1, 1), (1, 2), (1, 7), (3, 8), (3, 21), (3, 22), (3, 23), (5, 1), (5, 7),
                   (5, 9), (7, 6), (8, 30), (10, 25), (12, 16))  # fmt: skip


def demo_holidays(now: datetime) -> list[date]:
    """The demo's ``calendar.holidays``: the fixed ones of every year the history covers."""
    years = range(history_start(now).year, now.year + 1)
    return [date(year, month, day) for year in years for month, day in _FIXED_HOLIDAYS]


def history_months(now: datetime) -> tuple[Period, ...]:
    """The months the history covers, oldest first; the last one is ``now``'s (partial)."""
    return periods_covering(
        PeriodKind.MONTHLY, history_start(now).date(), now.astimezone(UTC).date()
    )


def pay_instant(period: Period, operation: DemoOperation) -> datetime:
    """When ``operation`` remits ``period``: its pay day of the following month, 10:00 UTC."""
    return period.end_at + timedelta(days=operation.pay_day - 1, hours=PAID_AT_HOUR)


def build_history(now: datetime, chain: FakeChain) -> DemoHistory:
    """Mine the chain from :func:`history_start` to ``now``, work out each pool account's daily
    earnings from the blocks actually mined, and pay each closed month's remittance on its
    operation's pay day of the following month (those before ``now``)."""
    if chain.blocks[0].timestamp > history_start(now).timestamp():
        raise ValueError("the chain must start at history_start(now) or before")
    history = DemoHistory()
    rng = random.Random(20261124)  # noqa: S311 - reproducible noise, not security

    def rewards_by_day(period: Period) -> dict[date, tuple[int, float]]:
        per_day: defaultdict[date, list[int]] = defaultdict(list)
        hashrate: defaultdict[date, list[float]] = defaultdict(list)
        for block in chain.blocks:
            day = datetime.fromtimestamp(block.timestamp, UTC).date()
            if period.contains(day):
                per_day[day].append(block.reward_sat)
                hashrate[day].append(block.difficulty * 2**32 / 600)
        return {d: (sum(v), sum(hashrate[d]) / len(hashrate[d])) for d, v in per_day.items()}

    def earnings_for(operation: DemoOperation, days: dict[date, tuple[int, float]]) -> None:
        for pool in operation.pools:
            key = (pool.kind, pool.account)
            amounts = history.earnings.setdefault(key, {})
            hashrates = history.day_hashrate.setdefault(key, {})
            for day, (rewards_sat, network_hs) in sorted(days.items()):
                pool_hs = operation.hashrate_hs * pool.share
                noise = 1 + rng.uniform(-0.01, 0.01)
                fpps = pool_hs / network_hs * rewards_sat * (1 - float(POOL_FEE)) * noise
                amounts[day] = int(fpps * operation.reported_fraction)
                hashrates[day] = pool_hs * (1 + rng.uniform(-0.005, 0.005))

    def due_for(operation: DemoOperation, period: Period) -> int:
        owed = sum(
            amount
            for pool in operation.pools
            for day, amount in history.earnings[(pool.kind, pool.account)].items()
            if period.contains(day)
        )
        return round_half_up_sat(Decimal(owed) * Decimal(operation.rate))

    # Seized coins arrive for the case on the history's third day.
    chain.mine_until(history_start(now) + timedelta(days=2, hours=12))
    chain.pay(_derived(intake_descriptor(), 0), SEIZED_SAT)
    vault = vault_descriptor()
    sweep_at = now - timedelta(hours=36)
    this_month = now.astimezone(UTC)
    payout_at = datetime(this_month.year, this_month.month, 1, tzinfo=UTC) - timedelta(hours=12)

    def advance(to: datetime) -> None:
        """Mine to ``to``; on the way, a day and a half before ``now``, the case's coins and
        one operation's remittances go to the vault (confirmed deeply by ``now``); and at
        ``payout_at``, F2Pool pays PAYOUT_OPERATION's payout wallet."""
        if not history.paid_out_sat and payout_at <= to and payout_at <= sweep_at:
            _pay_out(payout_at)
        if not history.swept_sat and sweep_at <= to:
            chain.mine_until(sweep_at)
            history.swept_sat = _sweep(chain, _derived(intake_descriptor(), 0), _derived(vault, 0))
            history.swept_sat += _sweep(chain, reserve_address(SWEPT_OPERATION), _derived(vault, 1))
        if not history.paid_out_sat and payout_at <= to:
            _pay_out(payout_at)
        chain.mine_until(to)

    def _pay_out(at: datetime) -> None:
        chain.mine_until(at)
        chain.pay(payout_address(PAYOUT_OPERATION), PAID_OUT_SAT)
        history.paid_out_sat = PAID_OUT_SAT

    payments: list[tuple[datetime, str, int]] = []  # (when, operation, sat), sent in order
    for period in history_months(now):
        for paid_at, operation_id, amount in sorted(payments):
            advance(paid_at)
            chain.pay(reserve_address(operation_id), amount)
            history.payments.append((operation_id, amount, paid_at))
        advance(min(period.end_at, now))
        days = rewards_by_day(period)
        for operation in OPERATIONS:
            earnings_for(operation, days)
        payments = []
        if period.end_at <= now:  # closed: its remittances are due next month
            for operation in OPERATIONS:
                paid_at = pay_instant(period, operation)
                if paid_at < now:
                    amount = round_half_up_sat(due_for(operation, period) * operation.paid_fraction)
                    payments.append((paid_at, operation.id, amount))
    for paid_at, operation_id, amount in sorted(payments):  # a month closed at ``now`` exactly
        advance(paid_at)
        chain.pay(reserve_address(operation_id), amount)
        history.payments.append((operation_id, amount, paid_at))
    advance(now)
    # Now someone pays from the vault to an address outside every wallet (in the mempool).
    vault0 = _derived(vault, 0)
    left = sum(value for _, _, value in chain.unspent(vault0))
    if left > UNAPPROVED_SAT + 1_000:
        chain.pay(
            OUTSIDE_ADDRESS,
            UNAPPROVED_SAT,
            spend_from=vault0,
            extra_outputs=[(_derived(vault, 2), left - UNAPPROVED_SAT - 1_000)],
        )
    return history

"""The configuration's sections, one frozen model each: where the store, the server, the
broker and the chain are; the reserve's wallets; each operation's terms, sites and pools."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import (
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from collector.bitcoin.address import normalise_address
from collector.clock import iana_zone
from collector.config.base import CaseId, Frozen, Identifier
from collector.config.mandatory_sale import MandatorySaleConfig
from collector.config.mining_fee import SiteFeeConfig
from collector.config.pool_reports import TaxIdentity
from collector.sources.pools.registry import DESCRIPTORS
from collector.sources.pools.settings import PoolAccountSettings
from remittance.cases import CaseHistory, StateChange
from remittance.official_price import WorkingCalendar


class DatabaseConfig(Frozen):
    url: str = "sqlite+aiosqlite:///reservewatch.db"
    password_env: str | None = None
    password_file: Path | None = None

    @field_validator("url")
    @classmethod
    def _no_inline_password(cls, url: str) -> str:
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        if urlsplit(url).password:
            raise ValueError(
                "must not contain a password; use database.password_env or password_file"
            )
        return url


class TlsServerConfig(Frozen):
    cert_file: Path
    key_file: Path


class HttpConfig(Frozen):
    listen: str = "127.0.0.1:9108"
    tls: TlsServerConfig | None = None
    max_request_bytes: int = Field(default=64 * 1024, ge=1024)
    # Slow clients are cut off: a request's headers must arrive within header_timeout_s of
    # the connection opening (or of its TLS handshake, bounded the same) or of the request
    # before, its body within body_timeout_s of its headers (else 408 and the connection is
    # closed); a client that reads none of its answer for send_timeout_s is closed; an idle
    # keep-alive connection is closed after keepalive_timeout_s; at most max_connections are
    # open at once (more are closed on arrival).
    header_timeout_s: float = Field(default=10.0, gt=0, le=300)
    body_timeout_s: float = Field(default=10.0, gt=0, le=300)
    send_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    keepalive_timeout_s: float = Field(default=15.0, gt=0, le=3600)
    max_connections: int = Field(default=1000, ge=1, le=1_000_000)
    # Reverse proxies (addresses or networks, e.g. 127.0.0.1) whose X-Forwarded-For is
    # believed: a failed sign-in through one counts against the client it names, not against
    # the proxy. Empty (the default): the peer's own address, whatever the header says.
    trusted_proxies: tuple[str, ...] = ()

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, proxies: tuple[str, ...]) -> tuple[str, ...]:
        import ipaddress  # noqa: PLC0415 - only this validator needs it

        for proxy in proxies:
            ipaddress.ip_network(proxy, strict=False)  # ValueError names the bad entry
        return proxies

    @field_validator("listen")
    @classmethod
    def _host_port(cls, listen: str) -> str:
        host, sep, port = listen.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be host:port, e.g. 127.0.0.1:9108")
        return listen

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])


class ShardConfig(Frozen):
    index: int = Field(ge=0)
    count: int = Field(ge=1)

    @model_validator(mode="after")
    def _index_below_count(self) -> Self:
        if self.index >= self.count:
            raise ValueError("index must be below count")
        return self


class MqttConfig(Frozen):
    url: str = "mqtt://127.0.0.1:1883"
    topic_prefix: str = Field(default="reservewatch", pattern=r"^[A-Za-z0-9_/-]+$")
    client_id: str = "reservewatch-collector"
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    protocol: Literal["3.1.1", "5"] = "5"
    qos: Literal[0, 1] = 1
    session_expiry_s: int = Field(default=7 * 24 * 3600, ge=0)
    max_payload_bytes: int = Field(default=64 * 1024, ge=256, le=16 * 1024 * 1024)
    max_future_s: int = Field(default=300, ge=0)
    max_age_s: int = Field(default=7 * 24 * 3600, ge=60)
    miner_offline_after_s: int = Field(default=600, ge=10)
    stale_after_s: int = Field(default=300, ge=10)
    shard: ShardConfig | None = None

    @field_validator("url")
    @classmethod
    def _scheme(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError("must be mqtt://host:port or mqtts://host:port")
        if parts.password:
            raise ValueError("must not contain a password; use mqtt.password_env or password_file")
        return url

    @property
    def tls(self) -> bool:
        return urlsplit(self.url).scheme == "mqtts"

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or (8883 if self.tls else 1883)


class BitcoindConfig(Frozen):
    url: str
    user: str | None = None
    password_env: str | None = None
    password_file: Path | None = None


class NetworkConfig(Frozen):
    chain: Literal["main", "test", "signet", "regtest"] = "main"
    esplora_url: str | None = "http://127.0.0.1:3002/api"
    bitcoind: BitcoindConfig | None = None
    poll_interval_s: float = Field(default=60, ge=1)
    backfill_days: int = Field(default=90, ge=1, le=3650)
    # Requests a second to the chain's host, shared by the network and reserve jobs: 10 is
    # polite to a public instance (mempool.space); a node of your own on your network takes
    # more, and a first backfill (~900 pages for 90 days) then takes seconds, not minutes.
    requests_per_second: float = Field(default=10, gt=0, le=1000)

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if not self.esplora_url and not self.bitcoind:
            raise ValueError("set esplora_url or bitcoind")
        return self


class WalletConfig(Frozen):
    """Addresses and/or one output descriptor (``desc#checksum``; ranged ``…/*`` is derived
    up to ``reserve.gap_limit`` past the last used address)."""

    descriptor: str | None = Field(default=None, max_length=4096)
    # The address the owner's wallet shows first (index 0, receive branch): the descriptor is
    # refused if it derives another.
    descriptor_expect_first: str | None = Field(default=None, max_length=90)
    addresses: tuple[str, ...] = ()

    @field_validator("addresses")
    @classmethod
    def _normalised(cls, addresses: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(normalise_address(address) for address in addresses)

    @field_validator("descriptor_expect_first")
    @classmethod
    def _expected_normalised(cls, address: str | None) -> str | None:
        return None if address is None else normalise_address(address)

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.descriptor is None and not self.addresses:
            raise ValueError("give a descriptor or addresses")
        if self.descriptor is None and self.descriptor_expect_first is not None:
            raise ValueError("descriptor_expect_first needs a descriptor to check")
        return self


class CaseStateConfig(Frozen):
    """A seized case's change of legal state (:mod:`remittance.cases`), effective from the
    start of ``from`` in the reserve's time zone: ``order_pending`` (a forfeiture complaint or
    order not final yet), ``forfeited`` (the final order: ``order``) or ``released`` (an order,
    ``order``, to send the coins to ``destination``)."""

    state: Literal["order_pending", "forfeited", "released"]
    effective_from: date = Field(alias="from")
    order: str = Field(default="", max_length=200)
    destination: str | None = None

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @field_validator("destination")
    @classmethod
    def _address(cls, destination: str | None) -> str | None:
        return None if destination is None else normalise_address(destination)

    @model_validator(mode="after")
    def _order_and_destination(self) -> Self:
        if self.state != "order_pending" and not self.order:
            raise ValueError(f"a case {self.state} names its order: set order")
        if (self.state == "released") != (self.destination is not None):
            raise ValueError("destination is the address a release sends the coins to: only "
                             "and always with state released")  # fmt: skip
        return self


class IntakeCase(WalletConfig):
    """A seized-asset case: what its addresses receive is credited to the case. Its coins
    count as the reserve's holdings only once forfeited (``states``, oldest first)."""

    case: CaseId
    source: Literal["seized"] = "seized"
    authority: str = Field(min_length=1, max_length=200)
    order_ref: str = Field(min_length=1, max_length=200)
    received_from: str = Field(default="", max_length=200)
    states: tuple[CaseStateConfig, ...] = ()

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        order = ("order_pending", "forfeited", "released")
        for before, after in pairwise(self.states):
            if order.index(after.state) <= order.index(before.state):
                raise ValueError(
                    f"states: {after.state} cannot follow {before.state} (the order is "
                    "seized, order_pending, forfeited, released; a step may be skipped)"
                )
            if after.effective_from < before.effective_from:
                raise ValueError(f"states: {after.state} takes effect before {before.state}")
        return self

    def history(self, zone: str) -> CaseHistory:
        """The case's changes, each from the start of its day in ``zone``."""
        tz = ZoneInfo(zone)
        return CaseHistory(
            self.case,
            tuple(
                StateChange(
                    s.state,
                    datetime.combine(s.effective_from, time(0), tzinfo=tz).astimezone(UTC),
                    s.order,
                    s.destination or "",
                )
                for s in self.states
            ),
        )


class CustodyWallet(WalletConfig):
    """An approved destination of the reserve's coins (cold storage, a multisig vault)."""

    name: Identifier


class ReserveConfig(Frozen):
    confirmations: int = Field(default=6, ge=1, le=1000)
    poll_interval_s: float = Field(default=60, ge=1)
    recheck_blocks: int = Field(default=144, ge=1)
    # Unused addresses derived past the last used one of a ranged descriptor (BIP 44's 20).
    gap_limit: int = Field(default=20, ge=1, le=1000)
    intake: tuple[IntakeCase, ...] = ()
    custody: tuple[CustodyWallet, ...] = ()
    # The regulator's IANA time zone, for the times the reserve's reports show people.
    time_zone: str = "UTC"
    # When true, a remittance to a wallet without a valid proof of control counts nothing
    # (the ledger ignores it) until the wallet is proven.
    require_proof: bool = False

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, name: str) -> str:
        return iana_zone(name)

    def case_histories(self) -> tuple[CaseHistory, ...]:
        """Every intake case's legal states, effective in :attr:`time_zone`."""
        return tuple(case.history(self.time_zone) for case in self.intake)

    # A BIP-322 proof of control must name a block at most this far below the tip (1008: a
    # week) when it is registered.
    proof_max_age_blocks: int = Field(default=1008, ge=1, le=52_560)
    # A proof stands this many days from its registration, then is stale until a newer one
    # proves (custodians re-check their keys every 90 days to 6 months).
    proof_max_age_days: int = Field(default=90, ge=1, le=366)
    # A reused or spent-from address holding more than this (BTC, confirmed and unspent)
    # raises ReserveExposedBalance: coins should rest behind keys never shown on the chain.
    exposed_balance_threshold_btc: Decimal = Field(default=Decimal(1), ge=0, le=21_000_000)
    # An outflow to an address first seen on the chain this many days before it (or in it)
    # raises ReserveOutflowToNewAddress: a fresh deposit address is how an OTC sale begins.
    new_destination_days: int = Field(default=30, ge=1, le=3650)


class PricesConfig(Frozen):
    """An exchange's public ticker (Kraken's ``/0/public/Ticker?pair=XBTUSD``), polled for the
    reserve's USD value."""

    ticker_url: str = "https://api.kraken.com/0/public/Ticker?pair=XBTUSD"
    poll_interval_s: float = Field(default=300, ge=10)

    @field_validator("ticker_url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL")
        return url


class CalendarConfig(Frozen):
    """Kazakhstan's working days for the official price's rule (:mod:`remittance.official_price`):
    Monday to Friday less ``holidays`` (public holidays and days off moved by decree), plus
    ``working_days`` (weekend days a transfer made working). Listed each year: the law moves
    them."""

    holidays: tuple[date, ...] = ()
    working_days: tuple[date, ...] = ()

    @model_validator(mode="after")
    def _apart(self) -> Self:
        both = sorted(set(self.holidays) & set(self.working_days))
        if both:
            raise ValueError(f"a day is a holiday and a working day at once: {both[0]}")
        if any(day.weekday() < 5 for day in self.working_days):
            raise ValueError("working_days lists only weekend days made working")
        return self

    def working_calendar(self) -> WorkingCalendar:
        return WorkingCalendar(frozenset(self.holidays), frozenset(self.working_days))


class RateChange(Frozen):
    effective_from: date = Field(alias="from")
    rate: Decimal

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @field_validator("rate")
    @classmethod
    def _unit_interval(cls, rate: Decimal) -> Decimal:
        if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(1):
            raise ValueError("must be between 0 and 1")
        return rate


class TermsChange(Frozen):
    """From ``from`` on (a UTC day), a period starting that day or later uses this basis and
    these due days: a closed period keeps the terms it was computed with."""

    effective_from: date = Field(alias="from")
    basis: Literal["reported", "expected", "greater"] | None = None
    due_days: int | None = Field(default=None, ge=0, le=366)

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class RemittanceConfig(Frozen):
    rate: Decimal | None = None
    rates: tuple[RateChange, ...] = ()
    changes: tuple[TermsChange, ...] = ()  # effective-dated basis and due_days
    period: Literal["daily", "weekly", "monthly"] = "monthly"
    due_days: int = Field(default=10, ge=0, le=366)
    basis: Literal["reported", "expected", "greater"] = "reported"
    discrepancy_tolerance: Decimal = Decimal("0.05")
    # The regulator's IANA time zone: a deadline is the end of day `due_days` there.
    deadline_timezone: str = "UTC"
    # With statement.email: each contact is reminded this many days before a deadline with an
    # amount still open (once per deadline). Not a term of the money rules.
    remind_days_before: int | None = Field(default=None, ge=1, le=60)
    # The kinds of pool credit that `mined` sums (referral income and other credits are
    # stored and shown on the statement, and counted only when listed here).
    counted_income: tuple[Literal["mining", "fee_rebate", "referral", "other"], ...] = (
        "mining",
        "fee_rebate",
    )

    @field_validator("counted_income")
    @classmethod
    def _some_income(cls, kinds: tuple[str, ...]) -> tuple[str, ...]:
        if not kinds:
            raise ValueError("list at least one kind of income (mining, fee_rebate, ...)")
        return tuple(dict.fromkeys(kinds))

    @field_validator("deadline_timezone")
    @classmethod
    def _iana_zone(cls, name: str) -> str:
        return iana_zone(name)

    @field_validator("rate")
    @classmethod
    def _unit_interval(cls, rate: Decimal | None) -> Decimal | None:
        if rate is not None and (not rate.is_finite() or not Decimal(0) <= rate <= Decimal(1)):
            raise ValueError("must be between 0 and 1")
        return rate

    @field_validator("discrepancy_tolerance")
    @classmethod
    def _tolerance(cls, value: Decimal) -> Decimal:
        if not value.is_finite() or not Decimal(0) <= value < Decimal(1):
            raise ValueError("must be at least 0 and below 1")
        return value

    @model_validator(mode="after")
    def _rate_or_rates(self) -> Self:
        if (self.rate is None) == (not self.rates):
            raise ValueError("set exactly one of rate or rates")
        days = [change.effective_from for change in self.rates]
        if days != sorted(set(days)):
            raise ValueError("rates must be in increasing order of from, each date once")
        days = [change.effective_from for change in self.changes]
        if days != sorted(set(days)):
            raise ValueError("changes must be in increasing order of from, each date once")
        return self

    @property
    def schedule(self) -> tuple[RateChange, ...]:
        """The rate schedule; a plain ``rate`` is in force from the beginning of time."""
        if self.rate is not None:
            return (RateChange(effective_from=date(2009, 1, 3), rate=self.rate),)
        return self.rates


POOL_KINDS = tuple(DESCRIPTORS)  # the pool table: one row per adapter
"""Pool kinds with an adapter; ``collector.sources.pools.registry.ADAPTERS`` is keyed by these."""


class PoolAccountConfig(PoolAccountSettings):
    """A pool account as configured: the settings every adapter reads, checked against the
    pool table (a known kind, and what that kind needs)."""

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in POOL_KINDS:
            raise ValueError(f"unknown pool kind {kind!r}; known kinds: {', '.join(POOL_KINDS)}")
        return kind

    @model_validator(mode="after")
    def _kind_needs(self) -> Self:
        missing = DESCRIPTORS[self.kind].missing(self)
        if missing:
            raise ValueError(f"{self.kind} needs {' and '.join(missing)}")
        return self

    @property
    def reads_day_hashrate(self) -> bool:
        """Whether the pool's own daily hash rate is read (else only the collector's samples,
        which reach no further back than the collector's first poll of the account)."""
        unit = self.day_hashrate_unit or DESCRIPTORS[self.kind].default_day_hashrate_unit
        return unit != "off"


class SiteConfig(Frozen):
    id: Identifier
    region: Identifier
    power_quota_w: int = Field(ge=0, le=10_000_000_000)
    efficiency_j_per_th: Decimal = Field(gt=0, le=1000)
    miners_total: int | None = Field(default=None, ge=0)
    # The digital-mining fee: where the site's power comes from and the price paid for it.
    mining_fee: SiteFeeConfig = SiteFeeConfig()


class RetiredAddress(Frozen):
    """A reserve address the operation no longer pays to from ``until`` (a UTC day)."""

    address: str
    until: date

    @field_validator("address")
    @classmethod
    def _normalised(cls, address: str) -> str:
        return normalise_address(address)


class OperationConfig(Frozen):
    id: Identifier
    name: str = Field(min_length=1, max_length=200)
    license: str = Field(min_length=1, max_length=100)
    remittance: RemittanceConfig
    reserve_addresses: tuple[str, ...] = ()
    # A vault that gives each remittance a fresh address: ``wpkh(xpub…/0/*)#checksum``.
    reserve_descriptor: str | None = Field(default=None, max_length=4096)
    # The address the operation's wallet shows first: the descriptor must derive it first.
    reserve_descriptor_expect_first: str | None = Field(default=None, max_length=90)
    # Addresses no longer given to the operation: still watched, their payments still count.
    retired_addresses: tuple[RetiredAddress, ...] = ()
    pools: tuple[PoolAccountConfig, ...] = ()
    sites: tuple[SiteConfig, ...] = ()
    contacts: tuple[str, ...] = ()
    # The share of its mined coins to sell on an AIFC exchange (unconfirmed: configuration).
    mandatory_sale: MandatorySaleConfig | None = None
    # What its statements, portal pages and reminders are written in (kk, ru or en).
    language: Literal["kk", "ru", "en"] = "en"
    # As the pools' reports to the tax authority name it (never public).
    tax_identity: TaxIdentity | None = None
    # The operation's own wallets its pools pay (addresses and/or a descriptor each): watched
    # only to check the pools' reports against the chain, never counted as the reserve's.
    payout_wallets: tuple[WalletConfig, ...] = ()

    @property
    def watched_addresses(self) -> tuple[str, ...]:
        """Every address whose payments count for the operation: current and retired."""
        return (*self.reserve_addresses, *(a.address for a in self.retired_addresses))

    @model_validator(mode="after")
    def _pays_somewhere(self) -> Self:
        if not self.reserve_addresses and self.reserve_descriptor is None:
            raise ValueError("give reserve_addresses or a reserve_descriptor")
        if self.reserve_descriptor is None and self.reserve_descriptor_expect_first is not None:
            raise ValueError("reserve_descriptor_expect_first needs a reserve_descriptor to check")
        return self

    @field_validator("reserve_addresses")
    @classmethod
    def _normalised(cls, addresses: tuple[str, ...]) -> tuple[str, ...]:
        # BIP 173's all-uppercase form is the same address: compared (and watched) in lower case.
        return tuple(normalise_address(address) for address in addresses)

    @field_validator("reserve_descriptor_expect_first")
    @classmethod
    def _expected_normalised(cls, address: str | None) -> str | None:
        return None if address is None else normalise_address(address)

    @field_validator("contacts")
    @classmethod
    def _emails(cls, contacts: tuple[str, ...]) -> tuple[str, ...]:
        for contact in contacts:
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", contact):
                raise ValueError(f"{contact!r} is not an e-mail address")
        return contacts


class ApiToken(Frozen):
    """A bearer token, stored only as the SHA-256 of its text (hex)."""

    name: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    role: Literal["regulator", "operator"] = "operator"
    operations: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _scope(self) -> Self:
        if self.role == "operator" and not self.operations:
            raise ValueError("an operator token must list the operations it may read")
        return self


class ApiConfig(Frozen):
    tokens: tuple[ApiToken, ...] = ()


class SmtpConfig(Frozen):
    host: str
    port: int = 587
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    sender: str
    starttls: bool = True
    ca_file: Path | None = None


class StatementConfig(Frozen):
    signing_key_file: Path | None = None
    formats: tuple[Literal["json", "csv", "pdf"], ...] = ("pdf", "json")
    email: SmtpConfig | None = None

"""The configuration file: one YAML document, validated by frozen pydantic models.

``load_config(path)`` returns a :class:`Config` or raises :class:`ConfigError` whose ``problems``
name the file and the field path of each problem, e.g.::

    site.yaml: operations[1].remittance.rate: must be between 0 and 1

Secrets never live in the file: pool tokens, MQTT and database passwords are references to an
environment variable (``*_env``) or a file (``*_file``), resolved only when a client is built
(:func:`resolve_secret`). Deployments override any field with ``RESERVEWATCH_`` environment
variables, nested with ``__`` (``RESERVEWATCH_HTTP__LISTEN=0.0.0.0:9108``).
"""

from __future__ import annotations

import os
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Final, Literal, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from collector.bitcoin.address import AddressError, normalise_address, validate_address
from collector.bitcoin.descriptors import DescriptorError, parse_descriptor
from collector.errors import ConfigError, SecretError
from collector.sources.pools.registry import DESCRIPTORS


def iana_zone(name: str) -> str:
    """``name`` when it is an IANA time zone; a ValueError naming it otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"{name!r} is not an IANA time zone (e.g. Asia/Almaty)") from err
    return name


HASHRATE_UNITS = ("h/s", "kh/s", "mh/s", "gh/s", "th/s", "ph/s", "eh/s")
POOL_KINDS = tuple(DESCRIPTORS)  # the pool table: one row per adapter
"""Pool kinds with an adapter; ``collector.sources.pools.ADAPTERS`` is keyed by these."""

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
"""Operation and site ids: lower-case letters, digits, hyphens; used in topics and labels."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SecretRef(Frozen):
    """Where a secret lives: an environment variable or a file, never the config itself."""

    env: str | None = None
    file: Path | None = None


def resolve_secret(env: str | None, file: Path | None, what: str) -> SecretStr | None:
    """Read a secret from ``env`` or ``file``; ``None`` when neither is configured.

    Raises :class:`SecretError` (naming the variable or file, never the value) when the
    reference points nowhere.
    """
    if env:
        value = os.environ.get(env)
        if value is None or value == "":
            raise SecretError(f"{what}: environment variable {env} is not set")
        return SecretStr(value)
    if file:
        try:
            return SecretStr(file.read_text(encoding="utf-8").strip())
        except OSError as err:
            raise SecretError(f"{what}: cannot read secret file {file}: {err.strerror}") from err
    return None


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


CaseId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$")]
"""A seized-asset case id as the authority writes it (``KZ-2026-0042``, ``2-1234/2026``)."""


class _Wallet(Frozen):
    """Addresses and/or one output descriptor (``desc#checksum``; ranged ``…/*`` is derived
    up to ``reserve.gap_limit`` past the last used address)."""

    descriptor: str | None = Field(default=None, max_length=4096)
    addresses: tuple[str, ...] = ()

    @field_validator("addresses")
    @classmethod
    def _normalised(cls, addresses: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(normalise_address(address) for address in addresses)

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.descriptor is None and not self.addresses:
            raise ValueError("give a descriptor or addresses")
        return self


class IntakeCase(_Wallet):
    """A seized-asset case: what its addresses receive is credited to the case."""

    case: CaseId
    source: Literal["seized"] = "seized"
    authority: str = Field(min_length=1, max_length=200)
    order_ref: str = Field(min_length=1, max_length=200)
    received_from: str = Field(default="", max_length=200)


class CustodyWallet(_Wallet):
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

    # A BIP-322 proof of control must name a block at most this far below the tip (1008: a
    # week) when it is registered.
    proof_max_age_blocks: int = Field(default=1008, ge=1, le=52_560)
    # A proof stands this many days from its registration, then is stale until a newer one
    # proves (custodians re-check their keys every 90 days to 6 months).
    proof_max_age_days: int = Field(default=90, ge=1, le=366)


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


class GenericPoolPaths(Frozen):
    """JSON paths (dot-separated, numeric parts index lists) for a pool not listed."""

    hashrate_url: str
    hashrate_path: str
    hashrate_24h_path: str | None = None
    hashrate_unit: Literal["H/s", "kH/s", "MH/s", "GH/s", "TH/s", "PH/s", "EH/s"] = "H/s"
    workers_online_path: str | None = None
    workers_offline_path: str | None = None
    earnings_url: str | None = None
    earnings_list_path: str | None = None
    earnings_date_field: str = "date"
    earnings_amount_field: str = "amount"
    earnings_amount_unit: Literal["btc", "sat"] = "btc"
    auth_header: str = "Authorization"


class PoolAccountConfig(Frozen):
    kind: str
    account: str = Field(min_length=1, max_length=200)
    token_env: str | None = None
    token_file: Path | None = None
    secret_env: str | None = None
    secret_file: Path | None = None
    user_id: str | None = None
    base_url: str | None = None
    auth_header: str | None = None
    # The account counts for the operation's days from ``from`` (inclusive) to ``until``
    # (exclusive); unset, from the beginning / without end. Adding an account with its real
    # first day never turns earlier days "missing".
    effective_from: date | None = Field(default=None, alias="from")
    until: date | None = None
    backfill_days: int = Field(default=90, ge=1, le=3650)
    poll_interval_s: float = Field(default=300, ge=5)
    # How many past days the pool may still revise: each poll re-reads them, and a period's
    # statement is e-mailed only once they have passed.
    revision_days: int = Field(default=3, ge=0, le=60)
    # AntPool: which mining day a paymentHistoryV2 row's date names (unconfirmed in AntPool's
    # own docs; the public clients read it as the mining day itself).
    row_date: Literal["mining_day", "day_after"] = "mining_day"
    # The unit of the pool's own daily hash rate where it is not documented (F2Pool, Luxor,
    # AntPool's paymentHistoryV2 hashrate_unit: H/s by default; Foundry: GH/s, as live
    # clients read /earnings), or "off" to ignore it and use the collector's own samples.
    day_hashrate_unit: str | None = None
    # The zone of timestamps the pool writes without one (OCEAN's earnpay `ts`; unconfirmed).
    timestamp_zone: str = "UTC"
    # A day whose hash rate comes from the collector's own samples counts only when they
    # cover at least this share of it; below, the day is missing from the expected figure.
    hashrate_min_coverage: Decimal = Field(default=Decimal("0.8"), ge=0, le=1)
    generic: GenericPoolPaths | None = None

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def in_force(self, day: date) -> bool:
        """Whether the account counts for the operation on ``day``."""
        return (self.effective_from is None or self.effective_from <= day) and (
            self.until is None or day < self.until
        )

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in POOL_KINDS:
            raise ValueError(f"unknown pool kind {kind!r}; known kinds: {', '.join(POOL_KINDS)}")
        return kind

    @field_validator("day_hashrate_unit")
    @classmethod
    def _hashrate_unit(cls, unit: str | None) -> str | None:
        if unit is not None and unit != "off" and unit.lower() not in HASHRATE_UNITS:
            raise ValueError(f"{unit!r} is not a hash rate unit (H/s ... EH/s) or off")
        return unit

    @field_validator("timestamp_zone")
    @classmethod
    def _zone(cls, name: str) -> str:
        return iana_zone(name)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and urlsplit(url).scheme not in ("http", "https"):
            raise ValueError("must be an http:// or https:// URL")
        return url.rstrip("/") if url else url

    @model_validator(mode="after")
    def _kind_needs(self) -> Self:
        missing = DESCRIPTORS[self.kind].missing(self)
        if missing:
            raise ValueError(f"{self.kind} needs {' and '.join(missing)}")
        return self

    @property
    def target(self) -> str:
        return f"{self.kind}/{self.account}"


class SiteConfig(Frozen):
    id: Identifier
    region: Identifier
    power_quota_w: int = Field(ge=0, le=10_000_000_000)
    efficiency_j_per_th: Decimal = Field(gt=0, le=1000)
    miners_total: int | None = Field(default=None, ge=0)


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
    # Addresses no longer given to the operation: still watched, their payments still count.
    retired_addresses: tuple[RetiredAddress, ...] = ()
    pools: tuple[PoolAccountConfig, ...] = ()
    sites: tuple[SiteConfig, ...] = ()
    contacts: tuple[str, ...] = ()
    # What its statements, portal pages and reminders are written in (kk, ru or en).
    language: Literal["kk", "ru", "en"] = "en"

    @property
    def watched_addresses(self) -> tuple[str, ...]:
        """Every address whose payments count for the operation: current and retired."""
        return (*self.reserve_addresses, *(a.address for a in self.retired_addresses))

    @model_validator(mode="after")
    def _pays_somewhere(self) -> Self:
        if not self.reserve_addresses and self.reserve_descriptor is None:
            raise ValueError("give reserve_addresses or a reserve_descriptor")
        return self

    @field_validator("reserve_addresses")
    @classmethod
    def _normalised(cls, addresses: tuple[str, ...]) -> tuple[str, ...]:
        # BIP 173's all-uppercase form is the same address: compared (and watched) in lower case.
        return tuple(normalise_address(address) for address in addresses)

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


def _addresses_valid(config: Config) -> list[tuple[tuple[str | int, ...], str]]:
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for op_index, operation in enumerate(config.operations):
        declared: list[tuple[tuple[str | int, ...], str]] = [
            (("operations", op_index, "reserve_addresses", i), address)
            for i, address in enumerate(operation.reserve_addresses)
        ] + [
            (("operations", op_index, "retired_addresses", i, "address"), retired.address)
            for i, retired in enumerate(operation.retired_addresses)
        ]
        for loc, address in declared:
            try:
                validate_address(address, config.network.chain)
            except AddressError as err:
                problems.append((loc, str(err)))
    for loc, text in _declared_descriptors(config):
        try:
            parse_descriptor(text, config.network.chain)
        except DescriptorError as err:
            problems.append((loc, str(err)))
    for group, wallets in (("intake", config.reserve.intake), ("custody", config.reserve.custody)):
        for w_index, wallet in enumerate(wallets):
            for a_index, address in enumerate(wallet.addresses):
                try:
                    validate_address(address, config.network.chain)
                except AddressError as err:
                    problems.append((("reserve", group, w_index, "addresses", a_index), str(err)))
    return problems


def _declared_descriptors(config: Config) -> list[tuple[tuple[str | int, ...], str]]:
    found: list[tuple[tuple[str | int, ...], str]] = [
        (("operations", i, "reserve_descriptor"), op.reserve_descriptor)
        for i, op in enumerate(config.operations)
        if op.reserve_descriptor is not None
    ]
    for group, wallets in (("intake", config.reserve.intake), ("custody", config.reserve.custody)):
        found.extend(
            (("reserve", group, i, "descriptor"), w.descriptor)
            for i, w in enumerate(wallets)
            if w.descriptor is not None
        )
    return found


class Config(BaseSettings):
    """The whole configuration. Environment variables ``RESERVEWATCH_*`` override the file."""

    model_config = SettingsConfigDict(
        env_prefix="RESERVEWATCH_",
        env_nested_delimiter="__",
        frozen=True,
        extra="forbid",
    )

    database: DatabaseConfig = DatabaseConfig()
    http: HttpConfig = HttpConfig()
    mqtt: MqttConfig = MqttConfig()
    network: NetworkConfig = NetworkConfig()
    reserve: ReserveConfig = ReserveConfig()
    prices: PricesConfig | None = None
    api: ApiConfig = ApiConfig()
    statement: StatementConfig = StatementConfig()
    operations: tuple[OperationConfig, ...] = ()

    @field_validator("database", mode="before")
    @classmethod
    def _database_shorthand(cls, value: Any) -> Any:
        return {"url": value} if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the file: a deployment overrides what the file says.
        return (env_settings, init_settings)

    @model_validator(mode="after")
    def _cross_field(self) -> Self:
        problems: list[str] = []
        seen_ops: set[str] = set()
        seen_sites: dict[str, str] = {}
        seen_accounts: set[tuple[str, str]] = set()
        seen_addresses: dict[str, str] = {}  # address -> the field path that declared it first
        for op_index, operation in enumerate(self.operations):
            if operation.id in seen_ops:
                problems.append(
                    f"operations[{op_index}].id: duplicate operation id {operation.id!r}"
                )
            seen_ops.add(operation.id)
            for site_index, site in enumerate(operation.sites):
                if site.id in seen_sites:
                    problems.append(
                        f"operations[{op_index}].sites[{site_index}].id: duplicate site id "
                        f"{site.id!r} (also in operation {seen_sites[site.id]!r})"
                    )
                seen_sites[site.id] = operation.id
            for pool_index, pool in enumerate(operation.pools):
                key = (pool.kind, pool.account)
                if key in seen_accounts:
                    problems.append(
                        f"operations[{op_index}].pools[{pool_index}]: pool account "
                        f"{pool.kind}/{pool.account} is declared twice"
                    )
                seen_accounts.add(key)
            declared = [
                (f"operations[{op_index}].reserve_addresses[{i}]", a)
                for i, a in enumerate(operation.reserve_addresses)
            ] + [
                (f"operations[{op_index}].retired_addresses[{i}].address", r.address)
                for i, r in enumerate(operation.retired_addresses)
            ]
            for here, address in declared:
                # One address, one operation: a payment to a shared address could belong to
                # either, and no rule may guess which.
                first = seen_addresses.setdefault(address, here)
                if first != here:
                    problems.append(
                        f"{here}: reserve address {address} is also declared at {first}; "
                        "an address belongs to one operation"
                    )
        holders = set(seen_ops)
        named: list[tuple[str, str, list[tuple[str, _Wallet]]]] = [
            ("intake", "case", [(c.case, c) for c in self.reserve.intake]),
            ("custody", "name", [(v.name, v) for v in self.reserve.custody]),
        ]
        for group, field_name, wallets in named:
            for w_index, (name, wallet) in enumerate(wallets):
                if name in holders:
                    problems.append(
                        f"reserve.{group}[{w_index}].{field_name}: {name!r} is already an "
                        "operation, case or custody wallet; each holder has one name"
                    )
                holders.add(name)
                for a_index, address in enumerate(wallet.addresses):
                    here = f"reserve.{group}[{w_index}].addresses[{a_index}]"
                    first = seen_addresses.setdefault(address, here)
                    if first != here:
                        problems.append(
                            f"{here}: address {address} is also declared at {first}; "
                            "an address belongs to one wallet"
                        )
        seen_descriptors: dict[str, str] = {}
        for loc, text in _declared_descriptors(self):
            here = _format_loc(loc)
            first = seen_descriptors.setdefault(text.partition("#")[0].strip(), here)
            if first != here:
                problems.append(
                    f"{here}: the same descriptor is also declared at {first}; "
                    "a descriptor belongs to one wallet"
                )
        for token_index, token in enumerate(self.api.tokens):
            unknown = sorted(set(token.operations) - seen_ops)
            if unknown:
                names = ", ".join(unknown)
                problems.append(
                    f"api.tokens[{token_index}].operations: unknown operation(s) {names}"
                )
        for loc, message in _addresses_valid(self):
            problems.append(f"{_format_loc(loc)}: {message}")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def operation(self, operation_id: str) -> OperationConfig:
        for operation in self.operations:
            if operation.id == operation_id:
                return operation
        raise KeyError(operation_id)


def _format_loc(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


_MESSAGE_REWRITES = {
    "Extra inputs are not permitted": "unknown field",
    "Field required": "required",
}
_PATTERN_WORDS = {
    # Identifier: what the pattern allows, in words.
    r"^[a-z0-9][a-z0-9-]{0,62}$": "must be 1 to 63 lower-case letters, digits or hyphens, "
    "starting with a letter or digit (it names MQTT topics and metric labels)",
}


def _problem_lines(source: str, err: ValidationError) -> list[str]:
    lines: list[str] = []
    for error in err.errors():
        loc = tuple(part for part in error["loc"] if not str(part).startswith("function-"))
        # Drop pydantic's union/type tags from the path; keep field names and indexes.
        loc = tuple(p for p in loc if isinstance(p, int) or not str(p)[:1].isupper())
        message = str(error["msg"]).removeprefix("Value error, ")
        message = _MESSAGE_REWRITES.get(message, message)
        pattern = (error.get("ctx") or {}).get("pattern")
        if error["type"] == "string_pattern_mismatch" and pattern in _PATTERN_WORDS:
            message = f"{str(error.get('input'))[:40]!r} {_PATTERN_WORDS[pattern]}"
        if "\n" in message and not loc:
            lines.extend(f"{source}: {line}" for line in message.splitlines())
            continue
        where = _format_loc(loc)
        lines.append(f"{source}: {where}: {message}" if where else f"{source}: {message}")
    return lines


def parse_config(data: Any, source: str = "<config>") -> Config:
    """Validate an already-parsed YAML document; ``source`` names it in error lines."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([f"{source}: the file must hold a mapping of settings at the top level"])
    odd_keys = [key for key in data if not isinstance(key, str)]
    if odd_keys:  # YAML allows `1: x`; settings are named, and Config(**data) needs str keys
        raise ConfigError(
            [f"{source}: {str(key)[:40]!r}: setting names must be text" for key in odd_keys[:10]]
        )
    try:
        return Config(**data)
    except ValidationError as err:
        lines = _problem_lines(source, err)
        # Cross-field checks run only once every field is valid: read them from the raw
        # document too, so one run lists every problem (a duplicate id, a bad checksum…).
        for problem in _raw_cross_field(data):
            line = f"{source}: {problem}"
            if line not in lines:
                lines.append(line)
        raise ConfigError(lines) from err


_CHAINS: Final[dict[str, Literal["main", "test", "signet", "regtest"]]] = {
    "main": "main",
    "test": "test",
    "signet": "signet",
    "regtest": "regtest",
}


def _raw_cross_field(data: dict[str, Any]) -> list[str]:
    """The cross-field problems of a document that did not validate, read defensively."""
    problems: list[str] = []
    network = data.get("network")
    chain = network.get("chain", "main") if isinstance(network, dict) else "main"
    operations = data.get("operations")
    if not isinstance(operations, list):
        return problems
    seen_ops: set[str] = set()
    seen_sites: dict[str, str] = {}
    for op_index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            continue
        op_id = operation.get("id")
        if isinstance(op_id, str):
            if op_id in seen_ops:
                problems.append(f"operations[{op_index}].id: duplicate operation id {op_id!r}")
            seen_ops.add(op_id)
        sites = operation.get("sites")
        for site_index, site in enumerate(sites if isinstance(sites, list) else []):
            site_id = site.get("id") if isinstance(site, dict) else None
            if isinstance(site_id, str):
                if site_id in seen_sites:
                    problems.append(
                        f"operations[{op_index}].sites[{site_index}].id: duplicate site id "
                        f"{site_id!r} (also in operation {seen_sites[site_id]!r})"
                    )
                seen_sites[site_id] = str(op_id)
        addresses = operation.get("reserve_addresses")
        for index, address in enumerate(addresses if isinstance(addresses, list) else []):
            if isinstance(address, str) and chain in _CHAINS:
                try:
                    validate_address(address, _CHAINS[chain])
                except AddressError as err:
                    problems.append(f"operations[{op_index}].reserve_addresses[{index}]: {err}")
    return problems


def reference_problems(config: Config, source: str) -> list[str]:
    """What ``run`` would refuse that the file's own checks cannot see: every ``*_env`` that
    names an unset variable and every ``*_file`` that cannot be read, with its field path;
    a statement signing key that group or others may read. Never a secret's value."""
    problems: list[str] = []

    def walk(model: BaseModel, path: str) -> None:
        for name in type(model).model_fields:
            value = getattr(model, name)
            where = f"{path}.{name}" if path else name
            if isinstance(value, BaseModel):
                walk(value, where)
            elif isinstance(value, tuple):
                for index, item in enumerate(value):
                    if isinstance(item, BaseModel):
                        walk(item, f"{where}[{index}]")
            elif name.endswith("_env") and isinstance(value, str) and value:
                if not os.environ.get(value):
                    problems.append(f"{source}: {where}: environment variable {value} is not set")
            elif name.endswith("_file") and isinstance(value, Path):
                try:
                    with value.open("rb"):
                        pass
                except OSError as err:
                    problems.append(f"{source}: {where}: cannot read {value}: {err.strerror}")
                    continue
                if name == "signing_key_file" and value.stat().st_mode & 0o077:
                    problems.append(
                        f"{source}: {where}: {value} is readable by group or others "
                        f"(mode {value.stat().st_mode & 0o777:o}); run: chmod 600 {value}"
                    )

    walk(config, "")
    return problems


def load_config(path: Path) -> Config:
    """Read and validate the YAML file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError([f"{path}: cannot read: {err.strerror}"]) from err
    except UnicodeDecodeError as err:
        raise ConfigError([f"{path}: not UTF-8 text: {err.reason}"]) from err
    try:
        data = yaml.safe_load(text)
    except (ValueError, RecursionError) as err:
        # The resolver takes 2026-13-45 for a date, then the calendar refuses it.
        raise ConfigError([f"{path}: not valid YAML: {str(err)[:200]}"]) from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            [f"{path}: not valid YAML{where}: {getattr(err, 'problem', err)}"]
        ) from err
    return parse_config(data, str(path))


def regulator_zone(config: Config) -> ZoneInfo:
    """The regulator's time zone, for times shown to people and days that start there:
    ``reserve.time_zone`` when set, else the first operation's
    ``remittance.deadline_timezone``, else UTC."""
    if config.reserve.time_zone != "UTC":
        return ZoneInfo(config.reserve.time_zone)
    for operation in config.operations:
        return ZoneInfo(operation.remittance.deadline_timezone)
    return ZoneInfo("UTC")

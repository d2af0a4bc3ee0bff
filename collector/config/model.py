"""The whole configuration: one model over the sections, and the regulator's time zone."""

from __future__ import annotations

from typing import Any, Self
from zoneinfo import ZoneInfo

from pydantic import (
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from collector.config.checks import cross_field_problems
from collector.config.mining_fee import MiningFeeConfig
from collector.config.official_price import OfficialPriceConfig
from collector.config.pool_reports import PoolReportsConfig
from collector.config.sections import (
    ApiConfig,
    CalendarConfig,
    DatabaseConfig,
    HttpConfig,
    MqttConfig,
    NetworkConfig,
    OperationConfig,
    PricesConfig,
    ReserveConfig,
    StatementConfig,
)


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
    calendar: CalendarConfig = CalendarConfig()
    official_price: OfficialPriceConfig | None = None
    api: ApiConfig = ApiConfig()
    statement: StatementConfig = StatementConfig()
    mining_fee: MiningFeeConfig = MiningFeeConfig()
    pool_reports: PoolReportsConfig = PoolReportsConfig()
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
        problems = cross_field_problems(
            self.operations, self.reserve, self.api.tokens, self.network.chain, self.mqtt.username
        )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def operation(self, operation_id: str) -> OperationConfig:
        for operation in self.operations:
            if operation.id == operation_id:
                return operation
        raise KeyError(operation_id)


def regulator_zone(config: Config) -> ZoneInfo:
    """The regulator's time zone, for times shown to people and days that start there:
    ``reserve.time_zone`` when set, else the first operation's
    ``remittance.deadline_timezone``, else UTC."""
    if config.reserve.time_zone != "UTC":
        return ZoneInfo(config.reserve.time_zone)
    for operation in config.operations:
        return ZoneInfo(operation.remittance.deadline_timezone)
    return ZoneInfo("UTC")

"""Pool adapters, one module each, registered by ``kind`` (the keys of ``config.POOL_KINDS``).

Adding a pool = one module implementing :class:`~collector.sources.pools.base.PoolAdapter`,
its fixtures and fake, and one row here.
"""

from __future__ import annotations

from typing import Final

from collector.sources.pools.antpool import AntPoolAdapter
from collector.sources.pools.base import (
    Credit,
    DayHashrate,
    PoolAdapter,
    PoolAdapterBase,
    PoolCredentials,
    PoolDays,
    PoolSnapshot,
    UnknownRow,
)
from collector.sources.pools.braiins import BraiinsAdapter
from collector.sources.pools.f2pool import F2PoolAdapter
from collector.sources.pools.foundry import FoundryAdapter
from collector.sources.pools.generic import GenericAdapter
from collector.sources.pools.luxor import LuxorAdapter
from collector.sources.pools.ocean import OceanAdapter

ADAPTERS: Final[dict[str, type[PoolAdapterBase]]] = {
    "braiins": BraiinsAdapter,
    "f2pool": F2PoolAdapter,
    "antpool": AntPoolAdapter,
    "foundry": FoundryAdapter,
    "luxor": LuxorAdapter,
    "ocean": OceanAdapter,
    "generic": GenericAdapter,
}

__all__ = [
    "ADAPTERS",
    "Credit",
    "DayHashrate",
    "PoolAdapter",
    "PoolAdapterBase",
    "PoolCredentials",
    "PoolDays",
    "PoolSnapshot",
    "UnknownRow",
]

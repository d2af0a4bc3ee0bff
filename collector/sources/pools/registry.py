"""The one table of pool kinds: each adapter, with its descriptor (in the adapter's own module).

Adding a pool = one module implementing :class:`~collector.sources.pools.base.PoolAdapter`
with its ``descriptor``, its fixtures and fake, and one entry here. The configuration reads
the kinds and what each needs from this table; the pool jobs read the rate limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from collector.sources.pools.antpool import AntPoolAdapter
from collector.sources.pools.base import PoolAdapterBase, PoolDescriptor
from collector.sources.pools.braiins import BraiinsAdapter
from collector.sources.pools.f2pool import F2PoolAdapter
from collector.sources.pools.foundry import FoundryAdapter
from collector.sources.pools.generic import GenericAdapter
from collector.sources.pools.luxor import LuxorAdapter
from collector.sources.pools.ocean import OceanAdapter

ADAPTERS: Final[Mapping[str, type[PoolAdapterBase]]] = MappingProxyType(
    {
        adapter.descriptor.kind: adapter
        for adapter in (
            BraiinsAdapter,
            F2PoolAdapter,
            AntPoolAdapter,
            FoundryAdapter,
            LuxorAdapter,
            OceanAdapter,
            GenericAdapter,
        )
    }
)
DESCRIPTORS: Final[Mapping[str, PoolDescriptor]] = MappingProxyType(
    {kind: adapter.descriptor for kind, adapter in ADAPTERS.items()}
)

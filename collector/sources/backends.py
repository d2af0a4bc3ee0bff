"""Which backend reads the chain, from a table: Esplora (a mempool/electrs REST API) or the
regulator's own bitcoind (JSON-RPC). Each gives a network job (blocks, daily figures) and a
reserve job (outputs paying the reserve addresses) publishing the same snapshots.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

import aiohttp
from aiolimiter import AsyncLimiter

from collector.clock import Clock
from collector.config.model import Config
from collector.config.sections import NetworkConfig
from collector.errors import ConfigError
from collector.sources.bitcoind import bitcoind_jobs
from collector.sources.chain import ReserveJob
from collector.sources.http import HttpSource, RequestCounters
from collector.sources.network import NetworkJob, NetworkSeen
from collector.sources.poller import PollJob
from collector.sources.reserve import ReserveWatched
from collector.store.queries import Store


@dataclass(frozen=True, slots=True)
class _Jobs:
    network: PollJob[NetworkSeen]
    reserve: PollJob[ReserveWatched]


def _esplora(  # noqa: PLR0917 - one backend's parts, as the table calls them
    config: Config,
    store: Store,
    network_http: HttpSource,
    chain_http: HttpSource,
    clock: Clock,
    since: date | None,
) -> _Jobs:
    if not config.network.esplora_url:
        raise ConfigError(["network: set esplora_url or bitcoind"])
    network = NetworkJob(config.network, network_http, store, clock, since=since)
    reserve = ReserveJob(config, chain_http, store, clock)
    return _Jobs(network, reserve)


def _bitcoind(  # noqa: PLR0917 - one backend's parts, as the table calls them
    config: Config,
    store: Store,
    network_http: HttpSource,
    chain_http: HttpSource,
    clock: Clock,
    since: date | None,
) -> _Jobs:
    network, reserve = bitcoind_jobs(config, store, network_http, chain_http, clock, since=since)
    return _Jobs(network, reserve)


Backend = Callable[[Config, Store, HttpSource, HttpSource, Clock, date | None], _Jobs]
BACKENDS: Final[Mapping[str, Backend]] = {
    "esplora": _esplora,
    "bitcoind": _bitcoind,
}


def build_chain_jobs(
    config: Config,
    store: Store,
    session: aiohttp.ClientSession,
    counters: RequestCounters,
    clock: Clock,
    *,
    requests_per_second: float = 10,
    since: date | None = None,
) -> list[PollJob[object]]:
    """The network and reserve-address jobs, sharing one rate limit to the host.

    They read ``network.bitcoind`` (JSON-RPC, :mod:`collector.sources.bitcoind`) when it is
    configured and ``network.esplora_url`` is not written in the file (or is null), else
    ``network.esplora_url``. ``since`` reaches the network's window back to that day
    (``run --once --since``).
    """
    limiter = AsyncLimiter(requests_per_second, 1)
    network_http = HttpSource(session, source="network", counters=counters, rate=limiter)
    chain_http = HttpSource(session, source="chain", counters=counters, rate=limiter)
    backend = BACKENDS["bitcoind" if uses_bitcoind(config.network) else "esplora"]
    jobs = backend(config, store, network_http, chain_http, clock, since)
    return [jobs.network, jobs.reserve]


def uses_bitcoind(network: NetworkConfig) -> bool:
    """Whether the chain is read from bitcoind: it is configured, and ``esplora_url`` was
    not given (its default would otherwise win) or is null."""
    return network.bitcoind is not None and (
        not network.esplora_url or "esplora_url" not in network.model_fields_set
    )

"""A collector HTTP server with the portal, over the worked example's store (either backend)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collector.accounts.service import AccountsService
from collector.clock import FrozenClock
from collector.config.load import load_config
from collector.config.model import Config
from collector.config.sections import TlsServerConfig
from collector.http.api import AccountsApi
from collector.http.portal import Portal
from collector.http.server import HttpServer
from collector.metrics import build_registry
from collector.store.database import open_engine
from collector.store.queries import Store
from tests.support import sale_scenario
from tests.support.processes import free_port
from tests.support.scenario import AS_OF, populate, write_config

KAZAKH_NAME = "Екібастұз Әлем Ғарыш Қуат Ңөсер Өнім Ұлы Үміт Һауа Іргетас ЖШС"
"""op-demo's name here: every letter Kazakh adds to Russian (ә ғ қ ң ө ұ ү һ і)."""


@dataclass(frozen=True, slots=True)
class PortalServer:
    url: str
    config: Config
    clock: FrozenClock
    public_key: Path
    http: HttpServer


def portal_config(
    root: Path,
    database_url: str,
    language: str = "kk",
    time_zone: str | None = None,
    *,
    mandatory_sale: bool = False,
) -> Path:
    """The scenario's config on ``database_url``; op-demo Kazakh-named, in ``language``; the
    regulator's ``reserve.time_zone`` when given; op-demo's terms with the mandatory sale's
    worked example (:mod:`tests.support.sale_scenario`) with ``mandatory_sale``."""
    demo: dict[str, Any] = {"name": KAZAKH_NAME, "language": language}
    if mandatory_sale:
        demo["mandatory_sale"] = sale_scenario.TERMS
    zone = {"reserve": {"time_zone": time_zone}} if time_zone is not None else {}
    return write_config(root, database=database_url, demo=demo, other={"language": "ru"}, **zone)


@asynccontextmanager
async def portal_server(
    root: Path,
    database_url: str,
    language: str = "kk",
    tls: TlsServerConfig | None = None,
    body_timeout_s: float | None = None,
    *,
    trusted_proxies: tuple[str, ...] = (),
    time_zone: str | None = None,
    mandatory_sale: bool = False,
) -> AsyncIterator[PortalServer]:
    """The server on a free loopback port (HTTPS with ``tls``), its accounts computed once as
    of the scenario's instant (a frozen clock: the tests move it to expire sessions); with
    ``mandatory_sale``, op-demo's terms and the exchange's sales of that worked example."""
    path = portal_config(root, database_url, language, time_zone, mandatory_sale=mandatory_sale)
    await populate(database_url)
    if mandatory_sale:
        await sale_scenario.store_sales(database_url)
    config = load_config(path)
    port = free_port()
    update: dict[str, object] = {
        "listen": f"127.0.0.1:{port}",
        "tls": tls,
        "trusted_proxies": trusted_proxies,
    }
    if body_timeout_s is not None:
        update["body_timeout_s"] = body_timeout_s
    http = config.http.model_copy(update=update)
    config = config.model_copy(update={"http": http})
    clock = FrozenClock(AS_OF)
    async with Store(open_engine(config.database)) as store:
        accounts = AccountsService(config, store, clock)
        await accounts.recompute()
        registry, _ = build_registry([accounts])
        reports = AccountsApi(config, store, accounts)
        server = HttpServer(
            config.http,
            config.api.tokens,
            registry,
            clock,
            reports=reports,
            portal=Portal(config, reports, clock),
        )
        await server.start()
        try:
            scheme = "https" if tls else "http"
            yield PortalServer(
                f"{scheme}://127.0.0.1:{port}",
                config,
                clock,
                root / "statement-key.pub.pem",
                server,
            )
        finally:
            await server.stop()

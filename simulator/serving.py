"""Serving a fake's aiohttp application on loopback: one helper for every fake."""

from __future__ import annotations

from aiohttp import web


async def serve_app(
    app: web.Application, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, int]:
    """Start serving ``app``; returns the runner (call ``cleanup()``) and the bound port."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner, int(runner.addresses[0][1])

"""The whole collector app (``collector.app.Collector``) for the scrape benchmark.

    python -m bench.serve_proc --port 1883 --sites 1000 --operations 100 --http-port 9108 \
        --database sqlite+aiosqlite:///tmp/s.db
    python -m bench.serve_proc --config-json config.json     # a whole config of the caller's

Serves ``/metrics`` over the real HttpServer with telemetry connected to the broker; pools and
the chain are not polled (there are none to reach), the accounts are computed once. Prints
``{"ready": true}`` when serving.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

import uvloop

from bench.common import fleet_config
from collector.app import Collector, install_thread_switch_interval
from collector.config.load import parse_config


def raw_config(args: argparse.Namespace) -> dict[str, Any]:
    if args.config_json is not None:
        raw: dict[str, Any] = json.loads(Path(args.config_json).read_text(encoding="utf-8"))
        return raw
    raw = fleet_config(
        args.sites,
        port=args.port,
        operations=args.operations,
        qos=args.qos,
        protocol=args.protocol,
        client_id="bench-serve",
        database_url=args.database,
    )
    raw["http"] = {"listen": f"127.0.0.1:{args.http_port}"}
    return raw


async def serve(raw: dict[str, Any]) -> None:
    config = parse_config(raw)
    async with Collector(config) as collector:
        await collector.accounts.recompute()
        await collector.http.start()
        telemetry = collector.telemetry
        if telemetry is None:
            raise SystemExit("telemetry is off")
        task = asyncio.create_task(telemetry.run(), name="telemetry")
        while not telemetry.ready:  # noqa: ASYNC110 - the service exposes readiness as a flag
            await asyncio.sleep(0.01)
        print(json.dumps({"ready": True}), flush=True)
        try:
            await task
        finally:
            await collector.http.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--config-json", help="a whole config (JSON); the options below unused")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--operations", type=int, default=100)
    parser.add_argument("--http-port", type=int, default=9108)
    parser.add_argument("--database", default="sqlite+aiosqlite:///bench-serve.db")
    parser.add_argument("--qos", type=int, choices=(0, 1), default=1, help="telemetry's mqtt.qos")
    parser.add_argument(
        "--protocol", choices=("5", "3.1.1"), default="5", help="telemetry's mqtt.protocol"
    )
    install_thread_switch_interval()
    uvloop.run(serve(raw_config(parser.parse_args())))


if __name__ == "__main__":
    main()

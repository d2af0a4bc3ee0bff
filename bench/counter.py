"""The client library's own ceiling: a gmqtt subscriber (uvloop) that only counts messages.

    python -m bench.counter --port 1883 --qos 1 --expected 100000

Prints ``{"ready": true}`` once subscribed, then one JSON line with the time of the last
message, the count, its CPU seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from typing import Any

import gmqtt
import uvloop

from bench.common import PREFIX, peak_rss_mb


async def count(port: int, qos: int, expected: int, idle_s: float) -> dict[str, Any]:
    received = 0
    last = 0.0
    done = asyncio.Event()
    subscribed = asyncio.Event()

    def on_message(_client: Any, _topic: str, _payload: bytes, _qos: int, _props: Any) -> int:
        nonlocal received, last
        received += 1
        last = time.time()
        if received >= expected:
            done.set()
        return 0

    client = gmqtt.Client(f"bench-count-{time.time_ns()}", receive_maximum=65535)
    client.on_message = on_message
    client.on_subscribe = lambda *_: subscribed.set()
    await client.connect("127.0.0.1", port, keepalive=60)
    client.subscribe(gmqtt.Subscription(f"{PREFIX}/sites/#", qos=qos))
    await subscribed.wait()
    cpu_start = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"ready": True}), flush=True)
    seen = -1
    while not done.is_set():
        try:
            await asyncio.wait_for(done.wait(), timeout=idle_s)
        except TimeoutError:
            if received == seen and received > 0:
                break  # idle: the rest was dropped
            seen = received
    usage = resource.getrusage(resource.RUSAGE_SELF)
    await client.disconnect()
    return {
        "last": last,
        "count": received,
        "cpu_s": usage.ru_utime + usage.ru_stime - cpu_start.ru_utime - cpu_start.ru_stime,
        "max_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--qos", type=int, choices=(0, 1), default=0)
    parser.add_argument("--expected", type=int, required=True)
    parser.add_argument("--idle-s", type=float, default=5.0)
    args = parser.parse_args()
    result = uvloop.run(count(args.port, args.qos, args.expected, args.idle_s))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

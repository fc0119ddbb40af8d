"""Which HTTP transport should the gateway's httpx clients use? Measures the client-side CPU
per combined request (three concurrent service calls) with httpx's own transport and with
httpx-aiohttp's AiohttpTransport, against the real services on loopback.

    .venv/bin/python -m bench.gateway_transport [--requests 1500] [--concurrency 32]

Prints a table and writes bench/results/gateway_transport.json. Not a test: no thresholds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from services.common.actor import SYSTEM_COORDINATOR, mint_token
from tests.e2e.system import System

PATHS = {
    "indicators": "/api/v1/frameworks",
    "support_cases": "/api/v1/rounds",
    "training": "/api/v1/programs",
}


def make_clients(system: System, kind: str) -> dict[str, httpx.AsyncClient]:
    clients = {}
    for name in PATHS:
        if kind == "aiohttp":
            from httpx_aiohttp import AiohttpTransport

            transport: httpx.AsyncBaseTransport = AiohttpTransport()
        else:
            transport = httpx.AsyncHTTPTransport(
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=50)
            )
        clients[name] = httpx.AsyncClient(
            base_url=system.service_url(name), transport=transport, timeout=5
        )
    return clients


async def run(system: System, kind: str, requests: int, concurrency: int) -> dict:
    token = mint_token(system.secret, SYSTEM_COORDINATOR, ttl_seconds=3600)
    headers = {"Authorization": f"Bearer {token}"}
    clients = make_clients(system, kind)
    latencies: list[float] = []
    errors = 0
    remaining = requests

    async def combined() -> None:
        nonlocal errors
        t0 = time.perf_counter()
        results = await asyncio.gather(
            *(c.get(PATHS[n], headers=headers) for n, c in clients.items()), return_exceptions=True
        )
        for r in results:
            if isinstance(r, BaseException) or r.status_code != 200:
                errors += 1
            else:
                r.json()
        latencies.append(time.perf_counter() - t0)

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await combined()

    # warm up the connection pools
    for _ in range(20):
        await combined()
    latencies.clear()
    remaining = requests
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    for c in clients.values():
        await c.aclose()
    lat = sorted(latencies)
    return {
        "transport": kind,
        "requests": requests,
        "concurrency": concurrency,
        "errors": errors,
        "req_per_s": round(requests / wall, 1),
        "client_cpu_ms_per_request": round(cpu / requests * 1000, 3),
        "p50_ms": round(statistics.median(lat) * 1000, 2),
        "p99_ms": round(lat[int(len(lat) * 0.99) - 1] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        system = System(Path(tmp))
        system.prepare()
        for app in PATHS:
            system.start(app)
        try:
            for app in PATHS:
                system.wait_ready(app)
            rows = [
                asyncio.run(run(system, kind, args.requests, args.concurrency))
                for kind in ("httpx", "aiohttp", "httpx", "aiohttp")
            ]
        finally:
            system.down()
    out = {
        "machine": f"{platform.machine()} {platform.processor()} {platform.python_version()}",
        "results": rows,
    }
    Path(__file__).with_name("results").mkdir(exist_ok=True)
    (Path(__file__).with_name("results") / "gateway_transport.json").write_text(
        json.dumps(out, indent=2, ensure_ascii=False)
    )
    print(f"{'transport':10} {'req/s':>8} {'cpu ms/req':>11} {'p50 ms':>8} {'p99 ms':>8} errors")
    for r in rows:
        print(
            f"{r['transport']:10} {r['req_per_s']:8} {r['client_cpu_ms_per_request']:11} "
            f"{r['p50_ms']:8} {r['p99_ms']:8} {r['errors']}"
        )


if __name__ == "__main__":
    main()

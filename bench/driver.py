"""The load driver: a separate process (asyncio + aiohttp) the benchmark talks to over
stdin/stdout, one JSON line per command, so that load and measurement never share a process
with the apps.

The instrument must cost little next to what it measures: it shares the two cores with the
apps, and its own pauses show up as the apps' tail latency. So aiohttp (about a third of
httpx's CPU per request), and the driver's garbage collector held off during a measured row
(collected before and after it): with httpx and the collector on, the bare FastAPI endpoint
itself measured p99 107 ms at 20 clients.

Command: {"name", "method", "url", "headers", "cookies", "json" | "json_template" | "body" |
"file", "concurrency", "requests", "max_seconds", "warmup", "timeout"}. The driver warms up, prints
{"warm": true}, waits for a "go" line, runs at most ``requests`` requests (or until
``max_seconds``) with ``concurrency`` clients, and prints the figures as one JSON line.
"""

from __future__ import annotations

import asyncio
import gc
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

# Combined JSON is complete when its ``unavailable`` list is empty.
_COMPLETE = re.compile(rb'"unavailable"\s*:\s*\[\s*\]')


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


async def one(
    client: aiohttp.ClientSession, cmd: dict[str, Any], i: int, body: bytes | None
) -> tuple[int, bool]:
    """Status, and whether the answer was degraded: a page with the degraded notice
    (``degraded_if``) or combined JSON whose ``unavailable`` is not empty (``combined``)."""
    headers = dict(cmd.get("headers") or {})
    kw: dict[str, Any] = {}
    if "json" in cmd:
        kw["json"] = cmd["json"]
    elif "json_template" in cmd:
        kw["data"] = cmd["json_template"].replace("{i}", str(i)).encode()
        headers["Content-Type"] = "application/json"
    elif "body" in cmd:
        kw["data"] = cmd["body"].encode()
        headers["Content-Type"] = cmd.get("content_type", "application/json")
    elif body is not None:
        form = aiohttp.FormData()
        form.add_field("file", body, filename=Path(cmd["file"]).name)
        kw["data"] = form
    async with client.request(
        cmd.get("method", "GET"), cmd["url"], headers=headers, allow_redirects=False, **kw
    ) as r:
        content = await r.read()
        status = r.status
    degraded = False
    if status == 200 and cmd.get("degraded_if"):
        degraded = cmd["degraded_if"].encode() in content
    if status == 200 and cmd.get("combined"):
        degraded = _COMPLETE.search(content) is None
    return status, degraded


async def run(cmd: dict[str, Any], counter: list[int]) -> dict[str, Any]:
    conc = int(cmd.get("concurrency", 1))
    body = await asyncio.to_thread(Path(cmd["file"]).read_bytes) if cmd.get("file") else None
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=conc + 2),
        timeout=aiohttp.ClientTimeout(total=float(cmd.get("timeout", 60))),
        cookies=cmd.get("cookies") or {},
        cookie_jar=aiohttp.CookieJar(unsafe=True),  # 127.0.0.1: an IP address
    ) as client:
        for _ in range(int(cmd.get("warmup", 0))):
            counter[0] += 1
            await one(client, cmd, counter[0], body)
        print(json.dumps({"warm": True}), flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        latencies: list[float] = []
        statuses: dict[str, int] = {}
        degraded = 0
        remaining = int(cmd["requests"])
        deadline = time.perf_counter() + float(cmd.get("max_seconds", 30))

        async def worker() -> None:
            nonlocal remaining, degraded
            while remaining > 0 and time.perf_counter() < deadline:
                remaining -= 1
                counter[0] += 1
                t0 = time.perf_counter()
                try:
                    code, worse = await one(client, cmd, counter[0], body)
                    status = str(code)
                    degraded += worse
                except (aiohttp.ClientError, TimeoutError) as exc:
                    status = type(exc).__name__
                latencies.append(time.perf_counter() - t0)
                statuses[status] = statuses.get(status, 0) + 1

        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(conc)))
            wall = time.perf_counter() - t0
        finally:
            gc.enable()
            gc.collect()
    lat = sorted(latencies)
    ok = sum(v for k, v in statuses.items() if k.startswith("2"))
    return {
        "name": cmd["name"],
        "concurrency": conc,
        "requests": len(lat),
        "seconds": round(wall, 3),
        "req_per_s": round(len(lat) / wall, 2) if wall else None,
        "p50_ms": round(percentile(lat, 50) * 1000, 2),
        "p95_ms": round(percentile(lat, 95) * 1000, 2),
        "p99_ms": round(percentile(lat, 99) * 1000, 2),
        "max_ms": round(lat[-1] * 1000, 2) if lat else None,
        "errors": len(lat) - ok,
        "statuses": statuses,
        "degraded": degraded,
    }


async def main() -> None:
    counter = [0]
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line or line.strip() == "quit":
            return
        print(json.dumps(await run(json.loads(line), counter), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    asyncio.run(main())

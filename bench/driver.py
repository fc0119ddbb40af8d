"""The load driver: a separate process (asyncio + httpx) the benchmark talks to over
stdin/stdout, one JSON line per command, so that load and measurement never share a process
with the apps.

Command: {"name", "method", "url", "headers", "cookies", "json" | "json_template" | "body" |
"file", "concurrency", "requests", "max_seconds", "warmup", "timeout"}. The driver warms up, prints
{"warm": true}, waits for a "go" line, runs at most ``requests`` requests (or until
``max_seconds``) with ``concurrency`` clients, and prints the figures as one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import httpx

# Combined JSON is complete when its ``unavailable`` list is empty.
_COMPLETE = re.compile(rb'"unavailable"\s*:\s*\[\s*\]')


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


async def one(
    client: httpx.AsyncClient, cmd: dict[str, Any], i: int, body: bytes | None
) -> tuple[int, bool]:
    """Status, and whether the answer was degraded: a page with the degraded notice
    (``degraded_if``) or combined JSON whose ``unavailable`` is not empty (``combined``)."""
    kw: dict[str, Any] = {"headers": cmd.get("headers") or {}}
    if "json" in cmd:
        kw["json"] = cmd["json"]
    elif "json_template" in cmd:
        kw["content"] = cmd["json_template"].replace("{i}", str(i)).encode()
        kw["headers"] = {**kw["headers"], "Content-Type": "application/json"}
    elif "body" in cmd:
        kw["content"] = cmd["body"].encode()
        kw["headers"] = {
            **kw["headers"],
            "Content-Type": cmd.get("content_type", "application/json"),
        }
    elif body is not None:
        kw["files"] = {"file": (Path(cmd["file"]).name, body)}
    r = await client.request(cmd.get("method", "GET"), cmd["url"], **kw)
    await r.aread()
    degraded = False
    if r.status_code == 200 and cmd.get("degraded_if"):
        degraded = cmd["degraded_if"].encode() in r.content
    if r.status_code == 200 and cmd.get("combined"):
        degraded = _COMPLETE.search(r.content) is None
    return r.status_code, degraded


async def run(cmd: dict[str, Any], counter: list[int]) -> dict[str, Any]:
    conc = int(cmd.get("concurrency", 1))
    limits = httpx.Limits(max_connections=conc + 2, max_keepalive_connections=conc + 2)
    timeout = httpx.Timeout(float(cmd.get("timeout", 60)))
    body = await asyncio.to_thread(Path(cmd["file"]).read_bytes) if cmd.get("file") else None
    async with httpx.AsyncClient(
        limits=limits, timeout=timeout, cookies=cmd.get("cookies") or {}
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
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                latencies.append(time.perf_counter() - t0)
                statuses[status] = statuses.get(status, 0) + 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        wall = time.perf_counter() - t0
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

"""Peak memory of the indicators service during a national score import, in-process.

    .venv/bin/python -m bench.indicators_memory [--trace]      # SQLite file under a temp dir

Creates a municipal framework of 100 items (bench.indicators_bench.framework) and imports
scores for every municipality (174,100 cells) through the import API (httpx ASGITransport),
twice (the second replaces every cell). Prints the process's resident memory before, the peak
(VmHWM, reset before each import through /proc/self/clear_refs) and the time of each import;
``--trace`` also the biggest Python allocations at the peak of the import (tracemalloc).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import httpx

from bench.indicators_bench import framework, wide_csv
from services.common import migrate
from services.common.actor import Actor, Role, mint_token
from services.common.registry import get_registry
from services.common.settings import CommonSettings
from services.indicators.main import create_app
from services.indicators.settings import Settings

SECRET = "bench-secret-0123456789-0123456789-abcdef"
ACTOR = Actor(id="bench", name="ベンチ", role=Role.coordinator)


def status(key: str) -> float:
    """A /proc/self/status figure in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trace", action="store_true")
    args = ap.parse_args()
    pg = os.environ.get("DATABASE_URL")
    if pg:
        from tests import dbs

        url = pg
        await asyncio.to_thread(dbs.create_databases, {"indicators": url})
    else:
        url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'ind.db'}"
    await asyncio.to_thread(migrate.upgrade, "indicators", url)
    app = create_app(
        Settings(
            database_url=url,
            common=CommonSettings(env="test", token_secret=SECRET, log_level="WARNING"),
        )
    )
    token = mint_token(SECRET, ACTOR, ttl_seconds=3600)
    codes = sorted(get_registry().municipalities)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://b",
            headers={"Authorization": f"Bearer {token}"},
            timeout=600,
        ) as c,
    ):
        doc = framework(2025)
        r = await c.post("/api/v1/frameworks", json=doc)
        assert r.status_code == 201, r.text
        fw = r.json()["id"]
        body = wide_csv(doc, codes, random.Random(1))
        print(f"database: {'PostgreSQL' if pg else 'SQLite'}; CSV {len(body) / 1e6:.1f} MB")
        for n in range(2):
            gc.collect()
            before = status("VmRSS")
            reset_peak()
            if args.trace and n == 1:
                tracemalloc.start(12)
            t0 = time.perf_counter()
            r = await c.post(
                f"/api/v1/frameworks/{fw}/scores/import",
                files={"file": ("scores.csv", body)},
            )
            elapsed = time.perf_counter() - t0
            assert r.status_code == 200, r.text
            print(
                f"import {n + 1}: {elapsed:.2f} s; RSS before {before:.0f} MB, peak "
                f"{status('VmHWM'):.0f} MB, after {status('VmRSS'):.0f} MB"
            )
            if args.trace and n == 1:
                _, peak = tracemalloc.get_traced_memory()
                snap = tracemalloc.take_snapshot()
                tracemalloc.stop()
                print(f"tracemalloc peak {peak / 1e6:.0f} MB (still held at the end below)")
                for stat in snap.statistics("traceback")[:8]:
                    print(f"{stat.size / 1e6:7.1f} MB {stat.count:8d} blocks")
                    for line in stat.traceback.format()[-8:]:
                        print("   ", line)
    if pg:
        from tests import dbs

        await asyncio.to_thread(dbs.drop_databases, {"indicators": url})
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

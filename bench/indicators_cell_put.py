"""Timing of a one-cell score PUT on national data (not a test): 1,741 municipalities × 100
items × 2 years (the first year is the previous year of the second), then 7 sequential
one-cell PUTs on the newest framework and 1 PUT of 10 municipalities' cells, each timed.

    .venv/bin/python bench/indicators_cell_put.py \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/banso_h_cell_put
    .venv/bin/python bench/indicators_cell_put.py --database-url sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.indicators_bench import SECRET, framework, timed, wide_csv  # noqa: E402
from services.common import migrate  # noqa: E402
from services.common.actor import Actor, Role, mint_token  # noqa: E402
from services.common.registry import get_registry  # noqa: E402
from tests import dbs  # noqa: E402

PORT = 8793


async def run(base: str) -> list[str]:
    token = mint_token(
        SECRET, Actor(id="bench", name="ベンチ", role=Role.coordinator), ttl_seconds=3600
    )
    codes = sorted(get_registry().municipalities)
    rng = random.Random(1)
    out = []
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=600
    ) as c:
        for fy in (2020, 2021):
            doc = framework(fy)
            _, r = await timed(c, "POST", "/api/v1/frameworks", json=doc)
            fid = r.json()["id"]
            await timed(c, "POST", f"/api/v1/frameworks/{fid}/scores/import",
                        files={"file": ("s.csv", wide_csv(doc, codes, rng))})  # fmt: skip
        item = doc["categories"][0]["items"][0]
        times = []
        for i in range(7):
            pts = 0 if i % 2 == 0 else item["max_points"]
            body = {"scores": [{"entity_code": "131016", "item_code": item["code"], "points": pts}]}
            dt, _ = await timed(c, "PUT", f"/api/v1/frameworks/{fid}/scores", json=body)
            times.append(dt)
        out.append(
            f"one-cell PUT: median {statistics.median(times):.3f} s "
            f"({', '.join(f'{t:.3f}' for t in times)})"
        )
        body = {"scores": [{"entity_code": code, "item_code": item["code"], "points": 0}
                           for code in codes[::170][:10]]}  # fmt: skip
        dt, _ = await timed(c, "PUT", f"/api/v1/frameworks/{fid}/scores", json=body)
        out.append(f"10 municipalities' cells PUT: {dt:.3f} s")
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument(
        "--database-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/banso_h_cell_put"
    )
    url = p.parse_args().database_url
    if url.startswith("sqlite"):
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    else:
        name = url.rsplit("/", 1)[1]
        asyncio.run(dbs._pg_admin(url, [f'DROP DATABASE IF EXISTS "{name}"',
                                        f'CREATE DATABASE "{name}"']))  # fmt: skip
    migrate.upgrade("indicators", url)
    env = {**os.environ, "INDICATORS_DATABASE_URL": url, "BANSO_TOKEN_SECRET": SECRET,
           "BANSO_LOG_LEVEL": "WARNING"}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "services.indicators.main:app", "--port", str(PORT),
         "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{PORT}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        out = asyncio.run(run(base))
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"database: {url.split('://')[0]}, cpus: {os.cpu_count()}")
    for line in out:
        print(f"- {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

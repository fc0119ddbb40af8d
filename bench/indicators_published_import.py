"""Time the published-results import (not a test): 1,741 insurers × 100 items = 174,100 cells
in one CSV (cp932, half the rows keyed by insurer numbers) through
POST /frameworks/{id}/published-results/import, in-process, on a fresh PostgreSQL database.

    .venv/bin/python -m bench.indicators_published_import \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/banso_pub_bench
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time

import httpx
from sqlalchemy.engine import make_url

os.environ.setdefault("BANSO_ENV", "test")

from services.common import migrate
from services.common.registry import get_registry, insurer_number_of
from tests.conftest import common_settings
from tests.helpers import auth


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(
        host=u.host, port=u.port or 5432, user=u.username, database="postgres"
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def main(url: str, runs: int) -> None:
    name = make_url(url).database
    await _admin(url, f"DROP DATABASE IF EXISTS {name}")
    await _admin(url, f"CREATE DATABASE {name}")
    try:
        migrate.upgrade("indicators", url)
        from services.indicators.main import create_app
        from services.indicators.settings import Settings

        app = create_app(Settings(database_url=url, common=common_settings()))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://bench",
                headers=auth("coordinator"),
                timeout=300,
            ) as c,
        ):
            cats = [
                {
                    "code": f"C{k}",
                    "name": f"区分{k}",
                    "items": [
                        {"code": f"C{k}-{i}", "text": f"指標{k}-{i}", "max_points": 10}
                        for i in range(10)
                    ],
                }
                for k in range(10)
            ]
            doc = {"code": "bench-2024", "name": "bench", "grant": "suishin",
                   "level": "municipality", "grant_fy": 2024, "evaluation_fy": 2023,
                   "categories": cats}  # fmt: skip
            fid = (await c.post("/api/v1/frameworks", json=doc)).json()["id"]
            items = [it["code"] for cat in cats for it in cat["items"]]
            rng = random.Random(1)
            lines = ["保険者番号,保険者名," + ",".join(items)]
            for n, code in enumerate(sorted(get_registry().municipalities)):
                key = insurer_number_of(code) if n % 2 else code
                lines.append(f"{key},名称," + ",".join(str(rng.choice((0, 5, 10))) for _ in items))
            body = ("\n".join(lines) + "\n").encode("cp932")
            url_ = f"/api/v1/frameworks/{fid}/published-results/import"
            t = time.perf_counter()
            r = await c.post(url_, files={"file": ("r.csv", body)}, params={"dry_run": "true"})
            print(f"preview (parse, resolve, validate): {time.perf_counter() - t:.2f} s, "
                  f"{r.json()['cells']:,} cells")  # fmt: skip
            for run in range(runs):
                t = time.perf_counter()
                r = await c.post(url_, files={"file": ("r.csv", body)})
                assert r.status_code == 200, r.text[:300]
                print(f"import {run + 1}: {time.perf_counter() - t:.2f} s, "
                      f"{r.json()['written']:,} cells ({r.json()['mapping_origin']} mapping)")  # fmt: skip
    finally:
        await _admin(url, f"DROP DATABASE IF EXISTS {name}")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--database-url", required=True)
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args()
    asyncio.run(main(a.database_url, a.runs))

"""Benchmark of the indicators service (not a test): 1,741 municipalities × 100 items × 3 years.

Starts the real service with uvicorn on a fresh database, then over HTTP: creates three
frameworks of 100 items, imports 174,100 cells per year from CSV (wide and long layouts, and
a re-import that replaces every cell), times the results of one framework (nation-wide and
for one prefecture), averages, 取り戻す指標 and the allocation simulator, and reads the
service process's peak memory (VmHWM).

    .venv/bin/python bench/indicators_bench.py \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/banso_h_ind_bench
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

from services.common import migrate  # noqa: E402
from services.common.actor import Actor, Role, mint_token  # noqa: E402
from services.common.registry import get_registry  # noqa: E402
from tests import dbs  # noqa: E402

SECRET = "bench-secret-0123456789-0123456789-abcdef"
PORT = 8791
ITEMS, CATEGORIES = 100, 10


def framework(grant_fy: int) -> dict:
    cats = []
    for k in range(CATEGORIES):
        items = []
        for j in range(ITEMS // CATEGORIES):
            n = k * (ITEMS // CATEGORIES) + j
            item = {"code": f"i{n:03d}", "text": f"指標{n}", "max_points": 5 + n % 4 * 5}
            if k == 0 and j in (0, 1):  # one alternatives group, for the rule's cost
                item["alternatives"] = "alt"
            if k == CATEGORIES - 1 and j == 0:  # one deduction item
                item.update(max_points=0, min_points=-10)
            items.append(item)
        cats.append({"code": f"C{k}", "name": f"区分{k}", "items": items})
    return {
        "code": f"bench-{grant_fy}",
        "name": f"ベンチ {grant_fy}",
        "grant": "suishin",
        "level": "municipality",
        "grant_fy": grant_fy,
        "evaluation_fy": grant_fy - 1,
        "categories": cats,
    }


def points(rng: random.Random, item: dict) -> int:
    if item.get("min_points", 0) < 0:
        return rng.choice((0, 0, 0, -10))
    return rng.choice((0, item["max_points"] // 2, item["max_points"], item["max_points"]))


def wide_csv(doc: dict, codes: list[str], rng: random.Random) -> bytes:
    items = [i for c in doc["categories"] for i in c["items"]]
    lines = ["entity_code," + ",".join(i["code"] for i in items)]
    for code in codes:
        lines.append(code + "," + ",".join(str(points(rng, i)) for i in items))
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def long_csv(doc: dict, codes: list[str], rng: random.Random) -> bytes:
    items = [i for c in doc["categories"] for i in c["items"]]
    lines = ["団体コード,指標コード,得点"]
    for code in codes:
        lines.extend(f"{code},{i['code']},{points(rng, i)}" for i in items)
    return ("\n".join(lines) + "\n").encode("cp932")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def timed(c: httpx.AsyncClient, method: str, url: str, **kw) -> tuple[float, httpx.Response]:
    t = time.perf_counter()
    r = await c.request(method, url, **kw)
    dt = time.perf_counter() - t
    assert r.status_code < 300, (url, r.status_code, r.text[:500])
    return dt, r


async def run(base: str, proc: subprocess.Popen) -> dict[str, str]:
    token = mint_token(
        SECRET, Actor(id="bench", name="ベンチ", role=Role.coordinator), ttl_seconds=3600
    )
    codes = sorted(get_registry().municipalities)
    assert len(codes) == 1741
    rng = random.Random(1)
    out: dict[str, str] = {}
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=600
    ) as c:
        ids = []
        for fy in (2021, 2022, 2023):
            doc = framework(fy)
            _, r = await timed(c, "POST", "/api/v1/frameworks", json=doc)
            ids.append((r.json()["id"], doc))
        imports = []
        for n, (fid, doc) in enumerate(ids):
            body = wide_csv(doc, codes, rng) if n != 1 else long_csv(doc, codes, rng)
            layout = "wide UTF-8" if n != 1 else "long cp932"
            dt, r = await timed(
                c,
                "POST",
                f"/api/v1/frameworks/{fid}/scores/import",
                files={"file": ("s.csv", body)},
            )
            assert r.json()["written"] == 174_100
            imports.append(f"FY{doc['grant_fy']} {layout} {dt:.2f} s")
        fid, doc = ids[-1]
        dt, _ = await timed(
            c, "POST", f"/api/v1/frameworks/{fid}/scores/import",
            files={"file": ("s.csv", wide_csv(doc, codes, rng))},
        )  # fmt: skip
        imports.append(f"re-import replacing every cell {dt:.2f} s")
        out["CSV import, 174,100 cells"] = "; ".join(imports)
        rows = [
            {"entity_code": code, "first_insured": 1000 + i * 37, "requested": 10**7}
            for i, code in enumerate(codes)
        ]
        await timed(c, "PUT", "/api/v1/allocation/suishin/2023/inputs", json={"rows": rows})

        async def median(url: str, method: str = "GET", n: int = 5, **kw) -> str:
            times = [(await timed(c, method, url, **kw))[0] for _ in range(n)]
            med = statistics.median(times)
            return f"median {med:.3f} s (min {min(times):.3f}, max {max(times):.3f}, n={n})"

        out[
            "results, whole nation (1,741 entities, with previous year for the drop flag)"
        ] = await median(f"/api/v1/frameworks/{fid}/results")
        out["results, prefecture=13"] = await median(
            f"/api/v1/frameworks/{fid}/results?prefecture=13"
        )
        out["results, one entity"] = await median(
            f"/api/v1/frameworks/{fid}/results?entity_code=131016"
        )
        out["averages (nation, prefecture 13, region_class groups)"] = await median(
            f"/api/v1/frameworks/{fid}/averages?prefecture=13", n=3
        )
        out["取り戻す指標 (size_band peers)"] = await median(
            f"/api/v1/frameworks/{fid}/recover?entity_code=131016&group_set=size_band", n=3
        )
        out["allocation simulator with what-if (1,741 insurers)"] = await median(
            f"/api/v1/frameworks/{fid}/allocation",
            "POST",
            n=3,
            json={
                "budget": 19_000_000_000,
                "what_if": {"entity_code": "131016", "points": {"i050": 0}},
            },
        )
    out["peak memory of the service process (VmHWM)"] = f"{peak_rss_mb(proc.pid):.0f} MB"
    return out


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--database-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/banso_h_ind_bench"
    )
    args = p.parse_args()
    url = args.database_url
    tmp = tempfile.mkdtemp()
    if url.startswith("sqlite"):
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
    else:
        asyncio.run(dbs._pg_admin(url, [f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"',
                                        f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"']))  # fmt: skip
    migrate.upgrade("indicators", url)
    env = {
        **os.environ,
        "INDICATORS_DATABASE_URL": url,
        "BANSO_TOKEN_SECRET": SECRET,
        "BANSO_LOG_LEVEL": "WARNING",
    }
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
        out = asyncio.run(run(base, proc))
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"database: {url.split('://')[0]}, cpus: {os.cpu_count()}")
    for k, v in out.items():
        print(f"- {k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

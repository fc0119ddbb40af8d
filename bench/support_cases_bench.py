"""Bench of the support_cases service: list, summary, tree, report and concurrent edits.

    .venv/bin/python -m bench.support_cases_bench            # SQLite file under a temp dir
    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/banso_bench_sc \
        .venv/bin/python -m bench.support_cases_bench        # PostgreSQL (database recreated)

Seeds 5 rounds × 60 cases (300 cases), each with 4 visits, a 15-node tree and 3 roadmap
items, straight into the database; then times the API in-process (httpx ASGITransport).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

from services.common import migrate
from services.common.actor import Actor, Role, mint_token
from services.common.models import stamp_created
from services.common.registry import get_registry
from services.common.settings import CommonSettings
from services.support_cases.advisors.models import Advisor
from services.support_cases.cases.models import CaseAdvisor, SupportCase
from services.support_cases.main import create_app
from services.support_cases.roadmaps.models import Initiative, RoadmapItem
from services.support_cases.rounds.models import Application, ApplicationStatus, SupportRound
from services.support_cases.settings import Settings
from services.support_cases.trees.models import TreeNode
from services.support_cases.visits.models import Visit, VisitAdvisor

SECRET = "bench-secret-0123456789-0123456789-abcdef"
ACTOR = Actor(id="bench", name="ベンチ", role=Role.coordinator)
YEARS = range(2021, 2026)
CASES_PER_YEAR = 60


async def seed(app) -> int:  # type: ignore[no-untyped-def]
    codes = [m.code for m in get_registry().home()][:CASES_PER_YEAR]
    async with app.state.db.session(write=True) as s:
        advisors = []
        for i in range(10):
            a = Advisor(name=f"専門家 {i}", specialties=["介護予防"])
            stamp_created(a, ACTOR)
            s.add(a)
            advisors.append(a)
        await s.flush()
        first_case = None
        for fy in YEARS:
            rnd = SupportRound(
                fiscal_year=fy, application_opens=date(fy, 4, 1), application_closes=date(fy, 5, 31)
            )
            stamp_created(rnd, ACTOR)
            s.add(rnd)
            await s.flush()
            for k, code in enumerate(codes):
                ap = Application(
                    round_id=rnd.id, municipality_code=code, status=ApplicationStatus.selected
                )
                stamp_created(ap, ACTOR)
                s.add(ap)
                await s.flush()
                case = SupportCase(
                    round_id=rnd.id,
                    fiscal_year=fy,
                    municipality_code=code,
                    application_id=ap.id,
                    theme="介護予防",
                )
                stamp_created(case, ACTOR)
                s.add(case)
                await s.flush()
                first_case = first_case or case.id
                adv = advisors[k % 10]
                s.add(CaseAdvisor(case_id=case.id, advisor_id=adv.id))
                for v in range(4):
                    visit = Visit(case_id=case.id, visit_date=date(fy, 6 + v, 10), notes="記録")
                    stamp_created(visit, ACTOR)
                    s.add(visit)
                    await s.flush()
                    s.add(VisitAdvisor(visit_id=visit.id, advisor_id=adv.id, hours=2.5))
                root = TreeNode(case_id=case.id, statement="問題")
                stamp_created(root, ACTOR)
                s.add(root)
                await s.flush()
                parents = [root]
                for n in range(14):
                    node = TreeNode(
                        case_id=case.id,
                        parent_id=parents[n // 3].id,
                        statement=f"原因 {n}",
                        evidence="根拠のデータ",
                        position=n % 3,
                    )
                    stamp_created(node, ACTOR)
                    s.add(node)
                    await s.flush()
                    parents.append(node)
                ini = Initiative(case_id=case.id, node_id=parents[-1].id, title="取組", chosen=True)
                stamp_created(ini, ACTOR)
                s.add(ini)
                await s.flush()
                for r in range(3):
                    item = RoadmapItem(
                        case_id=case.id,
                        initiative_id=ini.id,
                        start_month=f"{fy}-10",
                        end_month=f"{fy + 1}-03",
                        kpi_custom="参加者数",
                        verification_method="名簿",
                        status="完了" if r == 0 else "実施中",
                    )
                    stamp_created(item, ACTOR)
                    s.add(item)
        await s.commit()
    return first_case  # type: ignore[return-value]


async def timed(client: httpx.AsyncClient, url: str, n: int = 30) -> tuple[float, float, int]:
    times = []
    size = 0
    for _ in range(n):
        t0 = time.perf_counter()
        r = await client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.text
        size = len(r.content)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], size


async def main() -> int:
    pg = os.environ.get("DATABASE_URL")
    tmp = Path(tempfile.mkdtemp())
    if pg:
        from tests import dbs

        url = pg
        await asyncio.to_thread(dbs.create_databases, {"support_cases": url})
    else:
        url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    await asyncio.to_thread(migrate.upgrade, "support_cases", url)
    settings = Settings(database_url=url, common=CommonSettings(env="test", token_secret=SECRET))
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {mint_token(SECRET, ACTOR, ttl_seconds=3600)}"}
    async with app.router.lifespan_context(app):
        t0 = time.perf_counter()
        case_id = await seed(app)
        print(f"database: {'PostgreSQL' if pg else 'SQLite'}")
        print(f"seed: {len(YEARS) * CASES_PER_YEAR} cases in {time.perf_counter() - t0:.1f} s")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://b", headers=headers
        ) as c:
            for label, url_ in (
                ("GET /cases?fiscal_year=2025 (60 cases)", "/api/v1/cases?fiscal_year=2025"),
                ("GET /cases (300 cases)", "/api/v1/cases"),
                ("GET /rounds/2025/summary", "/api/v1/rounds/2025/summary"),
                ("GET /cases/{id}/tree (15 nodes)", f"/api/v1/cases/{case_id}/tree"),
                ("GET /cases/{id}/report.docx", f"/api/v1/cases/{case_id}/report.docx"),
            ):
                p50, p95, size = await timed(c, url_)
                print(f"{label:45s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {size:,} bytes")
            tree = (await c.get(f"/api/v1/cases/{case_id}/tree")).json()
            node = tree["root"]["children"][0]
            n = 50

            async def edit(i: int) -> int:
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://b", headers=headers
                ) as cc:
                    r = await cc.patch(
                        f"/api/v1/cases/{case_id}/tree/nodes/{node['id']}",
                        json={"statement": f"編集 {i}", "version": node["version"]},
                    )
                    return r.status_code

            t0 = time.perf_counter()
            codes = await asyncio.gather(*(edit(i) for i in range(n)))
            elapsed = (time.perf_counter() - t0) * 1000
            print(
                f"{n} concurrent edits, same version: {codes.count(200)}×200, "
                f"{codes.count(409)}×409 in {elapsed:.0f} ms"
            )
    if pg:
        from tests import dbs

        await asyncio.to_thread(dbs.drop_databases, {"support_cases": url})
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

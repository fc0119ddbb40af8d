"""National-scale data for the benchmark, loaded through the services' APIs (and, for the
20,000 registrations, straight into the training database for speed).

- indicators: both grants' municipal frameworks (100 items) for 3 grant years, each with
  scores for all 1,741 municipalities (CSV import, 174,100 cells each) and allocation inputs;
- support_cases: rounds, selected applications and cases with a logic tree (7 nodes), a
  chosen initiative and 2 roadmap items each, in Tokyo;
- training: programs and sessions through the API, registrations inserted directly.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.indicators_bench import framework, wide_csv
from drills.support_cases import add_node, make_advisor, make_case, make_round
from services.common.actor import Actor, Role
from services.common.db import Database
from services.common.models import stamp_created, utcnow
from services.common.registry import get_registry

ACTOR = Actor(id="bench", name="ベンチ", role=Role.coordinator)
GRANT_YEARS = (2024, 2025, 2026)  # 2023 ships as a provisional skeleton
GRANTS = ("suishin", "doryoku")


async def _gather_limited(n: int, coros: list[Any]) -> list[Any]:
    sem = asyncio.Semaphore(n)

    async def wrap(c: Any) -> Any:
        async with sem:
            return await c

    return await asyncio.gather(*(wrap(c) for c in coros))


def _ok(r: httpx.Response, what: str) -> dict[str, Any]:
    if r.status_code >= 300:
        raise RuntimeError(f"{what}: {r.status_code} {r.text[:300]}")
    return r.json() if r.content else {}


async def indicators(c: httpx.AsyncClient, workdir: Path, log: Any) -> dict[str, Any]:
    codes = sorted(get_registry().municipalities)
    rng = random.Random(1)
    out: dict[str, Any] = {"frameworks": {}, "imports_s": []}
    for grant in GRANTS:
        for fy in GRANT_YEARS:
            doc = framework(fy)
            doc.update(code=f"bench-{grant}-{fy}", name=f"ベンチ {grant} {fy}", grant=grant)
            fw = _ok(await c.post("/api/v1/frameworks", json=doc), "framework")
            t0 = time.perf_counter()
            body = wide_csv(doc, codes, rng)
            r = _ok(
                await c.post(
                    f"/api/v1/frameworks/{fw['id']}/scores/import",
                    files={"file": ("scores.csv", body)},
                ),
                "score import",
            )
            out["imports_s"].append(round(time.perf_counter() - t0, 2))
            assert r["written"] == len(codes) * 100, r
            rows = [
                {"entity_code": code, "first_insured": 1000 + i * 37, "requested": 10**7}
                for i, code in enumerate(codes)
            ]
            _ok(
                await c.put(f"/api/v1/allocation/{grant}/{fy}/inputs", json={"rows": rows}),
                "inputs",
            )
            out["frameworks"][f"{grant}-{fy}"] = {"id": fw["id"], "doc": doc}
            log(f"indicators: {grant} FY{fy} framework {fw['id']}, {r['written']:,} cells")
    # Files for the score-import measurements: the whole nation and Tokyo only.
    doc = out["frameworks"]["suishin-2025"]["doc"]
    nation = workdir / "scores-nation.csv"
    nation.write_bytes(wide_csv(doc, codes, rng))
    tokyo = workdir / "scores-tokyo.csv"
    tokyo.write_bytes(wide_csv(doc, [m.code for m in get_registry().home()], rng))
    out["files"] = {"nation": str(nation), "tokyo": str(tokyo)}
    return out


async def support_cases(c: httpx.AsyncClient, cases: int, log: Any) -> dict[str, Any]:
    home = [m.code for m in get_registry().home()]
    years = (2023, 2024, 2025, 2026)
    per_year = min(len(home), -(-cases // len(years)))
    advisors = [await make_advisor(c, f"ベンチ 専門家 {i}") for i in range(10)]
    for fy in years:
        await make_round(c, fy)
    plan = [(fy, home[k]) for fy in years for k in range(per_year)][:cases]

    async def one(n: int, fy: int, code: str) -> None:
        case_id = await make_case(c, fy, code, advisors[n % 10])
        root = await add_node(c, case_id, "通いの場への参加が伸びない", None)
        kids = [await add_node(c, case_id, f"原因 {k}", root["id"]) for k in range(3)]
        leaves = [await add_node(c, case_id, f"要因 {k}", kids[k % 3]["id"]) for k in range(3)]
        ini = _ok(
            await c.post(
                f"/api/v1/cases/{case_id}/initiatives",
                json={
                    "node_id": leaves[0]["id"],
                    "title": "男性向け教室の試行",
                    "chosen": True,
                    "reason": "男性参加の少なさに直接効く",
                },
            ),
            "initiative",
        )
        for _k in range(2):
            _ok(
                await c.post(
                    f"/api/v1/cases/{case_id}/roadmap",
                    json={
                        "initiative_id": ini["id"],
                        "start_month": f"{fy}-10",
                        "end_month": f"{fy + 1}-03",
                        "kpi_custom": "参加者数",
                        "verification_method": "名簿",
                    },
                ),
                "roadmap",
            )

    await _gather_limited(8, [one(n, fy, code) for n, (fy, code) in enumerate(plan)])
    log(f"support_cases: {len(plan)} cases (7 tree nodes, 1 initiative, 2 roadmap items each)")
    return {"cases": len(plan), "years": list(years)}


async def training(
    c: httpx.AsyncClient, database_url: str, sessions: int, registrations: int, log: Any
) -> dict[str, Any]:
    import services.training.tables  # noqa: F401  (every model, for the foreign keys)
    from services.training.registrations.models import Registration

    home = [m.code for m in get_registry().home()]
    programs = max(1, sessions // 10)
    fys = (2024, 2025, 2026)
    kinds = ("全体研修・情報交換会", "地域ケア会議 司会者・助言者養成", "その他")
    prog_ids = []
    for p in range(programs):
        fy = fys[p % 3]
        prog_ids.append(
            (
                _ok(
                    await c.post(
                        "/api/v1/programs",
                        json={
                            "name": f"ベンチ研修 {p}",
                            "kind": kinds[p % 3],
                            "fiscal_year": fy,
                            "region": "全域",
                        },
                    ),
                    "program",
                )["id"],
                fy,
            )
        )

    async def session(n: int) -> int:
        pid, fy = prog_ids[n % programs]
        day = date(fy, 4, 10) + timedelta(days=(n * 3) % 330)
        return _ok(
            await c.post(
                "/api/v1/sessions",
                json={
                    "program_id": pid,
                    "days": [{"date": day.isoformat(), "start": "13:30", "end": "16:30"}],
                    "format": "会場",
                    "capacity": 60,
                },
            ),
            "session",
        )["id"]

    sids = await _gather_limited(8, [session(n) for n in range(sessions)])
    per = registrations // len(sids)
    db = Database(database_url)
    now = utcnow()
    try:
        for start in range(0, len(sids), 50):
            async with db.session(write=True) as s:
                for sid in sids[start : start + 50]:
                    for k in range(per):
                        reg = Registration(
                            session_id=sid,
                            name=f"職員 {sid}-{k}",
                            municipality_code=home[(sid + k) % len(home)],
                            role="実務担当者",
                            email=f"r{sid}-{k}@bench.example.jp",
                            status="confirmed",
                            seq=k + 1,
                            confirmed_at=now,
                        )
                        stamp_created(reg, ACTOR)
                        s.add(reg)
                await s.commit()
        # Rows inserted straight into the base tables: fill the read models as a bulk import
        # does (services/training/figures).
        from services.training.figures.service import rebuild_async

        async with db.session(write=True) as s:
            await rebuild_async(s)
            await s.commit()
        # Written past the service: its ETags must not stand for the rows before
        # (services/common/conditional.py).
        from services.common.conditional import bump

        await bump(db.engine)
    finally:
        await db.dispose()
    log(f"training: {programs} programs, {len(sids)} sessions, {per * len(sids):,} registrations")
    return {"sessions": len(sids), "registrations": per * len(sids), "session_ids": sids}

"""Small factories for support_cases tests: each makes one record through the real API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from services.support_cases.deps import today_jst

TODAY = today_jst()  # the service's notion of today (application windows are in JST)
FY = 2025

WARD = "131121"  # 世田谷区 (区部)
CITY = "132012"  # 八王子市 (市部)
TOWN = "133035"  # 瑞穂町 (町村部)
NEIGHBOUR = "132128"  # 日野市, neighbour of 八王子市


async def ok(resp: httpx.Response, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json() if resp.content else None


async def make_round(c: httpx.AsyncClient, fy: int = FY, **kw: Any) -> dict:
    body = {
        "fiscal_year": fy,
        "application_opens": (TODAY - timedelta(days=10)).isoformat(),
        "application_closes": (TODAY + timedelta(days=10)).isoformat(),
        "advisor_days_budget": 24,
        **kw,
    }
    return await ok(await c.post("/api/v1/rounds", json=body), 201)


async def make_advisor(c: httpx.AsyncClient, name: str = "山田 花子", **kw: Any) -> dict:
    body = {"name": name, "affiliation": "○○大学", "specialties": ["介護予防"], **kw}
    return await ok(await c.post("/api/v1/advisors", json=body), 201)


async def make_application(c: httpx.AsyncClient, code: str = CITY, fy: int = FY, **kw: Any) -> dict:
    body = {
        "municipality_code": code,
        "wished_themes": ["介護予防"],
        "motivation": "通いの場の参加率が伸びない理由を知りたい",
        "current_efforts": "体操教室を12か所で実施",
        "contact_name": "担当 太郎",
        **kw,
    }
    return await ok(await c.post(f"/api/v1/rounds/{fy}/applications", json=body), 201)


async def make_case(
    c: httpx.AsyncClient,
    code: str = CITY,
    *,
    fy: int = FY,
    advisor_ids: list[int],
    observers: list[str] | None = None,
    apply: bool = True,
    theme: str = "介護予防",
) -> dict:
    if apply:
        await make_application(c, code, fy)
    body = {
        "fiscal_year": fy,
        "municipality_code": code,
        "theme": theme,
        "advisor_ids": advisor_ids,
        "observers": observers or [],
        "indicator_item_codes": ["Ⅱ(3)①"],
        "background": "参加者が固定化している",
    }
    return await ok(await c.post("/api/v1/cases", json=body), 201)


async def add_visit(
    c: httpx.AsyncClient, case_id: int, advisor_id: int, hours: float = 3.0, **kw: Any
) -> dict:
    body = {
        "visit_date": kw.pop("visit_date", TODAY.isoformat()),
        "kind": "ヒアリング",
        "place": "市役所 会議室",
        "advisors": [{"advisor_id": advisor_id, "hours": hours}],
        "agenda": "現状の共有",
        "notes": "参加者の多くは後期高齢の女性",
        "issues_found": ["男性の参加が少ない"],
        **kw,
    }
    return await ok(await c.post(f"/api/v1/cases/{case_id}/visits", json=body), 201)


async def add_node(
    c: httpx.AsyncClient, case_id: int, statement: str, parent_id: int | None = None, **kw: Any
) -> dict:
    body = {"statement": statement, "parent_id": parent_id, **kw}
    return await ok(await c.post(f"/api/v1/cases/{case_id}/tree/nodes", json=body), 201)


async def add_chain(c: httpx.AsyncClient, case_id: int, depth: int) -> list[dict]:
    """A root and a straight line of causes down to ``depth``."""
    nodes = [await add_node(c, case_id, "問題: 通いの場の参加率が低い")]
    for d in range(1, depth + 1):
        nodes.append(await add_node(c, case_id, f"原因 {d}", nodes[-1]["id"]))
    return nodes


async def add_initiative(
    c: httpx.AsyncClient, case_id: int, node_id: int, chosen: bool = True, **kw: Any
) -> dict:
    body = {
        "node_id": node_id,
        "title": "男性向け教室の試行",
        "chosen": chosen,
        "reason": "費用が小さく効果が見込める" if chosen else "",
        **kw,
    }
    return await ok(await c.post(f"/api/v1/cases/{case_id}/initiatives", json=body), 201)


async def add_item(c: httpx.AsyncClient, case_id: int, initiative_id: int, **kw: Any) -> dict:
    body = {
        "initiative_id": initiative_id,
        "owner": "介護予防担当",
        "start_month": "2025-10",
        "end_month": "2026-03",
        "kpi_custom": "男性参加者数",
        "kpi_unit": "人",
        "baseline": 120,
        "target": 180,
        "verification_method": "名簿を四半期ごとに集計",
        **kw,
    }
    return await ok(await c.post(f"/api/v1/cases/{case_id}/roadmap", json=body), 201)


async def advance(c: httpx.AsyncClient, case_id: int, to: str, reason: str = "") -> httpx.Response:
    case = (await c.get(f"/api/v1/cases/{case_id}")).json()
    return await c.post(
        f"/api/v1/cases/{case_id}/transitions",
        json={"to_status": to, "reason": reason, "version": case["version"]},
    )

"""Drill: 50 concurrent edits of one logic-tree node, all made from the same version."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import httpx

from drills.base import Report, service_client
from services.common import clock
from tests.e2e.system import System


async def make_round(c: httpx.AsyncClient, fy: int) -> None:
    r = await c.post(
        "/api/v1/rounds",
        json={
            "fiscal_year": fy,
            # open today, so that applications can be made now for any year
            "application_opens": (clock.today() - timedelta(days=10)).isoformat(),
            "application_closes": (clock.today() + timedelta(days=30)).isoformat(),
            "targets_by_region_class": {"区部": 20, "市部": 20, "町村部": 20},
            "advisor_days_budget": 500,
        },
    )
    if r.status_code != 201:
        raise RuntimeError(f"round {fy}: {r.status_code} {r.text[:300]}")


async def make_advisor(c: httpx.AsyncClient, name: str = "訓練 専門家") -> int:
    r = await c.post("/api/v1/advisors", json={"name": name, "specialties": ["介護予防"]})
    if r.status_code != 201:
        raise RuntimeError(f"advisor: {r.status_code} {r.text[:300]}")
    return r.json()["id"]


async def make_case(c: httpx.AsyncClient, fy: int, code: str, advisor_id: int) -> int:
    """A selected application and its case, through the support_cases API."""
    a = await c.post(
        f"/api/v1/rounds/{fy}/applications",
        json={"municipality_code": code, "wished_themes": ["介護予防"], "motivation": "訓練"},
    )
    if a.status_code != 201:
        raise RuntimeError(f"application {fy} {code}: {a.status_code} {a.text[:300]}")
    d = await c.post(
        f"/api/v1/applications/{a.json()['id']}/decision",
        json={"status": "選定", "reason": "訓練", "version": a.json()["version"]},
    )
    if d.status_code != 200:
        raise RuntimeError(f"decision {fy} {code}: {d.status_code} {d.text[:300]}")
    r = await c.post(
        "/api/v1/cases",
        json={
            "fiscal_year": fy,
            "municipality_code": code,
            "theme": "介護予防",
            "advisor_ids": [advisor_id],
        },
    )
    if r.status_code != 201:
        raise RuntimeError(f"case {fy} {code}: {r.status_code} {r.text[:300]}")
    return r.json()["id"]


async def add_node(c: httpx.AsyncClient, case_id: int, statement: str, parent: int | None) -> dict:
    r = await c.post(
        f"/api/v1/cases/{case_id}/tree/nodes",
        json={"parent_id": parent, "statement": statement, "evidence": "根拠のデータ"},
    )
    if r.status_code != 201:
        raise RuntimeError(f"node: {r.status_code} {r.text[:300]}")
    return r.json()


async def tree_edits(system: System, report: Report, n: int = 50) -> None:
    async with service_client(system, "support_cases") as c:
        await make_round(c, 2026)
        advisor = await make_advisor(c)
        case_id = await make_case(c, 2026, "132012", advisor)
        root = await add_node(c, case_id, "通いの場への参加が伸びない", None)
        node = await add_node(c, case_id, "男性の参加が少ない", root["id"])
        report.did(
            f"{n} concurrent PATCHes of tree node {node['id']} (case {case_id}), "
            f"each with version {node['version']} and its own wording"
        )
        answers = await asyncio.gather(
            *(
                c.patch(
                    f"/api/v1/cases/{case_id}/tree/nodes/{node['id']}",
                    json={"statement": f"訓練の編集 {i}", "version": node["version"]},
                )
                for i in range(n)
            )
        )
        statuses = Counter(a.status_code for a in answers)
        won = [(i, a) for i, a in enumerate(answers) if a.status_code == 200]
        report.check("exactly one edit succeeded", len(won) == 1, f"statuses {dict(statuses)}")
        report.check(f"the other {n - 1} got 409", statuses.get(409, 0) == n - 1)
        stale = [a for a in answers if a.status_code == 409]
        report.check(
            "every 409 is problem+json",
            all(a.headers.get("content-type", "").startswith("application/problem+json")
                for a in stale),
        )  # fmt: skip
        tree = (await c.get(f"/api/v1/cases/{case_id}/tree")).json()

        def find(n_: dict) -> dict | None:
            if n_["id"] == node["id"]:
                return n_
            for ch in n_.get("children", []):
                got = find(ch)
                if got:
                    return got
            return None

        final = find(tree["root"]) if tree.get("root") else None
        if won and final:
            i, a = won[0]
            report.check(
                "the stored node equals the successful edit",
                final["statement"] == f"訓練の編集 {i}" == a.json()["statement"]
                and final["version"] == a.json()["version"] == node["version"] + 1,
                f"statement {final['statement']!r}, version {final['version']}",
            )
        else:
            report.check("the stored node equals the successful edit", False, "no winner/node")

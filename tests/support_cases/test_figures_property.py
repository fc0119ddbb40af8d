"""Correctness proof of the support_cases read models: random sequences of case and visit
writes through the API (applications and decisions, cases, transitions, advisor and observer
edits, visits added, moved and deleted, roadmap items, advisor renames), and after each write
the stored case summaries and round figures equal a from-scratch computation over the base
tables, and the case list and round summary read from them say the same. Runs on the suite's
database (SQLite, or PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from services.common.registry import get_registry
from services.support_cases.advisors.models import Advisor
from services.support_cases.cases.models import (
    CaseAdvisor,
    CaseObserver,
    CaseTransition,
    SupportCase,
)
from services.support_cases.figures import service as figures
from services.support_cases.figures.models import CaseSummary, RoundFigures
from services.support_cases.roadmaps.models import RoadmapItem
from services.support_cases.rounds.models import Application, SupportRound
from services.support_cases.visits.models import Visit, VisitAdvisor
from tests.support_cases.factories import CITY, FY, NEIGHBOUR, TODAY, TOWN, WARD, make_round

CODES = (CITY, WARD, TOWN)
EXAMPLES = int(os.environ.get("BANSO_PROPERTY_EXAMPLES", "20"))
NEXT = ("ヒアリング", "課題分析", "取組選定", "ロードマップ作成", "実施・検証", "報告", "完了")

pick = st.integers(0, 20)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("apply"), st.integers(0, 2)),
        st.tuples(st.just("decide"), pick, st.booleans()),
        st.tuples(st.just("case"), st.integers(0, 2), st.integers(1, 3)),
        st.tuples(st.just("advance"), pick, st.booleans()),
        st.tuples(
            st.just("visit"), pick, st.integers(1, 3), st.integers(-20, 20), st.integers(1, 8)
        ),
        st.tuples(st.just("move_visit"), pick, st.integers(-20, 20), st.integers(0, 8)),
        st.tuples(st.just("delete_visit"), pick),
        st.tuples(st.just("advisors"), pick, st.integers(1, 3), st.booleans()),
        st.tuples(st.just("rename"), st.integers(0, 2)),
        st.tuples(st.just("item"), pick),
        st.tuples(
            st.just("item_status"), pick, st.sampled_from(("未着手", "実施中", "完了", "中止"))
        ),
        st.tuples(st.just("delete_item"), pick),
    ),
    min_size=1,
    max_size=12,
)


async def _all(engine: Any, query: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(query)).all())


def _v(x: Any) -> str:
    return x.value if hasattr(x, "value") else str(x)


async def from_scratch(engine: Any) -> tuple[dict[int, tuple], dict[int, tuple]]:
    cases = await _all(engine, select(SupportCase.id, SupportCase.round_id, SupportCase.status))
    names = {
        a: (n, aff)
        for a, n, aff in await _all(engine, select(Advisor.id, Advisor.name, Advisor.affiliation))
    }
    advisors: dict[int, list] = defaultdict(list)
    for cid, aid in sorted(
        await _all(engine, select(CaseAdvisor.case_id, CaseAdvisor.advisor_id)), key=lambda r: r[1]
    ):
        advisors[cid].append({"id": aid, "name": names[aid][0], "affiliation": names[aid][1]})
    observers: dict[int, list] = defaultdict(list)
    for cid, code in sorted(
        await _all(engine, select(CaseObserver.case_id, CaseObserver.municipality_code)),
        key=lambda r: r[1],
    ):
        observers[cid].append(code)
    visits = await _all(engine, select(Visit.id, Visit.case_id, Visit.visit_date))
    case_of_visit = {vid: cid for vid, cid, _ in visits}
    dates: dict[int, list] = defaultdict(list)
    for _vid, cid, d in sorted(visits, key=lambda r: (r[2], r[0])):
        dates[cid].append(d.isoformat())
    hours: dict[int, float] = defaultdict(float)
    dispatches = await _all(engine, select(VisitAdvisor.visit_id, VisitAdvisor.hours))
    for vid, h in dispatches:
        hours[case_of_visit[vid]] += h
    items: dict[int, list] = defaultdict(list)
    for cid, st_ in await _all(engine, select(RoadmapItem.case_id, RoadmapItem.status)):
        items[cid].append(_v(st_))
    changed: dict[int, Any] = {}
    for cid, at in await _all(engine, select(CaseTransition.case_id, CaseTransition.at)):
        changed[cid] = max(changed.get(cid, at), at)
    case_rows = {
        cid: (
            rid,
            advisors[cid],
            observers[cid],
            dates[cid],
            len(dates[cid]),
            round(hours[cid], 6),
            len(items[cid]),
            sum(1 for s in items[cid] if s == "完了"),
            changed.get(cid),
        )
        for cid, rid, _ in cases
    }
    reg = get_registry()
    round_rows = {}
    for (rid,) in await _all(engine, select(SupportRound.id)):
        apps = await _all(
            engine,
            select(Application.municipality_code, Application.status).where(
                Application.round_id == rid
            ),
        )
        selected = {"区部": 0, "市部": 0, "町村部": 0}
        for code, s in apps:
            if _v(s) == "選定":
                m = reg.get(code)
                key = (m.region_class if m else None) or "その他"
                selected[key] = selected.get(key, 0) + 1
        by_status = Counter(_v(s) for _, s in apps)
        in_round = {cid for cid, r, _ in cases if r == rid}
        statuses = Counter(_v(s) for cid, r, s in cases if r == rid)
        round_rows[rid] = (
            len(apps),
            {s: by_status.get(s, 0) for s in ("提出", "選定", "見送り")},
            selected,
            {s: statuses.get(s, 0) for s in ("選定", *NEXT, "中止")},
            sum(1 for vid, _ in dispatches if case_of_visit[vid] in in_round),
            round(sum(h for vid, h in dispatches if case_of_visit[vid] in in_round), 6),
        )
    return case_rows, round_rows


async def stored(engine: Any) -> tuple[dict[int, tuple], dict[int, tuple]]:
    cs = {
        r.case_id: (
            r.round_id,
            r.advisors,
            r.observers,
            r.visit_dates,
            r.visits_count,
            round(r.advisor_hours, 6),
            r.roadmap_items,
            r.roadmap_items_done,
            r.status_changed_at,
        )
        for r in await _all(engine, select(CaseSummary.__table__))  # type: ignore[attr-defined]
    }
    rf = {
        r.round_id: (
            r.applications,
            r.applications_by_status,
            r.selected_by_region_class,
            r.cases_by_status,
            r.advisor_dispatches,
            round(r.advisor_hours, 6),
        )
        for r in await _all(engine, select(RoundFigures.__table__))  # type: ignore[attr-defined]
    }
    return cs, rf


def _items_from_scratch(conn: Any) -> list[dict[Any, dict[str, Any]]]:
    """The stored JSON items (case_item, application_item, round_item) computed anew from the
    records (the round items from the round figures, checked on their own)."""
    case_ids = list(conn.execute(select(SupportCase.id)).scalars())
    app_ids = list(conn.execute(select(Application.id)).scalars())
    round_ids = list(conn.execute(select(SupportRound.id)).scalars())
    rows = figures._case_rows(conn, case_ids) if case_ids else []
    return [
        {r["case_id"]: r for r in (figures.case_items(conn, rows) if rows else [])},
        {r["application_id"]: r for r in figures.application_items(conn, app_ids)},
        {r["round_id"]: r for r in figures.round_items(conn, round_ids)},
    ]


async def check_items(engine: Any, step: str) -> None:
    async with engine.connect() as conn:
        expected = await conn.run_sync(_items_from_scratch)
        got = [
            {r[0]: dict(r._mapping) for r in (await conn.execute(select(t))).all()}
            for t in (figures.CI, figures.AI, figures.RI)
        ]
    for name, g, e in zip(
        ("case_item", "application_item", "round_item"), got, expected, strict=True
    ):
        assert g == e, f"{name} after {step}"


async def check(h: Any, c: Any, step: str) -> None:
    exp_cases, exp_rounds = await from_scratch(h.db.engine)
    got_cases, got_rounds = await stored(h.db.engine)
    assert got_cases == exp_cases, f"case_summary after {step}"
    assert got_rounds == exp_rounds, f"round_figures after {step}"
    await check_items(h.db.engine, step)
    listed = {x["id"]: x for x in (await c.get("/api/v1/cases")).json()}
    for cid, row in exp_cases.items():
        item = listed[cid]
        past = [d for d in row[3] if d <= TODAY.isoformat()]
        assert (item["visits_count"], item["roadmap_items_done"]) == (row[4], row[7]), step
        assert item["last_visit_date"] == (max(past) if past else None), step
        assert [a["name"] for a in item["advisors"]] == [a["name"] for a in row[1]], step
    summary = (await c.get(f"/api/v1/rounds/{FY}/summary")).json()
    [rf] = exp_rounds.values()
    assert (summary["applications"], summary["cases_by_status"]) == (rf[0], rf[3]), step
    assert summary["advisor_hours"] == round(rf[5], 2), step


async def _apply(c: Any, op: tuple[Any, ...], state: dict[str, Any]) -> str:
    kind = op[0]
    adv = state["advisors"]

    def one(items: list[Any], i: int) -> Any:
        return items[i % len(items)] if items else None

    cases = (await c.get("/api/v1/cases")).json()
    case = one(cases, op[1]) if kind not in ("apply", "case", "rename") else None
    if kind == "apply":
        r = await c.post(
            f"/api/v1/rounds/{FY}/applications",
            json={"municipality_code": CODES[op[1]], "wished_themes": ["介護予防"]},
        )
        return f"apply {CODES[op[1]]} → {r.status_code}"
    if kind == "decide":
        apps = (await c.get("/api/v1/applications")).json()
        app = one(apps, op[1])
        if app is None:
            return "decide (none)"
        body = {
            "status": "選定" if op[2] else "見送り",
            "reason": "理由",
            "version": app["version"],
        }
        r = await c.post(f"/api/v1/applications/{app['id']}/decision", json=body)
        return f"decide {app['id']} {body['status']} → {r.status_code}"
    if kind == "case":
        body = {
            "fiscal_year": FY,
            "municipality_code": CODES[op[1]],
            "theme": "介護予防",
            "advisor_ids": adv[: op[2]],
            "observers": [NEIGHBOUR],
        }
        r = await c.post("/api/v1/cases", json=body)
        return f"case {CODES[op[1]]} → {r.status_code}"
    if kind == "rename":
        a = (await c.get(f"/api/v1/advisors/{adv[op[1]]}")).json()
        r = await c.patch(
            f"/api/v1/advisors/{a['id']}", json={"version": a["version"], "name": a["name"] + "改"}
        )
        return f"rename {a['id']} → {r.status_code}"
    if case is None:
        return f"{kind} (no case)"
    cid = case["id"]
    if kind == "advance":
        nxt = (
            "中止"
            if op[2]
            else (
                NEXT[NEXT.index(case["status"]) + 1]
                if case["status"] in NEXT[:-1]
                else "ヒアリング"
            )
        )
        r = await c.post(
            f"/api/v1/cases/{cid}/transitions",
            json={"to_status": nxt, "reason": "都合", "version": case["version"]},
        )
        return f"advance {cid} → {nxt} {r.status_code}"
    if kind == "visit":
        advisors = [{"advisor_id": a["id"], "hours": op[4] / 2} for a in case["advisors"][: op[2]]]
        body = {
            "visit_date": (TODAY + timedelta(days=op[3])).isoformat(),
            "kind": "ヒアリング",
            "advisors": advisors,
        }
        r = await c.post(f"/api/v1/cases/{cid}/visits", json=body)
        return f"visit {cid} → {r.status_code}"
    visits = (await c.get(f"/api/v1/cases/{cid}/visits")).json()
    if kind == "move_visit":
        v = one(visits, op[1])
        if v is None:
            return "move (none)"
        advisors = [{"advisor_id": a["id"], "hours": op[3] / 2} for a in case["advisors"][:1]]
        body = {
            "version": v["version"],
            "visit_date": (TODAY + timedelta(days=op[2])).isoformat(),
            "advisors": advisors,
        }
        r = await c.patch(f"/api/v1/cases/{cid}/visits/{v['id']}", json=body)
        return f"move visit {v['id']} → {r.status_code}"
    if kind == "delete_visit":
        v = one(visits, op[1])
        if v is None:
            return "delete visit (none)"
        r = await c.delete(
            f"/api/v1/cases/{cid}/visits/{v['id']}", params={"version": v["version"]}
        )
        return f"delete visit {v['id']} → {r.status_code}"
    if kind == "advisors":
        body = {
            "version": case["version"],
            "advisor_ids": adv[-op[2] :],
            "observers": [NEIGHBOUR] if op[3] else [],
        }
        r = await c.patch(f"/api/v1/cases/{cid}", json=body)
        return f"advisors {cid} → {r.status_code}"
    items = (await c.get(f"/api/v1/cases/{cid}/roadmap")).json()
    if kind == "item":
        inis = (await c.get(f"/api/v1/cases/{cid}/initiatives")).json()
        if not inis:
            tree = (await c.get(f"/api/v1/cases/{cid}/tree")).json()
            root = (
                tree.get("root")
                or (
                    await c.post(f"/api/v1/cases/{cid}/tree/nodes", json={"statement": "問題"})
                ).json()
            )
            inis = [
                (
                    await c.post(
                        f"/api/v1/cases/{cid}/initiatives",
                        json={
                            "node_id": root["id"],
                            "title": "取組",
                            "chosen": True,
                            "reason": "効く",
                        },
                    )
                ).json()
            ]
        body = {
            "initiative_id": inis[0]["id"],
            "owner": "担当",
            "start_month": "2025-10",
            "end_month": "2026-03",
            "kpi_custom": "人数",
            "verification_method": "集計",
        }
        r = await c.post(f"/api/v1/cases/{cid}/roadmap", json=body)
        return f"item {cid} → {r.status_code}"
    it = one(items, op[1])
    if it is None:
        return f"{kind} (no item)"
    if kind == "item_status":
        r = await c.patch(
            f"/api/v1/cases/{cid}/roadmap/{it['id']}",
            json={"version": it["version"], "status": op[2]},
        )
        return f"item {it['id']} {op[2]} → {r.status_code}"
    r = await c.delete(f"/api/v1/cases/{cid}/roadmap/{it['id']}", params={"version": it["version"]})
    return f"delete item {it['id']} → {r.status_code}"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=ops)
@example(
    sequence=[
        ("apply", 0),
        ("case", 0, 2),
        ("visit", 0, 2, -3, 4),
        ("visit", 0, 1, 5, 2),
        ("advance", 0, False),
        ("item", 0),
        ("item_status", 0, "完了"),
        ("move_visit", 0, 10, 3),
        ("rename", 0),
        ("advisors", 0, 1, False),
        ("delete_visit", 0),
        ("advance", 0, True),
    ]
)
async def test_every_summary_equals_a_computation_from_scratch(support_cases, sequence) -> None:
    await support_cases.reset()
    async with support_cases.client() as c:
        await make_round(c)
        state = {
            "advisors": [
                (
                    await c.post(
                        "/api/v1/advisors", json={"name": f"専門家{i}", "affiliation": "大学"}
                    )
                ).json()["id"]
                for i in range(3)
            ]
        }
        await check(support_cases, c, "setup")
        done: list[str] = []
        for op in sequence:
            done.append(await _apply(c, op, state))
            await check(support_cases, c, " / ".join(done))

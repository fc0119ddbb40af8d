"""The prefecture's deduction derived from the municipal results (FY2019 Ⅲ-②: −10 when one of
its municipalities' score rate is about 30% or less), written into the prefecture framework's
scores whenever the municipal scores change, with the municipalities that trigger it.

The rule (item, threshold, points, wording, source) is data per grant × grant year
(``deduction_rule``, shipped in data/deduction_rules.json). Per prefecture:
- a municipality (insurer) at or under the threshold → the deduction, and the trigger rows;
- else, when every insurer of the prefecture is scored → 0;
- else the deduction is not known: no derived cell (an imported value stays).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor, Role
from services.common.errors import NotFound
from services.common.models import utcnow
from services.common.registry import get_registry
from services.indicators.frameworks.models import STATE_NAMES, Framework, Item, Level, State
from services.indicators.insurers.service import Directory, load_directory
from services.indicators.results import readmodels
from services.indicators.scores.models import DeductionRule, DeductionTrigger, Score

DERIVED = Actor(id="derived", name="自動 (市町村の結果から導出)", role=Role.admin)
DATA = Path(__file__).resolve().parent.parent / "data" / "deduction_rules.json"


async def rule_for(
    session: AsyncSession, grant: str, grant_fy: int, *, for_update: bool = False
) -> DeductionRule | None:
    """The rule of a grant year (``for_update``: locked for a write on PostgreSQL, so that the
    version check and the write are atomic against a concurrent save)."""
    q = select(DeductionRule).where(
        DeductionRule.grant == grant, DeductionRule.grant_fy == grant_fy
    )
    return (await session.exec(q.with_for_update() if for_update else q)).first()


async def _pair(session: AsyncSession, fw: Framework) -> tuple[Framework | None, Framework | None]:
    """(municipal framework, prefecture framework) of the same grant and grant year."""
    rows = (
        await session.exec(
            select(Framework).where(Framework.grant == fw.grant, Framework.grant_fy == fw.grant_fy)
        )
    ).all()
    by = {r.level: r for r in rows}
    return by.get(Level.municipality), by.get(Level.prefecture)


def _pref_code(number: str) -> str:
    reg = get_registry()
    p = reg.prefecture(number)
    return p.code if p else f"{number}0000"


async def refresh(session: AsyncSession, fw: Framework) -> None:
    """Re-derive the deduction of ``fw``'s grant year (either level's framework given)."""
    muni, pref = await _pair(session, fw)
    if muni is None or pref is None:
        return
    rule = await rule_for(session, pref.grant, pref.grant_fy)
    if rule is None:
        return
    item = (
        await session.exec(
            select(Item).where(Item.framework_id == pref.id, Item.code == rule.item_code)
        )
    ).first()
    if item is None:
        return
    from services.indicators.frameworks.service import load_tree
    from services.indicators.results.computation import compute

    # the municipal totals as the results read model holds them (refreshed first if this
    # transaction changed them)
    totals = (await compute(session, await load_tree(session, muni.id))).totals  # type: ignore[arg-type]
    directory = await load_directory(session)
    max_points = muni.max_points
    key = (rule.threshold, rule.points)
    triggers = [
        (code, total, total / max_points)
        for code, total in totals.items()
        if max_points > 0 and readmodels.deduction_applies(key, total / max_points)
    ]
    conn = await session.connection()
    await conn.execute(delete(DeductionTrigger).where(DeductionTrigger.framework_id == pref.id))  # type: ignore[arg-type]
    if triggers:
        await conn.execute(
            DeductionTrigger.__table__.insert(),  # type: ignore[attr-defined]
            [
                {
                    "framework_id": pref.id,
                    "entity_code": code,
                    "prefecture_code": _pref_code(code[:2]),
                    "total": total,
                    "max_points": max_points,
                    "score_rate": rate,
                }
                for code, total, rate in triggers
            ],
        )
    triggered = {_pref_code(code[:2]) for code, _, _ in triggers}
    by_pref: dict[str, list[str]] = defaultdict(list)
    for code in directory.insurers():
        by_pref[_pref_code(code[:2])].append(code)
    from services.indicators.scores.service import Cell, upsert_cells

    # Only the cells that change are written (the prefecture results are refreshed only then).
    stored = {
        code: (points, by)
        for code, points, by in (
            await conn.execute(
                select(Score.entity_code, Score.points, Score.updated_by).where(  # type: ignore[call-overload]
                    Score.framework_id == pref.id, Score.item_id == item.id
                )
            )
        ).all()
    }
    cells, unknown = [], []
    for pcode in get_registry().prefectures:
        if pcode in triggered:
            points: float | None = float(rule.points)
        elif by_pref[pcode] and all(c in totals for c in by_pref[pcode]):
            points = 0.0
        else:
            points = None
        if points is None:
            if stored.get(pcode, (None, ""))[1] == DERIVED.label:
                unknown.append(pcode)
        elif stored.get(pcode) != (points, DERIVED.label):
            cells.append(Cell(pcode, item.id, points))  # type: ignore[arg-type]
    if unknown:  # an earlier derivation no longer holds: take it back
        await conn.execute(
            delete(Score).where(
                Score.framework_id == pref.id,  # type: ignore[arg-type]
                Score.item_id == item.id,  # type: ignore[arg-type]
                Score.entity_code.in_(unknown),  # type: ignore[attr-defined]
                Score.updated_by == DERIVED.label,  # type: ignore[arg-type]
            )
        )
        pref.updated_at = utcnow()
        readmodels.mark(session, pref.id)
    if cells:
        await upsert_cells(session, await load_tree(session, pref.id), cells, actor=DERIVED)  # type: ignore[arg-type]


async def refresh_all(session: AsyncSession) -> None:
    """Re-derive the deduction of every grant year that has a rule and a prefecture framework
    (the insurer list changed: which insurers a prefecture has, and so whether all of them
    are scored, may have moved)."""
    rules = (await session.exec(select(DeductionRule.grant, DeductionRule.grant_fy))).all()
    for grant, grant_fy in sorted(set(rules)):
        fw = (
            await session.exec(
                select(Framework).where(
                    Framework.grant == grant,
                    Framework.grant_fy == grant_fy,
                    Framework.level == Level.prefecture,
                )
            )
        ).first()
        if fw is not None:
            await refresh(session, fw)


async def after_tree_change(session: AsyncSession, fw: Framework) -> None:
    """A framework's maximum or items changed: the municipal score rates may have moved."""
    await refresh(session, fw)


def rule_out(rule: DeductionRule) -> dict[str, Any]:
    return {
        "grant": rule.grant,
        "grant_fy": rule.grant_fy,
        "item_code": rule.item_code,
        "threshold": rule.threshold,
        "points": rule.points,
        "wording": rule.wording,
        "state": rule.state,
        "state_label": STATE_NAMES[State(rule.state)],
        "source": {
            "document": rule.source_document,
            "date": rule.source_date.isoformat() if rule.source_date else None,
            "page": rule.source_page,
        },
        "version": rule.version,
    }


async def deduction_view(session: AsyncSession, framework_id: int) -> dict[str, Any]:
    """The deduction of a grant year per prefecture, with the municipalities that trigger it
    (``framework_id``: the municipal or the prefecture framework of that year)."""
    fw = await session.get(Framework, framework_id)
    if fw is None:
        raise NotFound(f"評価指標の体系 {framework_id} が見つかりません")
    muni, pref = await _pair(session, fw)
    rule = await rule_for(session, fw.grant, fw.grant_fy)
    out: dict[str, Any] = {
        "grant": fw.grant,
        "grant_fy": fw.grant_fy,
        "municipal_framework_id": muni.id if muni else None,
        "prefecture_framework_id": pref.id if pref else None,
        "rule": rule_out(rule) if rule else None,
        "prefectures": [],
    }
    if rule is None or muni is None or pref is None:
        out["missing"] = [
            what
            for what, ok in (
                (f"{fw.grant_fy}年度の減点の規則 (deduction_rule)", rule is not None),
                ("同じ年度の市町村分の体系", muni is not None),
                ("同じ年度の都道府県分の体系", pref is not None),
            )
            if not ok
        ]
        return out
    directory: Directory = await load_directory(session)
    triggers = (
        await session.exec(select(DeductionTrigger).where(DeductionTrigger.framework_id == pref.id))
    ).all()
    item = (
        await session.exec(
            select(Item).where(Item.framework_id == pref.id, Item.code == rule.item_code)
        )
    ).first()
    cells: dict[str, Score] = {}
    if item is not None:
        cells = {
            s.entity_code: s
            for s in (
                await session.exec(
                    select(Score).where(Score.framework_id == pref.id, Score.item_id == item.id)
                )
            ).all()
        }
    by_pref: dict[str, list[DeductionTrigger]] = defaultdict(list)
    for t in triggers:
        by_pref[t.prefecture_code].append(t)
    reg = get_registry()
    for pcode, p in reg.prefectures.items():
        cell = cells.get(pcode)
        out["prefectures"].append(
            {
                "prefecture_code": pcode,
                "name": p.name,
                "points": cell.points if cell else None,
                "derived": bool(cell and cell.updated_by == DERIVED.label),
                "triggered_by": [
                    {
                        "entity_code": t.entity_code,
                        "insurer_number": directory.insurer_number_of_entity(t.entity_code),
                        "name": directory.name_of(t.entity_code),
                        "total": t.total,
                        "max_points": t.max_points,
                        "score_rate": t.score_rate,
                    }
                    for t in sorted(by_pref.get(pcode, []), key=lambda t: t.entity_code)
                ],
            }
        )
    return out


def shipped_rules() -> list[dict[str, Any]]:
    return json.loads(DATA.read_text(encoding="utf-8")) if DATA.exists() else []


async def load_shipped_rules(session: AsyncSession) -> list[str]:
    """Create the shipped deduction rules that are not there yet (idempotent)."""
    from datetime import date

    created = []
    for r in shipped_rules():
        if await rule_for(session, r["grant"], r["grant_fy"]) is not None:
            continue
        src = r.get("source", {})
        session.add(
            DeductionRule(
                grant=r["grant"],
                grant_fy=r["grant_fy"],
                item_code=r["item_code"],
                threshold=r["threshold"],
                points=r["points"],
                wording=r["wording"],
                state=r.get("state", "provisional"),
                source_document=src.get("document", ""),
                source_date=date.fromisoformat(src["date"]) if src.get("date") else None,
                source_page=src.get("page", ""),
            )
        )
        created.append(f"{r['grant']}-{r['grant_fy']}")
    await session.flush()
    return created

"""Shaping: the fixed results answer (entities with their ranks and flags, and the summary),
read from the stored read models; latest results per grant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlmodel import select as sm_select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.frameworks.models import STATE_NAMES, Framework, Level, State
from services.indicators.frameworks.service import Tree, load_tree
from services.indicators.insurers.service import Directory, load_directory
from services.indicators.results import readmodels
from services.indicators.results.computation import competition_ranks
from services.indicators.results.grouping import (
    check_set,
    group_map,
    parse_group,
    previous_framework,
    scope_entities,
)
from services.indicators.results.models import ResultEntity, ResultMember

RE = ResultEntity.__table__  # type: ignore[attr-defined]
RM = ResultMember.__table__  # type: ignore[attr-defined]


@dataclass
class ResultOptions:
    prefecture: str | None = None
    group: str | None = None
    entity_code: str | None = None
    peer_set: str = "region_class"
    low_threshold: float = readmodels.DEFAULT_LOW_THRESHOLD
    drop_points: float = readmodels.DEFAULT_DROP_POINTS
    previous_id: int | None = None

    @property
    def default_flags(self) -> bool:
        return (
            self.low_threshold == readmodels.DEFAULT_LOW_THRESHOLD
            and self.drop_points == readmodels.DEFAULT_DROP_POINTS
            and self.previous_id is None
        )


@dataclass
class Stored:
    """One stored row of ``result_entity`` with its group in the asked peer set."""

    code: str
    total: float
    score_rate: float
    national_rank: int
    national_rank_of: int
    prefecture_rank: int
    prefecture_rank_of: int
    previous_total: float | None
    cats: dict[str, float]
    flags: list[dict[str, Any]]
    peer_group: str
    peer_rank: int
    peer_rank_of: int


async def stored_rows(
    session: AsyncSession, framework_id: int, peer_set: str, prefecture: str | None = None
) -> dict[str, Stored]:
    """The stored rows of a framework (within a prefecture), with the peer set's group."""
    await readmodels.ensure_current(session)
    q = (
        select(
            RE.c.entity_code,
            RE.c.total,
            RE.c.score_rate,
            RE.c.national_rank,
            RE.c.national_rank_of,
            RE.c.prefecture_rank,
            RE.c.prefecture_rank_of,
            RE.c.previous_total,
            RE.c.category_points,
            RE.c.flags,
            RM.c.group_name,
            RM.c.rank,
            RM.c.rank_of,
        )
        .select_from(
            RE.outerjoin(
                RM,
                and_(
                    RM.c.framework_id == RE.c.framework_id,
                    RM.c.entity_code == RE.c.entity_code,
                    RM.c.group_set == peer_set,
                ),
            )
        )
        .where(RE.c.framework_id == framework_id)
    )
    if prefecture:
        q = q.where(RE.c.prefecture == prefecture)
    rows = (await (await session.connection()).execute(q)).all()
    return {r[0]: Stored(*r) for r in rows}  # type: ignore[arg-type]


def category_rows(tree: Tree, cats: dict[str, float]) -> list[dict[str, Any]]:
    by_id = {c.id: c for c in tree.categories}
    return [
        {
            "code": c.code,
            "parent": by_id[c.parent_id].code if c.parent_id is not None else None,
            "points": cats.get(c.code, 0.0),
            "max_points": c.max_points,
            "score_rate": cats.get(c.code, 0.0) / c.max_points if c.max_points else 0.0,
        }
        for c in tree.categories
    ]


async def results(session: AsyncSession, framework_id: int, opts: ResultOptions) -> dict[str, Any]:
    """The fixed results shape, with national, prefecture and peer ranks and risk flags."""
    tree = await load_tree(session, framework_id)
    return await shape_results(session, tree, opts)


def insurer_scope(
    fw: Framework, directory: Directory, prefecture: str | None, stored: dict[str, Stored]
) -> list[str]:
    """The entities in scope: the country's insurers (with the loaded list's 広域連合), plus any
    other scored entity (a union member scored before the list was loaded stays visible)."""
    scope = scope_entities(
        fw, prefecture, directory.insurers() if fw.level == Level.municipality else None
    )
    known = set(scope)
    return scope + sorted(c for c in stored if c not in known)


async def prefecture_deduction(
    session: AsyncSession,
    fw: Framework,
    prefecture: str,
    stored: dict[str, Stored],
    directory: Directory,
) -> tuple[float | None, dict[str, Any]]:
    """The prefecture's deduction from the year's stored rule (``deduction_rule``, the data of
    GET /frameworks/{id}/deduction) over the stored results of its municipalities: the rule's
    points when one is at or under its threshold, 0 when every insurer of the prefecture is
    scored and none is, else unknown (None)."""
    from services.indicators.scores.deduction import rule_for, rule_out

    rule = await rule_for(session, fw.grant, fw.grant_fy)
    endpoint = f"/api/v1/frameworks/{fw.id}/deduction"
    if rule is None:
        return None, {
            "rule": None,
            "endpoint": endpoint,
            "triggered_by": [],
            "text": f"{fw.grant_fy}年度の減点の規則が登録されていません "
            f"(PUT /api/v1/deduction-rules/{fw.grant}/{fw.grant_fy} で登録してください)",
        }
    key = (rule.threshold, rule.points)
    insurers = [c for c in directory.insurers() if c[:2] == prefecture]
    triggers = sorted(
        c for c, s in stored.items() if readmodels.deduction_applies(key, s.score_rate)
    )
    points: float | None
    if triggers:
        points = float(rule.points)
        text = (
            f"得点率{rule.threshold:.0%}以下の市町村が{len(triggers)}団体あるため{rule.points:g}点"
        )
    elif insurers and all(c in stored for c in insurers):
        points = 0.0
        text = f"全保険者の得点があり、得点率{rule.threshold:.0%}以下の市町村がないため0点"
    else:
        points = None
        missing = sum(1 for c in insurers if c not in stored)
        text = (
            f"得点率{rule.threshold:.0%}以下の市町村は読み込んだ中にありませんが、"
            f"得点のない保険者が{missing}あるため減点は未確定です"
        )
    return points, {
        "rule": rule_out(rule),
        "endpoint": endpoint,
        "triggered_by": [
            {
                "entity_code": c,
                "insurer_number": directory.insurer_number_of_entity(c),
                "name": directory.name_of(c),
                "score_rate": stored[c].score_rate,
            }
            for c in triggers
        ],
        "text": text,
    }


async def shape_results(session: AsyncSession, tree: Tree, opts: ResultOptions) -> dict[str, Any]:
    fw = tree.framework
    await check_set(session, opts.peer_set)
    group = parse_group(opts.group)
    directory = await load_directory(session)
    stored = await stored_rows(session, fw.id, opts.peer_set, opts.prefecture)  # type: ignore[arg-type]
    scope = insurer_scope(fw, directory, opts.prefecture, stored)
    if group:
        gm = await group_map(session, fw, group[0], scope)
        scope = [c for c in scope if gm[c] == group[1]]
    in_scope = [c for c in scope if c in stored]
    missing = len(scope) - len(in_scope)
    local = competition_ranks({c: stored[c].total for c in in_scope})
    prev: Framework | None
    prev_totals: dict[str, float] | None = None
    if opts.previous_id is not None:
        prev = await previous_framework(session, fw, opts.previous_id)
        prev_totals = {
            code: total
            for code, total in (
                await (await session.connection()).execute(
                    select(RE.c.entity_code, RE.c.total).where(RE.c.framework_id == prev.id)  # type: ignore[union-attr]
                )
            ).all()
        }
    else:
        prev = await previous_framework(session, fw)
    rule: tuple[float, float] | None = None
    if not opts.default_flags and fw.level == Level.municipality:
        from services.indicators.scores.deduction import rule_for

        found = await rule_for(session, fw.grant, fw.grant_fy)
        rule = (found.threshold, found.points) if found else None
    max_points = fw.max_points
    all_cats = tree.categories
    by_id = {c.id: c for c in all_cats}
    parent_code = {
        c.id: by_id[c.parent_id].code if c.parent_id is not None else None for c in all_cats
    }
    entities = []
    low_count = 0
    for code in sorted(in_scope, key=lambda c: (local[c], c)):
        s = stored[code]
        rate = s.score_rate
        prev_total = prev_totals.get(code) if prev_totals is not None else s.previous_total
        if opts.default_flags:
            flags = s.flags
        else:
            flags = readmodels.flags_for(
                fw.level,
                rate,
                s.total,
                prev_total,
                low_threshold=opts.low_threshold,
                rule=rule,
                drop_points=opts.drop_points,
            )
        if rate <= opts.low_threshold:
            low_count += 1
        entities.append(
            {
                "entity_code": code,
                "insurer_number": directory.insurer_number_of_entity(code),
                "name": directory.name_of(code),
                "total": s.total,
                "max_points": max_points,
                "score_rate": rate,
                "rank": local[code],
                "rank_of": len(in_scope),
                "national_rank": s.national_rank,
                "national_rank_of": s.national_rank_of,
                "prefecture_rank": s.prefecture_rank,
                "prefecture_rank_of": s.prefecture_rank_of,
                "peer_set": opts.peer_set,
                "peer_group": s.peer_group,
                "peer_rank": s.peer_rank,
                "peer_rank_of": s.peer_rank_of,
                "previous_total": prev_total,
                "evaluation_fy": fw.evaluation_fy,
                "grant_fy": fw.grant_fy,
                "categories": category_rows(tree, s.cats),
                "flags": flags,
            }
        )
    n = len(in_scope)
    summary: dict[str, Any] = {
        "count": n,
        "missing": missing,
        "mean_total": sum(stored[c].total for c in in_scope) / n if n else None,
        "mean_score_rate": sum(stored[c].score_rate for c in in_scope) / n if n else None,
        "categories": [
            {
                "code": c.code,
                "parent": parent_code.get(c.id),
                "mean_points": (m := sum(stored[e].cats.get(c.code, 0.0) for e in in_scope) / n)
                if n
                else None,
                "mean_score_rate": (m / c.max_points if c.max_points else 0.0) if n else None,
            }
            for c in all_cats
        ],
        "top_categories": [c.code for c in tree.children.get(None, [])],
        "low_count": low_count,
        "low_threshold": opts.low_threshold,
        "previous_framework_id": prev.id if prev else None,
    }
    if fw.level == Level.municipality and opts.prefecture:
        points, basis = await prefecture_deduction(session, fw, opts.prefecture, stored, directory)
        summary["prefecture_deduction"] = points
        summary["prefecture_deduction_basis"] = basis
    if opts.entity_code:
        entities = [e for e in entities if e["entity_code"] == opts.entity_code]
    return {"entities": entities, "summary": summary}


def framework_summary(fw: Framework) -> dict[str, Any]:
    return {
        "id": fw.id,
        "code": fw.code,
        "name": fw.name,
        "grant": fw.grant,
        "level": fw.level,
        "grant_fy": fw.grant_fy,
        "evaluation_fy": fw.evaluation_fy,
        "max_points": fw.max_points,
        "state": fw.state,
        "state_label": STATE_NAMES[State(fw.state)],
    }


async def latest_frameworks(session: AsyncSession, level: Level) -> list[Framework]:
    """For each grant, the newest framework of this level that has scores."""
    await readmodels.ensure_current(session)
    scored = select(RE.c.framework_id).distinct()
    fws = (
        await session.exec(
            sm_select(Framework)
            .where(Framework.level == level, Framework.id.in_(scored))  # type: ignore[union-attr]
            .order_by(Framework.grant, Framework.grant_fy.desc())  # type: ignore[attr-defined]
        )
    ).all()
    seen: set[str] = set()
    out = []
    for fw in fws:
        if fw.grant in seen:
            continue
        seen.add(fw.grant)
        out.append(fw)
    return out


async def latest_results(
    session: AsyncSession, *, level: Level, opts: ResultOptions
) -> list[dict[str, Any]]:
    """For each grant, the newest framework of this level that has scores, with its results."""
    out = []
    for fw in await latest_frameworks(session, level):
        res = await results(session, fw.id, opts)  # type: ignore[arg-type]
        out.append({"grant": fw.grant, "framework": framework_summary(fw), **res})
    return out

"""One call per gateway view: the dashboard's rows of a prefecture and a municipality's profile
figures, each answered from the stored read models in one request."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import Response
from pydantic import TypeAdapter
from sqlalchemy import select
from sqlmodel import select as sm_select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import AppError, NotFound
from services.common.registry import Municipality, get_registry
from services.indicators.allocation import service as allocation_service
from services.indicators.allocation.schemas import SimulationOut
from services.indicators.frameworks.models import Framework, Level
from services.indicators.frameworks.service import list_frameworks, load_tree
from services.indicators.insurers.service import load_directory
from services.indicators.pdca import service as pdca_service
from services.indicators.regional.service import peer_types
from services.indicators.results import comparisons
from services.indicators.results.grouping import prefecture_of
from services.indicators.results.models import ResultEntity
from services.indicators.results.shaping import (
    ResultOptions,
    framework_summary,
    latest_frameworks,
    shape_results,
)

_ANY: TypeAdapter[Any] = TypeAdapter(Any)
RE = ResultEntity.__table__  # type: ignore[attr-defined]
DASHBOARD_FIELDS = (
    "entity_code",
    "insurer_number",
    "name",
    "total",
    "max_points",
    "score_rate",
    "rank",
    "rank_of",
    "national_rank",
    "national_rank_of",
    "prefecture_rank",
    "prefecture_rank_of",
    "peer_set",
    "peer_group",
    "peer_rank",
    "peer_rank_of",
    "previous_total",
    "flags",
)


async def dashboard(session: AsyncSession, opts: ResultOptions) -> dict[str, Any]:
    """For each grant's newest scored municipal framework: every municipality of the
    prefecture with its total, rate, ranks and flags (no category rows), and the summary."""
    grants = []
    for fw in await latest_frameworks(session, Level.municipality):
        res = await shape_results(session, await load_tree(session, fw.id), opts)  # type: ignore[arg-type]
        grants.append(
            {
                "grant": fw.grant,
                "framework": framework_summary(fw),
                "rows": [{k: e[k] for k in DASHBOARD_FIELDS} for e in res["entities"]],
                "summary": res["summary"],
            }
        )
    return {
        "prefecture": opts.prefecture,
        "grants": grants,
        "peer_types": await prefecture_peer_types(session, opts.prefecture),
    }


async def prefecture_peer_types(session: AsyncSession, prefecture: str | None) -> dict[str, Any]:
    """Each municipality of the prefecture (default: the home one) with its peer type as the
    prefecture set it, else the registry's default: the one source the gateway's views show."""
    reg = get_registry()
    return await peer_types(session, reg.in_prefecture(prefecture or reg.home_prefecture))


async def profile(
    session: AsyncSession,
    code: str,
    *,
    prefecture: str | None,
    group_set: str,
    years: int,
    share: float,
) -> dict[str, Any]:
    """A municipality's figures for its profile page, per grant: its results row in the newest
    scored framework with the prefecture's summary, its 取り戻す指標, its totals of the last
    ``years`` grant years with the prefecture's mean, and the averages (nation, prefecture,
    groups of ``group_set``) of the newest framework it is scored in."""
    m = get_registry().get(code)
    if m is None:
        raise NotFound(f"区市町村コード {code} は登録されていません")
    prefecture = prefecture or get_registry().home_prefecture
    opts = ResultOptions(prefecture=prefecture, entity_code=code, peer_set=group_set)
    fws = (
        await session.exec(
            sm_select(Framework).where(Framework.level == Level.municipality)  # type: ignore[arg-type]
        )
    ).all()
    by_grant: dict[str, list[Framework]] = {}
    for f in sorted(fws, key=lambda f: f.grant_fy):
        by_grant.setdefault(f.grant, []).append(f)
    chosen = {g: fs[-years:] for g, fs in by_grant.items()}
    ids = [f.id for fs in chosen.values() for f in fs]
    scope = {c for c in get_registry().municipalities if prefecture_of(c) == prefecture}
    rows = (
        await (await session.connection()).execute(
            select(RE.c.framework_id, RE.c.entity_code, RE.c.total, RE.c.score_rate).where(
                RE.c.framework_id.in_(ids), RE.c.prefecture == prefecture
            )
        )
    ).all()
    totals: dict[int, dict[str, tuple[float, float]]] = {}
    for fid, ec, total, rate in rows:
        if ec in scope:
            totals.setdefault(fid, {})[ec] = (total, rate)
    latest = {fw.grant: fw for fw in await latest_frameworks(session, Level.municipality)}
    grants = []
    for grant, fs in chosen.items():
        history = []
        for f in fs:
            own = totals.get(f.id, {}).get(code)  # type: ignore[arg-type]
            if own is None:
                continue
            pref_totals = [t for t, _ in totals[f.id].values()]  # type: ignore[index]
            history.append(
                {
                    "framework_id": f.id,
                    "grant_fy": f.grant_fy,
                    "evaluation_fy": f.evaluation_fy,
                    "total": own[0],
                    "max_points": f.max_points,
                    "score_rate": own[1],
                    "prefecture_mean": sum(pref_totals) / len(pref_totals),
                }
            )
        block: dict[str, Any] = {
            "grant": grant,
            "framework": None,
            "entity": None,
            "summary": None,
            "recover": None,
            "years": history,
            "averages": None,
        }
        fw = latest.get(grant)
        if fw is not None:
            res = await shape_results(session, await load_tree(session, fw.id), opts)  # type: ignore[arg-type]
            block["framework"] = framework_summary(fw)
            block["summary"] = res["summary"]
            if res["entities"]:
                block["entity"] = res["entities"][0]
                block["recover"] = await comparisons.recover(
                    session,
                    fw.id,
                    entity_code=code,
                    group_set=group_set,
                    share=share,  # type: ignore[arg-type]
                )
        if history:
            block["averages"] = _without_items(
                await comparisons.averages(
                    session, history[-1]["framework_id"], prefecture=prefecture, group_set=group_set
                )
            )
        grants.append(block)
    directory = await load_directory(session)
    types = await peer_types(session, [m] if isinstance(m, Municipality) else [])
    return {
        "entity_code": code,
        "insurer_number": directory.insurer_number_of_entity(code),
        "name": directory.name_of(code),
        "prefecture": prefecture_of(code),
        "peer_type": types.get(code),
        "default_peer_type": m.peer_type if isinstance(m, Municipality) else None,
        "grants": sorted(grants, key=lambda g: g["grant"]),
    }


def _without_items(avg: dict[str, Any]) -> dict[str, Any]:
    """The averages a profile shows (by category): the per-item means of every block left
    out, four fifths of the answer that nothing on the page reads."""

    def block(b: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if b is None else {k: v for k, v in b.items() if k != "items"}

    return {
        **avg,
        "nation": block(avg.get("nation")),
        "prefecture": block(avg.get("prefecture")),
        "groups": [block(g) for g in avg.get("groups") or []],
    }


async def latest_sheet(session: AsyncSession, actor: Actor, code: str) -> dict[str, Any] | None:
    """The municipality's newest 取組と目標 sheet the actor may read (by end year, then id),
    as GET /pdca/sheets/{id} answers it; None when it has none."""
    sheets = await pdca_service.list_sheets(session, actor, code)
    if not sheets:
        return None
    sheet = max(sheets, key=lambda s: (s.end_fy or 0, s.id or 0))
    return pdca_service.sheet_out(
        sheet,
        None,
        await pdca_service.good_practices_of(session, sheet.id),  # type: ignore[arg-type]
    )


def with_field(answer: Response, name: str, value: Any) -> Response:
    """A JSON object answer with one more key (the cached body is reused as it is)."""
    extra = _ANY.dump_json(value)  # as the service's own routes serialise (dates, times)
    body = bytes(answer.body).rstrip()
    sep = b"" if body.endswith(b"{}") else b","
    body = body[:-1] + sep + json.dumps(name).encode() + b":" + extra + b"}"
    return Response(body, media_type="application/json")


async def grant_report(
    session: AsyncSession, fy: int, *, prefecture: str, budgets: dict[str, int | None]
) -> dict[str, Any]:
    """Per (grant, level) the newest framework of grant year ``fy`` or earlier: the municipal
    ones with the prefecture's results and the allocation estimate (the year's budget, or the
    given what-if budget; null where it cannot be estimated, with what is missing), the
    prefectural ones with the prefecture's own results."""
    chosen: dict[tuple[str, str], Framework] = {}  # in the order GET /frameworks lists them
    for f in await list_frameworks(session):
        if f.grant_fy > fy:
            continue
        key = (f.grant, Level(f.level).value)
        if key not in chosen or f.grant_fy > chosen[key].grant_fy:
            chosen[key] = f
    own = get_registry().prefecture(prefecture)
    municipal, prefectural = [], []
    for (grant, level), fw in chosen.items():
        tree = await load_tree(session, fw.id)  # type: ignore[arg-type]
        if level == Level.municipality.value:
            res = await shape_results(session, tree, ResultOptions(prefecture=prefecture))
            problem = None
            try:
                alloc: dict[str, Any] | None = await allocation_service.simulate(
                    session,
                    fw.id,  # type: ignore[arg-type]
                    budget=budgets.get(grant),
                )
                # as POST /frameworks/{id}/allocation answers it (every field of its model)
                alloc = SimulationOut.model_validate(alloc).model_dump()
            except AppError as exc:
                alloc, problem = None, exc.detail
            municipal.append(
                {
                    "framework": framework_summary(fw),
                    "results": res,
                    "allocation": alloc,
                    "allocation_problem": problem,
                }
            )
        elif own is not None:
            res = await shape_results(session, tree, ResultOptions(entity_code=own.code))
            prefectural.append({"framework": framework_summary(fw), "results": res})
    return {
        "fiscal_year": fy,
        "municipal": municipal,
        "prefectural": prefectural,
        "peer_types": await prefecture_peer_types(session, prefecture),
    }

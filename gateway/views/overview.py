"""A municipality's overview: its scores with 取り戻す指標, support cases, training and PDCA
progress (the JSON of /api/v1/municipalities/{code}/overview and the base of its profile)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from pydantic import BaseModel

from gateway.clients.indicators import IndicatorsMunicipality
from gateway.views.context import ViewContext, fiscal_year_or_current
from gateway.views.parts import Parts, gather, require_complete
from gateway.views.registry import lookup, to_out
from gateway.views.vocabulary import GRANT_NAMES
from services.common.access import ensure_visible
from services.common.fiscal import format_fy_full
from services.common.registry import Municipality


class Overview(BaseModel):
    fiscal_year: int
    fiscal_year_label: str
    municipality: dict[str, Any]
    indicators: dict[str, Any] | None
    support: dict[str, Any] | None
    training: dict[str, Any] | None
    pdca: dict[str, Any] | None
    unavailable: list[str]


async def overview(
    ctx: ViewContext, code: str, fiscal_year: int | None, *, complete: bool = False
) -> Overview:
    m = lookup(ctx.registry, code)
    ensure_visible(ctx.actor, m.code, what="区市町村の情報")
    fy = fiscal_year_or_current(fiscal_year)
    parts = await gather(overview_calls(ctx, m, fy))
    require_complete(parts, complete)
    return shape_overview(m, fy, parts)


YEARS = 6  # grant years per grant of the profile's year-over-year chart (one call serves both)


def overview_calls(
    ctx: ViewContext, m: Municipality, fy: int
) -> dict[str, tuple[str, Awaitable[Any]]]:
    """The service calls behind a municipality's overview, for ``gather``: one read per
    service (the profile reads the same answers)."""
    c, actor = ctx.clients, ctx.actor
    return {
        "indicators": (
            "indicators",
            c.indicators.municipality_view(
                m.code, prefecture=ctx.home_prefecture, years=YEARS, pdca=True, actor=actor
            ),
        ),
        "cases": ("support_cases", c.support_cases.cases(municipality_code=m.code, actor=actor)),
        "training": (
            "training",
            c.training.municipality_view(m.code, fiscal_year=fy, actor=actor),
        ),
    }


def indicator_grants(view: IndicatorsMunicipality) -> list[dict[str, Any]]:
    """Latest results per grant the municipality is scored in, each with its 取り戻す指標."""
    return [
        grant_summary(
            {"grant": g.grant, "framework": g.framework, "summary": g.summary or {}},
            g.entity,
            g.recover or {},
        )
        for g in view.grants
        if g.entity is not None and g.framework is not None
    ]


def grant_summary(block: dict[str, Any], e: dict[str, Any], rec: dict[str, Any]) -> dict[str, Any]:
    fw = block.get("framework") or {}
    return {
        "grant": block.get("grant"),
        "grant_name": GRANT_NAMES.get(block.get("grant"), block.get("grant")),
        "framework_id": fw.get("id"),
        "framework_name": fw.get("name"),
        "grant_fy": fw.get("grant_fy"),
        "evaluation_fy": fw.get("evaluation_fy"),
        "framework_state": fw.get("state", "provisional"),
        "provisional": fw.get("state", "provisional") != "confirmed",
        "total": e["total"],
        "max_points": e["max_points"],
        "score_rate": e["score_rate"],
        "prefecture_rank": e.get("prefecture_rank"),
        "prefecture_rank_of": e.get("prefecture_rank_of"),
        "national_rank": e.get("national_rank"),
        "national_rank_of": e.get("national_rank_of"),
        "peer_group": e.get("peer_group"),
        "peer_rank": e.get("peer_rank"),
        "peer_rank_of": e.get("peer_rank_of"),
        "previous_total": e.get("previous_total"),
        "categories": e.get("categories", []),
        "flags": e.get("flags", []),
        "recover": {
            "recoverable_points": rec.get("recoverable_points"),
            "peer_count": rec.get("peer_count"),
            "items": rec.get("items", []),
            # 取り戻す指標 that rest on 暫定 points say so
            "rests_on_provisional": rec.get("rests_on_provisional", False),
            "provisional_reasons": rec.get("provisional_reasons", []),
        },
        "prefecture_means": block.get("summary", {}).get("categories", []),
    }


def sheet_summary(sheet: dict[str, Any]) -> dict[str, Any]:
    progress = sheet.get("progress") or []
    if isinstance(progress, dict):
        progress = progress.get("items", [])
    return {
        "id": sheet.get("id"),
        "title": sheet.get("title"),
        "start_fy": sheet.get("start_fy"),
        "end_fy": sheet.get("end_fy"),
        "items": len(sheet.get("items", [])),
        "achieved": sum(1 for p in progress if p.get("achieved")),
        "progress": progress,
        "version": sheet.get("version"),
    }


def case_summary(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": c["id"],
        "fiscal_year": c.get("fiscal_year"),
        "theme": c.get("theme"),
        "status": c.get("status"),
        "advisors": [a.get("name") if isinstance(a, dict) else a for a in c.get("advisors", [])],
        "next_visit_date": c.get("next_visit_date"),
        "last_visit_date": c.get("last_visit_date"),
        "visits_count": c.get("visits_count"),
        "roadmap_progress": c.get("roadmap_progress"),
        "roadmap_items": c.get("roadmap_items"),
        "indicator_item_codes": c.get("indicator_item_codes", []),
    }


def _training(m: Municipality, fy: int, parts: Parts) -> dict[str, Any] | None:
    view = parts.get("training")
    if view is None:
        return None
    row = view.participation
    kotei = [k.model_dump(mode="json") for k in view.kotei_hyo if k.municipality_code == m.code]
    return {
        "fiscal_year": fy,
        "sessions_attended_by_kind": row.sessions_attended_by_kind,
        "sessions_attended": row.sessions_attended,
        "completers_by_kind": row.completers_by_kind,
        "completers": row.completers,
        "persons": row.persons,
        "attendances": row.attendances,
        "reached": bool(row.reached),
        "kotei_hyo": kotei,
    }


def shape_overview(m: Municipality, fy: int, parts: Parts) -> Overview:
    """The overview from the parts ``overview_calls`` gathered."""
    view = parts.get("indicators")
    cases = parts.get("cases")
    support = None
    if cases is not None:
        ordered = sorted(cases, key=lambda c: (-(c.get("fiscal_year") or 0), c["id"]))
        support = {"cases": [case_summary(c) for c in ordered]}
    return Overview(
        fiscal_year=fy,
        fiscal_year_label=format_fy_full(fy),
        municipality=to_out(m).model_dump(),
        indicators={"grants": indicator_grants(view)} if view is not None else None,
        support=support,
        training=_training(m, fy, parts),
        pdca=(
            {"sheets": [sheet_summary(view.pdca)] if view.pdca else []}
            if view is not None
            else None
        ),
        unavailable=parts.unavailable,
    )

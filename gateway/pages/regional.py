"""地域分析 pages: the profile's section (loaded by htmx), the printable 地域分析シート, and one
measure across the prefecture's municipalities."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from gateway.templating import render
from gateway.views.regional import (
    DIRECTION_LABELS,
    SORTS,
    cited_values,
    measure_across,
    parse_cites,
    regional_profile,
)
from gateway.views.registry import lookup, registry_of
from services.common.access import ensure_visible

router = APIRouter(include_in_schema=False)
FY = Annotated[int | None, Query(ge=2000, le=2100)]


@router.get("/municipalities/{code}/regional", name="municipality_regional")
async def municipality_regional(
    request: Request, code: str, fiscal_year: FY = None
) -> HTMLResponse:
    """The 地域分析 section of the profile (a fragment for htmx, else a page of its own)."""
    m = lookup(registry_of(request), code)
    ensure_visible(request.state.actor, m.code, what="区市町村の情報")
    view = await regional_profile(request.app.state.services, request.state.actor, m, fiscal_year)
    ctx = {"v": view, "m": m, "directions": DIRECTION_LABELS, "standalone": True}
    return render(request, "regional/section.html", ctx, block="regional")


@router.get("/municipalities/{code}/regional/sheet", name="regional_sheet")
async def regional_sheet(request: Request, code: str, fiscal_year: FY = None) -> HTMLResponse:
    """The 地域分析シート: one A4 page per municipality, for printing."""
    m = lookup(registry_of(request), code)
    ensure_visible(request.state.actor, m.code, what="区市町村の情報")
    view = await regional_profile(request.app.state.services, request.state.actor, m, fiscal_year)
    ctx = {"v": view, "m": m, "directions": DIRECTION_LABELS}
    return render(request, "regional/sheet.html", ctx)


@router.get("/regional", name="regional_measure")
async def regional_measure(
    request: Request,
    measure: Annotated[str, Query(max_length=64, pattern=r"^[a-z0-9_]*$")] = "certification_rate",
    fiscal_year: FY = None,
    sort: Annotated[str, Query(max_length=10)] = "value",
    dir: Annotated[str, Query(max_length=4)] = "desc",
) -> HTMLResponse:
    """One measure across the prefecture's municipalities, by 区部・市部・町村部, sortable."""
    actor = request.state.actor
    registry = registry_of(request)
    view = await measure_across(
        request.app.state.services,
        actor,
        prefecture=registry.home_prefecture,
        measure_code=measure,
        fiscal_year=fiscal_year,
        sort=sort,
        descending=dir != "asc",
        highlight=actor.municipality_code,
    )
    ctx = {"v": view, "code": measure, "sorts": SORTS, "directions": DIRECTION_LABELS}
    return render(request, "regional/measure.html", ctx, block="measure_table")


@router.get("/support/cases/{case_id}/evidence", name="case_evidence")
async def case_evidence(
    request: Request,
    case_id: int,
    node: Annotated[int, Query(ge=1)],
    cite: Annotated[list[str], Query(max_length=20)] = [],  # noqa: B006 (FastAPI's list query)
    note: Annotated[list[str], Query(max_length=20)] = [],  # noqa: B006
) -> HTMLResponse:
    """The values a logic-tree node cites (地域分析), shown beside the node (htmx)."""
    cites = parse_cites(cite, note)
    services, actor = request.app.state.services, request.state.actor
    items, unavailable = await cited_values(services, actor, case_id, cites)
    ctx = {"items": items, "node": node, "case_id": case_id, "unavailable": unavailable}
    return render(request, "regional/_cited_values.html", ctx)

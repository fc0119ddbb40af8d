"""地域包括支援センター pages: the prefecture's weakest work areas (with the training aimed
there), a municipality's centres and own items, one centre's radar; answers saved by staff or
by the centre's own municipality."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.templating import path_for, render
from gateway.views.centres import (
    centre_view,
    centres_overview,
    municipality_centres,
    save_answers,
)
from gateway.views.registry import lookup, registry_of

router = APIRouter(include_in_schema=False)
FY = Annotated[int | None, Query(ge=2000, le=2100)]
YEAR = Annotated[int, Query(ge=2000, le=2100)]


def _ctx(request: Request, **kw: Any) -> dict[str, Any]:
    return {"registry": registry_of(request), "saved": request.query_params.get("saved"), **kw}


@router.get("/centres", name="centres_index")
async def centres_index(request: Request, fiscal_year: FY = None) -> HTMLResponse:
    """The prefecture's centres: totals and the weakest work areas across all centres."""
    registry = registry_of(request)
    services, actor = request.app.state.services, request.state.actor
    v = await centres_overview(services, actor, registry.home_prefecture, fiscal_year)
    return render(request, "centres/index.html", _ctx(request, v=v))


@router.get("/centres/municipalities/{code}", name="centres_municipality")
async def centres_municipality(request: Request, code: str, fiscal_year: FY = None) -> Response:
    """A municipality's centres with their rates, and the municipality's own items."""
    m = lookup(registry_of(request), code)
    v = await municipality_centres(
        request.app.state.services, request.state.actor, m.code, fiscal_year
    )
    return render(request, "centres/municipality.html", _ctx(request, v=v, m=m))


@router.post("/centres/municipalities/{code}/evaluation", name="centres_municipality_save")
async def centres_municipality_save(request: Request, code: str, fiscal_year: YEAR) -> Response:
    """Save the municipality's own items (staff, or that municipality)."""
    m, form = lookup(registry_of(request), code), await request.form()
    ind, actor = request.app.state.services.indicators, request.state.actor
    out = await save_answers(
        lambda b: ind.save_municipality_evaluation(fiscal_year, m.code, b, actor=actor), form
    )
    if out.saved:
        url = path_for(request, "centres_municipality", code=m.code)
        return RedirectResponse(f"{url}?fiscal_year={fiscal_year}&saved=1", status_code=303)
    v = await municipality_centres(request.app.state.services, actor, m.code, fiscal_year)
    ctx = _ctx(request, v=v, m=m, outcome=out, form=form)
    return render(request, "centres/municipality.html", ctx, status_code=out.status)


@router.get("/centres/{centre_id}", name="centre_page")
async def centre_page(request: Request, centre_id: int, fiscal_year: FY = None) -> Response:
    """One centre: the radar by work area against its municipality's centres and Tokyo."""
    v = await centre_view(request.app.state.services, request.state.actor, centre_id, fiscal_year)
    return render(request, "centres/centre.html", _ctx(request, v=v))


@router.post("/centres/{centre_id}/evaluation", name="centre_evaluation_save")
async def centre_evaluation_save(request: Request, centre_id: int, fiscal_year: YEAR) -> Response:
    """Save a centre's answers (staff, or the centre's municipality)."""
    form, services, actor = await request.form(), request.app.state.services, request.state.actor
    ind = services.indicators
    out = await save_answers(
        lambda b: ind.save_centre_evaluation(centre_id, fiscal_year, b, actor=actor), form
    )
    if out.saved:
        url = path_for(request, "centre_page", centre_id=centre_id)
        return RedirectResponse(f"{url}?fiscal_year={fiscal_year}&saved=1", status_code=303)
    v = await centre_view(services, actor, centre_id, fiscal_year)
    ctx = _ctx(request, v=v, outcome=out, form=form)
    return render(request, "centres/centre.html", ctx, status_code=out.status)

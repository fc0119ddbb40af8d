"""取組と目標 shared across the prefecture: the 62 side by side (`/pdca/municipalities`), one
municipality's sheet (its own staff and the prefecture edit the year's records), 好事例."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.templating import path_for, render
from gateway.views.pdca_shared import (
    after_write,
    citable_cases,
    cite_in_report,
    create_sheet,
    form_values,
    good_practices,
    mark_good_practice,
    publish_sheet,
    save_item,
    save_year,
    sheet_page,
    side_by_side,
)
from gateway.views.registry import lookup, registry_of
from services.common import clock
from services.common.registry import PEER_TYPES, REGION_CLASSES

router = APIRouter(include_in_schema=False)
FY = Annotated[int | None, Query(ge=2000, le=2100)]
Short = Annotated[str, Query(max_length=40)]


@router.get("/pdca/municipalities", name="pdca_municipalities")
async def pdca_municipalities(
    request: Request, fiscal_year: FY = None, region_class: Short = "", peer_type: Short = ""
) -> HTMLResponse:
    """The 62 sheets side by side for a year (a municipality sees the others' published ones)."""
    fy = fiscal_year or clock.current_fiscal_year()
    services, actor = request.app.state.services, request.state.actor
    v = await side_by_side(services, actor, fy, region_class, peer_type)
    ctx = {"v": v, "region_classes": REGION_CLASSES, "peer_types": PEER_TYPES}
    return render(request, "pdca_shared/municipalities.html", ctx, block="side_by_side")


@router.get("/pdca/municipalities/{code}", name="pdca_municipality")
async def pdca_municipality(request: Request, code: str, fiscal_year: FY = None) -> Response:
    """One municipality's sheet for a year: read-only, or editable by its staff and staff."""
    m = lookup(registry_of(request), code)
    fy = fiscal_year or clock.current_fiscal_year()
    return await sheet_page(request, m, fy, saved=request.query_params.get("saved"))


@router.post("/pdca/municipalities/{code}/records", name="pdca_municipality_save")
async def pdca_municipality_save(request: Request, code: str, fiscal_year: FY = None) -> Response:
    """Save one item's record of the year (its own municipality or staff; others: refused)."""
    m, form = lookup(registry_of(request), code), form_values(await request.form())
    fy = fiscal_year or clock.current_fiscal_year()
    services, actor = request.app.state.services, request.state.actor
    out = await save_year(services, actor, m.code, fy, form)
    if out.saved:
        url = path_for(request, "pdca_municipality", code=m.code)
        return RedirectResponse(f"{url}?fiscal_year={fy}&saved=record", status_code=303)
    return await sheet_page(request, m, fy, out.status, outcome=out, form=form)


@router.post("/pdca/municipalities/{code}/sheets", name="pdca_sheet_create")
async def pdca_sheet_create(request: Request, code: str, fiscal_year: FY = None) -> Response:
    """Create the municipality's sheet for a plan period (its own staff or staff; a draft)."""
    m, form = lookup(registry_of(request), code), form_values(await request.form())
    fy = fiscal_year or clock.current_fiscal_year()
    services, actor = request.app.state.services, request.state.actor
    out = await create_sheet(services, actor, m.code, fy, form)
    return await after_write(request, m, fy, out, saved="sheet", form=form)


@router.post("/pdca/municipalities/{code}/items", name="pdca_sheet_item")
async def pdca_sheet_item(request: Request, code: str, fiscal_year: FY = None) -> Response:
    """Add, edit or remove an item of the sheet: its number, 取組, theme and 目標."""
    m, form = lookup(registry_of(request), code), form_values(await request.form())
    fy = fiscal_year or clock.current_fiscal_year()
    services, actor = request.app.state.services, request.state.actor
    out = await save_item(services, actor, m.code, form)
    saved = "removed" if form.get("remove") else "item"
    return await after_write(request, m, fy, out, saved=saved, form=form)


@router.post("/pdca/municipalities/{code}/published", name="pdca_sheet_publish")
async def pdca_sheet_publish(request: Request, code: str, fiscal_year: FY = None) -> Response:
    """Publish the sheet to the other municipalities, or make it a draft again."""
    m, form = lookup(registry_of(request), code), form_values(await request.form())
    fy = fiscal_year or clock.current_fiscal_year()
    services, actor = request.app.state.services, request.state.actor
    out = await publish_sheet(services, actor, m.code, form)
    saved = "published" if form.get("published") == "1" else "draft"
    return await after_write(request, m, fy, out, saved=saved, form=form)


@router.get("/pdca/good-practices", name="pdca_good_practices")
async def pdca_good_practices(request: Request, theme: Short = "") -> HTMLResponse:
    """好事例 for 横展開, newest first, by theme."""
    services, actor = request.app.state.services, request.state.actor
    marks, themes, unavailable = await good_practices(services, actor, theme)
    cases = await citable_cases(services, actor, clock.current_fiscal_year())
    ctx = {"marks": marks, "themes": themes, "theme": theme, "unavailable": unavailable}
    ctx |= {"cases": cases, "cited": request.query_params.get("cited")}
    return render(request, "pdca_shared/good_practices.html", ctx)


@router.post("/pdca/good-practices/{good_practice_id}/cite", name="pdca_good_practice_cite")
async def pdca_good_practice_cite(request: Request, good_practice_id: int) -> Response:
    """Cite a 好事例 in a support case's report (coordinators; the services decide)."""
    form = form_values(await request.form())
    case_id = int(form["case_id"]) if form.get("case_id", "").isdigit() else 0
    services, actor = request.app.state.services, request.state.actor
    out = await cite_in_report(services, actor, good_practice_id, case_id)
    url = path_for(request, "pdca_good_practices")
    if out.saved:
        return RedirectResponse(f"{url}?cited={case_id}", status_code=303)
    return render(
        request,
        "error.html",
        {"title": "引用できません", "detail": out.message},
        status_code=out.status,
    )


@router.post("/pdca/good-practices", name="pdca_good_practice_mark")
async def pdca_good_practice_mark(request: Request) -> Response:
    """A coordinator marks an item of a published sheet as 好事例 (with a short note)."""
    form = form_values(await request.form())
    m = lookup(registry_of(request), form.get("code", ""))
    out = await mark_good_practice(request.app.state.services, request.state.actor, form)
    fy = form.get("fiscal_year", "")
    url = f"{path_for(request, 'pdca_municipality', code=m.code)}?fiscal_year={fy}"
    if out.saved:
        return RedirectResponse(f"{url}&saved=good_practice", status_code=303)
    year = int(fy) if fy.isdigit() else clock.current_fiscal_year()
    return await sheet_page(request, m, year, out.status, outcome=out, form=form)

"""The prefecture's PDCA sheet (取組と目標) in seed 003's layout: items down, fiscal years
across, actual values filled from the records where linked, each item/year cell editable in
place (the whole sheet is saved with its version; a stale version shows the conflict). The
work is in ``gateway.views.pdca``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.actions import stream
from gateway.templating import path_for, render, wants_fragment
from gateway.views import pdca as view
from gateway.views.context import Ctx

router = APIRouter(include_in_schema=False)


@router.get("/pdca", name="pdca_sheet", response_class=HTMLResponse)
async def pdca_sheet(
    request: Request,
    ctx: Ctx,
    edit_item: Annotated[str, Query(max_length=64)] = "",
    edit_fy: Annotated[int | None, Query()] = None,
    edit_kind: Annotated[str, Query()] = "",
    saved: Annotated[str, Query(max_length=80)] = "",
) -> HTMLResponse:
    view.staff_only(ctx.actor)
    context = view.page_context(await view.load(ctx), saved=saved or None)
    if edit_item and edit_fy and edit_kind in view.KINDS and context["sheet"]:
        view.find_cell(context, edit_item, edit_fy)
        context["editing"] = (edit_item, edit_fy, edit_kind)
    return render(request, "pdca/sheet.html", context)


@router.get("/pdca/cell", name="pdca_cell", response_class=HTMLResponse)
async def pdca_cell(
    request: Request,
    ctx: Ctx,
    item: Annotated[str, Query(max_length=64)],
    fy: Annotated[int, Query()],
    kind: Annotated[str, Query(pattern="^(actions|evaluation)$")],
    edit: Annotated[bool, Query()] = False,
) -> Response:
    """One cell, to show or (``edit``) as a form with the sheet's current version."""
    view.staff_only(ctx.actor)
    if not wants_fragment(request):
        q = "?" + urlencode({"edit_item": item, "edit_fy": fy, "edit_kind": kind}) if edit else ""
        return RedirectResponse(f"{path_for(request, 'pdca_sheet')}{q}", status_code=303)
    editing = (item, fy, kind) if edit else None
    context = view.page_context(await view.load(ctx), editing=editing)
    return view.cell_fragment(request, context, item, fy, kind)


@router.post("/pdca/cell", name="pdca_cell_save", response_class=HTMLResponse)
async def pdca_cell_save(request: Request, ctx: Ctx) -> Response:
    view.staff_only(ctx.actor)
    form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    context, (code, fy, kind), status = await view.save_cell(ctx, form)
    if wants_fragment(request):
        return view.cell_fragment(request, context, code, fy, kind)
    if status == 200:
        query = urlencode({"saved": f"{code} の{fy}年度"})
        return RedirectResponse(f"{path_for(request, 'pdca_sheet')}?{query}", status_code=303)
    return render(request, "pdca/sheet.html", context, status_code=status)


@router.get("/pdca/export.xlsx", name="pdca_export")
async def pdca_export(request: Request, ctx: Ctx) -> Response:
    view.staff_only(ctx.actor)
    sheet = (data := await view.load(ctx)).get("sheet")
    if not sheet:
        detail = "取組と目標のシートがないか、評価指標のサービスが応答しません。"
        context = {"title": "ファイルを取得できません", "detail": detail}
        return render(request, "error.html", context, status_code=503 if data.get("down") else 404)
    opened = ctx.clients.indicators.pdca_export(sheet["id"], actor=ctx.actor)
    return await stream(request, opened, what="ファイル")

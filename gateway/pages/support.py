"""Companion-support pages (伴走型支援): the round (applications, candidate ranking, selection
with region balance, cases) and the case workspace (status stepper, visits, logic tree editor,
initiatives, roadmap timeline, report preview with lessons and the Word download). The work is
in ``gateway.views.support``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from gateway.actions import stream
from gateway.templating import render
from gateway.views import support as view
from gateway.views.context import Ctx

router = APIRouter(include_in_schema=False)


@router.get("/support", name="support_round", response_class=HTMLResponse)
async def support_round(
    request: Request, ctx: Ctx, fiscal_year: Annotated[int | None, Query()] = None
) -> HTMLResponse:
    context = await view.round_context(ctx, view.fy_param(fiscal_year))
    return render(request, "support/round.html", context)


@router.post(
    "/support/applications/{application_id}/decision",
    name="support_decide",
    response_class=HTMLResponse,
)
async def support_decide(request: Request, application_id: int) -> Response:
    return await view.decide(request, application_id, await request.form())


# ---------------------------------------------------------------- the case workspace


@router.get("/support/cases/{case_id}", name="support_case", response_class=HTMLResponse)
async def support_case(request: Request, case_id: int) -> HTMLResponse:
    return await view.case_page(request, case_id)


@router.get("/support/cases/{case_id}/roadmap", name="support_roadmap", response_class=HTMLResponse)
async def support_roadmap(request: Request, ctx: Ctx, case_id: int) -> HTMLResponse:
    return render(request, "support/roadmap.html", await view.roadmap_context(ctx, case_id))


@router.post(
    "/support/cases/{case_id}/transitions",
    name="support_transition",
    response_class=HTMLResponse,
)
async def support_transition(request: Request, case_id: int) -> Response:
    return await view.transition(request, case_id, await request.form())


@router.post(
    "/support/cases/{case_id}/visits", name="support_add_visit", response_class=HTMLResponse
)
async def support_add_visit(request: Request, case_id: int) -> Response:
    return await view.add_visit(request, case_id, await request.form())


# --- logic tree editor


@router.post(
    "/support/cases/{case_id}/tree/nodes", name="support_add_node", response_class=HTMLResponse
)
async def support_add_node(request: Request, case_id: int) -> Response:
    return await view.add_node(request, case_id, await request.form())


@router.post(
    "/support/cases/{case_id}/tree/nodes/{node_id}",
    name="support_edit_node",
    response_class=HTMLResponse,
)
async def support_edit_node(request: Request, case_id: int, node_id: int) -> Response:
    return await view.edit_node_text(request, case_id, node_id, await request.form())


@router.post(
    "/support/cases/{case_id}/tree/nodes/{node_id}/hypothesis",
    name="support_node_hypothesis",
    response_class=HTMLResponse,
)
async def support_node_hypothesis(request: Request, case_id: int, node_id: int) -> Response:
    return await view.set_hypothesis(request, case_id, node_id, await request.form())


@router.post(
    "/support/cases/{case_id}/tree/nodes/{node_id}/move",
    name="support_move_node",
    response_class=HTMLResponse,
)
async def support_move_node(request: Request, case_id: int, node_id: int) -> Response:
    return await view.move_node(request, case_id, node_id, await request.form())


@router.post(
    "/support/cases/{case_id}/tree/nodes/{node_id}/reorder",
    name="support_reorder_node",
    response_class=HTMLResponse,
)
async def support_reorder_node(request: Request, case_id: int, node_id: int) -> Response:
    return await view.reorder_node(request, case_id, node_id, await request.form())


# --- initiatives and report


@router.post(
    "/support/cases/{case_id}/initiatives",
    name="support_add_initiative",
    response_class=HTMLResponse,
)
async def support_add_initiative(request: Request, case_id: int) -> Response:
    return await view.add_initiative(request, case_id, await request.form())


@router.post(
    "/support/cases/{case_id}/lessons", name="support_save_lessons", response_class=HTMLResponse
)
async def support_save_lessons(request: Request, case_id: int) -> Response:
    return await view.save_lessons(request, case_id, await request.form())


@router.post(
    "/support/cases/{case_id}/citations/remove",
    name="support_citation_remove",
    response_class=HTMLResponse,
)
async def support_citation_remove(request: Request, case_id: int) -> Response:
    return await view.uncite_report(request, case_id, await request.form())


@router.post(
    "/support/cases/{case_id}/tree/nodes/{node_id}/measure-evidence/remove",
    name="support_node_uncite",
    response_class=HTMLResponse,
)
async def support_node_uncite(request: Request, case_id: int, node_id: int) -> Response:
    return await view.uncite_measure(request, case_id, node_id, await request.form())


@router.get("/support/cases/{case_id}/report.docx", name="support_report_docx")
async def support_report_docx(request: Request, case_id: int) -> Response:
    opened = request.app.state.services.support_cases.report_docx(
        case_id, actor=request.state.actor
    )
    return await stream(request, opened, what="報告書")

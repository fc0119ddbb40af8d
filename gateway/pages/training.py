"""Training pages (研修): month calendar, session page with registration, cancel-and-promote
and the attendance sheet, program targets and demand, and the 工程表 board."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from gateway.actions import Outcome, attempt, stream
from gateway.templating import render
from gateway.views import training as view
from gateway.views.context import Ctx

router = APIRouter(include_in_schema=False)


@router.get("/training", name="training_calendar", response_class=HTMLResponse)
async def training_calendar(
    request: Request, ctx: Ctx, month: Annotated[str, Query(max_length=7)] = ""
) -> HTMLResponse:
    page = await view.month_calendar(ctx, month)
    return render(request, "training/calendar.html", page.context(), block="calendar")


# ---------------------------------------------------------------- session page


@router.get("/training/sessions/{session_id}", name="training_session", response_class=HTMLResponse)
async def training_session(
    request: Request,
    session_id: int,
    registered: Annotated[int | None, Query()] = None,
    cancelled: Annotated[str, Query(max_length=200)] = "",
    promoted: Annotated[str, Query(max_length=200)] = "",
    saved: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    loaded = await view.load_session(request, session_id)
    result = None
    regs = loaded.confirmed + loaded.waitlist
    if registered is not None:
        result = {"registered": next((r for r in regs if r.id == registered), None)}
    elif cancelled:
        result = {"cancelled_name": cancelled, "promoted": view.by_id(regs, promoted)}
    ctx = view.session_context(
        loaded,
        result=result,
        attendance_result="出欠を保存しました。" if saved else None,
    )
    return render(request, "training/session.html", ctx)


@router.get(
    "/training/sessions/{session_id}/attendance",
    name="training_attendance",
    response_class=HTMLResponse,
)
async def training_attendance_sheet(request: Request, session_id: int) -> HTMLResponse:
    """The attendance sheet alone for htmx (refreshed when the lists change), else the page."""
    return await view.session_page(request, session_id, block="attendance")


@router.post(
    "/training/sessions/{session_id}/registrations",
    name="training_register",
    response_class=HTMLResponse,
)
async def training_register(request: Request, session_id: int) -> Response:
    form = await request.form()
    values = {k: str(form.get(k, "")).strip() for k in view.REG_FIELDS}
    missing = {
        k: view.FIELD_MESSAGES[k] for k in ("name", "email", "municipality_code") if not values[k]
    }
    if missing:
        return await view.registration_form(
            request, session_id, values, Outcome.refused(""), missing
        )
    done = await attempt(
        view.client_of(request).register(session_id, values, actor=view.actor_of(request))
    )
    if not done.ok:
        return await view.registration_form(request, session_id, values, done)
    return await view.registered(request, session_id, done.value)


@router.post(
    "/training/sessions/{session_id}/registrations/{registration_id}/cancel",
    name="training_cancel",
    response_class=HTMLResponse,
)
async def training_cancel_post(request: Request, session_id: int, registration_id: int) -> Response:
    return await view.cancel(request, session_id, registration_id)


@router.delete(
    "/training/sessions/{session_id}/registrations/{registration_id}",
    name="training_cancel_delete",
    response_class=HTMLResponse,
)
async def training_cancel_delete(
    request: Request, session_id: int, registration_id: int
) -> Response:
    return await view.cancel(request, session_id, registration_id)


@router.put("/training/sessions/{session_id}/attendance", response_class=HTMLResponse)
async def training_attendance_put(request: Request, session_id: int) -> Response:
    return await view.save_attendance(request, session_id)


@router.post(
    "/training/sessions/{session_id}/attendance",
    name="training_attendance_save",
    response_class=HTMLResponse,
)
async def training_attendance_post(request: Request, session_id: int) -> Response:
    return await view.save_attendance(request, session_id)


@router.get("/training/sessions/{session_id}/files/{name}", name="training_file")
async def training_file(request: Request, session_id: int, name: str) -> Response:
    """An export of the service, passed on with its content type and file name."""
    if name not in view.FILES:
        return render(
            request,
            "error.html",
            {"title": "ページが見つかりません", "detail": "アドレスを確かめてください。"},
            status_code=404,
        )
    opened = view.client_of(request).open_file(session_id, name, actor=view.actor_of(request))
    return await stream(request, opened, what="ファイル")


# ---------------------------------------------------------------- programs and 工程表


@router.get("/training/programs", name="training_programs", response_class=HTMLResponse)
async def training_programs(
    request: Request, ctx: Ctx, fiscal_year: Annotated[int | None, Query()] = None
) -> HTMLResponse:
    page = await view.programs(ctx, fiscal_year)
    return render(request, "training/programs.html", page.context(), block="programs_body")


@router.get("/training/kotei-hyo", name="training_kotei_hyo", response_class=HTMLResponse)
async def training_kotei_hyo(
    request: Request, ctx: Ctx, fiscal_year: Annotated[int | None, Query()] = None
) -> HTMLResponse:
    page = await view.kotei_board(ctx, fiscal_year)
    return render(request, "training/kotei_hyo.html", page.context(), block="kotei_board")

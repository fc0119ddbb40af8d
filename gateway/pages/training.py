"""Training pages (研修): month calendar, session page with registration, cancel-and-promote
and the attendance sheet, program targets and demand, and the 工程表 board."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.actions import Outcome, as_app_error, attempt, stream
from gateway.clients.base import ServiceError, ServiceRejected
from gateway.clients.training import (
    AttendanceSheet,
    RegistrationInfo,
    SessionInfo,
    TrainingClient,
)
from gateway.templating import path_for, render, wants_fragment
from gateway.views import training as training_view
from gateway.views.context import Ctx
from gateway.views.parts import gather
from gateway.views.training import (
    MARK_LABELS,
    base_context,
    home_options,
)

router = APIRouter(include_in_schema=False)

SERVICE = "training"
FILES = {
    "calendar.ics": "予定 (.ics)",
    "participants.csv": "参加者名簿 (CSV)",
    "participants.xlsx": "参加者名簿 (Excel)",
    "attendance.csv": "出欠表 (CSV)",
    "attendance.xlsx": "出欠表 (Excel)",
}
FIELD_MESSAGES = {
    "name": "氏名を入力してください (200文字まで)。",
    "municipality_code": "区市町村を一覧から選んでください。",
    "role": "役職・職種は100文字までで入力してください。",
    "email": "メールアドレスの形式が正しくありません (例: hanako@city.example.jp)。",
}
REG_FIELDS = ("name", "municipality_code", "role", "email")


def _client(request: Request) -> TrainingClient:
    return request.app.state.services.training


def _actor(request: Request) -> Any:
    return getattr(request.state, "actor", None)


@router.get("/training", name="training_calendar", response_class=HTMLResponse)
async def training_calendar(
    request: Request, ctx: Ctx, month: Annotated[str, Query(max_length=7)] = ""
) -> HTMLResponse:
    view = await training_view.month_calendar(ctx, month)
    return render(request, "training/calendar.html", view.context(), block="calendar")


# ---------------------------------------------------------------- session page


@dataclass
class SessionView:
    """What the session page shows; ``session`` is None when the service could not answer."""

    session: SessionInfo | None = None
    program: Any = None
    confirmed: list[RegistrationInfo] = field(default_factory=list)
    waitlist: list[RegistrationInfo] = field(default_factory=list)
    sheet: AttendanceSheet | None = None
    unavailable: list[str] = field(default_factory=list)


async def _load_session(request: Request, session_id: int) -> SessionView:
    client, actor = _client(request), _actor(request)
    try:
        session = await client.session(session_id, actor=actor)
        parts = await gather(
            {
                "program": (SERVICE, client.program(session.program_id, actor=actor)),
                "regs": (SERVICE, client.registrations(session_id, actor=actor)),
                "sheet": (SERVICE, client.attendance(session_id, actor=actor)),
            }
        )
    except ServiceRejected as exc:
        raise as_app_error(exc) from exc
    except ServiceError:
        return SessionView(unavailable=[SERVICE])
    regs: list[RegistrationInfo] = parts.get("regs", [])
    return SessionView(
        session=session,
        program=parts.get("program"),
        confirmed=[r for r in regs if r.status == "confirmed"],
        waitlist=sorted(
            (r for r in regs if r.status == "waitlisted"),
            key=lambda r: r.waitlist_position or 0,
        ),
        sheet=parts.get("sheet"),
        unavailable=parts.unavailable,
    )


def _session_context(view: SessionView, **extra: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        **base_context(),
        "s": view.session,
        "program": view.program,
        "confirmed": view.confirmed,
        "waitlist": view.waitlist,
        "sheet": view.sheet,
        "unavailable": view.unavailable,
        "municipalities": home_options(),
        "files": FILES,
        "form": {},
        "form_errors": {},
        "form_error": None,
        "result": None,
        "attendance_result": None,
        "attendance_errors": [],
    }
    ctx.update(extra)
    return ctx


async def _session_page(
    request: Request, session_id: int, *, block: str | None, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    view = await _load_session(request, session_id)
    return render(
        request,
        "training/session.html",
        _session_context(view, **extra),
        block=block,
        status_code=status_code,
    )


def _by_id(regs: list[RegistrationInfo], ids: str) -> list[RegistrationInfo]:
    wanted = {int(x) for x in ids.split(",") if x.isdigit()}
    return [r for r in regs if r.id in wanted]


@router.get("/training/sessions/{session_id}", name="training_session", response_class=HTMLResponse)
async def training_session(
    request: Request,
    session_id: int,
    registered: Annotated[int | None, Query()] = None,
    cancelled: Annotated[str, Query(max_length=200)] = "",
    promoted: Annotated[str, Query(max_length=200)] = "",
    saved: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    view = await _load_session(request, session_id)
    result = None
    regs = view.confirmed + view.waitlist
    if registered is not None:
        result = {"registered": next((r for r in regs if r.id == registered), None)}
    elif cancelled:
        result = {"cancelled_name": cancelled, "promoted": _by_id(regs, promoted)}
    ctx = _session_context(
        view,
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
    return await _session_page(request, session_id, block="attendance")


def _problem_errors(exc: ServiceRejected) -> tuple[dict[str, str], str | None]:
    """Field messages keyed by form field, and a message for the whole form."""
    field_errors: dict[str, str] = {}
    general: list[str] = []
    for e in exc.problem.get("errors") or []:
        loc = [str(p) for p in e.get("loc", [])]
        name = next((p for p in reversed(loc) if p in REG_FIELDS), None)
        msg = str(e.get("msg", ""))
        if name:
            # Pydantic's own messages are English; say in Japanese what to fix.
            japanese = bool(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", msg))
            field_errors.setdefault(name, msg if japanese else FIELD_MESSAGES[name])
        elif msg:
            general.append(msg)
    if exc.status == 409:
        field_errors["email"] = exc.detail
    elif not field_errors and not general:
        general.append(exc.detail)
    return field_errors, "".join(dict.fromkeys(general)) or None


@router.post(
    "/training/sessions/{session_id}/registrations",
    name="training_register",
    response_class=HTMLResponse,
)
async def training_register(request: Request, session_id: int) -> Response:
    form = await request.form()
    values = {k: str(form.get(k, "")).strip() for k in REG_FIELDS}
    missing = {
        k: FIELD_MESSAGES[k] for k in ("name", "email", "municipality_code") if not values[k]
    }
    if missing:
        return await _registration_form(request, session_id, values, Outcome.refused(""), missing)
    done = await attempt(_client(request).register(session_id, values, actor=_actor(request)))
    if not done.ok:
        return await _registration_form(request, session_id, values, done)
    return await _registered(request, session_id, done.value)


async def _registered(request: Request, session_id: int, reg: RegistrationInfo) -> Response:
    if not wants_fragment(request):
        url = path_for(request, "training_session", session_id=session_id)
        return RedirectResponse(f"{url}?registered={reg.id}", status_code=303)
    result = {"registered": reg}
    response = await _session_page(request, session_id, block="session_people", result=result)
    response.headers["HX-Trigger"] = "people-changed"
    return response


async def _registration_form(
    request: Request,
    session_id: int,
    values: dict[str, str],
    done: Outcome[Any],
    field_errors: dict[str, str] | None = None,
) -> Response:
    """The form again with what was typed and what to fix (htmx swaps only 2xx answers: the
    fragment with the messages comes back as 200)."""
    form_error = None
    if done.refusal is not None:
        field_errors, form_error = _problem_errors(done.refusal)
    elif done.message and done.message["text"]:
        form_error = done.message["text"]
    return await _session_page(
        request,
        session_id,
        block="session_people",
        status_code=200 if wants_fragment(request) else done.status,
        form=values,
        form_errors=field_errors or {},
        form_error=form_error,
    )


async def _cancel(request: Request, session_id: int, registration_id: int) -> Response:
    done = await attempt(_client(request).cancel(registration_id, actor=_actor(request)))
    if not done.ok:
        code = 200 if wants_fragment(request) else done.status
        error = done.message["text"] if done.message else ""
        return await _session_page(
            request, session_id, block="session_people", status_code=code, form_error=error
        )
    name, promoted = done.value.cancelled.name, done.value.promoted
    if not wants_fragment(request):
        url = path_for(request, "training_session", session_id=session_id)
        query = urlencode({"cancelled": name, "promoted": ",".join(str(r.id) for r in promoted)})
        return RedirectResponse(f"{url}?{query}", status_code=303)
    result = {"cancelled_name": name, "promoted": promoted}
    response = await _session_page(request, session_id, block="session_people", result=result)
    response.headers["HX-Trigger"] = "people-changed"
    return response


@router.post(
    "/training/sessions/{session_id}/registrations/{registration_id}/cancel",
    name="training_cancel",
    response_class=HTMLResponse,
)
async def training_cancel_post(request: Request, session_id: int, registration_id: int) -> Response:
    return await _cancel(request, session_id, registration_id)


@router.delete(
    "/training/sessions/{session_id}/registrations/{registration_id}",
    name="training_cancel_delete",
    response_class=HTMLResponse,
)
async def training_cancel_delete(
    request: Request, session_id: int, registration_id: int
) -> Response:
    return await _cancel(request, session_id, registration_id)


async def _save_attendance(request: Request, session_id: int) -> Response:
    form = await request.form()
    entries: list[dict[str, Any]] = []
    for key, value in form.multi_items():
        m = re.fullmatch(r"m-(\d+)-(\d+)", key)
        if m and str(value) in MARK_LABELS:
            entries.append(
                {"registration_id": int(m.group(1)), "day_no": int(m.group(2)), "status": value}
            )
    errors: list[str] = []
    status = 422
    if not entries:
        errors.append(
            "出欠が1件も選ばれていません。出席・欠席・オンデマンド視聴から選んでください。"
        )
    else:
        try:
            await _client(request).save_attendance(session_id, entries, actor=_actor(request))
        except ServiceRejected as exc:
            if exc.status == 404:
                raise as_app_error(exc) from exc
            status = exc.status or 422
            errors = [str(e.get("msg")) for e in exc.problem.get("errors") or [] if e.get("msg")]
            errors = errors or [exc.detail]
        except ServiceError as exc:
            status = 503
            errors = [f"研修サービスが応答しないため、保存できませんでした ({exc.detail})。"]
        else:
            if not wants_fragment(request):
                url = path_for(request, "training_session", session_id=session_id)
                return RedirectResponse(f"{url}?saved=1#attendance", status_code=303)
            return await _session_page(
                request, session_id, block="attendance", attendance_result="出欠を保存しました。"
            )
    return await _session_page(
        request,
        session_id,
        block="attendance",
        status_code=200 if wants_fragment(request) else status,
        attendance_errors=errors,
    )


@router.put("/training/sessions/{session_id}/attendance", response_class=HTMLResponse)
async def training_attendance_put(request: Request, session_id: int) -> Response:
    return await _save_attendance(request, session_id)


@router.post(
    "/training/sessions/{session_id}/attendance",
    name="training_attendance_save",
    response_class=HTMLResponse,
)
async def training_attendance_post(request: Request, session_id: int) -> Response:
    return await _save_attendance(request, session_id)


@router.get("/training/sessions/{session_id}/files/{name}", name="training_file")
async def training_file(request: Request, session_id: int, name: str) -> Response:
    """An export of the service, passed on with its content type and file name."""
    if name not in FILES:
        return render(
            request,
            "error.html",
            {"title": "ページが見つかりません", "detail": "アドレスを確かめてください。"},
            status_code=404,
        )
    opened = _client(request).open_file(session_id, name, actor=_actor(request))
    return await stream(request, opened, what="ファイル")


# ---------------------------------------------------------------- programs and 工程表


@router.get("/training/programs", name="training_programs", response_class=HTMLResponse)
async def training_programs(
    request: Request, ctx: Ctx, fiscal_year: Annotated[int | None, Query()] = None
) -> HTMLResponse:
    view = await training_view.programs(ctx, fiscal_year)
    return render(request, "training/programs.html", view.context(), block="programs_body")


@router.get("/training/kotei-hyo", name="training_kotei_hyo", response_class=HTMLResponse)
async def training_kotei_hyo(
    request: Request, ctx: Ctx, fiscal_year: Annotated[int | None, Query()] = None
) -> HTMLResponse:
    view = await training_view.kotei_board(ctx, fiscal_year)
    return render(request, "training/kotei_hyo.html", view.context(), block="kotei_board")

"""Training pages (研修): month calendar, session page with registration, cancel-and-promote
and the attendance sheet, program targets and demand, and the 工程表 board."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from gateway.clients.base import ServiceError, ServiceRejected
from gateway.clients.training import (
    AttendanceSheet,
    RegistrationInfo,
    SessionInfo,
    TrainingClient,
)
from gateway.combine import gather
from gateway.templating import path_for, render, wants_fragment
from services.common import clock
from services.common.errors import AppError
from services.common.fiscal import fiscal_year_of, format_date_ja
from services.common.registry import CodeError, get_registry

router = APIRouter(include_in_schema=False)

SERVICE = "training"
TOKYO = ZoneInfo("Asia/Tokyo")
MARKS = (("present", "出席"), ("absent", "欠席"), ("on_demand", "オンデマンド視聴"))
MARK_LABELS = dict(MARKS)
METRIC_LABELS = {
    "completers": "修了者数 (期間の合計)",
    "sessions_per_year": "開催回数 (各年度)",
    "municipalities_reached": "受講した区市町村数 (各年度)",
}
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
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def _client(request: Request) -> TrainingClient:
    return request.app.state.services.training


def _actor(request: Request) -> Any:
    return getattr(request.state, "actor", None)


def _municipality_name(code: str) -> str:
    try:
        return get_registry().require(code).name
    except CodeError:
        return code


def _home_options() -> list[tuple[str, str]]:
    return [(m.code, m.name) for m in get_registry().home()]


def _tokyo(value: datetime | None) -> str:
    """A moment as Tokyo wall-clock time: 2025年5月1日(木) 09:00."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(TOKYO)
    return f"{format_date_ja(value.date())} {value:%H:%M}"


def _base_context() -> dict[str, Any]:
    return {
        "muni": _municipality_name,
        "tokyo": _tokyo,
        "mark_labels": MARK_LABELS,
        "marks": MARKS,
    }


def _app_error(exc: ServiceRejected) -> AppError:
    """A 4xx from the service (e.g. 404 for an unknown session) as the gateway's own error."""
    err = AppError(exc.problem.get("detail") or exc.detail, title=exc.problem.get("title"))
    err.status = exc.status or 400
    return err


# ---------------------------------------------------------------- calendar


def _parse_month(value: str, today: date) -> tuple[int, int]:
    m = _MONTH.match(value or "")
    if m and 1 <= int(m.group(2)) <= 12 and 2000 <= int(m.group(1)) <= 2100:
        return int(m.group(1)), int(m.group(2))
    return today.year, today.month


def _shift(year: int, month: int, by: int) -> str:
    index = year * 12 + (month - 1) + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@router.get("/training", name="training_calendar", response_class=HTMLResponse)
async def training_calendar(
    request: Request, month: Annotated[str, Query(max_length=7)] = ""
) -> HTMLResponse:
    year, mon = _parse_month(month, clock.today())
    first = date(year, mon, 1)
    fy = fiscal_year_of(first)
    client, actor = _client(request), _actor(request)
    parts = await gather(
        {
            "sessions": (SERVICE, client.sessions(fiscal_year=fy, actor=actor)),
            "programs": (SERVICE, client.programs(fiscal_year=fy, actor=actor)),
            "demand": (SERVICE, client.demand(fiscal_year=fy, actor=actor)),
        }
    )
    programs = {p.id: p for p in parts.get("programs", [])}
    events: dict[date, list[dict[str, Any]]] = {}
    in_month: set[int] = set()
    full_in_month: set[int] = set()
    for s in parts.get("sessions", []):
        for d in s.days:
            if (d.date.year, d.date.month) != (year, mon):
                continue
            in_month.add(s.id)
            if s.full:
                full_in_month.add(s.id)
            program = programs.get(s.program_id)
            events.setdefault(d.date, []).append(
                {
                    "session": s,
                    "day": d,
                    "label": s.title or (program.name if program else f"開催回 {s.id}"),
                    "days": len(s.days),
                }
            )
    for items in events.values():
        items.sort(key=lambda e: (e["day"].start or e["day"].date, e["session"].id))
    demand = parts.get("demand")
    weeks = calendar.Calendar(firstweekday=6).monthdatescalendar(year, mon)
    return render(
        request,
        "training/calendar.html",
        {
            **_base_context(),
            "year": year,
            "month": mon,
            "fiscal_year": fy,
            "weeks": weeks,
            "events": events,
            "sessions_in_month": len(in_month),
            "full_in_month": len(full_in_month),
            "over_subscribed": demand.over_subscribed if demand else [],
            "prev_month": _shift(year, mon, -1),
            "next_month": _shift(year, mon, 1),
            "this_month": f"{clock.today():%Y-%m}",
            "unavailable": parts.unavailable,
        },
        block="calendar",
    )


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
        raise _app_error(exc) from exc
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
        **_base_context(),
        "s": view.session,
        "program": view.program,
        "confirmed": view.confirmed,
        "waitlist": view.waitlist,
        "sheet": view.sheet,
        "unavailable": view.unavailable,
        "municipalities": _home_options(),
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
    field_errors = {k: FIELD_MESSAGES[k] for k in ("name", "email") if not values[k]}
    if not values["municipality_code"]:
        field_errors["municipality_code"] = FIELD_MESSAGES["municipality_code"]
    client, actor = _client(request), _actor(request)
    form_error = None
    status = 422
    if not field_errors:
        try:
            reg = await client.register(session_id, values, actor=actor)
        except ServiceRejected as exc:
            if exc.status == 404:
                raise _app_error(exc) from exc
            field_errors, form_error = _problem_errors(exc)
            status = exc.status or 422
        except ServiceError as exc:
            form_error = f"研修サービスが応答しないため、登録できませんでした ({exc.detail})。"
            status = 503
        else:
            if not wants_fragment(request):
                url = path_for(request, "training_session", session_id=session_id)
                return RedirectResponse(f"{url}?registered={reg.id}", status_code=303)
            response = await _session_page(
                request, session_id, block="session_people", result={"registered": reg}
            )
            response.headers["HX-Trigger"] = "people-changed"
            return response
    # htmx swaps only 2xx answers: the fragment with the messages comes back as 200.
    return await _session_page(
        request,
        session_id,
        block="session_people",
        status_code=200 if wants_fragment(request) else status,
        form=values,
        form_errors=field_errors,
        form_error=form_error,
    )


async def _cancel(request: Request, session_id: int, registration_id: int) -> Response:
    client, actor = _client(request), _actor(request)
    try:
        before = await client.registrations(session_id, actor=actor)
        target = next((r for r in before if r.id == registration_id), None)
        if target is not None:
            await client.cancel(registration_id, actor=actor)
        after = await client.registrations(session_id, actor=actor)
    except ServiceRejected as exc:
        if exc.status == 404:
            raise _app_error(exc) from exc
        return await _session_page(
            request,
            session_id,
            block="session_people",
            status_code=200 if wants_fragment(request) else exc.status or 400,
            form_error=exc.detail,
        )
    except ServiceError as exc:
        return await _session_page(
            request,
            session_id,
            block="session_people",
            status_code=200 if wants_fragment(request) else 503,
            form_error=f"研修サービスが応答しないため、取り消せませんでした ({exc.detail})。",
        )
    was_waiting = {r.id for r in before if r.status == "waitlisted"}
    promoted = [r for r in after if r.status == "confirmed" and r.id in was_waiting]
    name = target.name if target else ""
    if not wants_fragment(request):
        url = path_for(request, "training_session", session_id=session_id)
        query = urlencode({"cancelled": name, "promoted": ",".join(str(r.id) for r in promoted)})
        return RedirectResponse(f"{url}?{query}", status_code=303)
    response = await _session_page(
        request,
        session_id,
        block="session_people",
        result={"cancelled_name": name, "promoted": promoted},
    )
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
                raise _app_error(exc) from exc
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
    try:
        resp = await _client(request).open_file(session_id, name, actor=_actor(request))
    except ServiceRejected as exc:
        raise _app_error(exc) from exc
    except ServiceError as exc:
        return render(
            request,
            "error.html",
            {
                "title": "ファイルを取得できません",
                "detail": f"研修サービスが応答しません ({exc.detail})。",
            },
            status_code=503,
        )
    headers = {
        k: resp.headers[k] for k in ("content-disposition", "content-length") if k in resp.headers
    }
    if "content-encoding" in resp.headers:
        headers.pop("content-length", None)  # the body is passed on decoded
    return StreamingResponse(
        resp.aiter_bytes(),
        media_type=resp.headers.get("content-type", "application/octet-stream"),
        headers=headers,
        background=BackgroundTask(resp.aclose),
    )


# ---------------------------------------------------------------- programs and 工程表


def _fy_param(value: int | None) -> int:
    return value if value and 2000 <= value <= 2100 else clock.current_fiscal_year()


@router.get("/training/programs", name="training_programs", response_class=HTMLResponse)
async def training_programs(
    request: Request, fiscal_year: Annotated[int | None, Query()] = None
) -> HTMLResponse:
    fy = _fy_param(fiscal_year)
    client, actor = _client(request), _actor(request)
    parts = await gather(
        {
            "programs": (SERVICE, client.programs(fiscal_year=fy, actor=actor)),
            "sessions": (SERVICE, client.sessions(fiscal_year=fy, actor=actor)),
            "targets": (SERVICE, client.targets(fiscal_year=fy, actor=actor)),
            "demand": (SERVICE, client.demand(fiscal_year=fy, actor=actor)),
            "stats": (SERVICE, client.stats(fiscal_year=fy, actor=actor)),
        }
    )
    sessions_by_program: dict[int, list[SessionInfo]] = {}
    for s in parts.get("sessions", []):
        sessions_by_program.setdefault(s.program_id, []).append(s)
    demand = parts.get("demand")
    demand_by_program = {d.program_id: d for d in demand.programs} if demand else {}
    stats = parts.get("stats")
    not_reached = [
        _municipality_name(c) for c in (stats.municipalities_not_reached if stats else [])
    ]
    return render(
        request,
        "training/programs.html",
        {
            **_base_context(),
            "fiscal_year": fy,
            "programs": parts.get("programs", []),
            "sessions_by_program": sessions_by_program,
            "targets": parts.get("targets", []),
            "metric_labels": METRIC_LABELS,
            "demand": demand,
            "demand_by_program": demand_by_program,
            "stats": stats,
            "not_reached": not_reached,
            "unavailable": parts.unavailable,
        },
        block="programs_body",
    )


@router.get("/training/kotei-hyo", name="training_kotei_hyo", response_class=HTMLResponse)
async def training_kotei_hyo(
    request: Request, fiscal_year: Annotated[int | None, Query()] = None
) -> HTMLResponse:
    fy = _fy_param(fiscal_year)
    client, actor = _client(request), _actor(request)
    parts = await gather(
        {
            "boards": (SERVICE, client.kotei_hyo(fiscal_year=fy, actor=actor)),
            "programs": (SERVICE, client.programs(fiscal_year=fy, actor=actor)),
        }
    )
    programs = {p.id: p for p in parts.get("programs", [])}
    boards = sorted(parts.get("boards", []), key=lambda k: k.municipality_code)
    overdue = sum(1 for b in boards for st in b.steps if st.overdue)
    return render(
        request,
        "training/kotei_hyo.html",
        {
            **_base_context(),
            "fiscal_year": fy,
            "boards": boards,
            "programs": programs,
            "overdue": overdue,
            "late_municipalities": sum(1 for b in boards if any(st.overdue for st in b.steps)),
            "unavailable": parts.unavailable,
        },
        block="kotei_board",
    )

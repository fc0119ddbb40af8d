"""The training pages' views: the month calendar, the programs with their targets and
demand, the 工程表 board (each gathers its calls in parallel through the training client)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.actions import WRITE_REFUSALS, Outcome, attempt
from gateway.clients.base import ServiceRejected
from gateway.clients.training import (
    AttendanceSheet,
    RegistrationInfo,
    SessionInfo,
    TrainingClient,
)
from gateway.templating import path_for, render, wants_fragment
from gateway.views.context import ViewContext
from gateway.views.parts import gather
from services.common import clock
from services.common.fiscal import fiscal_year_of, format_date_ja
from services.common.registry import CodeError, get_registry

SERVICE = "training"
TOKYO = ZoneInfo("Asia/Tokyo")
MARKS = (("present", "出席"), ("absent", "欠席"), ("on_demand", "オンデマンド視聴"))
MARK_LABELS = dict(MARKS)
METRIC_LABELS = {
    "completers": "修了者数 (期間の合計)",
    "sessions_per_year": "開催回数 (各年度)",
    "municipalities_reached": "受講した区市町村数 (各年度)",
}
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def _municipality_name(code: str) -> str:
    try:
        return get_registry().require(code).name
    except CodeError:
        return code


def home_options() -> list[tuple[str, str]]:
    return [(m.code, m.name) for m in get_registry().home()]


def _tokyo(value: datetime | None) -> str:
    """A moment as Tokyo wall-clock time: 2025年5月1日(木) 09:00."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(TOKYO)
    return f"{format_date_ja(value.date())} {value:%H:%M}"


def base_context() -> dict[str, Any]:
    return {
        "muni": _municipality_name,
        "tokyo": _tokyo,
        "mark_labels": MARK_LABELS,
        "marks": MARKS,
    }


# ---------------------------------------------------------------- calendar


def _parse_month(value: str, today: date) -> tuple[int, int]:
    m = _MONTH.match(value or "")
    if m and 1 <= int(m.group(2)) <= 12 and 2000 <= int(m.group(1)) <= 2100:
        return int(m.group(1)), int(m.group(2))
    return today.year, today.month


def _shift(year: int, month: int, by: int) -> str:
    index = year * 12 + (month - 1) + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _fy_param(value: int | None) -> int:
    return value if value and 2000 <= value <= 2100 else clock.current_fiscal_year()


@dataclass
class Page:
    """A page's model; ``context()`` gives the template its names (one level deep)."""

    def context(self) -> dict[str, Any]:
        return {**base_context(), **{f.name: getattr(self, f.name) for f in fields(self)}}


@dataclass
class Calendar(Page):
    year: int
    month: int
    fiscal_year: int
    weeks: list[list[date]]
    events: dict[date, list[dict[str, Any]]]
    sessions_in_month: int
    full_in_month: int
    over_subscribed: list[Any]
    prev_month: str
    next_month: str
    this_month: str
    unavailable: list[str]


async def month_calendar(ctx: ViewContext, month: str) -> Calendar:
    year, mon = _parse_month(month, clock.today())
    fy = fiscal_year_of(date(year, mon, 1))
    client, actor = ctx.clients.training, ctx.actor
    parts = await gather(
        {
            "sessions": (SERVICE, client.sessions(fiscal_year=fy, actor=actor)),
            "programs": (SERVICE, client.programs(fiscal_year=fy, actor=actor)),
            "demand": (SERVICE, client.demand(fiscal_year=fy, actor=actor)),
        }
    )
    events, in_month, full_in_month = month_events(
        parts.get("sessions", []), {p.id: p for p in parts.get("programs", [])}, year, mon
    )
    demand = parts.get("demand")
    return Calendar(
        year=year,
        month=mon,
        fiscal_year=fy,
        weeks=calendar.Calendar(firstweekday=6).monthdatescalendar(year, mon),
        events=events,
        sessions_in_month=len(in_month),
        full_in_month=len(full_in_month),
        over_subscribed=demand.over_subscribed if demand else [],
        prev_month=_shift(year, mon, -1),
        next_month=_shift(year, mon, 1),
        this_month=f"{clock.today():%Y-%m}",
        unavailable=parts.unavailable,
    )


def month_events(
    sessions: list[SessionInfo], programs: dict[int, Any], year: int, mon: int
) -> tuple[dict[date, list[dict[str, Any]]], set[int], set[int]]:
    """The month's session days by date, the sessions with a day in it, and the full ones."""
    events: dict[date, list[dict[str, Any]]] = {}
    in_month: set[int] = set()
    full_in_month: set[int] = set()
    for s in sessions:
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
    return events, in_month, full_in_month


@dataclass
class Programs(Page):
    fiscal_year: int
    programs: list[Any]
    sessions_by_program: dict[int, list[SessionInfo]]
    targets: list[Any]
    metric_labels: dict[str, str]
    demand: Any
    demand_by_program: dict[int, Any]
    stats: Any
    not_reached: list[str]
    unavailable: list[str]


async def programs(ctx: ViewContext, fiscal_year: int | None) -> Programs:
    fy = _fy_param(fiscal_year)
    client, actor = ctx.clients.training, ctx.actor
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
    demand, stats = parts.get("demand"), parts.get("stats")
    return Programs(
        fiscal_year=fy,
        programs=parts.get("programs", []),
        sessions_by_program=sessions_by_program,
        targets=parts.get("targets", []),
        metric_labels=METRIC_LABELS,
        demand=demand,
        demand_by_program={d.program_id: d for d in demand.programs} if demand else {},
        stats=stats,
        not_reached=[
            _municipality_name(c) for c in (stats.municipalities_not_reached if stats else [])
        ],
        unavailable=parts.unavailable,
    )


@dataclass
class KoteiBoard(Page):  # 工程表
    fiscal_year: int
    boards: list[Any]
    programs: dict[int, Any]
    overdue: int
    late_municipalities: int
    unavailable: list[str]


async def kotei_board(ctx: ViewContext, fiscal_year: int | None) -> KoteiBoard:
    fy = _fy_param(fiscal_year)
    client, actor = ctx.clients.training, ctx.actor
    parts = await gather(
        {
            "boards": (SERVICE, client.kotei_hyo(fiscal_year=fy, actor=actor)),
            "programs": (SERVICE, client.programs(fiscal_year=fy, actor=actor)),
        }
    )
    boards = sorted(parts.get("boards", []), key=lambda k: k.municipality_code)
    return KoteiBoard(
        fiscal_year=fy,
        boards=boards,
        programs={p.id: p for p in parts.get("programs", [])},
        overdue=sum(1 for b in boards for st in b.steps if st.overdue),
        late_municipalities=sum(1 for b in boards if any(st.overdue for st in b.steps)),
        unavailable=parts.unavailable,
    )


# ---------------------------------------------------------------- the session page and its actions

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


def client_of(request: Request) -> TrainingClient:
    return request.app.state.services.training


def actor_of(request: Request) -> Any:
    return getattr(request.state, "actor", None)


@dataclass
class SessionView:
    """What the session page shows; ``session`` is None when the service could not answer."""

    session: SessionInfo | None = None
    program: Any = None
    confirmed: list[RegistrationInfo] = field(default_factory=list)
    waitlist: list[RegistrationInfo] = field(default_factory=list)
    sheet: AttendanceSheet | None = None
    unavailable: list[str] = field(default_factory=list)


async def load_session(request: Request, session_id: int) -> SessionView:
    client, actor = client_of(request), actor_of(request)

    async def read() -> tuple[SessionInfo, Any]:
        session = await client.session(session_id, actor=actor)
        parts = await gather(
            {
                "program": (SERVICE, client.program(session.program_id, actor=actor)),
                "regs": (SERVICE, client.registrations(session_id, actor=actor)),
                "sheet": (SERVICE, client.attendance(session_id, actor=actor)),
            }
        )
        return session, parts

    done = await attempt(read(), refusals=())
    if done.value is None:
        return SessionView(unavailable=[SERVICE])
    session, parts = done.value
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


def session_context(view: SessionView, **extra: Any) -> dict[str, Any]:
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


async def session_page(
    request: Request, session_id: int, *, block: str | None, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    view = await load_session(request, session_id)
    return render(
        request,
        "training/session.html",
        session_context(view, **extra),
        block=block,
        status_code=status_code,
    )


def by_id(regs: list[RegistrationInfo], ids: str) -> list[RegistrationInfo]:
    wanted = {int(x) for x in ids.split(",") if x.isdigit()}
    return [r for r in regs if r.id in wanted]


def problem_errors(exc: ServiceRejected) -> tuple[dict[str, str], str | None]:
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


async def registered(request: Request, session_id: int, reg: RegistrationInfo) -> Response:
    if not wants_fragment(request):
        url = path_for(request, "training_session", session_id=session_id)
        return RedirectResponse(f"{url}?registered={reg.id}", status_code=303)
    result = {"registered": reg}
    response = await session_page(request, session_id, block="session_people", result=result)
    response.headers["HX-Trigger"] = "people-changed"
    return response


async def registration_form(
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
        field_errors, form_error = problem_errors(done.refusal)
    elif done.message and done.message["text"]:
        form_error = done.message["text"]
    return await session_page(
        request,
        session_id,
        block="session_people",
        status_code=200 if wants_fragment(request) else done.status,
        form=values,
        form_errors=field_errors or {},
        form_error=form_error,
    )


async def cancel(request: Request, session_id: int, registration_id: int) -> Response:
    done = await attempt(client_of(request).cancel(registration_id, actor=actor_of(request)))
    if not done.ok:
        code = 200 if wants_fragment(request) else done.status
        error = done.message["text"] if done.message else ""
        return await session_page(
            request, session_id, block="session_people", status_code=code, form_error=error
        )
    name, promoted = done.value.cancelled.name, done.value.promoted
    if not wants_fragment(request):
        url = path_for(request, "training_session", session_id=session_id)
        query = urlencode({"cancelled": name, "promoted": ",".join(str(r.id) for r in promoted)})
        return RedirectResponse(f"{url}?{query}", status_code=303)
    result = {"cancelled_name": name, "promoted": promoted}
    response = await session_page(request, session_id, block="session_people", result=result)
    response.headers["HX-Trigger"] = "people-changed"
    return response


async def save_attendance(request: Request, session_id: int) -> Response:
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
        call = client_of(request).save_attendance(session_id, entries, actor=actor_of(request))
        done = await attempt(call, refusals=WRITE_REFUSALS)
        if done.ok and not wants_fragment(request):
            url = path_for(request, "training_session", session_id=session_id)
            return RedirectResponse(f"{url}?saved=1#attendance", status_code=303)
        if done.ok:
            return await session_page(
                request, session_id, block="attendance", attendance_result="出欠を保存しました。"
            )
        status = done.status
        if done.refusal is not None:
            exc = done.refusal
            errors = [str(e.get("msg")) for e in exc.problem.get("errors") or [] if e.get("msg")]
            errors = errors or [exc.detail]
        else:
            detail = done.down.detail if done.down else ""
            errors = [f"研修サービスが応答しないため、保存できませんでした ({detail})。"]
    return await session_page(
        request,
        session_id,
        block="attendance",
        status_code=200 if wants_fragment(request) else status,
        attendance_errors=errors,
    )

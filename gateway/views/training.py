"""The training pages' views: the month calendar, the programs with their targets and
demand, the 工程表 board (each gathers its calls in parallel through the training client)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from gateway.clients.training import SessionInfo
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

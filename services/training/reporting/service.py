"""Figures computed from the records: stats per fiscal year, participation per municipality,
target progress, the demand signal and survey summaries. Nothing here is stored."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import ensure_municipality_write, municipality_filter
from services.common.actor import Actor, Role
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.fiscal import fiscal_year_of
from services.common.models import check_version, get_for_update, stamp_created, stamp_updated
from services.common.registry import get_registry
from services.training.attendance.models import ATTENDED, Attendance
from services.training.attendance.service import required_days
from services.training.programs.models import Kind, Program, SessionDay, TrainingSession
from services.training.programs.service import CANCELLED, CONFIRMED, get_program, get_session_row
from services.training.registrations.models import Registration
from services.training.reporting.models import (
    Metric,
    ProgramSurveySummary,
    SessionSurveySummary,
    SurveyCreate,
    SurveyResponse,
    Target,
    TargetCreate,
    TargetProgress,
    TargetUpdate,
    YearProgress,
)
from services.training.timeutil import today

KINDS = [k.value for k in Kind]


def home_codes() -> list[str]:
    return sorted(m.code for m in get_registry().home())


@dataclass
class Facts:
    """Everything a fiscal year's figures need, read in a handful of queries."""

    programs: dict[int, Program] = field(default_factory=dict)
    sessions: list[TrainingSession] = field(default_factory=list)
    day_counts: dict[int, int] = field(default_factory=dict)
    regs: list[Registration] = field(default_factory=list)  # confirmed only
    attended: dict[int, int] = field(default_factory=dict)  # registration → days attended

    def kind_of_session(self, session_id: int) -> str:
        ts = next(s for s in self.sessions if s.id == session_id)
        return self.programs[ts.program_id].kind

    def completed(self, reg: Registration) -> bool:
        ts = self._session(reg.session_id)
        n = self.day_counts.get(reg.session_id, 0)
        need = required_days(self.programs[ts.program_id], n)
        return n > 0 and self.attended.get(reg.id, 0) >= need  # type: ignore[arg-type]

    def _session(self, session_id: int) -> TrainingSession:
        if not hasattr(self, "_by_id"):
            self._by_id = {s.id: s for s in self.sessions}
        return self._by_id[session_id]

    def held(self) -> list[TrainingSession]:
        """Sessions whose last day has come (開催済み)."""
        t = today()
        return [s for s in self.sessions if s.last_date <= t]


async def load_facts(
    session: AsyncSession,
    *,
    fiscal_years: Sequence[int],
    program_id: int | None = None,
    kind: str | None = None,
    municipality_code: str | None = None,
) -> Facts:
    query = select(Program).where(col(Program.fiscal_year).in_(list(fiscal_years)))
    if program_id is not None:
        query = query.where(Program.id == program_id)
    if kind is not None:
        query = query.where(Program.kind == kind)
    facts = Facts(programs={p.id: p for p in (await session.exec(query)).all()})  # type: ignore[misc]
    if not facts.programs:
        return facts
    facts.sessions = list(
        (
            await session.exec(
                select(TrainingSession)
                .where(col(TrainingSession.program_id).in_(list(facts.programs)))
                .order_by(TrainingSession.first_date, TrainingSession.id)
            )
        ).all()
    )
    ids = [s.id for s in facts.sessions]
    if not ids:
        return facts
    facts.day_counts = dict(
        (
            await session.exec(
                select(SessionDay.session_id, func.count())
                .where(col(SessionDay.session_id).in_(ids))
                .group_by(SessionDay.session_id)
            )
        ).all()
    )
    # Only the columns the figures need (20,000 registrations as ORM objects cost ~0.3 s),
    # and attendance counted by a join on the sessions, not an IN list of every registration.
    where = [col(Registration.session_id).in_(ids), Registration.status == CONFIRMED]
    if municipality_code is not None:
        where.append(Registration.municipality_code == municipality_code)
    rq = select(
        Registration.id,
        Registration.session_id,
        Registration.municipality_code,
        Registration.email,
    ).where(*where)
    facts.regs = list((await session.exec(rq)).all())  # type: ignore[arg-type]
    aq = (
        select(Attendance.registration_id, func.count())
        .join(Registration, Registration.id == Attendance.registration_id)
        .where(*where, col(Attendance.status).in_(ATTENDED))
        .group_by(Attendance.registration_id)
    )
    facts.attended = dict((await session.exec(aq)).all())  # type: ignore[arg-type]
    return facts


async def stats(session: AsyncSession, *, fiscal_year: int) -> dict[str, object]:
    """The fixed stats contract, plus persons (実人数) and attendances (延べ人数) by kind."""
    facts = await load_facts(session, fiscal_years=[fiscal_year])
    held: dict[str, int] = dict.fromkeys(KINDS, 0)
    completers: dict[str, int] = dict.fromkeys(KINDS, 0)
    persons: dict[str, set[str]] = {k: set() for k in KINDS}
    attendances: dict[str, int] = dict.fromkeys(KINDS, 0)
    for s in facts.held():
        held[facts.programs[s.program_id].kind] += 1
    reached: set[str] = set()
    for r in facts.regs:
        kind = facts.kind_of_session(r.session_id)
        days = facts.attended.get(r.id, 0)  # type: ignore[arg-type]
        if days:
            persons[kind].add(r.email)
            attendances[kind] += days
            reached.add(r.municipality_code)
        if facts.completed(r):
            completers[kind] += 1
    home = home_codes()
    return {
        "fiscal_year": fiscal_year,
        "sessions_held_by_kind": held,
        "completers_by_kind": completers,
        "persons_by_kind": {k: len(v) for k, v in persons.items()},
        "attendances_by_kind": attendances,
        "municipalities_reached": [c for c in home if c in reached],
        "municipalities_not_reached": [c for c in home if c not in reached],
    }


async def participation(
    session: AsyncSession, *, fiscal_year: int, municipality_code: str | None, actor: Actor
) -> dict[str, object]:
    """Per municipality in one call (no N+1 for the gateway): sessions attended by kind,
    completers, persons (実人数) and attendances (延べ人数)."""
    code = municipality_filter(actor, municipality_code)
    facts = await load_facts(
        session,
        fiscal_years=[fiscal_year],
        municipality_code=code,
    )
    codes = [] if code == "__none__" else [code] if code else home_codes()
    rows: dict[str, dict[str, object]] = {}
    sessions_by: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    persons: dict[str, set[str]] = defaultdict(set)
    attendances: dict[str, int] = defaultdict(int)
    completers: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    registered: dict[str, int] = defaultdict(int)
    for r in facts.regs:
        c = r.municipality_code
        kind = facts.kind_of_session(r.session_id)
        registered[c] += 1
        days = facts.attended.get(r.id, 0)  # type: ignore[arg-type]
        if days:
            sessions_by[c][kind].add(r.session_id)
            persons[c].add(r.email)
            attendances[c] += days
        if facts.completed(r):
            completers[c][kind] += 1
    for c in codes:
        by_kind = {k: len(v) for k, v in sessions_by[c].items()}
        rows[c] = {
            "municipality_code": c,
            "sessions_attended_by_kind": by_kind,
            "sessions_attended": sum(by_kind.values()),
            "completers_by_kind": dict(completers[c]),
            "completers": sum(completers[c].values()),
            "persons": len(persons[c]),
            "attendances": attendances[c],
            "registrations": registered[c],
            "reached": bool(persons[c]),
        }
    return {"fiscal_year": fiscal_year, "municipalities": list(rows.values())}


# ---- targets -------------------------------------------------------------------------------


async def create_target(session: AsyncSession, *, data: TargetCreate, actor: Actor) -> Target:
    if data.program_id is not None:
        await get_program(session, data.program_id)
    value = data.value if data.value is not None else len(home_codes())
    target = Target(**data.model_dump(exclude={"value"}), value=value)
    stamp_created(target, actor)
    session.add(target)
    await session.flush()
    return target


async def update_target(
    session: AsyncSession, *, target_id: int, data: TargetUpdate, actor: Actor
) -> Target:
    target = await get_for_update(session, Target, target_id)
    if target is None:
        raise NotFound(f"目標 (id={target_id}) が見つかりません")
    check_version(target, data.version, what="この目標")
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    if changes.get("fy_to", target.fy_to) < changes.get("fy_from", target.fy_from):
        msg = "fy_to は fy_from 以降の年度にしてください"
        raise Invalid(msg, errors=[{"loc": ["body", "fy_to"], "msg": msg}])
    target.sqlmodel_update(changes)
    stamp_updated(target, actor)
    await session.flush()
    return target


async def target_progress(session: AsyncSession, target: Target) -> TargetProgress:
    """Progress toward a target: per year, the remaining gap, municipalities not reached."""
    current = fiscal_year_of(today())
    years = list(range(target.fy_from, target.fy_to + 1))
    facts = await load_facts(
        session, fiscal_years=years, program_id=target.program_id, kind=target.kind
    )
    fy_of_program = {pid: p.fiscal_year for pid, p in facts.programs.items()}
    fy_of_session = {s.id: fy_of_program[s.program_id] for s in facts.sessions}
    home = home_codes()
    by_year: list[YearProgress] = []
    metric = Metric(target.metric)
    if metric == Metric.completers:
        per_year: dict[int, int] = defaultdict(int)
        for r in facts.regs:
            if facts.completed(r):
                per_year[fy_of_session[r.session_id]] += 1
        by_year = [YearProgress(fiscal_year=y, actual=per_year[y], met=None) for y in years]
        actual = sum(per_year.values())
        not_reached: list[str] = []
    else:
        per_year_sessions: dict[int, int] = defaultdict(int)
        for s in facts.held():
            per_year_sessions[fy_of_session[s.id]] += 1
        reached: dict[int, set[str]] = defaultdict(set)
        for r in facts.regs:
            if facts.attended.get(r.id, 0):  # type: ignore[arg-type]
                reached[fy_of_session[r.session_id]].add(r.municipality_code)
        for y in years:
            if metric == Metric.sessions_per_year:
                got, missing = per_year_sessions[y], None
            else:
                missing = [c for c in home if c not in reached[y]]
                got = len(home) - len(missing)
            # A past year is judged; the running year only once it has met the target.
            met: bool | None = (
                got >= target.value if y < current else (True if got >= target.value else None)
            )
            if y > current:
                met = None
            by_year.append(
                YearProgress(fiscal_year=y, actual=got, met=met, municipalities_not_reached=missing)
            )
        latest = [b for b in by_year if b.fiscal_year <= current] or by_year[:1]
        actual = latest[-1].actual
        not_reached = latest[-1].municipalities_not_reached or []
    if metric == Metric.completers:
        achieved = actual >= target.value
        remaining = max(0, target.value - actual)
    else:
        achieved = all(b.met for b in by_year)
        remaining = max(0, target.value - actual)
    return TargetProgress(
        id=target.id,  # type: ignore[arg-type]
        name=target.name,
        program_id=target.program_id,
        kind=target.kind,
        metric=metric,
        fy_from=target.fy_from,
        fy_to=target.fy_to,
        value=target.value,
        version=target.version,
        actual=actual,
        remaining=remaining,
        progress=round(actual / target.value, 4) if target.value else 0.0,
        achieved=achieved,
        by_year=by_year,
        municipalities_not_reached=not_reached,
    )


async def list_targets(session: AsyncSession, *, fiscal_year: int | None) -> list[TargetProgress]:
    query = select(Target).order_by(Target.fy_from, Target.id)
    if fiscal_year is not None:
        query = query.where(Target.fy_from <= fiscal_year, Target.fy_to >= fiscal_year)
    return [await target_progress(session, t) for t in (await session.exec(query)).all()]


async def get_target(session: AsyncSession, target_id: int) -> Target:
    target = await session.get(Target, target_id)
    if target is None:
        raise NotFound(f"目標 (id={target_id}) が見つかりません")
    return target


# ---- demand ----------------------------------------------------------------------------------

SUGGESTION_RULE = (
    "申込者数 (キャンセルを除く確定とキャンセル待ち) が定員を上回った研修は、"
    "翌年度の定員を申込者数を10人単位で切り上げた数とする (全員が受講できる規模)"
)


def suggested_capacity(applicants: int, capacity: int) -> int | None:
    if applicants <= capacity:
        return None
    return math.ceil(applicants / 10) * 10


async def demand(session: AsyncSession, *, fiscal_year: int) -> dict[str, object]:
    """Applicants vs capacity per session and program; over-subscribed programs with a
    suggested capacity for next year (the rule is in ``rule``)."""
    programs = {
        p.id: p
        for p in (await session.exec(select(Program).where(Program.fiscal_year == fiscal_year)))
    }
    sessions = list(
        (
            await session.exec(
                select(TrainingSession)
                .where(col(TrainingSession.program_id).in_(list(programs)))
                .order_by(TrainingSession.first_date, TrainingSession.id)
            )
        ).all()
    )
    counts: dict[int, int] = dict(
        (
            await session.exec(
                select(Registration.session_id, func.count())
                .where(col(Registration.session_id).in_([s.id for s in sessions]))
                .where(Registration.status != CANCELLED)
                .group_by(Registration.session_id)
            )
        ).all()
    )
    session_rows = []
    per_program: dict[int, dict[str, int]] = defaultdict(lambda: {"capacity": 0, "applicants": 0})
    for s in sessions:
        applicants = counts.get(s.id, 0)  # type: ignore[arg-type]
        session_rows.append(
            {
                "session_id": s.id,
                "program_id": s.program_id,
                "capacity": s.capacity,
                "applicants": applicants,
                "ratio": round(applicants / s.capacity, 3),
                "over_subscribed": applicants > s.capacity,
            }
        )
        per_program[s.program_id]["capacity"] += s.capacity
        per_program[s.program_id]["applicants"] += applicants
    program_rows = []
    for pid, p in programs.items():
        cap = per_program[pid]["capacity"]  # type: ignore[index]
        app = per_program[pid]["applicants"]  # type: ignore[index]
        program_rows.append(
            {
                "program_id": pid,
                "name": p.name,
                "kind": p.kind,
                "capacity": cap,
                "applicants": app,
                "ratio": round(app / cap, 3) if cap else None,
                "over_subscribed": app > cap,
                "suggested_capacity": suggested_capacity(app, cap),
            }
        )
    return {
        "fiscal_year": fiscal_year,
        "rule": SUGGESTION_RULE,
        "sessions": session_rows,
        "programs": program_rows,
        "over_subscribed": [p for p in program_rows if p["over_subscribed"]],
    }


# ---- surveys ---------------------------------------------------------------------------------


async def add_survey(
    session: AsyncSession, *, session_id: int, data: SurveyCreate, actor: Actor
) -> SurveyResponse:
    """One survey answer; municipality staff answer for their own registrations only."""
    if actor.role in (Role.viewer, Role.api_client, Role.advisor):
        raise Forbidden("アンケートを登録する権限がありません")
    await get_session_row(session, session_id)
    code = actor.municipality_code
    if data.registration_id is not None:
        reg = await session.get(Registration, data.registration_id)
        if reg is None or reg.session_id != session_id:
            msg = f"申込ID {data.registration_id} はこの開催回の申込ではありません"
            raise Invalid(msg, errors=[{"loc": ["body", "registration_id"], "msg": msg}])
        ensure_municipality_write(actor, reg.municipality_code)
        code = reg.municipality_code
        answered = (
            await session.exec(
                select(SurveyResponse.id).where(
                    SurveyResponse.registration_id == data.registration_id
                )
            )
        ).first()
        if answered is not None:
            raise Conflict(f"申込ID {data.registration_id} のアンケートは回答済みです")
    answer = SurveyResponse(
        session_id=session_id,
        registration_id=data.registration_id,
        municipality_code=code,
        satisfaction=data.satisfaction,
        comment=data.comment.strip(),
    )
    stamp_created(answer, actor)
    session.add(answer)
    await session.flush()
    return answer


def _summary(answers: Sequence[SurveyResponse]) -> dict[str, object]:
    dist = dict.fromkeys(range(1, 6), 0)
    for a in answers:
        dist[a.satisfaction] += 1
    return {
        "responses": len(answers),
        "average": round(sum(a.satisfaction for a in answers) / len(answers), 2)
        if answers
        else None,
        "distribution": dist,
        "comments": [a.comment for a in answers if a.comment],
    }


async def session_survey(session: AsyncSession, *, session_id: int) -> SessionSurveySummary:
    await get_session_row(session, session_id)
    answers = (
        await session.exec(
            select(SurveyResponse)
            .where(SurveyResponse.session_id == session_id)
            .order_by(SurveyResponse.id)
        )
    ).all()
    return SessionSurveySummary(session_id=session_id, **_summary(answers))  # type: ignore[arg-type]


async def program_survey(session: AsyncSession, *, program_id: int) -> ProgramSurveySummary:
    await get_program(session, program_id)
    sessions = (
        await session.exec(
            select(TrainingSession.id)
            .where(TrainingSession.program_id == program_id)
            .order_by(TrainingSession.first_date)
        )
    ).all()
    answers = (
        await session.exec(
            select(SurveyResponse)
            .where(col(SurveyResponse.session_id).in_(list(sessions)))
            .order_by(SurveyResponse.id)
        )
    ).all()
    per = [
        SessionSurveySummary(
            session_id=sid,  # type: ignore[arg-type]
            **_summary([a for a in answers if a.session_id == sid]),  # type: ignore[arg-type]
        )
        for sid in sessions
    ]
    return ProgramSurveySummary(program_id=program_id, sessions=per, **_summary(answers))  # type: ignore[arg-type]

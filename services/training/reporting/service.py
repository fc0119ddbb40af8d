"""Figures for reading: stats per fiscal year, participation per municipality, target progress
and the demand signal, all read from the stored read models (services/training/figures) and
the imported history (services/training/history); plus targets and survey answers.

Nothing here reads the registrations of a year: the writes keep the figures."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import ensure_municipality_write, municipality_filter
from services.common.actor import Actor, Role
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.fiscal import fiscal_year_of
from services.common.models import check_version, get_for_update, stamp_created, stamp_updated
from services.common.registry import get_registry
from services.training.figures.models import (
    KindYearFigures,
    MunicipalityKindFigures,
    MunicipalityYearFigures,
    SessionFigures,
    SessionMunicipalityFigures,
)
from services.training.history import service as history
from services.training.programs.models import Kind, Program, TrainingSession
from services.training.programs.service import get_program, get_session_row
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


def _by_kind(values: dict[str, int]) -> dict[str, int]:
    """Every kind present as a key (the stats contract)."""
    return {k: int(values.get(k, 0)) for k in KINDS}


# ---- stats -------------------------------------------------------------------------------------


async def _held_by_year_kind(
    session: AsyncSession,
    *,
    fiscal_years: Sequence[int],
    kind: str | None = None,
    program_id: int | None = None,
) -> dict[tuple[int, str], int]:
    """Sessions held (last day come, Tokyo date) per year and kind, from the session rows."""
    query = (
        select(SessionFigures.fiscal_year, SessionFigures.kind, func.count())
        .where(
            col(SessionFigures.fiscal_year).in_(list(fiscal_years)),
            SessionFigures.last_date <= today(),
        )
        .group_by(SessionFigures.fiscal_year, SessionFigures.kind)
    )
    if kind is not None:
        query = query.where(SessionFigures.kind == kind)
    if program_id is not None:
        query = query.where(SessionFigures.program_id == program_id)
    return {(fy, k): n for fy, k, n in (await session.exec(query)).all()}


async def stats_of_years(
    session: AsyncSession, *, fiscal_years: Sequence[int]
) -> list[dict[str, Any]]:
    """The stats of several fiscal years, in a fixed number of queries."""
    years = sorted(set(fiscal_years))
    held = await _held_by_year_kind(session, fiscal_years=years)
    kinds: dict[int, dict[str, Any]] = defaultdict(dict)
    for fy, kind, persons, atts, comps in (
        await session.exec(
            select(
                KindYearFigures.fiscal_year,
                KindYearFigures.kind,
                KindYearFigures.persons,
                KindYearFigures.attendances,
                KindYearFigures.completers,
            ).where(col(KindYearFigures.fiscal_year).in_(years))
        )
    ).all():
        kinds[fy][kind] = (persons, atts, comps)
    reached: dict[int, set[str]] = defaultdict(set)
    for fy, code in (
        await session.exec(
            select(MunicipalityYearFigures.fiscal_year, MunicipalityYearFigures.municipality_code)
            .where(col(MunicipalityYearFigures.fiscal_year).in_(years))
            .where(MunicipalityYearFigures.persons > 0)
        )
    ).all():
        reached[fy].add(code)
    past = await history.years(session, years)
    home = home_codes()
    out = []
    for fy in years:
        h = past[fy]
        rec = {
            "sessions_held_by_kind": _by_kind({k: n for (y, k), n in held.items() if y == fy}),
            "completers_by_kind": _by_kind({k: v[2] for k, v in kinds[fy].items()}),
            "persons_by_kind": _by_kind({k: v[0] for k, v in kinds[fy].items()}),
            "municipalities_reached": [c for c in home if c in reached[fy]],
        }
        hist_reached = h.reached()
        old = {
            "sessions_held_by_kind": _by_kind(
                {k: v.get("sessions", 0) for k, v in h.prefecture.items()}
            ),
            "completers_by_kind": _by_kind(
                {k: v.get("completers", 0) for k, v in h.prefecture.items()}
            ),
            "persons_by_kind": _by_kind(
                {k: v.get("participants", 0) for k, v in h.prefecture.items()}
            ),
            "municipalities_reached": [c for c in home if c in hist_reached],
        }
        both = reached[fy] | hist_reached
        out.append(
            {
                "fiscal_year": fy,
                **{
                    name: {k: rec[name][k] + old[name][k] for k in KINDS}
                    for name in ("sessions_held_by_kind", "completers_by_kind", "persons_by_kind")
                },
                "attendances_by_kind": _by_kind({k: v[1] for k, v in kinds[fy].items()}),
                "municipalities_reached": [c for c in home if c in both],
                "municipalities_not_reached": [c for c in home if c not in both],
                "from_records": rec,
                "from_history": old,
                "history_sources": [{"fiscal_year": fy, **s} for s in h.sources],
            }
        )
    return out


async def stats(session: AsyncSession, *, fiscal_year: int) -> dict[str, Any]:
    """The fixed stats contract (every kind a key), plus persons (実人数) and attendances
    (延べ人数) by kind; imported history is added and shown apart (from_records/from_history)."""
    return (await stats_of_years(session, fiscal_years=[fiscal_year]))[0]


# ---- participation -----------------------------------------------------------------------------


async def participation(
    session: AsyncSession, *, fiscal_year: int, municipality_code: str | None, actor: Actor
) -> dict[str, object]:
    """Per municipality in one call (no N+1 for the gateway): sessions attended by kind,
    completers, persons (実人数) and attendances (延べ人数); history where it names the
    municipality is added and shown apart."""
    code = municipality_filter(actor, municipality_code)
    codes = [] if code == "__none__" else [code] if code else home_codes()
    # Columns, not ORM objects: up to 62 × (1 + kinds) rows per call.
    Y, K = MunicipalityYearFigures, MunicipalityKindFigures
    year_q = select(
        Y.municipality_code,
        Y.registrations,
        Y.persons,
        Y.attendances,
        Y.completers,
        Y.sessions_attended,
    ).where(Y.fiscal_year == fiscal_year)
    kind_q = select(K.municipality_code, K.kind, K.completers, K.sessions_attended).where(
        K.fiscal_year == fiscal_year
    )
    if code is not None:
        year_q = year_q.where(Y.municipality_code == code)
        kind_q = kind_q.where(K.municipality_code == code)
    years = {r[0]: r for r in (await session.exec(year_q)).all()}
    by_kind: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for c, kind, comps, attended in (await session.exec(kind_q)).all():
        by_kind[c].append((kind, comps, attended))
    past = (await history.years(session, [fiscal_year]))[fiscal_year]
    rows = []
    for c in codes:
        _, regs, people, atts, comps, attended = years.get(c) or (c, 0, 0, 0, 0, 0)
        ks = sorted(by_kind.get(c, []), key=lambda r: KINDS.index(r[0]) if r[0] in KINDS else 99)
        old = past.municipalities.get(c, {})
        completers_by_kind = {k: n for k, n, _ in ks if n}
        for kind, v in old.items():
            if v.get("completers"):
                completers_by_kind[kind] = completers_by_kind.get(kind, 0) + v["completers"]
        old_completers = sum(v.get("completers", 0) for v in old.values())
        old_participants = sum(v.get("participants", 0) for v in old.values())
        old_sessions = sum(v.get("sessions", 0) for v in old.values())
        persons = people + old_participants
        rows.append(
            {
                "municipality_code": c,
                "sessions_attended_by_kind": {k: n for k, _, n in ks if n},
                "sessions_attended": attended,
                "completers_by_kind": completers_by_kind,
                "completers": comps + old_completers,
                "persons": persons,
                "attendances": atts,
                "registrations": regs,
                "reached": persons > 0 or old_completers > 0,
                "from_history": {
                    "participants": old_participants,
                    "completers": old_completers,
                    "sessions": old_sessions,
                }
                if old
                else None,
            }
        )
    return {"fiscal_year": fiscal_year, "municipalities": rows}


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


async def _completers_by_year(
    session: AsyncSession, target: Target, years: list[int]
) -> dict[int, int]:
    if target.program_id is not None:
        query = (
            select(SessionFigures.fiscal_year, func.sum(SessionFigures.completers))
            .where(SessionFigures.program_id == target.program_id)
            .group_by(SessionFigures.fiscal_year)
        )
    else:
        query = (
            select(KindYearFigures.fiscal_year, func.sum(KindYearFigures.completers))
            .where(col(KindYearFigures.fiscal_year).in_(years))
            .group_by(KindYearFigures.fiscal_year)
        )
        if target.kind is not None:
            query = query.where(KindYearFigures.kind == target.kind)
    return {fy: int(n or 0) for fy, n in (await session.exec(query)).all()}


async def _reached_by_year(
    session: AsyncSession, target: Target, years: list[int]
) -> dict[int, set[str]]:
    if target.program_id is not None:
        query = (
            select(
                SessionMunicipalityFigures.fiscal_year, SessionMunicipalityFigures.municipality_code
            )
            .where(
                SessionMunicipalityFigures.program_id == target.program_id,
                SessionMunicipalityFigures.persons > 0,
            )
            .distinct()
        )
    elif target.kind is not None:
        query = select(
            MunicipalityKindFigures.fiscal_year, MunicipalityKindFigures.municipality_code
        ).where(
            col(MunicipalityKindFigures.fiscal_year).in_(years),
            MunicipalityKindFigures.kind == target.kind,
            MunicipalityKindFigures.persons > 0,
        )
    else:
        query = select(
            MunicipalityYearFigures.fiscal_year, MunicipalityYearFigures.municipality_code
        ).where(
            col(MunicipalityYearFigures.fiscal_year).in_(years),
            MunicipalityYearFigures.persons > 0,
        )
    out: dict[int, set[str]] = defaultdict(set)
    for fy, code in (await session.exec(query)).all():
        out[fy].add(code)
    return out


async def target_progress(session: AsyncSession, target: Target) -> TargetProgress:
    """Progress toward a target: per year (records and history apart), the remaining gap,
    municipalities not reached. History is by kind: a target of one program counts records
    only."""
    current = fiscal_year_of(today())
    years = list(range(target.fy_from, target.fy_to + 1))
    past = (
        await history.years(session, years, kind=target.kind)
        if target.program_id is None
        else {y: history.YearHistory(y) for y in years}
    )
    home = home_codes()
    by_year: list[YearProgress] = []
    metric = Metric(target.metric)
    if metric == Metric.completers:
        rec = await _completers_by_year(session, target, years)
        for y in years:
            old = past[y].total("completers", target.kind)
            by_year.append(
                YearProgress(
                    fiscal_year=y,
                    actual=rec.get(y, 0) + old,
                    from_records=rec.get(y, 0),
                    from_history=old,
                    met=None,
                )
            )
        actual = sum(b.actual for b in by_year)
        not_reached: list[str] = []
    else:
        if metric == Metric.sessions_per_year:
            held = await _held_by_year_kind(
                session, fiscal_years=years, kind=target.kind, program_id=target.program_id
            )
        else:
            reached = await _reached_by_year(session, target, years)
        for y in years:
            if metric == Metric.sessions_per_year:
                got_rec = sum(n for (fy, _), n in held.items() if fy == y)
                got_old = past[y].total("sessions", target.kind)
                got, missing = got_rec + got_old, None
            else:
                rec_set = {c for c in reached.get(y, set()) if c in home}
                old_set = {c for c in past[y].reached(target.kind) if c in home} - rec_set
                missing = [c for c in home if c not in rec_set and c not in old_set]
                got_rec, got_old = len(rec_set), len(old_set)
                got = got_rec + got_old
            # A past year is judged; the running year only once it has met the target.
            met: bool | None = (
                got >= target.value if y < current else (True if got >= target.value else None)
            )
            if y > current:
                met = None
            by_year.append(
                YearProgress(
                    fiscal_year=y,
                    actual=got,
                    from_records=got_rec,
                    from_history=got_old,
                    met=met,
                    municipalities_not_reached=missing,
                )
            )
        latest = [b for b in by_year if b.fiscal_year <= current] or by_year[:1]
        actual = latest[-1].actual
        not_reached = latest[-1].municipalities_not_reached or []
    if metric == Metric.completers:
        achieved = actual >= target.value
        from_records = sum(b.from_records for b in by_year)
        from_history = sum(b.from_history for b in by_year)
    else:
        achieved = all(b.met for b in by_year)
        latest_year = ([b for b in by_year if b.fiscal_year <= current] or by_year[:1])[-1]
        from_records, from_history = latest_year.from_records, latest_year.from_history
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
        actual_from_records=from_records,
        actual_from_history=from_history,
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
    figures = (
        await session.exec(
            select(
                SessionFigures.session_id,
                SessionFigures.program_id,
                SessionFigures.capacity,
                SessionFigures.confirmed + SessionFigures.waitlisted,
            )
            .where(SessionFigures.fiscal_year == fiscal_year)
            .order_by(SessionFigures.first_date, SessionFigures.session_id)
        )
    ).all()
    session_rows = []
    per_program: dict[int, dict[str, int]] = defaultdict(lambda: {"capacity": 0, "applicants": 0})
    for sid, pid, capacity, applicants in figures:
        session_rows.append(
            {
                "session_id": sid,
                "program_id": pid,
                "capacity": capacity,
                "applicants": applicants,
                "ratio": round(applicants / capacity, 3),
                "over_subscribed": applicants > capacity,
            }
        )
        per_program[pid]["capacity"] += capacity
        per_program[pid]["applicants"] += applicants
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

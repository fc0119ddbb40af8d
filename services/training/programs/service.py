"""Programs and sessions: create, change (with versions), and the holiday/weekend warning."""

from __future__ import annotations

from collections.abc import Sequence

import jpholiday
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Invalid, NotFound
from services.common.fiscal import fiscal_year_of, format_date_ja, format_fy_full
from services.common.models import check_version, get_for_update, stamp_created, stamp_updated
from services.training.figures.service import keep
from services.training.programs.models import (
    DayIn,
    DayPublic,
    Program,
    ProgramCreate,
    ProgramUpdate,
    SessionCreate,
    SessionDay,
    SessionPublic,
    SessionUpdate,
    TrainingSession,
    check_completion_rule,
)
from services.training.timeutil import aware, from_db

CONFIRMED = "confirmed"
WAITLISTED = "waitlisted"
CANCELLED = "cancelled"


def day_warnings(days: Sequence[DayIn], fiscal_year: int | None = None) -> list[str]:
    """Days on a public holiday or a weekend, or outside the program's fiscal year: allowed,
    but said so (祝日・土日の開催)."""
    warnings: list[str] = []
    for d in sorted(days, key=lambda d: d.date):
        holiday = jpholiday.is_holiday_name(d.date)
        if holiday:
            warnings.append(
                f"{format_date_ja(d.date)}は祝日({holiday})です。開催日を確認してください"
            )
        elif d.date.weekday() >= 5:
            weekday = "土曜日" if d.date.weekday() == 5 else "日曜日"
            warnings.append(f"{format_date_ja(d.date)}は{weekday}です。開催日を確認してください")
        if fiscal_year is not None and fiscal_year_of(d.date) != fiscal_year:
            warnings.append(
                f"{format_date_ja(d.date)}は研修の年度 ({format_fy_full(fiscal_year)}) の外です"
            )
    return warnings


async def create_program(session: AsyncSession, *, data: ProgramCreate, actor: Actor) -> Program:
    """A new program."""
    program = Program.model_validate(data.model_dump())
    stamp_created(program, actor)
    session.add(program)
    await session.flush()
    return program


async def list_programs(
    session: AsyncSession, *, fiscal_year: int | None, kind: str | None
) -> list[Program]:
    query = select(Program).order_by(Program.fiscal_year, Program.id)
    if fiscal_year is not None:
        query = query.where(Program.fiscal_year == fiscal_year)
    if kind is not None:
        query = query.where(Program.kind == kind)
    return list((await session.exec(query)).all())


async def get_program(session: AsyncSession, program_id: int) -> Program:
    program = await session.get(Program, program_id)
    if program is None:
        raise NotFound(f"研修 (id={program_id}) が見つかりません")
    return program


async def update_program(
    session: AsyncSession, *, program_id: int, data: ProgramUpdate, actor: Actor
) -> Program:
    """Change a program; a stale version is refused (409)."""
    program = await get_for_update(session, Program, program_id)
    if program is None:
        raise NotFound(f"研修 (id={program_id}) が見つかりません")
    check_version(program, data.version, what="この研修")
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    rule = changes.get("completion_rule", program.completion_rule)
    n = changes.get("completion_min_days", program.completion_min_days)
    try:
        check_completion_rule(rule, n)
    except ValueError as exc:
        raise Invalid(
            str(exc), errors=[{"loc": ["body", "completion_min_days"], "msg": str(exc)}]
        ) from exc
    program.sqlmodel_update(changes)
    stamp_updated(program, actor)
    await session.flush()
    # Its year, kind or completion rule may have changed: every figure of its sessions.
    ids = (
        await session.exec(
            select(TrainingSession.id).where(TrainingSession.program_id == program.id)
        )
    ).all()
    await keep(session, sessions=ids, codes=None)  # type: ignore[arg-type]
    return program


def _check_window(opens, closes) -> None:  # type: ignore[no-untyped-def]
    if opens and closes and aware(closes) <= aware(opens):
        msg = "申込締切は申込開始より後にしてください"
        raise Invalid(msg, errors=[{"loc": ["body", "registration_closes"], "msg": msg}])


def _check_days(days: Sequence[DayIn]) -> None:
    dates = [d.date for d in days]
    if len(set(dates)) != len(dates):
        msg = "同じ日付が2回以上指定されています"
        raise Invalid(msg, errors=[{"loc": ["body", "days"], "msg": msg}])


async def _replace_days(session: AsyncSession, ts: TrainingSession, days: Sequence[DayIn]) -> None:
    old = (await session.exec(select(SessionDay).where(SessionDay.session_id == ts.id))).all()
    ordered = sorted(days, key=lambda d: (d.date, d.start))
    by_no = {d.day_no: d for d in old}
    # Keep day rows (attendance refers to them) and change their dates; drop extra days.
    for i, d in enumerate(ordered, start=1):
        row = by_no.pop(i, None) or SessionDay(
            session_id=ts.id, day_no=i, date=d.date, start=d.start, end=d.end
        )
        row.date, row.start, row.end = d.date, d.start, d.end
        session.add(row)
    if by_no:
        from services.training.attendance.models import Attendance

        recorded = (
            await session.exec(
                select(Attendance.id).where(
                    col(Attendance.day_id).in_([r.id for r in by_no.values()])
                )
            )
        ).first()
        if recorded is not None:
            msg = "出欠が記録された日があるため、日数を減らせません。日付の変更だけにしてください"
            raise Invalid(msg, errors=[{"loc": ["body", "days"], "msg": msg}])
    for row in by_no.values():
        await session.delete(row)
    ts.first_date = ordered[0].date
    ts.last_date = ordered[-1].date


async def create_session(
    session: AsyncSession, *, data: SessionCreate, actor: Actor
) -> tuple[TrainingSession, list[str]]:
    """A new session with its days; the warnings name days on holidays and weekends."""
    program = await get_program(session, data.program_id)
    _check_days(data.days)
    _check_window(data.registration_opens, data.registration_closes)
    fields = data.model_dump(exclude={"days"})
    fields["registration_opens"] = aware(data.registration_opens)
    fields["registration_closes"] = aware(data.registration_closes)
    ordered = sorted(data.days, key=lambda d: d.date)
    ts = TrainingSession(**fields, first_date=ordered[0].date, last_date=ordered[-1].date)
    stamp_created(ts, actor)
    session.add(ts)
    await session.flush()
    await _replace_days(session, ts, data.days)
    await session.flush()
    await keep(session, sessions=[ts.id], codes=())  # type: ignore[list-item]
    return ts, day_warnings(data.days, program.fiscal_year)


async def get_session_row(session: AsyncSession, session_id: int) -> TrainingSession:
    ts = await session.get(TrainingSession, session_id)
    if ts is None:
        raise NotFound(f"開催回 (id={session_id}) が見つかりません")
    return ts


async def update_session(
    session: AsyncSession, *, session_id: int, data: SessionUpdate, actor: Actor
) -> tuple[TrainingSession, list[str]]:
    """Change a session (move its days, capacity…); a stale version is refused (409)."""
    ts = await get_for_update(session, TrainingSession, session_id)
    if ts is None:
        raise NotFound(f"開催回 (id={session_id}) が見つかりません")
    check_version(ts, data.version, what="この開催回")
    changes = data.model_dump(exclude_unset=True, exclude={"version", "days"})
    for key in ("registration_opens", "registration_closes"):
        if key in changes:
            changes[key] = aware(changes[key])
    _check_window(
        changes.get("registration_opens", ts.registration_opens),
        changes.get("registration_closes", ts.registration_closes),
    )
    warnings: list[str] = []
    if data.days is not None:
        _check_days(data.days)
        await _replace_days(session, ts, data.days)
        warnings = day_warnings(data.days, (await get_program(session, ts.program_id)).fiscal_year)
    ts.sqlmodel_update(changes)
    stamp_updated(ts, actor)
    await session.flush()
    promoted = []
    if "capacity" in changes or "municipality_quota" in changes:
        # More seats (or a larger quota) let waiting people in at once.
        from services.training.registrations.service import promote_waitlisted

        promoted = await promote_waitlisted(session, ts, actor=actor)
    if data.days is not None:
        # The days needed to complete may have changed: every municipality of the session.
        await keep(session, sessions=[ts.id], codes=None)  # type: ignore[list-item]
    else:
        await keep(
            session,
            sessions=[ts.id],  # type: ignore[list-item]
            codes={r.municipality_code for r in promoted},
            persons=False,
        )
    return ts, warnings


async def days_of(session: AsyncSession, session_ids: Sequence[int]) -> dict[int, list[SessionDay]]:
    out: dict[int, list[SessionDay]] = {i: [] for i in session_ids}
    if not session_ids:
        return out
    rows = await session.exec(
        select(SessionDay)
        .where(col(SessionDay.session_id).in_(session_ids))
        .order_by(SessionDay.day_no)
    )
    for d in rows.all():
        out[d.session_id].append(d)
    return out


async def counts_of(session: AsyncSession, session_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Confirmed and waitlisted per session, from the stored session figures."""
    from services.training.figures.models import SessionFigures

    out: dict[int, dict[str, int]] = {i: {CONFIRMED: 0, WAITLISTED: 0} for i in session_ids}
    if not session_ids:
        return out
    rows = await session.exec(
        select(
            SessionFigures.session_id, SessionFigures.confirmed, SessionFigures.waitlisted
        ).where(col(SessionFigures.session_id).in_(session_ids))
    )
    for sid, confirmed, waitlisted in rows.all():
        out[sid] = {CONFIRMED: confirmed, WAITLISTED: waitlisted}
    return out


async def to_public(
    session: AsyncSession, sessions: Sequence[TrainingSession], warnings: list[str] | None = None
) -> list[SessionPublic]:
    ids = [s.id for s in sessions if s.id is not None]
    days = await days_of(session, ids)
    counts = await counts_of(session, ids)
    return [
        SessionPublic(
            id=s.id,  # type: ignore[arg-type]
            program_id=s.program_id,
            title=s.title,
            format=s.format,  # type: ignore[arg-type]
            venue=s.venue,
            meeting_url=s.meeting_url,
            recording_url=s.recording_url,
            capacity=s.capacity,
            confirmed=counts[s.id][CONFIRMED],  # type: ignore[index]
            waitlisted=counts[s.id][WAITLISTED],  # type: ignore[index]
            registration_opens=from_db(s.registration_opens),
            registration_closes=from_db(s.registration_closes),
            municipality_quota=s.municipality_quota,
            days=[
                DayPublic(day_no=d.day_no, date=d.date, start=d.start, end=d.end)
                for d in days[s.id]
            ],  # type: ignore[index]
            version=s.version,
            warnings=warnings or [],
        )
        for s in sessions
    ]


async def list_sessions(
    session: AsyncSession, *, program_id: int | None, fiscal_year: int | None, kind: str | None
) -> list[TrainingSession]:
    query = select(TrainingSession).join(Program, Program.id == TrainingSession.program_id)
    if program_id is not None:
        query = query.where(TrainingSession.program_id == program_id)
    if fiscal_year is not None:
        query = query.where(Program.fiscal_year == fiscal_year)
    if kind is not None:
        query = query.where(Program.kind == kind)
    query = query.order_by(TrainingSession.first_date, TrainingSession.id)
    return list((await session.exec(query)).all())

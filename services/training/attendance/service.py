"""Recording attendance (one by one or from a CSV, all-or-nothing) and computing completion."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import municipality_filter
from services.common.actor import Actor
from services.common.errors import Invalid, NotFound
from services.common.inputs import csv_rows
from services.common.models import get_for_update, stamp_created, stamp_updated
from services.training.attendance.models import (
    ALIASES,
    ATTENDED,
    Attendance,
    AttendanceEntry,
    AttendanceRow,
    Mark,
    SessionAttendance,
)
from services.training.figures.service import keep, need_days
from services.training.programs.models import Program, SessionDay, TrainingSession
from services.training.programs.service import CONFIRMED, get_program, get_session_row
from services.training.registrations.models import Registration


def required_days(program: Program, n_days: int) -> int:
    """Days a person must attend to complete: all of them, or N of M (never more than M)."""
    return need_days(program.completion_rule, program.completion_min_days, n_days)


async def _lock_session(session: AsyncSession, session_id: int) -> TrainingSession:
    """The session row, locked like a registration locks it: marks and the read models of the
    session are written by one request at a time."""
    ts = await get_for_update(session, TrainingSession, session_id)
    if ts is None:
        raise NotFound(f"開催回 (id={session_id}) が見つかりません")
    return ts


def decode_csv(raw: bytes) -> str:
    """UTF-8 (with or without BOM) first, then cp932 (Shift_JIS) as Excel writes it."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid("CSVの文字コードを読めません。UTF-8 または Shift_JIS (cp932) で保存してください")


@dataclass
class _Parsed:
    registration_id: int
    day_id: int
    status: Mark


async def record(
    session: AsyncSession, *, session_id: int, entries: Sequence[AttendanceEntry], actor: Actor
) -> None:
    """Record marks given as JSON; all-or-nothing, every bad entry listed."""
    ts = await _lock_session(session, session_id)
    regs, days = await _context(session, ts)
    errors: list[dict[str, object]] = []
    parsed: list[_Parsed] = []
    for i, e in enumerate(entries):
        reg = regs.get(e.registration_id)
        day = days.get(e.day_no)
        if reg is None:
            errors.append(
                {
                    "loc": ["body", "entries", i, "registration_id"],
                    "msg": f"申込ID {e.registration_id} はこの開催回の確定した申込ではありません",
                }
            )
        if day is None:
            errors.append(
                {
                    "loc": ["body", "entries", i, "day_no"],
                    "msg": f"{e.day_no}日目はありません (この開催回は{len(days)}日間です)",
                }
            )
        if reg is not None and day is not None:
            parsed.append(_Parsed(reg.id, day.id, e.status))  # type: ignore[arg-type]
    if errors:
        raise Invalid(f"出欠 {len(errors)}件に誤りがあります。何も登録していません", errors=errors)
    await _apply(session, ts, parsed, actor, regs)


async def import_csv(session: AsyncSession, *, session_id: int, raw: bytes, actor: Actor) -> int:
    """Record marks from a CSV: 申込ID or メールアドレス, 日目 (or 日付), 出欠.

    All-or-nothing: a single bad line and nothing is written; every bad line is listed."""
    ts = await _lock_session(session, session_id)
    regs, days = await _context(session, ts)
    by_email = {r.email: r for r in regs.values()}
    by_date = {d.date.isoformat(): d for d in days.values()}
    text = decode_csv(raw)
    csv_rows(text)  # the input policy (row and column named), and a malformed file a 422
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    id_col = next((h for h in header if h in ("申込ID", "registration_id")), None)
    email_col = next((h for h in header if h in ("メールアドレス", "email")), None)
    day_col = next((h for h in header if h in ("日目", "day_no")), None)
    date_col = next((h for h in header if h in ("日付", "date")), None)
    status_col = next((h for h in header if h in ("出欠", "status")), None)
    missing = []
    if not (id_col or email_col):
        missing.append("申込ID または メールアドレス")
    if not (day_col or date_col):
        missing.append("日目 または 日付")
    if not status_col:
        missing.append("出欠")
    if missing:
        msg = f"CSVの1行目に列 {'、'.join(missing)} がありません"
        raise Invalid(msg, errors=[{"loc": ["file", "line 1"], "msg": msg}])
    errors: list[dict[str, object]] = []
    parsed: list[_Parsed] = []
    seen: dict[tuple[int, int], int] = {}
    for line_no, row in enumerate(reader, start=2):
        if not any((v or "").strip() for v in row.values()):
            continue
        problems: list[str] = []
        reg = None
        if id_col and (row.get(id_col) or "").strip():
            value = row[id_col].strip()
            reg = regs.get(int(value)) if value.isdigit() else None
            if reg is None:
                problems.append(f"申込ID {value} はこの開催回の確定した申込ではありません")
        elif email_col and (row.get(email_col) or "").strip():
            value = row[email_col].strip().lower()
            reg = by_email.get(value)
            if reg is None:
                problems.append(f"メールアドレス {value} の確定した申込はこの開催回にありません")
        else:
            problems.append("申込ID か メールアドレス を入れてください")
        day = None
        if day_col and (row.get(day_col) or "").strip():
            value = row[day_col].strip().removesuffix("日目")
            day = days.get(int(value)) if value.isdigit() else None
            if day is None:
                problems.append(f"日目 {value} はありません (この開催回は{len(days)}日間です)")
        elif date_col and (row.get(date_col) or "").strip():
            value = row[date_col].strip().replace("/", "-")
            parts = value.split("-")
            if len(parts) == 3 and all(p.isdigit() for p in parts):
                value = f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}"
            day = by_date.get(value)
            if day is None:
                problems.append(f"日付 {row[date_col].strip()} はこの開催回の日程にありません")
        else:
            problems.append("日目 か 日付 を入れてください")
        mark_text = (row.get(status_col) or "").strip()  # type: ignore[arg-type]
        mark = ALIASES.get(mark_text)
        if mark is None:
            problems.append(
                f"出欠「{mark_text}」は 出席・欠席・オンデマンド視聴 のどれかにしてください"
            )
        if reg is not None and day is not None:
            key = (reg.id, day.id)  # type: ignore[assignment]
            if key in seen:
                problems.append(f"{seen[key]}行目と同じ人・同じ日です")
            seen[key] = line_no  # type: ignore[index]
        if problems:
            errors.extend({"loc": ["file", f"line {line_no}"], "msg": p} for p in problems)
        elif reg is not None and day is not None and mark is not None:
            parsed.append(_Parsed(reg.id, day.id, mark))  # type: ignore[arg-type]
    if errors:
        lines = sorted({e["loc"][1] for e in errors})  # type: ignore[index]
        raise Invalid(
            f"CSVの{len(lines)}行に誤りがあります。何も登録していません: {', '.join(lines[:10])}",
            errors=errors,
        )
    if not parsed:
        raise Invalid("CSVに出欠の行がありません")
    await _apply(session, ts, parsed, actor, regs)
    return len(parsed)


async def _context(
    session: AsyncSession, ts: TrainingSession
) -> tuple[dict[int, Registration], dict[int, SessionDay]]:
    regs = (
        await session.exec(
            select(Registration).where(
                Registration.session_id == ts.id, Registration.status == CONFIRMED
            )
        )
    ).all()
    days = (await session.exec(select(SessionDay).where(SessionDay.session_id == ts.id))).all()
    return {r.id: r for r in regs}, {d.day_no: d for d in days}  # type: ignore[misc]


async def _apply(
    session: AsyncSession,
    ts: TrainingSession,
    parsed: Sequence[_Parsed],
    actor: Actor,
    regs: dict[int, Registration],
) -> None:
    reg_ids = sorted({p.registration_id for p in parsed})
    existing = {
        (a.registration_id, a.day_id): a
        for a in (
            await session.exec(
                select(Attendance).where(col(Attendance.registration_id).in_(reg_ids))
            )
        ).all()
    }
    for p in parsed:
        row = existing.get((p.registration_id, p.day_id))
        if row is None:
            row = Attendance(registration_id=p.registration_id, day_id=p.day_id, status=p.status)
            stamp_created(row, actor)
            existing[(p.registration_id, p.day_id)] = row
        else:
            row.status = p.status
            stamp_updated(row, actor)
        session.add(row)
    await session.flush()
    await keep(
        session,
        sessions=[ts.id],  # type: ignore[list-item]
        codes={regs[i].municipality_code for i in reg_ids},
    )


async def session_attendance(
    session: AsyncSession, *, session_id: int, actor: Actor
) -> SessionAttendance:
    """Marks per person and day, with completion, 実人数 and 延べ人数 kept apart."""
    ts = await get_session_row(session, session_id)
    program = await get_program(session, ts.program_id)
    days = (
        await session.exec(
            select(SessionDay).where(SessionDay.session_id == ts.id).order_by(SessionDay.day_no)
        )
    ).all()
    query = select(Registration).where(
        Registration.session_id == ts.id, Registration.status == CONFIRMED
    )
    code = municipality_filter(actor, None)
    if code is not None:
        query = query.where(Registration.municipality_code == code)
    regs = (await session.exec(query.order_by(Registration.seq))).all()
    marks = (
        await session.exec(
            select(Attendance).where(col(Attendance.registration_id).in_([r.id for r in regs]))
        )
    ).all()
    day_no = {d.id: d.day_no for d in days}
    by_reg: dict[int, dict[int, Mark | None]] = {
        r.id: dict.fromkeys(day_no.values())
        for r in regs  # type: ignore[misc]
    }
    for m in marks:
        by_reg[m.registration_id][day_no[m.day_id]] = Mark(m.status)
    need = required_days(program, len(days))
    rows = []
    for r in regs:
        attended = sum(1 for v in by_reg[r.id].values() if v in ATTENDED)  # type: ignore[index]
        rows.append(
            AttendanceRow(
                registration_id=r.id,  # type: ignore[arg-type]
                name=r.name,
                municipality_code=r.municipality_code,
                role=r.role,
                marks=by_reg[r.id],  # type: ignore[index]
                attended_days=attended,
                completed=attended >= need > 0,
            )
        )
    return SessionAttendance(
        session_id=ts.id,  # type: ignore[arg-type]
        program_id=ts.program_id,
        days=len(days),
        required_days=need,
        rows=rows,
        persons=sum(1 for r in rows if r.attended_days > 0),
        attendances=sum(r.attended_days for r in rows),
        completers=sum(1 for r in rows if r.completed),
    )


async def attended_days_by_registration(
    session: AsyncSession, registration_ids: Sequence[int]
) -> dict[int, int]:
    """How many days each registration attended (present or on-demand)."""
    if not registration_ids:
        return {}
    rows = await session.exec(
        select(Attendance.registration_id, func.count())
        .where(col(Attendance.registration_id).in_(registration_ids))
        .where(col(Attendance.status).in_(ATTENDED))
        .group_by(Attendance.registration_id)
    )
    return dict(rows.all())  # type: ignore[arg-type]

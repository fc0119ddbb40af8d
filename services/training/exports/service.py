"""Exports: iCalendar (one event per day, TZID Asia/Tokyo), participant and attendance lists
as CSV (UTF-8 with BOM for Excel, or cp932) and XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from icalendar import Calendar, Event
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Invalid
from services.common.exports import export_row, export_rows, export_text
from services.common.fiscal import format_date_ja
from services.common.registry import get_registry
from services.training.attendance.models import LABELS, Mark
from services.training.attendance.service import session_attendance
from services.training.programs.models import Program, SessionDay, TrainingSession
from services.training.programs.service import get_program, get_session_row
from services.training.registrations.service import list_registrations, to_public
from services.training.timeutil import TOKYO, now

STATUS_LABELS = {"confirmed": "確定", "waitlisted": "キャンセル待ち", "cancelled": "取消"}


def _events(
    cal: Calendar, program: Program, ts: TrainingSession, days: Sequence[SessionDay]
) -> None:
    for d in days:
        ev = Event()
        ev.add("uid", f"banso-training-{ts.id}-{d.day_no}@banso")
        title = export_text(ts.title or program.name)
        ev.add("summary", f"{title} ({d.day_no}/{len(days)}日目)" if len(days) > 1 else title)
        ev.add("dtstart", datetime.combine(d.date, d.start, tzinfo=TOKYO))
        ev.add("dtend", datetime.combine(d.date, d.end, tzinfo=TOKYO))
        ev.add("dtstamp", now())
        where = ts.venue if ts.format != "オンライン" else "オンライン"
        if where:
            ev.add("location", export_text(where))
        lines = [f"研修: {program.name} ({program.kind})", f"形式: {ts.format}"]
        if ts.meeting_url:
            lines.append(f"参加URL: {ts.meeting_url}")
            ev.add("url", export_text(ts.meeting_url))
        if ts.recording_url:
            lines.append(f"録画 (オンデマンド視聴): {ts.recording_url}")
        ev.add("description", export_text("\n".join(lines)))
        cal.add_component(ev)


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Bansō//研修//JA")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", export_text(name))
    cal.add("x-wr-timezone", "Asia/Tokyo")
    return cal


async def session_ics(session: AsyncSession, *, session_id: int) -> bytes:
    ts = await get_session_row(session, session_id)
    program = await get_program(session, ts.program_id)
    days = (
        await session.exec(
            select(SessionDay).where(SessionDay.session_id == ts.id).order_by(SessionDay.day_no)
        )
    ).all()
    cal = _calendar(ts.title or program.name)
    _events(cal, program, ts, days)
    cal.add_missing_timezones()
    return cal.to_ical()


async def program_ics(session: AsyncSession, *, program_id: int) -> bytes:
    program = await get_program(session, program_id)
    cal = _calendar(program.name)
    sessions = (
        await session.exec(
            select(TrainingSession)
            .where(TrainingSession.program_id == program_id)
            .order_by(TrainingSession.first_date)
        )
    ).all()
    for ts in sessions:
        days = (
            await session.exec(
                select(SessionDay).where(SessionDay.session_id == ts.id).order_by(SessionDay.day_no)
            )
        ).all()
        _events(cal, program, ts, days)
    cal.add_missing_timezones()
    return cal.to_ical()


def _name(code: str) -> str:
    m = get_registry().get(code)
    return m.name if m else ""


async def participant_table(
    session: AsyncSession, *, session_id: int, actor: Actor
) -> tuple[list[str], list[list[object]]]:
    await get_session_row(session, session_id)
    regs = await to_public(
        session, await list_registrations(session, actor=actor, session_id=session_id), actor
    )
    header = [
        "申込ID",
        "氏名",
        "区市町村コード",
        "区市町村",
        "職種・役割",
        "メールアドレス",
        "状態",
        "キャンセル待ち順位",
        "申込日時",
    ]
    rows = [
        [
            r.id,
            r.name,
            r.municipality_code,
            _name(r.municipality_code),
            r.role,
            r.email or "",  # left out for readers without sees_contact_details
            STATUS_LABELS[r.status],
            r.waitlist_position or "",
            r.created_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M"),
        ]
        for r in regs
    ]
    return header, rows


async def attendance_table(
    session: AsyncSession, *, session_id: int, actor: Actor
) -> tuple[list[str], list[list[object]]]:
    data = await session_attendance(session, session_id=session_id, actor=actor)
    days = (
        await session.exec(
            select(SessionDay)
            .where(SessionDay.session_id == session_id)
            .order_by(SessionDay.day_no)
        )
    ).all()
    header = ["申込ID", "氏名", "区市町村コード", "区市町村", "職種・役割"]
    header += [f"{d.day_no}日目 {format_date_ja(d.date)}" for d in days]
    header += ["出席日数", "修了"]
    rows: list[list[object]] = []
    for r in data.rows:
        marks = [LABELS[Mark(r.marks[d.day_no])] if r.marks.get(d.day_no) else "" for d in days]
        rows.append(
            [r.registration_id, r.name, r.municipality_code, _name(r.municipality_code), r.role]
            + marks
            + [r.attended_days, "修了" if r.completed else ""]
        )
    rows.append([])
    rows.append(["実人数", data.persons, "延べ人数", data.attendances, "修了者", data.completers])
    return header, rows


def to_csv(header: list[str], rows: list[list[object]], encoding: str) -> bytes:
    if encoding not in ("utf-8", "cp932"):
        msg = "encoding は utf-8 (BOM付き) か cp932 を指定してください"
        raise Invalid(msg, errors=[{"loc": ["query", "encoding"], "msg": msg}])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(export_rows(rows))
    text = buf.getvalue()
    if encoding == "cp932":
        return text.encode("cp932", errors="replace")
    return text.encode("utf-8-sig")


def to_xlsx(title: str, header: list[str], rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(export_row(row))
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

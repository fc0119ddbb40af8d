"""Attendance endpoints: record (JSON or CSV, all-or-nothing) and read with completion."""

from fastapi import APIRouter, File, UploadFile

from services.training.attendance import service
from services.training.attendance.models import AttendanceBulk, SessionAttendance
from services.training.deps import CurrentActor, Session, Staff

router = APIRouter(tags=["出欠"])


@router.get(
    "/sessions/{session_id}/attendance",
    response_model=SessionAttendance,
    summary="出欠と修了 (実人数 persons と延べ人数 attendances は別々に数える)",
)
async def get_attendance(
    session: Session, actor: CurrentActor, session_id: int
) -> SessionAttendance:
    return await service.session_attendance(session, session_id=session_id, actor=actor)


@router.put(
    "/sessions/{session_id}/attendance",
    response_model=SessionAttendance,
    summary="出欠を登録 (全件正しいときだけ登録)",
)
async def put_attendance(
    session: Session, actor: Staff, session_id: int, body: AttendanceBulk
) -> SessionAttendance:
    await service.record(session, session_id=session_id, entries=body.entries, actor=actor)
    return await service.session_attendance(session, session_id=session_id, actor=actor)


@router.post(
    "/sessions/{session_id}/attendance/import",
    response_model=SessionAttendance,
    summary="出欠をCSVから一括登録 (UTF-8/BOM付き/cp932)",
    description="列: 申込ID か メールアドレス、日目 か 日付、出欠 (出席/欠席/オンデマンド視聴)。"
    "1行でも誤りがあれば何も登録せず、誤りのある行をすべて返します。",
)
async def import_attendance(
    session: Session, actor: Staff, session_id: int, file: UploadFile = File(...)
) -> SessionAttendance:
    raw = await file.read()
    await service.import_csv(session, session_id=session_id, raw=raw, actor=actor)
    return await service.session_attendance(session, session_id=session_id, actor=actor)

"""Export endpoints: .ics per session and per program, participant and attendance lists."""

from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Response

from services.common.openapi import file_answer
from services.training.deps import CurrentActor, Session
from services.training.exports import service

router = APIRouter(tags=["出力"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@router.get(
    "/sessions/{session_id}/calendar.ics",
    summary="開催回の予定 (iCalendar)",
    **file_answer("text/calendar"),
)
async def session_ics(session: Session, _actor: CurrentActor, session_id: int) -> Response:
    body = await service.session_ics(session, session_id=session_id)
    return _download(body, "text/calendar; charset=utf-8", f"training-session-{session_id}.ics")


@router.get(
    "/programs/{program_id}/calendar.ics",
    summary="研修の全開催回の予定 (iCalendar フィード)",
    **file_answer("text/calendar"),
)
async def program_ics(session: Session, _actor: CurrentActor, program_id: int) -> Response:
    body = await service.program_ics(session, program_id=program_id)
    return Response(body, media_type="text/calendar; charset=utf-8")


@router.get(
    "/sessions/{session_id}/participants.{fmt}",
    summary="参加者名簿 (csv: UTF-8 BOM付き、?encoding=cp932 で Shift_JIS; xlsx)",
    **file_answer("text/csv", XLSX),
)
async def participants(
    session: Session,
    actor: CurrentActor,
    session_id: int,
    fmt: Literal["csv", "xlsx"],
    encoding: str = "utf-8",
) -> Response:
    header, rows = await service.participant_table(session, session_id=session_id, actor=actor)
    name = f"参加者名簿_{session_id}"
    if fmt == "xlsx":
        return _download(service.to_xlsx("参加者名簿", header, rows), XLSX, f"{name}.xlsx")
    charset = "shift_jis" if encoding == "cp932" else "utf-8"
    return _download(
        service.to_csv(header, rows, encoding), f"text/csv; charset={charset}", f"{name}.csv"
    )


@router.get(
    "/sessions/{session_id}/attendance.{fmt}",
    summary="出欠表 (csv: UTF-8 BOM付き、?encoding=cp932 で Shift_JIS; xlsx)",
    **file_answer("text/csv", XLSX),
)
async def attendance(
    session: Session,
    actor: CurrentActor,
    session_id: int,
    fmt: Literal["csv", "xlsx"],
    encoding: str = "utf-8",
) -> Response:
    header, rows = await service.attendance_table(session, session_id=session_id, actor=actor)
    name = f"出欠表_{session_id}"
    if fmt == "xlsx":
        return _download(service.to_xlsx("出欠表", header, rows), XLSX, f"{name}.xlsx")
    charset = "shift_jis" if encoding == "cp932" else "utf-8"
    return _download(
        service.to_csv(header, rows, encoding), f"text/csv; charset={charset}", f"{name}.csv"
    )

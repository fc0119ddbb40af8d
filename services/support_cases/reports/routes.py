"""Report endpoints: lessons (versioned), and the report as JSON, HTML and DOCX."""

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from services.support_cases.deps import CurrentActor, Session
from services.support_cases.reports import service
from services.support_cases.reports.models import LessonsPublic, LessonsUpdate

router = APIRouter(tags=["報告書"])
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@router.get(
    "/cases/{case_id}/report/lessons",
    response_model=LessonsPublic,
    summary="報告書の「他の区市町村への示唆」(版の履歴つき)",
)
async def get_lessons(session: Session, actor: CurrentActor, case_id: int) -> LessonsPublic:
    return await service.get_lessons(session, actor=actor, case_id=case_id)


@router.put(
    "/cases/{case_id}/report/lessons",
    response_model=LessonsPublic,
    summary="示唆を保存 (都の担当者、版が古いと409)",
)
async def save_lessons(
    session: Session, actor: CurrentActor, case_id: int, body: LessonsUpdate
) -> LessonsPublic:
    return await service.save_lessons(session, actor=actor, case_id=case_id, body=body)


@router.get("/cases/{case_id}/report", summary="報告書の内容 (JSON)")
async def report_json(session: Session, actor: CurrentActor, case_id: int) -> dict[str, Any]:
    return await service.report_data(session, actor=actor, case_id=case_id)


@router.get(
    "/cases/{case_id}/report.html",
    response_class=HTMLResponse,
    summary="報告書 (HTML)",
)
async def report_html(session: Session, actor: CurrentActor, case_id: int) -> HTMLResponse:
    data = await service.report_data(session, actor=actor, case_id=case_id)
    return HTMLResponse(service.render_html(data))


@router.get(
    "/cases/{case_id}/report.docx",
    summary="報告書 (Word)",
    response_class=Response,
    responses={200: {"content": {DOCX: {}}}},
)
async def report_docx(session: Session, actor: CurrentActor, case_id: int) -> Response:
    data = await service.report_data(session, actor=actor, case_id=case_id)
    name = f"伴走型支援報告書_{data['case']['fiscal_year']}_{data['municipality_name']}.docx"
    return Response(
        service.render_docx(data),
        media_type=DOCX,
        headers={
            "Content-Disposition": f'attachment; filename="report-{case_id}.docx"; '
            f"filename*=UTF-8''{quote(name)}"
        },
    )

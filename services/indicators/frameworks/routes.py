"""Framework endpoints: list, detail, create/import, export, reload of the shipped files."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import Response
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import staff_only
from services.common.actor import Actor
from services.common.db import get_session
from services.indicators.frameworks import service
from services.indicators.frameworks.models import Grant, Level
from services.indicators.frameworks.schemas import FrameworkDetail, FrameworkDoc, FrameworkSummary
from services.indicators.shipped import load_shipped

router = APIRouter(tags=["評価指標の体系"])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Staff = Annotated[Actor, Depends(staff_only)]


@router.get("/frameworks", response_model=list[FrameworkSummary], summary="評価指標の体系の一覧")
async def list_frameworks(
    session: Session,
    grant: Grant | None = None,
    level: Level | None = None,
    grant_fy: int | None = None,
    evaluation_fy: Annotated[
        int | None, Query(description="評価年度: 年度Nの取組は交付年度N+1の体系で評価される")
    ] = None,
) -> list[FrameworkSummary]:
    rows = await service.list_frameworks(
        session, grant=grant, level=level, grant_fy=grant_fy, evaluation_fy=evaluation_fy
    )
    return [service.summary(r) for r in rows]


@router.post(
    "/frameworks", response_model=FrameworkDetail, status_code=201, summary="体系を登録 (JSON)"
)
async def create_framework(doc: FrameworkDoc, session: Session, actor: Staff) -> FrameworkDetail:
    fw = await service.create_framework(session, doc, actor=actor)
    return service.tree_to_detail(await service.load_tree(session, fw.id))  # type: ignore[arg-type]


@router.post(
    "/frameworks/import",
    response_model=FrameworkDetail,
    status_code=201,
    summary="体系をファイルから登録 (JSON・YAML・XLSX)",
)
async def import_framework(
    session: Session, actor: Staff, file: Annotated[UploadFile, File()]
) -> FrameworkDetail:
    doc = service.parse_document(file.filename or "", await file.read())
    fw = await service.create_framework(session, doc, actor=actor)
    return service.tree_to_detail(await service.load_tree(session, fw.id))  # type: ignore[arg-type]


@router.post(
    "/frameworks/shipped", summary="同梱の体系 (2019年度) を読み込む (既にあれば何もしない)"
)
async def reload_shipped(session: Session, actor: Staff) -> dict[str, list[str]]:
    return {"created": await load_shipped(session, actor=actor)}


@router.get("/frameworks/{framework_id}", response_model=FrameworkDetail, summary="体系の詳細")
async def get_framework(framework_id: int, session: Session) -> FrameworkDetail:
    return service.tree_to_detail(await service.load_tree(session, framework_id))


MEDIA = {
    "json": "application/json",
    "yaml": "application/yaml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get("/frameworks/{framework_id}/export", summary="体系を書き出す (JSON・YAML・XLSX)")
async def export_framework(
    framework_id: int,
    session: Session,
    format: Annotated[Literal["json", "yaml", "xlsx"], Query()] = "json",
) -> Response:
    tree = await service.load_tree(session, framework_id)
    doc = service.tree_to_doc(tree)
    body = {"json": service.export_json, "yaml": service.export_yaml, "xlsx": service.export_xlsx}[
        format
    ](doc)
    filename = f"framework-{tree.framework.code}.{format}"
    return Response(
        body,
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )

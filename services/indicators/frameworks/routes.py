"""Framework endpoints: list, detail, create/import, export, reload of the shipped files."""

import hashlib
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import staff_only
from services.common.actor import Actor
from services.common.audit import record_event
from services.common.db import get_session
from services.common.errors import NotFound
from services.common.models import check_version, get_for_update
from services.common.openapi import file_answer
from services.indicators.downloads import MEDIA, download
from services.indicators.frameworks import item_import, service
from services.indicators.frameworks.models import Framework, Grant, Level
from services.indicators.frameworks.schemas import (
    CombinedView,
    FrameworkCopy,
    FrameworkDetail,
    FrameworkDoc,
    FrameworkPatch,
    FrameworkSummary,
    ItemImport,
    TreeIn,
)
from services.indicators.scores.deduction import after_tree_change
from services.indicators.shipped import load_shipped
from services.indicators.tables import audit

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
    return await service.summaries(session, rows)


@router.post(
    "/frameworks", response_model=FrameworkDetail, status_code=201, summary="体系を登録 (JSON)"
)
async def create_framework(doc: FrameworkDoc, session: Session, actor: Staff) -> FrameworkDetail:
    fw = await service.create_framework(session, doc, actor=actor)
    await after_tree_change(session, fw)
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
    await after_tree_change(session, fw)
    return service.tree_to_detail(await service.load_tree(session, fw.id))  # type: ignore[arg-type]


class ShippedLoaded(BaseModel):
    created: list[str] = Field(description="読み込んだ体系のコード (既にあったものは含まない)")


@router.post(
    "/frameworks/shipped",
    response_model=ShippedLoaded,
    summary="同梱の体系 (2019年度) を読み込む (既にあれば何もしない)",
)
async def reload_shipped(session: Session, actor: Staff) -> ShippedLoaded:
    return ShippedLoaded(created=await load_shipped(session, actor=actor))


@router.get(
    "/frameworks/combined",
    response_model=CombinedView,
    response_model_exclude_unset=True,
    summary="両交付金の体系を並べる (共通指標は1件として満点を合算)",
)
async def combined_view(
    session: Session, grant_fy: int, level: Level = Level.municipality
) -> object:
    return await service.combined(session, level=level, grant_fy=grant_fy)


@router.get("/frameworks/{framework_id}", response_model=FrameworkDetail, summary="体系の詳細")
async def get_framework(framework_id: int, session: Session) -> FrameworkDetail:
    return service.tree_to_detail(await service.load_tree(session, framework_id))


# The framework document (the shipped files' and the import's format), as the export writes it.
FRAMEWORK_DOCUMENT: dict = {
    "type": "object",
    "required": ["code", "name", "grant", "level", "categories"],
    "properties": {
        "code": {"type": "string"},
        "name": {"type": "string"},
        "grant": {"type": "string"},
        "level": {"type": "string"},
        "grant_fy": {"type": ["integer", "null"]},
        "evaluation_fy": {"type": ["integer", "null"]},
        "max_points": {"type": ["number", "null"]},
        "source": {"type": ["object", "null"]},
        "state": {"type": ["string", "null"]},
        "state_note": {"type": ["string", "null"]},
        "national_average": {"type": ["object", "number", "null"]},
        "averages_source": {"type": ["object", "string", "null"]},
        "categories": {"type": "array", "items": {"type": "object"}},
    },
}


@router.get(
    "/frameworks/{framework_id}/export",
    summary="体系を書き出す (JSON・YAML・XLSX)",
    **file_answer(MEDIA["json"], MEDIA["yaml"], MEDIA["xlsx"], document=FRAMEWORK_DOCUMENT),
)
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
    return download(body, filename=f"framework-{tree.framework.code}", format=format)


async def _detail(session: AsyncSession, framework_id: int) -> FrameworkDetail:
    return service.tree_to_detail(await service.load_tree(session, framework_id))


@router.patch(
    "/frameworks/{framework_id}",
    response_model=FrameworkDetail,
    summary="体系の名称・出典・状態 (暫定/確定)・全国平均を変更 (version 必須)",
)
async def patch_framework(
    framework_id: int, body: FrameworkPatch, session: Session, actor: Staff
) -> FrameworkDetail:
    await service.patch_framework(session, framework_id, body, actor=actor)
    return await _detail(session, framework_id)


@router.put(
    "/frameworks/{framework_id}/tree",
    response_model=FrameworkDetail,
    summary="区分と指標を置き換える (コードで対応づけ、得点は保持; version 必須)",
)
async def put_tree(
    framework_id: int, body: TreeIn, session: Session, actor: Staff
) -> FrameworkDetail:
    fw = await get_for_update(session, Framework, framework_id)
    if fw is None:
        raise NotFound(f"評価指標の体系 {framework_id} が見つかりません")
    check_version(fw, body.version, what="評価指標の体系")
    await service.replace_tree(
        session,
        fw,
        body.categories,
        actor=actor,
        stated_max=body.max_points,
        drop_scored=body.drop_scored,
    )
    await record_event(
        session, audit, entity_type="FrameworkTree", entity_id=str(framework_id), action="replace"
    )
    await after_tree_change(session, fw)
    return await _detail(session, framework_id)


@router.post(
    "/frameworks/{framework_id}/copy",
    response_model=FrameworkDetail,
    status_code=201,
    summary="この体系を複製して別の交付年度の体系を作る (暫定、全国平均は引き継がない)",
)
async def copy_framework(
    framework_id: int, body: FrameworkCopy, session: Session, actor: Staff
) -> FrameworkDetail:
    fw = await service.copy_framework(session, framework_id, body, actor=actor)
    await after_tree_change(session, fw)
    return await _detail(session, fw.id)  # type: ignore[arg-type]


@router.post(
    "/frameworks/{framework_id}/items/import",
    response_model=ItemImport,
    summary="評価指標の一覧を取り込む (列の対応づけ → dry_run=true で確認 → 全件一括で反映)",
)
async def import_items(
    framework_id: int,
    session: Session,
    actor: Staff,
    file: Annotated[UploadFile, File()],
    mapping: Annotated[
        str | None,
        Form(
            description='列の対応 (JSON): {"category": 列名, "code": 列名, "text": 列名, '
            '"max_points": 列名, "min_points"…}; 省略時は見出しから推測'
        ),
    ] = None,
    dry_run: bool = False,
    drop_scored: bool = False,
) -> object:
    fw = await get_for_update(session, Framework, framework_id)
    if fw is None:
        raise NotFound(f"評価指標の体系 {framework_id} が見つかりません")
    content = await file.read()
    out = await item_import.run(
        session, fw, file.filename or "", content, mapping_raw=mapping, actor=actor,
        dry_run=dry_run, drop_scored=drop_scored,
    )  # fmt: skip
    if not dry_run:
        await record_event(
            session,
            audit,
            entity_type="FrameworkTree",
            entity_id=str(framework_id),
            action="import_items",
            file_name=file.filename or "",
            sha256=hashlib.sha256(content).hexdigest(),
            rows=out["written"],
        )
        await after_tree_change(session, fw)
    return out

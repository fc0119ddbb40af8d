"""Score endpoints: replace cells (JSON), import a file, read cells with their years."""

import hashlib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import staff_only
from services.common.actor import Actor
from services.common.audit import record_event
from services.common.db import get_session
from services.indicators.frameworks.service import load_tree
from services.indicators.scores import service
from services.indicators.tables import audit

router = APIRouter(tags=["得点"])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Staff = Annotated[Actor, Depends(staff_only)]


class ScoresIn(BaseModel):
    # Rows stay loose here so that every bad row is reported by index (not only the first).
    scores: list[Any]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"scores": [{"entity_code": "131016", "item_code": "Ⅰ-見える化", "points": 10}]}
            ]
        }
    }


class Written(BaseModel):
    written: int


@router.put("/frameworks/{framework_id}/scores", response_model=Written, summary="得点を書き込む")
async def put_scores(framework_id: int, body: ScoresIn, session: Session, actor: Staff) -> Written:
    tree = await load_tree(session, framework_id)
    n = await service.write_scores(session, tree, body.scores, actor=actor)
    # Bulk writes bypass the ORM: one audit row says what was written.
    await record_event(
        session, audit, entity_type="Scores", entity_id=str(framework_id), action="write", rows=n
    )
    return Written(written=n)


@router.post(
    "/frameworks/{framework_id}/scores/import",
    response_model=Written,
    summary="得点をCSV・XLSXから取り込む (縦持ち・横持ち)",
)
async def import_scores(
    framework_id: int, session: Session, actor: Staff, file: Annotated[UploadFile, File()]
) -> Written:
    tree = await load_tree(session, framework_id)
    content = await file.read()
    n = await service.import_scores(session, tree, file.filename or "", content, actor=actor)
    await record_event(
        session,
        audit,
        entity_type="Scores",
        entity_id=str(framework_id),
        action="import",
        file_name=file.filename or "",
        sha256=hashlib.sha256(content).hexdigest(),
        rows=n,
    )
    return Written(written=n)


@router.get("/frameworks/{framework_id}/scores", summary="得点 (セル単位、評価年度・交付年度つき)")
async def get_scores(
    framework_id: int, session: Session, entity_code: str | None = None
) -> list[dict[str, Any]]:
    tree = await load_tree(session, framework_id)
    return await service.read_scores(session, tree, entity_code=entity_code)


@router.get(
    "/frameworks/{framework_id}/scores/export",
    summary="得点を書き出す (横持ち: 団体ごとに1行、指標コードの列。CSVはBOM付きUTF-8)",
)
async def export_scores(
    framework_id: int,
    session: Session,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
    prefecture: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
) -> Response:
    tree = await load_tree(session, framework_id)
    body = await service.export_scores(session, tree, fmt=format, prefecture=prefecture)
    media = (
        "text/csv; charset=utf-8"
        if format == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="scores-{tree.framework.code}.{format}"'
        },
    )

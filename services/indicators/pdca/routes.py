"""PDCA sheet (取組と目標) endpoints."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor, get_actor
from services.common.db import get_session
from services.indicators.pdca import service
from services.indicators.pdca.schemas import SheetIn, SheetUpdate

router = APIRouter(tags=["取組と目標"])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Who = Annotated[Actor, Depends(get_actor)]


class MetricsIn(BaseModel):
    metrics: dict[str, float] = Field(
        description="出典キー → 値 (ゲートウェイが研修の修了者数などを渡す)"
    )

    model_config = {
        "json_schema_extra": {
            "examples": [{"metrics": {"training.completers:全体研修・情報交換会:2018-2020": 1199}}]
        }
    }


@router.get("/pdca/sheets", summary="取組と目標のシート一覧")
async def list_sheets(
    session: Session, actor: Who, entity_code: str | None = None
) -> list[dict[str, Any]]:
    return [service.sheet_out(s) for s in await service.list_sheets(session, actor, entity_code)]


@router.post("/pdca/sheets", status_code=201, summary="シートを作成")
async def create_sheet(body: SheetIn, session: Session, actor: Who) -> dict[str, Any]:
    return service.sheet_out(await service.create_sheet(session, body, actor=actor))


@router.get("/pdca/sheets/{sheet_id}", summary="シート (進捗つき)")
async def get_sheet(sheet_id: int, session: Session, actor: Who) -> dict[str, Any]:
    return service.sheet_out(await service.get_sheet(session, actor, sheet_id))


@router.put("/pdca/sheets/{sheet_id}", summary="シートを更新 (version が古ければ 409)")
async def update_sheet(
    sheet_id: int, body: SheetUpdate, session: Session, actor: Who
) -> dict[str, Any]:
    return service.sheet_out(await service.update_sheet(session, sheet_id, body, actor=actor))


@router.post(
    "/pdca/sheets/{sheet_id}/progress",
    summary="出典キーの値を渡して進捗を計算 (書き込みなし)",
)
async def sheet_progress(
    sheet_id: int, body: MetricsIn, session: Session, actor: Who
) -> dict[str, Any]:
    return service.sheet_out(await service.get_sheet(session, actor, sheet_id), body.metrics)


@router.get("/pdca/sheets/{sheet_id}/export.xlsx", summary="シートをXLSXで書き出す")
async def export_sheet(sheet_id: int, session: Session, actor: Who) -> Response:
    sheet = await service.get_sheet(session, actor, sheet_id)
    return Response(
        service.export_xlsx(sheet),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": (
                f'attachment; filename="pdca-{sheet.entity_code}-{sheet.start_fy}.xlsx"'
            )
        },
    )

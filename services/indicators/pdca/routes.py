"""PDCA sheet (取組と目標) endpoints: sheets, publishing, the 62 side by side, 好事例."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import staff_only
from services.common.actor import Actor, get_actor
from services.common.db import get_session
from services.common.errors import Invalid
from services.common.openapi import file_answer
from services.common.registry import PEER_TYPES, REGION_CLASSES
from services.indicators.pdca import service
from services.indicators.pdca.schemas import SheetIn, SheetUpdate
from services.indicators.pdca.vocabulary import metric_vocabulary, themes

router = APIRouter(tags=["取組と目標"])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Who = Annotated[Actor, Depends(get_actor)]
Staff = Annotated[Actor, Depends(staff_only)]


class MetricsIn(BaseModel):
    metrics: dict[str, float] = Field(
        description="出典キー → 値 (ゲートウェイが研修の修了者数などを渡す)"
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"metrics": {"training.completers:地域ケア会議 司会者・助言者養成:2018-2020": 1199}}
            ]
        }
    }


class PublishIn(BaseModel):
    published: bool = Field(description="true: 他の区市町村に公開 / false: 下書きに戻す")
    version: int = Field(description="読み込んだときの版 (古ければ 409)")


class GoodPracticeIn(BaseModel):
    sheet_id: int
    item_code: str = Field(min_length=1, max_length=64)
    note: str = Field(min_length=1, max_length=500, description="好事例とする理由 (短いメモ)")


class GoodPracticeUpdate(BaseModel):
    note: str = Field(min_length=1, max_length=500)
    version: int


async def _out(session: AsyncSession, sheet: Any, metrics: dict[str, float] | None = None) -> Any:
    return service.sheet_out(sheet, metrics, await service.good_practices_of(session, sheet.id))


@router.get("/pdca/themes", summary="事項のテーマ (語彙)")
async def list_themes() -> list[dict[str, str]]:
    return themes()


@router.get(
    "/pdca/metric-sources",
    summary="実績の出典キーの語彙 (種類と研修の種類。研修サービスの種類と一致)",
)
async def metric_sources() -> dict[str, Any]:
    v = metric_vocabulary()
    return {
        "format": v["format"],
        "max_years": v["max_years"],
        "heads": v["heads"],
        "training_kinds": v["training_kinds"],
        "examples": [
            "training.completers:地域ケア会議 司会者・助言者養成:2018-2020",
            "training.municipalities_reached::2025",
        ],
    }


@router.get(
    "/pdca/sheets",
    summary="取組と目標のシート一覧 (区市町村の職員には自分のシートと他の公開シート)",
)
async def list_sheets(
    session: Session,
    actor: Who,
    entity_code: str | None = None,
    published: bool | None = None,
) -> list[dict[str, Any]]:
    sheets = await service.list_sheets(session, actor, entity_code, published)
    return [service.sheet_out(s) for s in sheets]


@router.post("/pdca/sheets", status_code=201, summary="シートを作成 (published 省略時は下書き)")
async def create_sheet(body: SheetIn, session: Session, actor: Who) -> dict[str, Any]:
    return await _out(session, await service.create_sheet(session, body, actor=actor))


@router.get(
    "/pdca/municipalities",
    summary="区市町村のシートを横に並べる (年度、区部・市部・町村部、比較グループで絞り込み)",
)
async def side_by_side(
    session: Session,
    actor: Who,
    fiscal_year: Annotated[int, Query(ge=2000, le=2100)],
    prefecture: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    region_class: Annotated[str | None, Query(description="区部 / 市部 / 町村部")] = None,
    peer_type: Annotated[
        str | None, Query(description="大都市型 / 都市型 / 離島・中山間型")
    ] = None,
    peer_set: Annotated[str | None, Query(max_length=100)] = None,
    peer_group: Annotated[str | None, Query(max_length=100)] = None,
) -> dict[str, Any]:
    if region_class and region_class not in REGION_CLASSES:
        raise Invalid(
            f"region_class は {'・'.join(REGION_CLASSES)} のいずれかです",
            errors=[{"loc": ["query", "region_class"], "msg": "区分が正しくありません"}],
        )
    if peer_type and peer_type not in PEER_TYPES:
        raise Invalid(
            f"peer_type は {'・'.join(PEER_TYPES)} のいずれかです",
            errors=[{"loc": ["query", "peer_type"], "msg": "類型が正しくありません"}],
        )
    return await service.side_by_side(
        session,
        actor,
        fiscal_year=fiscal_year,
        prefecture=prefecture,
        region_class=region_class,
        peer_type=peer_type,
        peer_set=peer_set,
        peer_group=peer_group,
    )


@router.get("/pdca/sheets/{sheet_id}", summary="シート (進捗・好事例つき)")
async def get_sheet(sheet_id: int, session: Session, actor: Who) -> dict[str, Any]:
    return await _out(session, await service.get_sheet(session, actor, sheet_id))


@router.put("/pdca/sheets/{sheet_id}", summary="シートを更新 (version が古ければ 409)")
async def update_sheet(
    sheet_id: int, body: SheetUpdate, session: Session, actor: Who
) -> dict[str, Any]:
    return await _out(session, await service.update_sheet(session, sheet_id, body, actor=actor))


@router.put(
    "/pdca/sheets/{sheet_id}/published",
    summary="シートを公開する / 下書きに戻す (version が古ければ 409)",
)
async def publish_sheet(
    sheet_id: int, body: PublishIn, session: Session, actor: Who
) -> dict[str, Any]:
    sheet = await service.set_published(
        session, sheet_id, published=body.published, version=body.version, actor=actor
    )
    return await _out(session, sheet)


@router.post(
    "/pdca/sheets/{sheet_id}/progress",
    summary="出典キーの値を渡して進捗を計算 (書き込みなし)",
)
async def sheet_progress(
    sheet_id: int, body: MetricsIn, session: Session, actor: Who
) -> dict[str, Any]:
    return await _out(session, await service.get_sheet(session, actor, sheet_id), body.metrics)


@router.get(
    "/pdca/sheets/{sheet_id}/export.xlsx",
    summary="シートをXLSXで書き出す",
    **file_answer("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
)
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


@router.post(
    "/pdca/good-practices",
    status_code=201,
    summary="公開シートの事項を好事例にする (支援担当のみ)",
)
async def mark_good_practice(body: GoodPracticeIn, session: Session, actor: Staff) -> Any:
    gp, sheet = await service.mark_good_practice(
        session, sheet_id=body.sheet_id, item_code=body.item_code, note=body.note, actor=actor
    )
    return service.good_practice_out(gp, sheet)


@router.get("/pdca/good-practices", summary="好事例の一覧 (横展開用)")
async def list_good_practices(
    session: Session,
    actor: Who,
    theme: str | None = None,
    entity_code: str | None = None,
    fiscal_year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> list[dict[str, Any]]:
    rows = await service.list_good_practices(
        session, actor, theme=theme, entity_code=entity_code, fiscal_year=fiscal_year
    )
    return [service.good_practice_out(g, s) for g, s in rows]


@router.get(
    "/pdca/good-practices/{good_practice_id}",
    summary="好事例 (引用用の reference: pdca-good-practice:{id})",
)
async def get_good_practice(good_practice_id: int, session: Session, actor: Who) -> Any:
    gp, sheet = await service.get_good_practice(session, actor, good_practice_id)
    return service.good_practice_out(gp, sheet)


@router.patch("/pdca/good-practices/{good_practice_id}", summary="好事例のメモを変更")
async def update_good_practice(
    good_practice_id: int, body: GoodPracticeUpdate, session: Session, actor: Staff
) -> Any:
    gp, sheet = await service.update_good_practice(
        session, good_practice_id, note=body.note, version=body.version, actor=actor
    )
    return service.good_practice_out(gp, sheet)


@router.delete(
    "/pdca/good-practices/{good_practice_id}", status_code=204, summary="好事例の指定を外す"
)
async def delete_good_practice(
    good_practice_id: int,
    session: Session,
    actor: Staff,
    version: Annotated[int, Query(description="読み込んだときの版")],
) -> Response:
    await service.delete_good_practice(session, good_practice_id, version=version, actor=actor)
    return Response(status_code=204)

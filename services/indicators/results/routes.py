"""Result endpoints: ranks and flags, averages, 取り戻す指標, year over year, peer sets."""

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from openpyxl import Workbook
from pydantic import BaseModel, Field
from sqlalchemy import delete
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import staff_only
from services.common.actor import Actor
from services.common.db import get_session
from services.common.errors import Conflict, Invalid, NotFound
from services.common.exports import export_row
from services.common.models import stamp_created, stamp_updated
from services.common.openapi import file_answer
from services.common.registry import CodeError, get_registry
from services.indicators.frameworks.models import Level
from services.indicators.results import service
from services.indicators.results.models import PeerMember, PeerSet

router = APIRouter(tags=["結果・比較"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Staff = Annotated[Actor, Depends(staff_only)]

Pref = Annotated[str | None, Query(pattern=r"^\d{2}$", description="都道府県番号 (例: 13)")]
Group = Annotated[
    str | None, Query(description="グループで絞り込み: 集合:グループ (例: region_class:区部)")
]


def options(
    prefecture: Pref = None,
    group: Group = None,
    entity_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    peer_set: str = "region_class",
    low_threshold: Annotated[float, Query(ge=0, le=1)] = 0.30,
    deduction: float = -10,
    drop_points: Annotated[float, Query(ge=0)] = 20,
    previous_id: int | None = None,
) -> service.ResultOptions:
    return service.ResultOptions(
        prefecture=prefecture,
        group=group,
        entity_code=entity_code,
        peer_set=peer_set,
        low_threshold=low_threshold,
        deduction=deduction,
        drop_points=drop_points,
        previous_id=previous_id,
    )


Opts = Annotated[service.ResultOptions, Depends(options)]


@router.get("/frameworks/{framework_id}/results", summary="結果 (総合得点・得点率・順位・フラグ)")
async def get_results(framework_id: int, session: Session, opts: Opts) -> dict[str, Any]:
    return await service.results(session, framework_id, opts)


@router.get(
    "/frameworks/{framework_id}/results/export",
    summary="結果を書き出す (CSVはBOM付きUTF-8、またはXLSX)",
    **file_answer("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
)
async def export_results(
    framework_id: int,
    session: Session,
    opts: Opts,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
) -> Response:
    rows = service.results_table(await service.results(session, framework_id, opts))
    if format == "xlsx":
        wb = Workbook()
        ws = wb.active
        ws.title = "結果"
        for r in rows:
            ws.append(export_row(r))
        buf = io.BytesIO()
        wb.save(buf)
        body, media = buf.getvalue(), XLSX
    else:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(map(export_row, rows))
        body, media = out.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="results-{framework_id}.{format}"'},
    )


@router.get("/results/latest", summary="交付金ごとの最新の結果 (得点のある最新の体系)")
async def latest(
    session: Session, opts: Opts, level: Level = Level.municipality
) -> list[dict[str, Any]]:
    return await service.latest_results(session, level=level, opts=opts)


@router.get("/frameworks/{framework_id}/averages", summary="全国・都道府県・グループ別の平均")
async def get_averages(
    framework_id: int, session: Session, prefecture: Pref = None, group_set: str = "region_class"
) -> dict[str, Any]:
    return await service.averages(session, framework_id, prefecture=prefecture, group_set=group_set)


@router.get("/frameworks/{framework_id}/recover", summary="取り戻す指標")
async def get_recover(
    framework_id: int,
    session: Session,
    entity_code: Annotated[str, Query(pattern=r"^\d{6}$")],
    group_set: str = "region_class",
    share: Annotated[float, Query(gt=0, le=1, description="満点を取る比較団体の割合")] = 0.30,
) -> dict[str, Any]:
    return await service.recover(
        session, framework_id, entity_code=entity_code, group_set=group_set, share=share
    )


@router.get("/frameworks/{framework_id}/compare", summary="前年度との比較 (区分・指標コードで対応)")
async def get_compare(
    framework_id: int,
    session: Session,
    previous_id: int | None = None,
    prefecture: Pref = None,
    entity_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    item_codes: Annotated[
        str | None, Query(description="指標コード (カンマ区切り): 全団体の指標ごとの差を返す")
    ] = None,
) -> dict[str, Any]:
    return await service.compare(
        session,
        framework_id,
        previous_id=previous_id,
        prefecture=prefecture,
        entity_code=entity_code,
        item_codes=[c.strip() for c in item_codes.split(",") if c.strip()] if item_codes else None,
    )


# --- user-defined peer group sets ------------------------------------------------------------


class PeerSetIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[^:]+$")
    description: str = ""
    members: dict[str, str] = Field(description="団体コード → グループ名")
    version: int | None = None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "支援対象",
                    "members": {
                        "131016": "2024年度支援",
                        "132012": "2024年度支援",
                        "133019": "対象外",
                    },
                }
            ]
        }
    }


def _check_members(members: dict[str, str]) -> None:
    reg = get_registry()
    errors = []
    for code, g in members.items():
        try:
            reg.require_entity(code)
        except CodeError as exc:
            errors.append({"loc": ["members", code], "msg": str(exc)})
        if not g.strip():
            errors.append({"loc": ["members", code], "msg": "グループ名を入力してください"})
    if errors:
        raise Invalid("比較グループの内容に誤りがあります", errors=errors)


async def _peer_out(session: AsyncSession, ps: PeerSet) -> dict[str, Any]:
    members = (await session.exec(select(PeerMember).where(PeerMember.peer_set_id == ps.id))).all()
    return {
        "id": ps.id,
        "name": ps.name,
        "description": ps.description,
        "version": ps.version,
        "members": {m.entity_code: m.group_name for m in members},
    }


@router.get("/peer-sets", summary="比較グループ集合の一覧 (組み込み + 登録済み)")
async def list_peer_sets(session: Session) -> dict[str, Any]:
    rows = (await session.exec(select(PeerSet).order_by(PeerSet.name))).all()
    return {
        "builtin": list(service.BUILTIN_SETS),
        "size_bands": [label for _, label in service.SIZE_BANDS],
        "user": [await _peer_out(session, r) for r in rows],
    }


@router.post("/peer-sets", status_code=201, summary="比較グループ集合を登録")
async def create_peer_set(body: PeerSetIn, session: Session, actor: Staff) -> dict[str, Any]:
    if body.name in service.BUILTIN_SETS:
        raise Conflict(f"{body.name} は組み込みの集合名です")
    _check_members(body.members)
    if (await session.exec(select(PeerSet).where(PeerSet.name == body.name))).first():
        raise Conflict(f"比較グループ {body.name} は既にあります")
    ps = PeerSet(name=body.name, description=body.description)
    stamp_created(ps, actor)
    session.add(ps)
    await session.flush()
    session.add_all(
        PeerMember(peer_set_id=ps.id, entity_code=c, group_name=g.strip())
        for c, g in body.members.items()
    )
    await session.flush()
    return await _peer_out(session, ps)


@router.put("/peer-sets/{peer_set_id}", summary="比較グループ集合を更新 (version 必須)")
async def update_peer_set(
    peer_set_id: int, body: PeerSetIn, session: Session, actor: Staff
) -> dict[str, Any]:
    from services.common.models import check_version, get_for_update

    ps = await get_for_update(session, PeerSet, peer_set_id)
    if ps is None:
        raise NotFound("比較グループが見つかりません")
    check_version(ps, body.version, what="比較グループ")
    _check_members(body.members)
    ps.name, ps.description = body.name, body.description
    await (await session.connection()).execute(
        delete(PeerMember).where(PeerMember.peer_set_id == ps.id)
    )  # type: ignore[arg-type]
    session.add_all(
        PeerMember(peer_set_id=ps.id, entity_code=c, group_name=g.strip())
        for c, g in body.members.items()
    )
    stamp_updated(ps, actor)
    await session.flush()
    return await _peer_out(session, ps)

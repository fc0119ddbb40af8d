"""History from before the product: list, write as JSON, import a CSV/XLSX, delete."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile

from services.training.deps import CurrentActor, Session, Staff
from services.training.history import service
from services.training.history.models import HistoryImport, HistoryPublic, HistoryWritten
from services.training.programs.models import Kind

router = APIRouter(tags=["過去の実績"])


@router.get(
    "/history",
    response_model=list[HistoryPublic],
    summary="過去の実績 (製品の利用前の集計: 種類 × 年度 × 区市町村)",
)
async def list_history(
    session: Session,
    _actor: CurrentActor,
    fiscal_year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    kind: Kind | None = None,
) -> list[HistoryPublic]:
    rows = await service.list_rows(session, fiscal_year=fiscal_year, kind=kind)
    return [service.to_public(r) for r in rows]


@router.post(
    "/history",
    status_code=201,
    response_model=HistoryWritten,
    summary="過去の実績を登録 (全件正しいときだけ登録。同じ種類・年度・区市町村の行は置き換え)",
)
async def write_history(session: Session, actor: Staff, body: HistoryImport) -> HistoryWritten:
    locs = [["body", "rows", i] for i in range(len(body.rows))]
    return await service.write(session, rows=body.rows, actor=actor, locs=locs)


@router.post(
    "/history/import",
    response_model=HistoryWritten,
    summary="過去の実績をCSV・XLSXから取り込む (UTF-8/BOM付き/cp932、全件か無し)",
    description="列: 研修の種類、年度 (2018・平成30年度・H30 など)、区市町村コード (任意)、"
    "受講者数・修了者数・開催回数 (どれか)、出典 (列がなければ form の source)、備考。"
    "1行でも誤りがあれば何も登録せず、誤りのある行をすべて返します。",
)
async def import_history(
    session: Session,
    actor: Staff,
    file: Annotated[UploadFile, File()],
    source: Annotated[str, Form(max_length=500)] = "",
) -> HistoryWritten:
    raw = await file.read()
    rows, locs = service.parse_file(file.filename or "", raw, default_source=source)
    return await service.write(session, rows=rows, actor=actor, locs=locs)


@router.delete("/history/{history_id}", status_code=204, summary="過去の実績の行を削除")
async def delete_history(
    session: Session, _actor: Staff, history_id: int, version: Annotated[int, Query()]
) -> Response:
    await service.delete_row(session, history_id=history_id, version=version)
    return Response(status_code=204)

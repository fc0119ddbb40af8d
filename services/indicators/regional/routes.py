"""Regional analysis endpoints (地域分析): catalogue, values, national figures, imports, reads.

Regional figures are prefecture-level data: coordinators and admins write them (imports from
the 見える化 system and the 介護保険事業状況報告); everybody signed in reads them, a
municipality included (they are published statistics about every municipality)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import staff_only
from services.common.actor import Actor
from services.common.audit import record_event
from services.common.db import get_session
from services.common.errors import Invalid
from services.indicators.regional import catalogue, imports, service
from services.indicators.regional.schemas import (
    FY_MAX,
    FY_MIN,
    AcrossOut,
    CatalogueDoc,
    CatalogueWritten,
    CompareOut,
    EvidenceOut,
    ImportCommit,
    ImportInfo,
    ImportMapping,
    ImportPreview,
    ImportUpdate,
    MeasurePublic,
    NationalFigure,
    NationalIn,
    TrendOut,
    ValuesIn,
    Written,
    YearSummary,
)
from services.indicators.tables import audit

router = APIRouter(prefix="/regional", tags=["地域分析"])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Staff = Annotated[Actor, Depends(staff_only)]
FiscalYear = Annotated[int, Path(ge=FY_MIN, le=FY_MAX, description="年度 (例: 2023)")]
EntityCode = Annotated[
    str,
    Query(
        min_length=5,
        max_length=6,
        description="地方公共団体コード (131016) または保険者番号 (131011)",
    ),
]


@router.get("/measures", response_model=list[MeasurePublic], summary="指標カタログ")
async def list_measures(
    session: Session,
    fiscal_year: Annotated[
        int | None, Query(ge=FY_MIN, le=FY_MAX, description="その年度に定義のある指標と定義")
    ] = None,
) -> list[MeasurePublic]:
    cat = await catalogue.load_catalogue(session)
    return [
        m.public(fiscal_year)
        for m in cat.values()
        if fiscal_year is None or m.in_force(fiscal_year)
    ]


@router.put(
    "/measures",
    response_model=CatalogueWritten,
    summary="指標を追加・更新 (同梱の指標は変更不可。全件か無か)",
)
async def put_measures(body: CatalogueDoc, session: Session, actor: Staff) -> CatalogueWritten:
    return CatalogueWritten(written=await catalogue.put_catalogue(session, body, actor=actor))


@router.get("/years", response_model=list[YearSummary], summary="値のある年度")
async def list_years(session: Session) -> list[dict]:
    return await service.year_summaries(session)


@router.put(
    "/{fiscal_year}/values",
    response_model=Written,
    summary="区市町村の値を書き込む (全件か無か。誤りは全行を 422 で返す)",
)
async def put_values(
    fiscal_year: FiscalYear, body: ValuesIn, session: Session, actor: Staff
) -> Written:
    written, deleted = await service.write_values(
        session, fiscal_year, body.values, actor=actor, source=body.source
    )
    await record_event(
        session,
        audit,
        entity_type="RegionalValues",
        entity_id=str(fiscal_year),
        action="write",
        rows=written,
        deleted=deleted,
    )
    return Written(written=written, deleted=deleted, fiscal_years=[fiscal_year])


@router.get(
    "/{fiscal_year}/compare",
    response_model=CompareOut,
    summary="区市町村の指標を類似団体・都道府県・全国と比べる",
)
async def compare(fiscal_year: FiscalYear, entity_code: EntityCode, session: Session) -> dict:
    return await service.compare(session, fiscal_year, entity_code)


@router.get(
    "/{fiscal_year}/measures/{measure_code}",
    response_model=AcrossOut,
    summary="1つの指標を都道府県内の全区市町村で (区部・市部・町村部ごと、順位つき)",
)
async def measure_across(
    fiscal_year: FiscalYear,
    measure_code: str,
    session: Session,
    prefecture: Annotated[str, Query(pattern=r"^\d{2}$", description="都道府県番号")] = "13",
) -> dict:
    return await service.across(session, fiscal_year, measure_code, prefecture)


@router.get(
    "/trend", response_model=TrendOut, summary="区市町村の指標の推移 (各年度の平均・順位つき)"
)
async def trend(
    entity_code: EntityCode,
    session: Session,
    measures: Annotated[
        str | None, Query(description="指標コードをカンマ区切りで (なし = すべて)")
    ] = None,
    from_fy: Annotated[int | None, Query(ge=FY_MIN, le=FY_MAX)] = None,
    to_fy: Annotated[int | None, Query(ge=FY_MIN, le=FY_MAX)] = None,
) -> dict:
    codes = [c.strip() for c in measures.split(",") if c.strip()] if measures else None
    return await service.trend(session, entity_code, codes=codes, from_fy=from_fy, to_fy=to_fy)


@router.get(
    "/evidence",
    response_model=EvidenceOut,
    summary="ロジックツリーが根拠として引用する指標・年度の値 (まとめて1回で)",
)
async def evidence(
    entity_code: EntityCode,
    session: Session,
    cite: Annotated[
        list[str],
        Query(max_length=100, description="指標コード:年度 (例: certification_rate:2023)、複数可"),
    ],
) -> dict:
    return await service.evidence(session, entity_code, cite)


@router.get(
    "/{fiscal_year}/national", response_model=list[NationalFigure], summary="公表された全国値"
)
async def list_national(fiscal_year: FiscalYear, session: Session) -> list[dict]:
    return await service.list_national(session, fiscal_year)


@router.put(
    "/{fiscal_year}/national",
    response_model=Written,
    summary="公表された全国値を出典つきで書き込む (value null で削除)",
)
async def put_national(
    fiscal_year: FiscalYear, body: NationalIn, session: Session, actor: Staff
) -> Written:
    written, deleted = await service.write_national(session, fiscal_year, body.figures, actor=actor)
    await record_event(
        session,
        audit,
        entity_type="RegionalNational",
        entity_id=str(fiscal_year),
        action="write",
        rows=written,
        deleted=deleted,
    )
    return Written(written=written, deleted=deleted, fiscal_years=[fiscal_year])


# --- imports ----------------------------------------------------------------------------------


def _mapping_of(text: str | None) -> ImportMapping:
    if not text:
        return ImportMapping()
    try:
        return ImportMapping.model_validate(json.loads(text))
    except (ValueError, ValidationError) as exc:
        errors = (
            [{"loc": ["body", "mapping", *e["loc"]], "msg": e["msg"]} for e in exc.errors()]
            if isinstance(exc, ValidationError)
            else [{"loc": ["body", "mapping"], "msg": "JSON として読めません"}]
        )
        raise Invalid("mapping が正しくありません", errors=errors) from exc


@router.post(
    "/imports",
    status_code=201,
    response_model=ImportPreview,
    summary="ファイルを取り込む: 1. アップロード → プレビュー (書き込みはまだ)",
)
async def create_import(
    session: Session,
    actor: Staff,
    file: Annotated[UploadFile, File(description="CSV (UTF-8 / cp932) または XLSX")],
    fiscal_year: Annotated[
        int | None, Form(ge=FY_MIN, le=FY_MAX, description="列に年度がないときの年度")
    ] = None,
    mapping: Annotated[str | None, Form(description="列の対応 (JSON, ImportMapping)")] = None,
    source: Annotated[str, Form(max_length=300, description="出典 (資料名・取得日)")] = "",
) -> dict:
    data = await file.read()
    return await imports.create_import(
        session,
        file_name=file.filename or "",
        data=data,
        fiscal_year=fiscal_year,
        mapping=_mapping_of(mapping),
        source=source,
        actor=actor,
    )


@router.get("/imports", response_model=list[ImportInfo], summary="取込の一覧 (新しい順)")
async def list_imports(session: Session, actor: Staff) -> list:
    return await imports.list_imports(session)


@router.get("/imports/{import_id}", response_model=ImportPreview, summary="取込のプレビュー")
async def get_import(import_id: int, session: Session, actor: Staff) -> dict:
    return await imports.get_preview(session, import_id)


@router.put(
    "/imports/{import_id}",
    response_model=ImportPreview,
    summary="2. 列の対応・年度・出典を直して、もう一度プレビュー (version が古ければ 409)",
)
async def update_import(import_id: int, body: ImportUpdate, session: Session, actor: Staff) -> dict:
    return await imports.update_import(session, import_id, body, actor=actor)


@router.post(
    "/imports/{import_id}/commit",
    response_model=ImportPreview,
    summary="3. 確定して書き込む (問題が1つでもあれば 422、何も書き込まない)",
)
async def commit_import(import_id: int, body: ImportCommit, session: Session, actor: Staff) -> dict:
    return await imports.commit_import(session, import_id, body.version, actor=actor, audit=audit)

"""地域包括支援センター endpoints: the register, the evaluation catalogue, answers, the fixed
summary and the chart data. Static paths come before /centres/{centre_id} so that
"evaluations", "catalogues" and the like are never read as a centre id."""

import hashlib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import Response
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import require_roles, staff_only
from services.common.actor import Actor, Role, get_actor
from services.common.audit import record_event
from services.common.db import get_session
from services.common.errors import Invalid
from services.common.openapi import file_answer
from services.common.registry import get_registry
from services.indicators.centres import catalogue, evaluations, register
from services.indicators.centres.schemas import (
    AnswersImported,
    AnswersIn,
    CatalogueIn,
    CatalogueOut,
    CatalogueSummary,
    CentreDetail,
    CentreIn,
    CentreOut,
    CentreRadar,
    CentreSheet,
    CentreStats,
    CentreUpdate,
    CentreYearIn,
    EvaluationSummary,
    MunicipalitySheet,
    RegisterImported,
    WeakestAreas,
    WorkAreas,
)
from services.indicators.downloads import MEDIA, download
from services.indicators.tables import audit

router = APIRouter(tags=["地域包括支援センター"])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Who = Annotated[Actor, Depends(get_actor)]
Staff = Annotated[Actor, Depends(staff_only)]
# Answers: staff, or municipality staff (each row then has to be their own municipality's).
AnswerWriter = Annotated[
    Actor, Depends(require_roles(Role.admin, Role.coordinator, Role.municipality))
]
FiscalYear = Annotated[int, Query(ge=2000, le=2100)]
Prefecture = Annotated[str | None, Query(pattern=r"^\d{2}$")]
DryRun = Annotated[
    bool, Query(description="true: 確かめて数えるだけ (何も書き込まない; 誤りは 422 で全件)")
]


# --- register ---------------------------------------------------------------------------------


@router.get(
    "/centres",
    response_model=list[CentreOut],
    summary="センターの一覧 (区市町村ごと。fiscal_year を指定するとその年度の設置形態など)",
)
async def list_centres(
    session: Session,
    municipality_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    prefecture: Prefecture = None,
    fiscal_year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> object:
    if municipality_code:
        register.check_municipality(municipality_code, ["query", "municipality_code"])
    rows = await register.list_centres(
        session,
        municipality_code=municipality_code,
        prefecture=None if municipality_code else (prefecture or get_registry().home_prefecture),
        fiscal_year=fiscal_year,
    )
    return [register.centre_out(c, y) for c, y in rows]


@router.post(
    "/centres",
    response_model=CentreDetail,
    status_code=201,
    summary="センターを登録 (支援担当のみ)",
)
async def create_centre(body: CentreIn, session: Session, actor: Staff) -> object:
    c = await register.create_centre(session, body, actor=actor)
    return await _centre_detail(session, c.id)  # type: ignore[arg-type]


@router.post(
    "/centres/import",
    response_model=RegisterImported,
    summary="登録簿をCSV・XLSXから取り込む (センター × 年度の行。全件成功か何もしない)",
)
async def import_register(
    session: Session, actor: Staff, file: Annotated[UploadFile, File()], dry_run: DryRun = False
) -> object:
    content = await file.read()
    out = await register.import_register(session, file.filename or "", content, actor=actor)
    if dry_run:
        await session.rollback()  # checked and counted, nothing kept
        return out
    await record_event(
        session,
        audit,
        entity_type="CentreRegister",
        entity_id="import",
        action="import",
        file_name=file.filename or "",
        sha256=hashlib.sha256(content).hexdigest(),
        **out,
    )
    return out


@router.get(
    "/centres/stats",
    response_model=CentreStats,
    summary="設置数 (区部・市町村部 × 直営・委託) と1センター当たり職員数、公表値と並べて",
)
async def centre_stats(
    session: Session, fiscal_year: FiscalYear, prefecture: Prefecture = None
) -> object:
    return await register.stats(
        session, prefecture=prefecture or get_registry().home_prefecture, fiscal_year=fiscal_year
    )


@router.get(
    "/centres/work-areas",
    response_model=WorkAreas,
    summary="評価の業務分野の構成 (出典つき) と職種の語彙",
)
async def work_areas() -> object:
    return catalogue.work_areas()


# --- catalogue ----------------------------------------------------------------------------------


@router.get(
    "/centres/catalogues", response_model=list[CatalogueSummary], summary="評価項目の版 (年度ごと)"
)
async def list_catalogues(session: Session) -> object:
    return await catalogue.list_catalogues(session)


@router.get(
    "/centres/catalogues/{fiscal_year}",
    response_model=CatalogueOut,
    summary="年度の評価項目 (業務分野・項目・出典)",
)
async def get_catalogue(fiscal_year: int, session: Session) -> object:
    return catalogue.catalogue_out(await catalogue.load(session, fiscal_year))


@router.put(
    "/centres/catalogues/{fiscal_year}",
    response_model=CatalogueOut,
    summary="年度の評価項目を登録・置き換え (支援担当のみ。回答がある年度はコードを変えられない)",
)
async def put_catalogue(
    fiscal_year: int, body: CatalogueIn, session: Session, actor: Staff
) -> object:
    cat = await catalogue.put_catalogue(session, fiscal_year, body, actor=actor)
    return catalogue.catalogue_out(cat)


@router.post(
    "/centres/catalogues/{fiscal_year}/import",
    response_model=CatalogueOut,
    summary="年度の評価項目をCSV・XLSXから取り込む (対象, 業務分野, 項目コード, 評価項目)",
)
async def import_catalogue(
    fiscal_year: int,
    session: Session,
    actor: Staff,
    file: Annotated[UploadFile, File()],
    name: Annotated[str, Form(min_length=1, max_length=200)],
    source_document: Annotated[str, Form(max_length=500)] = "",
    source_date: Annotated[str, Form(max_length=40)] = "",
    source_page: Annotated[str, Form(max_length=40)] = "",
    state: Annotated[Literal["暫定", "確定"], Form()] = "暫定",
    note: Annotated[str, Form(max_length=2000)] = "",
    version: Annotated[int | None, Form()] = None,
    dry_run: DryRun = False,
) -> object:
    content = await file.read()
    meta = {
        "name": name,
        "source_document": source_document,
        "source_date": source_date,
        "source_page": source_page,
        "state": state,
        "note": note,
        "version": version,
    }
    cat = await catalogue.import_catalogue(
        session, fiscal_year, file.filename or "", content, meta, actor=actor
    )
    if dry_run:
        out = catalogue.catalogue_out(cat)
        await session.rollback()  # checked, nothing kept
        return out
    await record_event(
        session,
        audit,
        entity_type="EvalCatalogue",
        entity_id=str(fiscal_year),
        action="import",
        file_name=file.filename or "",
        sha256=hashlib.sha256(content).hexdigest(),
        items=len(cat.items),
    )
    return catalogue.catalogue_out(cat)


@router.get(
    "/centres/catalogues/{fiscal_year}/export",
    summary="年度の評価項目を書き出す (取り込みと同じ形。CSVはBOM付きUTF-8)",
    **file_answer(MEDIA["csv"], MEDIA["xlsx"]),
)
async def export_catalogue(
    fiscal_year: int,
    session: Session,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
) -> Response:
    cat = await catalogue.load(session, fiscal_year)
    return download(
        catalogue.export_catalogue(cat, format),
        filename=f"centre-items-{fiscal_year}",
        format=format,
    )


# --- evaluations (static paths) -----------------------------------------------------------------


@router.get(
    "/centres/evaluations/{fiscal_year}/summary",
    response_model=EvaluationSummary,
    summary="区市町村のセンターの達成率、区市町村の達成率、都道府県の全センターの平均",
)
async def evaluation_summary(
    fiscal_year: int,
    session: Session,
    municipality_code: Annotated[str, Query(pattern=r"^\d{6}$")],
) -> object:
    return await evaluations.summary(session, fiscal_year, municipality_code)


@router.get(
    "/centres/evaluations/{fiscal_year}/areas",
    response_model=WeakestAreas,
    summary="都道府県の業務分野 (達成率の低い順、項目も低い順、研修の種類と参照キーつき)",
)
async def weakest_areas(
    fiscal_year: int,
    session: Session,
    subject: Literal["centre", "municipality"] = "centre",
    prefecture: Prefecture = None,
) -> object:
    return await evaluations.weakest_areas(
        session,
        fiscal_year,
        prefecture=prefecture or get_registry().home_prefecture,
        subject=subject,
    )


@router.post(
    "/centres/evaluations/{fiscal_year}/import",
    response_model=AnswersImported,
    summary="調査の回答表 (CSV・XLSX) を取り込む。区市町村の職員は自分の区市町村の行だけ",
)
async def import_answers(
    fiscal_year: int,
    session: Session,
    actor: AnswerWriter,
    file: Annotated[UploadFile, File()],
    dry_run: DryRun = False,
) -> object:
    content = await file.read()
    out = await evaluations.import_answers(
        session, fiscal_year, file.filename or "", content, actor=actor
    )
    if dry_run:
        await session.rollback()  # checked and counted, nothing kept
        return out
    await record_event(
        session,
        audit,
        entity_type="CentreEvaluation",
        entity_id=str(fiscal_year),
        action="import",
        file_name=file.filename or "",
        sha256=hashlib.sha256(content).hexdigest(),
        **out,
    )
    return out


@router.get(
    "/centres/evaluations/{fiscal_year}/municipalities/{municipality_code}",
    response_model=MunicipalitySheet,
    summary="区市町村自身の評価 (市町村指標): 項目ごとの回答、業務分野の達成率、都の平均",
)
async def get_municipality_answers(
    fiscal_year: int, municipality_code: str, session: Session
) -> object:
    return await evaluations.municipality_sheet(session, municipality_code, fiscal_year)


@router.put(
    "/centres/evaluations/{fiscal_year}/municipalities/{municipality_code}",
    response_model=MunicipalitySheet,
    summary="区市町村自身の回答を書き込む (全項目。既存なら version、古ければ 409)",
)
async def put_municipality_answers(
    fiscal_year: int, municipality_code: str, body: AnswersIn, session: Session, actor: Who
) -> object:
    await evaluations.put_municipality_answers(
        session, municipality_code, fiscal_year, body.answers, body.version, actor=actor
    )
    return await evaluations.municipality_sheet(session, municipality_code, fiscal_year)


# --- one centre ---------------------------------------------------------------------------------


async def _centre_detail(session: AsyncSession, centre_id: int) -> dict[str, Any]:
    c = await register.get_centre(session, centre_id)
    years = await register.years_of(session, centre_id)
    return {
        **register.centre_out(c, years[-1] if years else None),
        "years": [register.year_out(y) for y in years],
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "updated_by": c.updated_by,
    }


@router.get(
    "/centres/{centre_id}", response_model=CentreDetail, summary="センター (年度ごとの記録つき)"
)
async def get_centre(centre_id: int, session: Session) -> object:
    return await _centre_detail(session, centre_id)


@router.patch(
    "/centres/{centre_id}",
    response_model=CentreDetail,
    summary="センターの名称・開設/廃止年度を変更 (支援担当のみ)",
)
async def update_centre(
    centre_id: int, body: CentreUpdate, session: Session, actor: Staff
) -> object:
    await register.update_centre(session, centre_id, body, actor=actor)
    return await _centre_detail(session, centre_id)


@router.put(
    "/centres/{centre_id}/years/{fiscal_year}",
    response_model=CentreDetail,
    summary="その年度の設置形態・運営法人・担当圏域・職員を記録 (支援担当のみ)",
)
async def put_centre_year(
    centre_id: int, fiscal_year: int, body: CentreYearIn, session: Session, actor: Staff
) -> object:
    if not 2000 <= fiscal_year <= 2100:
        raise Invalid("年度は 2000〜2100 で指定してください")
    await register.put_year(session, centre_id, fiscal_year, body, actor=actor)
    return await _centre_detail(session, centre_id)


@router.get(
    "/centres/{centre_id}/evaluations/{fiscal_year}",
    response_model=CentreSheet,
    summary="センターの回答 (項目ごと、業務分野の達成率、都の平均)",
)
async def get_centre_answers(centre_id: int, fiscal_year: int, session: Session) -> object:
    return await evaluations.centre_sheet(session, centre_id, fiscal_year)


@router.put(
    "/centres/{centre_id}/evaluations/{fiscal_year}",
    response_model=CentreSheet,
    summary="センターの回答を書き込む (全項目。既存なら version、古ければ 409)",
)
async def put_centre_answers(
    centre_id: int, fiscal_year: int, body: AnswersIn, session: Session, actor: Who
) -> object:
    await evaluations.put_centre_answers(
        session, centre_id, fiscal_year, body.answers, body.version, actor=actor
    )
    return await evaluations.centre_sheet(session, centre_id, fiscal_year)


@router.get(
    "/centres/{centre_id}/evaluations/{fiscal_year}/radar",
    response_model=CentreRadar,
    summary="レーダーチャート: 業務分野ごとの達成率を区市町村のセンター平均・都の平均と比べる",
)
async def centre_radar(centre_id: int, fiscal_year: int, session: Session) -> object:
    return await evaluations.radar(session, centre_id, fiscal_year)

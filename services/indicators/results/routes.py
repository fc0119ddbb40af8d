"""Result endpoints: ranks and flags, averages, 取り戻す指標, year over year, and one call per
gateway view (dashboard, municipality profile). Every answer is read from the stored read
models."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor, get_actor
from services.common.db import get_session
from services.common.errors import Invalid
from services.common.openapi import file_answer
from services.indicators.frameworks.models import Level
from services.indicators.results import cache, comparisons, exports, schemas, shaping, views

router = APIRouter(tags=["結果・比較"])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]

Pref = Annotated[str | None, Query(pattern=r"^\d{2}$", description="都道府県番号 (例: 13)")]
Group = Annotated[
    str | None, Query(description="グループで絞り込み: 集合:グループ (例: region_class:区部)")
]
Share = Annotated[float, Query(gt=0, le=1, description="満点を取る比較団体の割合")]
EXACT = {"response_model_exclude_unset": True}


def options(
    prefecture: Pref = None,
    group: Group = None,
    entity_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    peer_set: str = "region_class",
    low_threshold: Annotated[float, Query(ge=0, le=1)] = 0.30,
    deduction: Annotated[
        str | None,
        Query(
            description="指定できません: 都道府県の減点は年度の減点の規則 "
            "(GET /api/v1/frameworks/{id}/deduction) から取ります",
            deprecated=True,
        ),
    ] = None,
    drop_points: Annotated[float, Query(ge=0)] = 20,
    previous_id: int | None = None,
) -> shaping.ResultOptions:
    if deduction is not None:
        msg = (
            "deduction は指定できません: 都道府県の減点は年度の減点の規則から取ります "
            "(GET /api/v1/frameworks/{id}/deduction で確認、"
            "PUT /api/v1/deduction-rules/{grant}/{grant_fy} で登録)"
        )
        raise Invalid(msg, errors=[{"loc": ["query", "deduction"], "msg": msg}])
    return shaping.ResultOptions(
        prefecture=prefecture,
        group=group,
        entity_code=entity_code,
        peer_set=peer_set,
        low_threshold=low_threshold,
        drop_points=drop_points,
        previous_id=previous_id,
    )


Opts = Annotated[shaping.ResultOptions, Depends(options)]


@router.get(
    "/frameworks/{framework_id}/results",
    response_model=schemas.Results,
    summary="結果 (総合得点・得点率・順位・フラグ)",
    **EXACT,
)
async def get_results(framework_id: int, request: Request, session: Session, opts: Opts) -> object:
    return await cache.answer(
        request, schemas.Results, lambda: shaping.results(session, framework_id, opts)
    )


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
    res = await shaping.results(session, framework_id, opts)
    return exports.results_download(res, framework_id, format)


@router.get(
    "/results/latest",
    response_model=list[schemas.LatestResults],
    summary="交付金ごとの最新の結果 (得点のある最新の体系)",
    **EXACT,
)
async def latest(
    request: Request, session: Session, opts: Opts, level: Level = Level.municipality
) -> object:
    return await cache.answer(
        request,
        list[schemas.LatestResults],
        lambda: shaping.latest_results(session, level=level, opts=opts),
    )


@router.get(
    "/frameworks/{framework_id}/averages",
    response_model=schemas.Averages,
    summary="全国・都道府県・グループ別の平均",
    **EXACT,
)
async def get_averages(
    framework_id: int,
    request: Request,
    session: Session,
    prefecture: Pref = None,
    group_set: str = "region_class",
) -> object:
    return await cache.answer(
        request,
        schemas.Averages,
        lambda: comparisons.averages(
            session, framework_id, prefecture=prefecture, group_set=group_set
        ),
    )


@router.get(
    "/frameworks/{framework_id}/recover",
    response_model=schemas.Recover,
    summary="取り戻す指標",
    **EXACT,
)
async def get_recover(
    framework_id: int,
    request: Request,
    session: Session,
    entity_code: Annotated[str, Query(pattern=r"^\d{6}$")],
    group_set: str = "region_class",
    share: Share = 0.30,
) -> object:
    return await cache.answer(
        request,
        schemas.Recover,
        lambda: comparisons.recover(
            session, framework_id, entity_code=entity_code, group_set=group_set, share=share
        ),
    )


@router.get(
    "/frameworks/{framework_id}/compare",
    response_model=schemas.Compare,
    summary="前年度との比較 (区分・指標コードで対応)",
    **EXACT,
)
async def get_compare(
    framework_id: int,
    request: Request,
    session: Session,
    previous_id: int | None = None,
    prefecture: Pref = None,
    entity_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    item_codes: Annotated[
        str | None, Query(description="指標コード (カンマ区切り): 全団体の指標ごとの差を返す")
    ] = None,
) -> object:
    codes = [c.strip() for c in item_codes.split(",") if c.strip()] if item_codes else None
    return await cache.answer(
        request,
        schemas.Compare,
        lambda: comparisons.compare(
            session,
            framework_id,
            previous_id=previous_id,
            prefecture=prefecture,
            entity_code=entity_code,
            item_codes=codes,
        ),
    )


# --- one call per gateway view ---------------------------------------------------------------


@router.get(
    "/views/dashboard",
    response_model=schemas.Dashboard,
    summary="ダッシュボード: 都道府県内の区市町村の得点・順位・フラグ (交付金ごと、1回で)",
    **EXACT,
)
async def dashboard_view(request: Request, session: Session, opts: Opts) -> object:
    return await cache.answer(request, schemas.Dashboard, lambda: views.dashboard(session, opts))


@router.get(
    "/views/municipalities/{code}",
    response_model=schemas.Profile,
    summary="区市町村のページ: 結果・取り戻す指標・年度推移・平均 (交付金ごと、1回で)",
    **EXACT,
)
async def profile_view(
    request: Request,
    session: Session,
    actor: Annotated[Actor, Depends(get_actor)],
    code: Annotated[str, Path(pattern=r"^\d{6}$")],
    prefecture: Annotated[
        str | None, Query(pattern=r"^\d{2}$", description="都道府県番号 (既定: 担当の都道府県)")
    ] = None,
    group_set: str = "region_class",
    years: Annotated[int, Query(ge=1, le=10, description="年度推移の年数")] = 3,
    share: Share = 0.30,
    pdca: Annotated[
        bool,
        Query(description="利用者が読める最新の取組と目標のシートも返す (概要・区市町村ページ用)"),
    ] = False,
) -> object:
    answer = await cache.answer(
        request,
        schemas.Profile,
        lambda: views.profile(
            session, code, prefecture=prefecture, group_set=group_set, years=years, share=share
        ),
    )
    if not pdca:
        return answer
    # The sheet depends on who asks (unpublished sheets), so it is read per request and
    # added to the cached figures rather than cached with them.
    sheet = await views.latest_sheet(session, actor, code)
    return views.with_field(answer, "pdca", sheet)


@router.get(
    "/views/grant-report",
    response_model=schemas.GrantReport,
    summary="交付金の報告用: 交付年度の区市町村の結果と配分試算、都道府県自身の結果 (1回で)",
    **EXACT,
)
async def grant_report_view(
    request: Request,
    session: Session,
    fiscal_year: Annotated[int, Query(ge=2000, le=2100, description="交付年度")],
    prefecture: Annotated[str, Query(pattern=r"^\d{2}$", description="都道府県番号")],
    budget_suishin: Annotated[
        int | None,
        Query(ge=0, description="推進交付金の予算 (試算用の指定額。省略時はその年度の予算)"),
    ] = None,
    budget_doryoku: Annotated[
        int | None,
        Query(ge=0, description="努力支援交付金の予算 (試算用の指定額。省略時はその年度の予算)"),
    ] = None,
) -> object:
    budgets = {"suishin": budget_suishin, "doryoku": budget_doryoku}
    return await cache.answer(
        request,
        schemas.GrantReport,
        lambda: views.grant_report(session, fiscal_year, prefecture=prefecture, budgets=budgets),
    )

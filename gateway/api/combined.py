"""The combined JSON no single service can answer: municipality overview, grant report,
support candidates, impact of companion support, and the prefecture's PDCA actuals. Each
route parses, calls its view (gateway/views/) and returns it; the views make a fixed number
of service calls, concurrently, and answer with the parts they have when a service is down
(``unavailable``), or 503 with ``?complete=true``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from gateway.actions import XLSX, attachment
from gateway.clients.base import collect_tags
from gateway.clients.support_cases import round_summary_query
from gateway.kept import json_kept
from gateway.reports import grant_report_csv, grant_report_xlsx
from gateway.views import candidates as candidates_view
from gateway.views import grant_report as grant_report_view
from gateway.views import impact as impact_view
from gateway.views import overview as overview_view
from gateway.views import pdca as pdca_view
from gateway.views.context import Ctx

router = APIRouter(tags=["統合 (交付金の報告・区市町村の概要)"])

Complete = Annotated[
    bool, Query(description="true なら、応答しないサービスがあるとき 503 (一部だけは返さない)")
]
FiscalYear = Annotated[int | None, Query(ge=2018, le=2100, description="年度 (省略時は今年度)")]


@router.get(
    "/municipalities/{code}/overview",
    summary="区市町村の概要 (得点・伴走型支援・研修・取組と目標)",
    responses={
        200: {
            "description": "各サービスの情報をまとめたもの。応答しないサービスは unavailable に名前が入る",
            "content": {
                "application/json": {
                    "example": {
                        "fiscal_year": 2025,
                        "municipality": {
                            "code": "131016",
                            "name": "千代田区",
                            "region_class": "区部",
                        },
                        "indicators": {
                            "grants": [{"grant": "suishin", "total": 412.0, "score_rate": 0.595}]
                        },
                        "support": {
                            "cases": [{"id": 1, "status": "ヒアリング", "theme": "介護予防"}]
                        },
                        "training": {"sessions_attended": 4, "completers": 3, "reached": True},
                        "pdca": {"sheets": []},
                        "unavailable": [],
                    }
                }
            },
        },
        503: {"description": "complete=true で、応答しないサービスがある"},
    },
)
async def overview(
    request: Request,
    ctx: Ctx,
    code: Annotated[str, Path(description="6桁の地方公共団体コード")],
    fiscal_year: FiscalYear = None,
    complete: Complete = False,
) -> dict[str, Any]:
    tags = collect_tags()
    view = await overview_view.overview(ctx, code, fiscal_year, complete=complete)
    return json_kept(request, tags, view.model_dump)  # type: ignore[return-value]


@router.get(
    "/grant-report/{fiscal_year}",
    summary="交付金の報告用の一括データ (区市町村ごとの結果と都道府県の根拠)",
    responses={
        200: {
            "description": "JSON (既定)、?format=csv (BOM付き UTF-8)、?format=xlsx (区分ごとのシート)",
            "content": {
                "application/json": {
                    "example": {
                        "fiscal_year": 2025,
                        "municipalities": [
                            {
                                "code": "131016",
                                "name": "千代田区",
                                "grants": [
                                    {
                                        "grant": "suishin",
                                        "total": 412.0,
                                        "score_rate": 0.59,
                                        "flagged": False,
                                        "allocation_estimate": 31500000,
                                    }
                                ],
                                "support_case_status": "ヒアリング",
                                "training_reached": True,
                            }
                        ],
                        "prefecture": {
                            "evidence": [
                                {
                                    "key": "advisor_dispatches",
                                    "value": 12,
                                    "source": {
                                        "service": "support_cases",
                                        "query": round_summary_query(2025),
                                        "field": "advisor_dispatches",
                                    },
                                }
                            ]
                        },
                        "unavailable": [],
                    }
                },
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            },
        },
        503: {"description": "complete=true で、応答しないサービスがある"},
    },
)
async def grant_report(
    ctx: Ctx,
    fiscal_year: Annotated[int, Path(ge=2018, le=2100)],
    format: Annotated[str, Query(pattern="^(json|csv|xlsx)$")] = "json",
    complete: Complete = False,
) -> Any:
    report = (
        await grant_report_view.grant_report(ctx, fiscal_year, complete=complete)
    ).model_dump()
    if format == "csv":
        name = f"grant-report-{fiscal_year}.csv"
        return attachment(grant_report_csv(report), "text/csv; charset=utf-8", name)
    if format == "xlsx":
        return attachment(grant_report_xlsx(report), XLSX, f"grant-report-{fiscal_year}.xlsx")
    return report


@router.get(
    "/support-candidates",
    summary="伴走型支援の候補 (希望した区市町村を優先し、類似団体と比べた弱さで並べる)",
)
async def support_candidates(
    ctx: Ctx, fiscal_year: FiscalYear = None, complete: Complete = False
) -> dict[str, Any]:
    view = await candidates_view.candidates(ctx, fiscal_year, complete=complete)
    return view.model_dump()


@router.get("/impact", summary="伴走型支援の効果 (支援した区市町村と類似団体の得点の変化)")
async def impact(
    ctx: Ctx,
    theme: Annotated[str | None, Query(description="支援のテーマで絞り込み")] = None,
    complete: Complete = False,
) -> dict[str, Any]:
    return (await impact_view.impact(ctx, theme, complete=complete)).model_dump()


@router.get("/pdca/prefecture", summary="都道府県の取組と目標 (記録から実績を埋めたもの)")
async def pdca_prefecture(ctx: Ctx, complete: Complete = False) -> dict[str, Any]:
    return (await pdca_view.prefecture_pdca(ctx, complete=complete)).model_dump()


__all__ = ["router"]

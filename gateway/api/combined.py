"""The combined JSON no single service can answer: municipality overview, grant report,
support candidates, impact of companion support, and the prefecture's PDCA actuals.

Every endpoint makes a fixed number of service calls (list endpoints with filters, never one
call per municipality), runs independent calls concurrently, and answers with the parts it has
when a service is down (``unavailable``), or 503 with ``?complete=true``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from gateway.api.registry import lookup, registry_of, to_out
from gateway.clients.base import ServiceError
from gateway.combine import Parts, gather, require_complete
from gateway.reports import grant_report_csv, grant_report_xlsx
from gateway.services import Services
from services.common import clock
from services.common.access import ensure_visible
from services.common.actor import Actor, Role
from services.common.errors import Forbidden
from services.common.fiscal import format_fy_full

router = APIRouter(tags=["統合 (交付金の報告・区市町村の概要)"])

GRANT_NAMES = {"suishin": "保険者機能強化推進交付金", "doryoku": "介護保険保険者努力支援交付金"}
Complete = Annotated[
    bool, Query(description="true なら、応答しないサービスがあるとき 503 (一部だけは返さない)")
]
FiscalYear = Annotated[int | None, Query(ge=2018, le=2100, description="年度 (省略時は今年度)")]


def _services(request: Request) -> Services:
    return request.app.state.services


def _actor(request: Request) -> Actor:
    return request.state.actor


def _fy(fiscal_year: int | None) -> int:
    return fiscal_year or clock.current_fiscal_year()


def _unavailable(parts: Parts) -> list[str]:
    return parts.unavailable


# --- overview -------------------------------------------------------------------------------


async def _indicator_grants(
    services: Services, prefecture: str, code: str, actor: Actor
) -> list[dict[str, Any]]:
    """Latest results per grant for one municipality, each with its 取り戻す指標."""
    latest = await services.indicators.latest_results(
        prefecture=prefecture, entity_code=code, actor=actor
    )
    grants = []
    for block in latest:
        entity = next((e for e in block.get("entities", []) if e["entity_code"] == code), None)
        if entity is None:
            continue
        fw = block.get("framework") or {}
        grants.append({"block": block, "entity": entity, "framework": fw})
    recovers = await asyncio.gather(
        *(services.indicators.recover(g["framework"]["id"], code, actor=actor) for g in grants)
    )
    out = []
    for g, rec in zip(grants, recovers, strict=True):
        e, fw = g["entity"], g["framework"]
        out.append(
            {
                "grant": g["block"].get("grant"),
                "grant_name": GRANT_NAMES.get(g["block"].get("grant"), g["block"].get("grant")),
                "framework_id": fw.get("id"),
                "framework_name": fw.get("name"),
                "grant_fy": fw.get("grant_fy"),
                "evaluation_fy": fw.get("evaluation_fy"),
                "total": e["total"],
                "max_points": e["max_points"],
                "score_rate": e["score_rate"],
                "prefecture_rank": e.get("prefecture_rank"),
                "prefecture_rank_of": e.get("prefecture_rank_of"),
                "national_rank": e.get("national_rank"),
                "national_rank_of": e.get("national_rank_of"),
                "peer_group": e.get("peer_group"),
                "peer_rank": e.get("peer_rank"),
                "peer_rank_of": e.get("peer_rank_of"),
                "previous_total": e.get("previous_total"),
                "categories": e.get("categories", []),
                "flags": e.get("flags", []),
                "recover": {
                    "recoverable_points": rec.get("recoverable_points"),
                    "peer_count": rec.get("peer_count"),
                    "items": rec.get("items", []),
                },
                "prefecture_means": g["block"].get("summary", {}).get("categories", []),
            }
        )
    return out


async def _pdca_progress(services: Services, code: str, actor: Actor) -> list[dict[str, Any]]:
    sheets = await services.indicators.pdca_sheets(entity_code=code, actor=actor)
    if not sheets:
        return []
    latest = max(sheets, key=lambda s: (s.get("end_fy") or 0, s.get("id") or 0))
    sheet = await services.indicators.pdca_sheet(latest["id"], actor=actor)
    return [_sheet_summary(sheet)]


def _sheet_summary(sheet: dict[str, Any]) -> dict[str, Any]:
    progress = sheet.get("progress") or []
    if isinstance(progress, dict):
        progress = progress.get("items", [])
    return {
        "id": sheet.get("id"),
        "title": sheet.get("title"),
        "start_fy": sheet.get("start_fy"),
        "end_fy": sheet.get("end_fy"),
        "items": len(sheet.get("items", [])),
        "achieved": sum(1 for p in progress if p.get("achieved")),
        "progress": progress,
        "version": sheet.get("version"),
    }


def _case_summary(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": c["id"],
        "fiscal_year": c.get("fiscal_year"),
        "theme": c.get("theme"),
        "status": c.get("status"),
        "advisors": [a.get("name") if isinstance(a, dict) else a for a in c.get("advisors", [])],
        "next_visit_date": c.get("next_visit_date"),
        "last_visit_date": c.get("last_visit_date"),
        "visits_count": c.get("visits_count"),
        "roadmap_progress": c.get("roadmap_progress"),
        "roadmap_items": c.get("roadmap_items"),
        "indicator_item_codes": c.get("indicator_item_codes", []),
    }


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
    code: Annotated[str, Path(description="6桁の地方公共団体コード")],
    fiscal_year: FiscalYear = None,
    complete: Complete = False,
) -> dict[str, Any]:
    registry = registry_of(request)
    m = lookup(registry, code)
    actor = _actor(request)
    ensure_visible(actor, m.code, what="区市町村の情報")
    fy = _fy(fiscal_year)
    parts = await gather(overview_calls(_services(request), registry, m, actor, fy))
    require_complete(parts, complete)
    return shape_overview(m, fy, parts)


def overview_calls(
    services: Services, registry: Any, m: Any, actor: Actor, fy: int
) -> dict[str, tuple[str, Awaitable[Any]]]:
    """The service calls behind a municipality's overview, for ``gather`` (the profile page
    adds its own calls to the same set so that all of them run concurrently)."""
    return {
        "indicators": (
            "indicators",
            _indicator_grants(services, registry.home_prefecture, m.code, actor),
        ),
        "pdca": ("indicators", _pdca_progress(services, m.code, actor)),
        "cases": (
            "support_cases",
            services.support_cases.cases(municipality_code=m.code, actor=actor),
        ),
        "participation": (
            "training",
            services.training.get_json(
                "/api/v1/participation",
                params={"fiscal_year": fy, "municipality_code": m.code},
                actor=actor,
            ),
        ),
        "kotei": (
            "training",
            services.training.get_json(
                "/api/v1/kotei-hyo/status", params={"fiscal_year": fy}, actor=actor
            ),
        ),
    }


def shape_overview(m: Any, fy: int, parts: Parts) -> dict[str, Any]:
    """The overview document from the parts ``overview_calls`` gathered."""
    training = None
    if "participation" in parts and "kotei" in parts:
        rows = parts.get("participation", {}).get("municipalities", [])
        row = next((r for r in rows if r.get("municipality_code") == m.code), None) or {}
        kotei = [k for k in parts.get("kotei", []) if k.get("municipality_code") == m.code]
        training = {
            "fiscal_year": fy,
            "sessions_attended_by_kind": row.get("sessions_attended_by_kind", {}),
            "sessions_attended": row.get("sessions_attended", 0),
            "completers_by_kind": row.get("completers_by_kind", {}),
            "completers": row.get("completers", 0),
            "persons": row.get("persons", 0),
            "attendances": row.get("attendances", 0),
            "reached": bool(row.get("reached")),
            "kotei_hyo": kotei,
        }
    cases = parts.get("cases")
    return {
        "fiscal_year": fy,
        "fiscal_year_label": format_fy_full(fy),
        "municipality": to_out(m).model_dump(),
        "indicators": {"grants": parts.get("indicators")} if "indicators" in parts else None,
        "support": (
            {
                "cases": [
                    _case_summary(c)
                    for c in sorted(cases, key=lambda c: (-(c.get("fiscal_year") or 0), c["id"]))
                ]
            }
            if cases is not None
            else None
        ),
        "training": training,
        "pdca": {"sheets": parts.get("pdca")} if "pdca" in parts else None,
        "unavailable": _unavailable(parts),
    }


# --- grant report ---------------------------------------------------------------------------


async def _grant_results(
    services: Services,
    prefecture: str,
    prefecture_code: str,
    fy: int,
    budgets: dict[str, int],
    actor: Actor,
) -> dict[str, Any]:
    """Results and allocation estimates of the municipal frameworks for grant year ``fy``
    (or, where the year has none, the latest earlier one with scores), and the prefecture's
    own framework results."""
    frameworks = await services.indicators.frameworks(actor=actor)
    chosen: dict[tuple[str, str], Any] = {}
    for f in frameworks:
        if f.grant_fy > fy:
            continue
        key = (f.grant, f.level)
        if key not in chosen or f.grant_fy > chosen[key].grant_fy:
            chosen[key] = f
    municipal = [f for (g, lvl), f in chosen.items() if lvl == "municipality"]
    prefectural = [f for (g, lvl), f in chosen.items() if lvl == "prefecture"]
    results, allocations, pref_results = await asyncio.gather(
        asyncio.gather(
            *(
                services.indicators.results(f.id, prefecture=prefecture, actor=actor)
                for f in municipal
            )
        ),
        asyncio.gather(
            *(
                services.indicators.allocation(
                    f.id, {"budget": budgets.get(f.grant, 0)}, actor=actor
                )
                for f in municipal
            ),
            return_exceptions=True,
        ),
        asyncio.gather(
            *(
                services.indicators.results(
                    f.id, entity_code=f"{prefecture}0001"[:5] + "1", actor=actor
                )
                for f in prefectural
            )
        ),
    )
    return {
        "municipal": [
            {"framework": f.model_dump(), "results": r, "allocation": a}
            for f, r, a in zip(municipal, results, allocations, strict=True)
        ],
        "prefectural": [
            {"framework": f.model_dump(), "results": r}
            for f, r in zip(prefectural, pref_results, strict=True)
        ],
    }


def _source(service: str, query: str, field: str) -> dict[str, str]:
    return {"service": service, "query": query, "field": field}


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
                                        "query": "GET /api/v1/rounds/2025/summary",
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
    request: Request,
    fiscal_year: Annotated[int, Path(ge=2018, le=2100)],
    format: Annotated[str, Query(pattern="^(json|csv|xlsx)$")] = "json",
    complete: Complete = False,
) -> Any:
    actor = _actor(request)
    if actor.role == Role.municipality:
        raise Forbidden("交付金の報告データは都道府県の担当者向けです")
    settings = request.app.state.settings
    registry = registry_of(request)
    pref = registry.home_prefecture
    fy = fiscal_year
    services = _services(request)
    budgets = {
        "suishin": settings.allocation_budget_suishin,
        "doryoku": settings.allocation_budget_doryoku,
    }
    parts = await gather(
        {
            "grants": (
                "indicators",
                _grant_results(services, pref, registry.prefecture(pref).code, fy, budgets, actor),
            ),
            "cases": ("support_cases", services.support_cases.cases(fiscal_year=fy, actor=actor)),
            "round": ("support_cases", services.support_cases.round_summary(fy, actor=actor)),
            "stats": (
                "training",
                services.training.get_json(
                    "/api/v1/stats", params={"fiscal_year": fy}, actor=actor
                ),
            ),
        }
    )
    require_complete(parts, complete)
    report = build_grant_report(registry, fy, parts, budgets)
    if format == "csv":
        return Response(
            grant_report_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="grant-report-{fy}.csv"'},
        )
    if format == "xlsx":
        return Response(
            grant_report_xlsx(report),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="grant-report-{fy}.xlsx"'},
        )
    return report


def build_grant_report(
    registry: Any, fy: int, parts: Parts, budgets: dict[str, int]
) -> dict[str, Any]:
    pref = registry.home_prefecture
    home = sorted(registry.home(), key=lambda m: m.code)
    grants = parts.get("grants")
    cases = parts.get("cases")
    stats = parts.get("stats")
    summary = parts.get("round")

    per_muni: dict[str, dict[str, Any]] = {
        m.code: {
            "code": m.code,
            "name": m.name,
            "region_class": m.region_class,
            "peer_type": m.peer_type,
            "grants": [],
            "flagged": False,
            "support_case_status": None,
            "training_reached": None,
        }
        for m in home
    }
    low_counts: list[dict[str, Any]] = []
    if grants is not None:
        for g in grants["municipal"]:
            fw = g["framework"]
            alloc = g["allocation"] if isinstance(g["allocation"], dict) else None
            paid = {e["entity_code"]: e for e in (alloc or {}).get("entities", [])}
            for e in g["results"].get("entities", []):
                row = per_muni.get(e["entity_code"])
                if row is None:
                    continue
                flags = [f.get("code") for f in e.get("flags", [])]
                a = paid.get(e["entity_code"])
                row["grants"].append(
                    {
                        "grant": fw["grant"],
                        "grant_fy": fw["grant_fy"],
                        "framework_id": fw["id"],
                        "total": e["total"],
                        "max_points": e["max_points"],
                        "score_rate": e["score_rate"],
                        "prefecture_rank": e.get("prefecture_rank"),
                        "flags": flags,
                        "allocation_estimate": a.get("paid") if a else None,
                    }
                )
                if "low_score_rate" in flags:
                    row["flagged"] = True
            s = g["results"].get("summary", {})
            low_counts.append(
                {
                    "grant": fw["grant"],
                    "grant_fy": fw["grant_fy"],
                    "framework_id": fw["id"],
                    "low_count": s.get("low_count"),
                    "low_threshold": s.get("low_threshold"),
                    "deduction": s.get("prefecture_deduction"),
                }
            )
    if cases is not None:
        for c in sorted(cases, key=lambda c: c["id"]):
            row = per_muni.get(c.get("municipality_code"))
            if row is not None:
                row["support_case_status"] = c.get("status")
    reached = set(stats.get("municipalities_reached", [])) if stats is not None else None
    if reached is not None:
        for code, row in per_muni.items():
            row["training_reached"] = code in reached

    evidence: list[dict[str, Any]] = []
    if stats is not None:
        q = f"GET /api/v1/stats?fiscal_year={fy}"
        evidence += [
            {
                "key": "trainings_held_by_kind",
                "label": "研修事業: 区市町村職員向け研修の開催回数 (種類別)",
                "value": stats.get("sessions_held_by_kind", {}),
                "source": _source("training", q, "sessions_held_by_kind"),
            },
            {
                "key": "completers_by_kind",
                "label": "研修事業: 修了者数 (種類別)",
                "value": stats.get("completers_by_kind", {}),
                "source": _source("training", q, "completers_by_kind"),
            },
            {
                "key": "municipalities_reached",
                "label": "研修に参加した区市町村の数",
                "value": len(stats.get("municipalities_reached", [])),
                "of": len(home),
                "source": _source("training", q, "municipalities_reached"),
            },
        ]
    if summary is not None:
        q = f"GET /api/v1/rounds/{fy}/summary"
        evidence += [
            {
                "key": "advisor_dispatches",
                "label": "アドバイザー派遣事業: 派遣回数 (専門家×訪問)",
                "value": summary.get("advisor_dispatches", 0),
                "source": _source("support_cases", q, "advisor_dispatches"),
            },
            {
                "key": "advisor_hours",
                "label": "アドバイザー派遣事業: 派遣時間",
                "value": summary.get("advisor_hours", 0),
                "source": _source("support_cases", q, "advisor_hours"),
            },
        ]
    elif "support_cases" not in parts.unavailable:
        evidence.append(
            {
                "key": "advisor_dispatches",
                "label": "アドバイザー派遣事業: 派遣回数 (専門家×訪問)",
                "value": 0,
                "note": f"{fy}年度の支援年度が登録されていません",
                "source": _source(
                    "support_cases", f"GET /api/v1/rounds/{fy}/summary", "advisor_dispatches"
                ),
            }
        )
    if cases is not None:
        active = [c for c in cases if c.get("status") != "中止"]
        evidence.append(
            {
                "key": "model_projects",
                "label": "モデル事業: 伴走型支援の事例数 (中止を除く)",
                "value": len(active),
                "municipalities": sorted({c.get("municipality_code") for c in active}),
                "source": _source(
                    "support_cases", f"GET /api/v1/cases?fiscal_year={fy}", "status != 中止"
                ),
            }
        )
    for lc in low_counts:
        q = f"GET /api/v1/frameworks/{lc['framework_id']}/results?prefecture={pref}"
        evidence += [
            {
                "key": f"low_score_municipalities:{lc['grant']}",
                "label": f"得点率が{round((lc['low_threshold'] or 0) * 100)}%以下の区市町村の数 ({GRANT_NAMES.get(lc['grant'], lc['grant'])} {lc['grant_fy']}年度)",
                "value": lc["low_count"],
                "source": _source("indicators", q, "summary.low_count"),
            },
            {
                "key": f"deduction:{lc['grant']}",
                "label": f"都道府県の減点 ({GRANT_NAMES.get(lc['grant'], lc['grant'])} {lc['grant_fy']}年度)",
                "value": lc["deduction"],
                "source": _source("indicators", q, "summary.prefecture_deduction"),
            },
        ]
    prefecture_results = []
    if grants is not None:
        for g in grants["prefectural"]:
            for e in g["results"].get("entities", []):
                prefecture_results.append(
                    {
                        "grant": g["framework"]["grant"],
                        "grant_fy": g["framework"]["grant_fy"],
                        "total": e["total"],
                        "max_points": e["max_points"],
                        "score_rate": e["score_rate"],
                        "national_rank": e.get("national_rank") or e.get("rank"),
                        "national_rank_of": e.get("national_rank_of") or e.get("rank_of"),
                    }
                )
    return {
        "fiscal_year": fy,
        "fiscal_year_label": format_fy_full(fy),
        "prefecture": {
            "code": registry.prefecture(pref).code,
            "name": registry.prefecture(pref).name,
            "results": prefecture_results,
            "evidence": evidence,
        },
        "allocation": {
            "budgets": budgets,
            "rule": "予算額 × (総合得点 × 第1号被保険者数) ÷ Σ(総合得点 × 第1号被保険者数)、所要見込額が上限、1円未満切り捨て (入力のある保険者で按分した見込み)",
        },
        "municipalities": list(per_muni.values()),
        "unavailable": parts.unavailable,
    }


# --- support candidates ---------------------------------------------------------------------


@router.get(
    "/support-candidates",
    summary="伴走型支援の候補 (希望した区市町村を優先し、類似団体と比べた弱さで並べる)",
)
async def support_candidates(
    request: Request, fiscal_year: FiscalYear = None, complete: Complete = False
) -> dict[str, Any]:
    actor = _actor(request)
    if actor.role not in (Role.admin, Role.coordinator, Role.viewer):
        raise Forbidden("候補の一覧は都道府県の担当者向けです")
    settings = request.app.state.settings
    registry = registry_of(request)
    fy = _fy(fiscal_year)
    services = _services(request)
    parts = await gather(
        {
            "applications": (
                "support_cases",
                services.support_cases.applications(fiscal_year=fy, actor=actor),
            ),
            "round": ("support_cases", services.support_cases.round(fy, actor=actor)),
            "latest": (
                "indicators",
                services.indicators.latest_results(
                    prefecture=registry.home_prefecture, peer_set="peer_type", actor=actor
                ),
            ),
        }
    )
    require_complete(parts, complete)
    priority = [c.strip() for c in settings.priority_categories.split(",") if c.strip()]
    return rank_candidates(
        registry, fy, parts, priority=priority, low_threshold=settings.low_score_threshold
    )


def rank_candidates(
    registry: Any, fy: int, parts: Parts, *, priority: list[str], low_threshold: float
) -> dict[str, Any]:
    apps = {a["municipality_code"]: a for a in (parts.get("applications") or [])}
    rnd = parts.get("round") or {}
    targets = rnd.get("targets_by_region_class") or {"区部": 1, "市部": 1, "町村部": 1}
    latest = parts.get("latest")
    # weakness: for each priority category, how far the entity's score rate lies below its
    # peer group's mean, summed over the grants (percentage points).
    weak: dict[str, float] = {}
    reasons: dict[str, list[str]] = {}
    if latest is not None:
        for block in latest:
            grant = GRANT_NAMES.get(block.get("grant"), block.get("grant"))
            entities = block.get("entities", [])
            top = block.get("summary", {}).get("top_categories") or []
            cats = priority or top
            # peer means computed from the entities themselves (same peer_group)
            sums: dict[tuple[str, str], list[float]] = {}
            for e in entities:
                for c in e.get("categories", []):
                    if c["code"] in cats and c.get("score_rate") is not None:
                        sums.setdefault((e.get("peer_group") or "", c["code"]), []).append(
                            c["score_rate"]
                        )
            for e in entities:
                code = e["entity_code"]
                for c in e.get("categories", []):
                    if c["code"] not in cats or c.get("score_rate") is None:
                        continue
                    peers = sums.get((e.get("peer_group") or "", c["code"]), [])
                    if len(peers) < 2:
                        continue
                    mean = sum(peers) / len(peers)
                    gap = (mean - c["score_rate"]) * 100
                    weak[code] = weak.get(code, 0.0) + gap
                    if gap > 5:
                        reasons.setdefault(code, []).append(
                            f"{grant} {c['code']}: 得点率 {c['score_rate'] * 100:.1f}% "
                            f"(類似団体 {e.get('peer_group')} の平均 {mean * 100:.1f}%、{gap:.1f}ポイント低い)"
                        )
                if e.get("score_rate") is not None and e["score_rate"] <= low_threshold:
                    reasons.setdefault(code, []).append(
                        f"{grant}: 得点率 {e['score_rate'] * 100:.1f}% (低得点の目安 {low_threshold * 100:.0f}%以下)"
                    )
    rows = []
    for m in registry.home():
        app = apps.get(m.code)
        why = []
        if app:
            status = app.get("status")
            why.append(
                f"支援を希望 ({status})"
                + (f": {app.get('motivation')[:60]}" if app.get("motivation") else "")
            )
        why += reasons.get(m.code, [])
        rows.append(
            {
                "code": m.code,
                "name": m.name,
                "region_class": m.region_class,
                "peer_type": m.peer_type,
                "applied": app is not None,
                "application_id": app.get("id") if app else None,
                "application_status": app.get("status") if app else None,
                "weakness": round(weak[m.code], 2) if m.code in weak else None,
                "reasons": why,
            }
        )
    rows.sort(
        key=lambda r: (
            not r["applied"],
            -(r["weakness"] if r["weakness"] is not None else -1e9),
            r["code"],
        )
    )
    for i, r in enumerate(rows, start=1):
        r["rank"] = i
    suggested, shortfall = [], {}
    for rc, n in targets.items():
        pool = [
            r
            for r in rows
            if r["region_class"] == rc and r["applied"] and r["application_status"] != "見送り"
        ]
        picked = pool[:n]
        suggested += [r["code"] for r in picked]
        if len(picked) < n:
            shortfall[rc] = n - len(picked)
    return {
        "fiscal_year": fy,
        "rule": (
            "希望した区市町村を先に、その中で類似団体 (peer_type) の平均と比べた重点区分の得点率の低さ"
            "(ポイントの合計) の大きい順。推薦は希望した区市町村だけから、区分ごとの目標数まで。"
        ),
        "targets_by_region_class": targets,
        "priority_categories": priority or "最上位の全区分",
        "candidates": rows,
        "suggested": suggested,
        "shortfall_by_region_class": shortfall,
        "indicators_available": latest is not None,
        "unavailable": parts.unavailable,
    }


# --- impact ---------------------------------------------------------------------------------


@router.get("/impact", summary="伴走型支援の効果 (支援した区市町村と類似団体の得点の変化)")
async def impact(
    request: Request,
    theme: Annotated[str | None, Query(description="支援のテーマで絞り込み")] = None,
    complete: Complete = False,
) -> dict[str, Any]:
    actor = _actor(request)
    registry = registry_of(request)
    services = _services(request)
    parts = await gather(
        {
            "cases": ("support_cases", services.support_cases.cases(actor=actor)),
            "frameworks": (
                "indicators",
                services.indicators.frameworks(level="municipality", actor=actor),
            ),
        }
    )
    require_complete(parts, complete)
    if parts.unavailable:
        return {
            "theme": theme,
            "items": [],
            "enough_data": False,
            "note": "必要なサービスが応答しません",
            "unavailable": parts.unavailable,
        }
    cases = [
        c
        for c in parts.get("cases")
        if c.get("status") != "中止" and (theme is None or c.get("theme") == theme)
    ]
    linked: dict[str, set[str]] = {}
    first_fy: dict[str, int] = {}
    for c in cases:
        for item in c.get("indicator_item_codes") or []:
            linked.setdefault(item, set()).add(c["municipality_code"])
        fyc = c.get("fiscal_year")
        if fyc:
            first_fy[c["municipality_code"]] = min(first_fy.get(c["municipality_code"], fyc), fyc)
    if not linked:
        return {
            "theme": theme,
            "items": [],
            "enough_data": False,
            "note": "指標と結び付いた支援事例がありません",
            "unavailable": [],
        }
    out_items = []
    by_grant: dict[str, list[Any]] = {}
    for f in parts.get("frameworks"):
        by_grant.setdefault(f.grant, []).append(f)
    support_start = min(first_fy.values()) if first_fy else None
    compare_calls = {}
    for grant, fws in by_grant.items():
        fws.sort(key=lambda f: f.grant_fy)
        # before: the newest result evaluated before support began; after: the newest of all,
        # if it was evaluated in or after the first support year (an action in FY N scores in
        # the framework evaluating FY N, paid in grant year N+1).
        before = [f for f in fws if support_start is None or f.evaluation_fy < support_start]
        after = [f for f in fws if support_start is None or f.evaluation_fy >= support_start]
        if before and after and before[-1].id != after[-1].id:
            compare_calls[grant] = (before[-1], after[-1])
    if not compare_calls:
        return {
            "theme": theme,
            "items": [],
            "enough_data": False,
            "note": (
                f"支援を始めた{support_start}年度以降を評価した結果がまだないため、比較できません"
                if support_start
                else "比較できる2か年の結果がありません"
            ),
            "unavailable": [],
        }
    try:
        compares = await asyncio.gather(
            *(
                services.indicators.compare(
                    lf.id,
                    previous_id=bf.id,
                    prefecture=registry.home_prefecture,
                    item_codes=sorted(linked),
                    actor=actor,
                )
                for bf, lf in compare_calls.values()
            )
        )
    except ServiceError as exc:
        if complete:
            raise
        return {
            "theme": theme,
            "items": [],
            "enough_data": False,
            "note": exc.detail,
            "unavailable": [exc.service],
        }
    for (grant, (bf, lf)), comp in zip(compare_calls.items(), compares, strict=True):
        for item, supported in sorted(linked.items()):
            diffs_s, diffs_u = [], []
            peer_groups = {registry.get(c).peer_type for c in supported if registry.get(c)}
            for e in comp.get("entities", []):
                d = next((i for i in e.get("items", []) if i.get("code") == item), None)
                if d is None or d.get("diff") is None:
                    continue
                m = registry.get(e["entity_code"])
                if m is None:
                    continue
                if e["entity_code"] in supported:
                    diffs_s.append(d["diff"])
                elif m.peer_type in peer_groups:
                    diffs_u.append(d["diff"])
            enough = len(diffs_s) >= 1 and len(diffs_u) >= 3
            out_items.append(
                {
                    "grant": grant,
                    "item_code": item,
                    "from_grant_fy": bf.grant_fy,
                    "to_grant_fy": lf.grant_fy,
                    "supported": {
                        "count": len(diffs_s),
                        "mean_change": round(sum(diffs_s) / len(diffs_s), 2) if diffs_s else None,
                    },
                    "unsupported_peers": {
                        "count": len(diffs_u),
                        "mean_change": round(sum(diffs_u) / len(diffs_u), 2) if diffs_u else None,
                    },
                    "enough_data": enough,
                    "note": None
                    if enough
                    else "比較に必要なデータが足りません (支援した団体1以上と類似団体3以上が必要)",
                }
            )
    return {
        "theme": theme,
        "items": out_items,
        "enough_data": any(i["enough_data"] for i in out_items),
        "note": None if out_items else "比較できる2か年の結果がありません",
        "unavailable": [],
    }


# --- PDCA actuals ---------------------------------------------------------------------------


def _parse_metric(source: str) -> tuple[str, str, list[int]] | None:
    """'training.completers:<kind>:2018-2020' → ('training.completers', kind, [2018, 2019, 2020])."""
    try:
        head, rest = source.split(":", 1)
        arg, _, years = rest.rpartition(":")
        if "-" in years:
            a, b = (int(x) for x in years.split("-", 1))
        else:
            a = b = int(years)
    except ValueError:
        return None
    if b < a or b - a > 10:
        return None
    return head, arg, list(range(a, b + 1))


@router.get("/pdca/prefecture", summary="都道府県の取組と目標 (記録から実績を埋めたもの)")
async def pdca_prefecture(request: Request, complete: Complete = False) -> dict[str, Any]:
    actor = _actor(request)
    if actor.role == Role.municipality:
        raise Forbidden("都道府県のシートは都道府県の担当者向けです")
    registry = registry_of(request)
    services = _services(request)
    pref_code = registry.prefecture(registry.home_prefecture).code
    sheets = await services.indicators.pdca_sheets(entity_code=pref_code, actor=actor)
    if not sheets:
        return {"sheet": None, "metrics": [], "unavailable": []}
    sheet = await services.indicators.pdca_sheet(
        max(sheets, key=lambda s: s["id"])["id"], actor=actor
    )
    sources = sorted(
        {i.get("metric_source") for i in sheet.get("items", []) if i.get("metric_source")}
        | {
            y.get("actual_source")
            for i in sheet.get("items", [])
            for y in i.get("years", [])
            if y.get("actual_source")
        }
    )
    years = sorted({y for s in sources if (p := _parse_metric(s)) for y in p[2]})
    calls: dict[str, tuple[str, Any]] = {}
    for y in years:
        if any(s.startswith("training.") for s in sources):
            calls[f"stats:{y}"] = (
                "training",
                services.training.get_json("/api/v1/stats", params={"fiscal_year": y}, actor=actor),
            )
        if any(s.startswith("support.") for s in sources):
            calls[f"round:{y}"] = (
                "support_cases",
                services.support_cases.round_summary(y, actor=actor),
            )
    parts = await gather(calls)
    require_complete(parts, complete)
    metrics: dict[str, float] = {}
    explained = []
    for s in sources:
        parsed = _parse_metric(s)
        entry: dict[str, Any] = {"metric_source": s, "value": None}
        if parsed is None:
            entry["note"] = "実績の出どころを読み取れません"
            explained.append(entry)
            continue
        head, arg, fys = parsed
        values, queries, recorded = [], [], False
        for y in fys:
            if head.startswith("training."):
                st = parts.get(f"stats:{y}")
                if st is None:
                    break
                queries.append(f"training: GET /api/v1/stats?fiscal_year={y}")
                held = sum((st.get("sessions_held_by_kind") or {}).values())
                recorded = recorded or held > 0
                field = {
                    "training.completers": "completers_by_kind",
                    "training.sessions": "sessions_held_by_kind",
                    "training.persons": "persons_by_kind",
                }.get(head)
                if head == "training.municipalities_reached":
                    values.append(len(st.get("municipalities_reached", [])))
                elif field:
                    values.append((st.get(field) or {}).get(arg, 0))
            elif head.startswith("support."):
                sm = parts.get(f"round:{y}")
                queries.append(f"support_cases: GET /api/v1/rounds/{y}/summary")
                if sm is None:
                    continue
                recorded = True
                values.append(sm.get(head.split(".", 1)[1], 0))
        entry["queries"] = queries
        if len(values) == len(fys) and recorded:
            total = sum(values) if head != "training.municipalities_reached" else values[-1]
            metrics[s] = total
            entry["value"] = total
        else:
            entry["note"] = "この期間の記録がないため、入力された実績を使います"
        explained.append(entry)
    filled = (
        await services.indicators.pdca_progress(sheet["id"], metrics, actor=actor)
        if metrics
        else sheet
    )
    return {"sheet": filled, "metrics": explained, "unavailable": parts.unavailable}


__all__ = ["router"]

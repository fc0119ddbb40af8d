"""Home (the dashboard of the home prefecture's municipalities: scores, flags, support cases,
training reach) and the municipality profile (the overview with charts, printable)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from gateway.api.combined import GRANT_NAMES, overview_calls, shape_overview
from gateway.api.registry import lookup, registry_of
from gateway.charts import Series, line, radar
from gateway.combine import gather
from gateway.services import Services
from gateway.templating import render
from services.common import clock
from services.common.access import ensure_visible
from services.common.actor import Actor, Role
from services.common.fiscal import fiscal_year_of, format_fy_wareki
from services.common.registry import PEER_TYPES, REGION_CLASSES, Municipality

router = APIRouter(include_in_schema=False)

GRANT_SHORT = {"suishin": "推進交付金", "doryoku": "努力支援交付金"}
GRANT_ORDER = ("suishin", "doryoku")
FLAG_LABELS = {"low_score_rate": "低得点", "drop": "得点低下"}
CASE_STATUSES = (
    "選定",
    "ヒアリング",
    "課題分析",
    "取組選定",
    "ロードマップ作成",
    "実施・検証",
    "報告",
    "完了",
    "中止",
)
CASE_STEPS = CASE_STATUSES[:-1]  # 中止 is not a step
YOY_YEARS = 6  # grant years per grant on the profile's year-over-year chart
SORT_LABELS = {
    "code": "コード",
    "name": "名称",
    "region_class": "区分",
    "medical_area": "圏域",
    "peer_type": "類型",
    "flags": "フラグ",
    "case": "伴走型支援",
    "training": "研修",
}


def _services(request: Request) -> Services:
    return request.app.state.services


def _actor(request: Request) -> Actor:
    return request.state.actor


def _grant_order(grant: str) -> tuple[int, str]:
    return (GRANT_ORDER.index(grant) if grant in GRANT_ORDER else len(GRANT_ORDER), grant)


# ---------------------------------------------------------------- dashboard


@dataclass
class Row:
    """One municipality's line on the dashboard; None = that service did not answer."""

    m: Municipality
    grants: dict[str, dict[str, Any]] = field(default_factory=dict)
    flags: list[dict[str, str]] = field(default_factory=list)
    case: dict[str, Any] | None = None
    reached: bool | None = None

    @property
    def low(self) -> bool:
        return any(f["code"] == "low_score_rate" for f in self.flags)


def _sort_value(row: Row, key: str) -> Any:
    if key.startswith("score:"):
        e = row.grants.get(key[6:])
        return e["score_rate"] if e else None
    if key.startswith("rank:"):
        e = row.grants.get(key[5:])
        return e.get("peer_rank") if e else None
    match key:
        case "name":
            return row.m.kana or row.m.name
        case "region_class":
            rc = row.m.region_class
            return REGION_CLASSES.index(rc) if rc in REGION_CLASSES else None
        case "medical_area":
            return row.m.medical_area
        case "peer_type":
            pt = row.m.peer_type
            return PEER_TYPES.index(pt) if pt in PEER_TYPES else None
        case "flags":
            return len(row.flags)
        case "case":
            status = row.case.get("status") if row.case else None
            return CASE_STATUSES.index(status) if status in CASE_STATUSES else None
        case "training":
            return None if row.reached is None else int(row.reached)
    return row.m.code


def sort_rows(rows: list[Row], key: str, descending: bool) -> list[Row]:
    """Sorted by ``key`` (ties by code); rows without a value go last either way."""
    by_code = sorted(rows, key=lambda r: r.m.code)
    known = [r for r in by_code if _sort_value(r, key) is not None]
    unknown = [r for r in by_code if _sort_value(r, key) is None]
    known.sort(key=lambda r: _sort_value(r, key), reverse=descending)
    return known + unknown


def _this_month_sessions(sessions: list[Any], today: date) -> int:
    """Sessions with a day in the current month (as the training calendar counts them)."""
    return sum(
        1
        for s in sessions
        if any((d.date.year, d.date.month) == (today.year, today.month) for d in s.days)
    )


@router.get("/", name="home", response_class=HTMLResponse)
async def home(
    request: Request,
    region_class: Annotated[str, Query(max_length=20)] = "",
    medical_area: Annotated[str, Query(max_length=40)] = "",
    peer_type: Annotated[str, Query(max_length=20)] = "",
    sort: Annotated[str, Query(max_length=40)] = "code",
    dir: Annotated[str, Query(max_length=4)] = "asc",
) -> HTMLResponse:
    registry = registry_of(request)
    actor = _actor(request)
    services = _services(request)
    today = clock.today()
    fy = fiscal_year_of(today)
    # Unknown filter values are dropped rather than refused: the page still answers.
    region_class = region_class if region_class in REGION_CLASSES else ""
    medical_area = medical_area if medical_area in registry.areas else ""
    peer_type = peer_type if peer_type in PEER_TYPES else ""
    descending = dir == "desc"

    parts = await gather(
        {
            "latest": (
                "indicators",
                services.indicators.latest_results(
                    prefecture=registry.home_prefecture, actor=actor
                ),
            ),
            "cases": ("support_cases", services.support_cases.cases(fiscal_year=fy, actor=actor)),
            "stats": ("training", services.training.stats(fiscal_year=fy, actor=actor)),
            "sessions": ("training", services.training.sessions(fiscal_year=fy, actor=actor)),
        }
    )

    home_rows = sorted(registry.home(), key=lambda m: m.code)
    own_only = actor.role == Role.municipality
    if own_only:
        home_rows = [m for m in home_rows if m.code == actor.municipality_code]
    rows = {m.code: Row(m=m) for m in home_rows}

    latest = parts.get("latest")
    grants: list[dict[str, Any]] | None = None
    if latest is not None:
        grants = []
        for block in sorted(latest, key=lambda b: _grant_order(b.get("grant") or "")):
            grant = block.get("grant") or ""
            fw = block.get("framework") or {}
            grants.append(
                {
                    "grant": grant,
                    "label": GRANT_SHORT.get(grant, grant),
                    "name": GRANT_NAMES.get(grant, grant),
                    "grant_fy": fw.get("grant_fy"),
                }
            )
            for e in block.get("entities", []):
                row = rows.get(e["entity_code"])
                if row is None:
                    continue
                row.grants[grant] = e
                for f in e.get("flags", []):
                    row.flags.append(
                        {
                            "code": f.get("code", ""),
                            "label": FLAG_LABELS.get(f.get("code", ""), f.get("code", "")),
                            "message": f"{GRANT_SHORT.get(grant, grant)}: {f.get('message', '')}",
                        }
                    )
    cases = parts.get("cases")
    if cases is not None:
        for c in sorted(cases, key=lambda c: c["id"]):  # the newest case of the year wins
            row = rows.get(c.get("municipality_code"))
            if row is not None:
                row.case = c
    stats = parts.get("stats")
    if stats is not None:
        reached = set(stats.municipalities_reached)
        for code, row in rows.items():
            row.reached = code in reached

    counts: dict[str, Any] = {
        "flagged": sum(1 for r in rows.values() if r.flags) if latest is not None else None,
        "low": sum(1 for r in rows.values() if r.low) if latest is not None else None,
        "cases_by_status": (
            [
                (s, n)
                for s in CASE_STATUSES
                if (n := sum(1 for r in rows.values() if r.case and r.case.get("status") == s))
            ]
            if cases is not None
            else None
        ),
        "cases": sum(1 for r in rows.values() if r.case) if cases is not None else None,
        "reached": sum(1 for r in rows.values() if r.reached) if stats is not None else None,
        "sessions_this_month": (
            _this_month_sessions(parts.get("sessions"), today) if "sessions" in parts else None
        ),
    }

    shown = [
        r
        for r in rows.values()
        if (not region_class or r.m.region_class == region_class)
        and (not medical_area or r.m.medical_area == medical_area)
        and (not peer_type or r.m.peer_type == peer_type)
    ]
    sort_keys = set(SORT_LABELS) | {
        f"{p}:{g['grant']}" for g in grants or [] for p in ("score", "rank")
    }
    if sort not in sort_keys:
        sort = "code"
    shown = sort_rows(shown, sort, descending)

    filters = {"region_class": region_class, "medical_area": medical_area, "peer_type": peer_type}
    base = request.url_for("home").path

    def sort_url(key: str) -> str:
        flip = "desc" if key == sort and not descending else "asc"
        q = {k: v for k, v in filters.items() if v} | {"sort": key, "dir": flip}
        return f"{base}?{urlencode(q)}"

    def aria_sort(key: str) -> str:
        if key != sort:
            return "none"
        return "descending" if descending else "ascending"

    return render(
        request,
        "municipalities/index.html",
        {
            "prefecture": registry.prefecture(registry.home_prefecture),
            "fiscal_year": fy,
            "month": today.month,
            "rows": shown,
            "total": len(rows),
            "grants": grants,
            "counts": counts,
            "own_only": own_only,
            "own_code": actor.municipality_code if own_only else None,
            "region_classes": REGION_CLASSES,
            "areas": registry.areas,
            "peer_types": PEER_TYPES,
            "filters": filters,
            "sort": sort,
            "dir": "desc" if descending else "asc",
            "sort_url": sort_url,
            "aria_sort": aria_sort,
            "labels": SORT_LABELS,
            # One path prefix instead of a url_for per row (62 route look-ups per render).
            "profile_base": request.app.url_path_for("municipality_page", code="0")[:-1],
            "unavailable": parts.unavailable,
        },
        block="dashboard",
    )


# ---------------------------------------------------------------- profile


async def _history(services: Services, prefecture: str, code: str, actor: Actor) -> dict[str, Any]:
    """The entity's totals by grant year (the last few municipal frameworks of each grant,
    with the prefecture's mean), and the averages of the newest framework it is scored in
    (peer groups by region class, the prefecture, the nation). A fixed number of calls: one
    list, at most YOY_YEARS results per grant, one averages per grant."""
    fws = await services.indicators.frameworks(level="municipality", actor=actor)
    by_grant: dict[str, list[Any]] = {}
    for f in sorted(fws, key=lambda f: f.grant_fy):
        by_grant.setdefault(f.grant, []).append(f)
    chosen = [f for grant in by_grant for f in by_grant[grant][-YOY_YEARS:]]
    results = await asyncio.gather(
        *(
            services.indicators.results(f.id, prefecture=prefecture, entity_code=code, actor=actor)
            for f in chosen
        )
    )
    years: dict[str, list[dict[str, Any]]] = {}
    for f, res in zip(chosen, results, strict=True):
        e = next((x for x in res.get("entities", []) if x["entity_code"] == code), None)
        if e is None:
            continue
        years.setdefault(f.grant, []).append(
            {
                "framework_id": f.id,
                "grant_fy": f.grant_fy,
                "evaluation_fy": f.evaluation_fy,
                "total": e["total"],
                "max_points": e["max_points"],
                "score_rate": e["score_rate"],
                "prefecture_mean": (res.get("summary") or {}).get("mean_total"),
            }
        )
    newest = {grant: ys[-1]["framework_id"] for grant, ys in years.items()}
    averages = await asyncio.gather(
        *(
            services.indicators.averages(
                fid, prefecture=prefecture, group_set="region_class", actor=actor
            )
            for fid in newest.values()
        )
    )
    return {"years": years, "averages": dict(zip(newest.values(), averages, strict=True))}


def _radar_axes(categories: list[dict[str, Any]]) -> list[str]:
    """Top categories, each replaced by its sub-categories when it has some."""
    tops = [c["code"] for c in categories if c.get("parent") is None]
    axes: list[str] = []
    for t in tops:
        children = [c["code"] for c in categories if c.get("parent") == t]
        axes += children or [t]
    return axes


def _grant_view(grant: dict[str, Any], history: dict[str, Any] | None) -> dict[str, Any]:
    """What the profile shows for one grant: figures, the radar and its table, the yoy rows."""
    own = {c["code"]: c for c in grant.get("categories", [])}
    axes = _radar_axes(grant.get("categories", []))
    pref = {c["code"]: c.get("mean_score_rate") for c in grant.get("prefecture_means", [])}
    avg = (history or {}).get("averages", {}).get(grant.get("framework_id")) if history else None
    peer: dict[str, float | None] = {}
    nation: dict[str, float | None] = {}
    show_nation = False
    if avg:
        group = next(
            (g for g in avg.get("groups", []) if g.get("group") == grant.get("peer_group")), None
        )
        if group:
            peer = {c["code"]: c.get("mean_score_rate") for c in group.get("categories", [])}
        nat = avg.get("nation") or {}
        nation = {c["code"]: c.get("mean_score_rate") for c in nat.get("categories", [])}
        # Scores of other prefectures' municipalities may not be loaded: then the national
        # mean is the prefecture's, and a fourth polygon on top of the third says nothing.
        show_nation = nat.get("count", 0) > ((avg.get("prefecture") or {}).get("count") or 0)
    series = [Series("本団体", [own[a]["score_rate"] if a in own else None for a in axes], "s1")]
    if peer:
        series.append(
            Series(f"類似団体平均 ({grant.get('peer_group')})", [peer.get(a) for a in axes], "s2")
        )
    if pref:
        series.append(Series("東京都平均", [pref.get(a) for a in axes], "s3"))
    if show_nation:
        series.append(Series("全国平均", [nation.get(a) for a in axes], "s4"))
    table = [
        {
            "code": a,
            "points": own[a]["points"] if a in own else None,
            "max_points": own[a]["max_points"] if a in own else None,
            "rate": own[a]["score_rate"] if a in own else None,
            "peer": peer.get(a),
            "pref": pref.get(a),
            "nation": nation.get(a),
        }
        for a in axes
    ]
    years = ((history or {}).get("years") or {}).get(grant.get("grant"), [])
    return {
        **grant,
        "short": GRANT_SHORT.get(grant.get("grant"), grant.get("grant")),
        "radar": radar(axes, series, size=360, title=f"{grant.get('grant_name')} カテゴリ別得点率"),
        "series": series,
        "categories_table": table,
        "show_nation": show_nation,
        "has_peer": bool(peer),
        "years": years,
    }


def _yoy_chart(grants: list[dict[str, Any]]) -> tuple[Any, list[Series], list[int]]:
    """Total points by grant year: one line per grant, and the prefecture's mean."""
    fys = sorted({y["grant_fy"] for g in grants for y in g["years"]})
    series: list[Series] = []
    css = iter(("s1", "s2", "s4", "s5"))
    for g in grants:
        by_fy = {y["grant_fy"]: y for y in g["years"]}
        if not by_fy:
            continue
        series.append(
            Series(
                f"{g['short']} 総合得点",
                [by_fy[fy]["total"] if fy in by_fy else None for fy in fys],
                next(css, "s1"),
            )
        )
        series.append(
            Series(
                f"{g['short']} 東京都平均",
                [by_fy[fy]["prefecture_mean"] if fy in by_fy else None for fy in fys],
                "s3",
            )
        )
    chart = line(
        [f"{format_fy_wareki(fy)}" for fy in fys],
        series,
        title="交付年度ごとの総合得点",
    )
    return chart, series, fys


@router.get("/municipalities/{code}", name="municipality_page", response_class=HTMLResponse)
async def municipality_page(
    request: Request,
    code: str,
    fiscal_year: Annotated[int | None, Query(ge=2018, le=2100)] = None,
) -> HTMLResponse:
    registry = registry_of(request)
    m = lookup(registry, code)
    actor = _actor(request)
    ensure_visible(actor, m.code, what="区市町村の情報")
    fy = fiscal_year or clock.current_fiscal_year()
    services = _services(request)
    calls = overview_calls(services, registry, m, actor, fy)
    calls["history"] = ("indicators", _history(services, registry.home_prefecture, m.code, actor))
    parts = await gather(calls)
    ov = shape_overview(m, fy, parts)
    history = parts.get("history")
    grants = [
        _grant_view(g, history)
        for g in sorted(
            (ov["indicators"] or {}).get("grants") or [],
            key=lambda g: _grant_order(g.get("grant") or ""),
        )
    ]
    yoy, yoy_series, yoy_fys = _yoy_chart(grants)
    cases = (ov["support"] or {}).get("cases") or []
    return render(
        request,
        "municipalities/show.html",
        {
            "m": m,
            "ov": ov,
            "fiscal_year": fy,
            "grants": grants,
            "indicators_ok": ov["indicators"] is not None,
            "yoy": yoy,
            "yoy_series": yoy_series,
            "yoy_fys": yoy_fys,
            "case": cases[0] if cases else None,
            "earlier_cases": cases[1:],
            "case_steps": CASE_STEPS,
            "flag_labels": FLAG_LABELS,
            "unavailable": ov["unavailable"],
            "own_only": actor.role == Role.municipality,
        },
    )

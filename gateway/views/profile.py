"""A municipality's profile: its overview with charts (radar per grant against its peers,
the prefecture and the nation; totals year over year), printable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.charts import Series, line, radar
from gateway.clients.support_cases import CASE_STEPS
from gateway.views.context import ViewContext, fiscal_year_or_current
from gateway.views.overview import Overview, overview_calls, shape_overview
from gateway.views.parts import gather
from gateway.views.registry import lookup
from gateway.views.vocabulary import FLAG_LABELS, GRANT_SHORT, grant_order
from services.common.access import ensure_visible
from services.common.actor import Role
from services.common.fiscal import format_fy_wareki
from services.common.registry import Municipality


def _history(view: Any) -> dict[str, Any]:
    """The entity's totals by grant year (with the prefecture's mean) and the averages of the
    newest framework it is scored in, from the one indicators answer the overview reads."""
    years = {g.grant: g.years for g in view.grants if g.years}
    averages = {
        g.years[-1]["framework_id"]: g.averages for g in view.grants if g.years and g.averages
    }
    return {"years": years, "averages": averages}


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
    published: dict[str, float | None] = {}
    nation_label, nation_kind, published_note = "全国平均", "", ""
    show_nation = False
    if avg:
        group = next(
            (g for g in avg.get("groups", []) if g.get("group") == grant.get("peer_group")), None
        )
        if group:
            peer = {c["code"]: c.get("mean_score_rate") for c in group.get("categories", [])}
        nat = avg.get("nation") or {}
        nation = {c["code"]: c.get("mean_score_rate") for c in nat.get("categories", [])}
        # A mean of the loaded scores is labelled as such: 全国平均 only over every insurer.
        nation_kind = nat.get("kind", "")
        nation_label = nat.get("label") or "全国平均"
        pub = avg.get("published") or {}
        published = {c["code"]: c.get("mean_score_rate") for c in pub.get("categories", [])}
        if pub:
            src = pub.get("source") or {}
            where = " ".join(str(src[k]) for k in ("document", "date", "page") if src.get(k))
            total = pub.get("mean_total")
            published_note = (
                f"{pub.get('label', '全国平均 (公表値)')}"
                + (f": 総合得点 {total:g}点" if total is not None else "")
                + (f" — 出典: {where}" if where else "")
            )
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
    nation_short = "全国平均" if nation_kind == "all_insurers" else "読み込んだ団体の平均"
    if show_nation:
        series.append(Series(nation_short, [nation.get(a) for a in axes], "s4"))
    elif published:
        series.append(Series("全国平均 (公表値)", [published.get(a) for a in axes], "s4"))
    table = [
        {
            "code": a,
            "points": own[a]["points"] if a in own else None,
            "max_points": own[a]["max_points"] if a in own else None,
            "rate": own[a]["score_rate"] if a in own else None,
            "peer": peer.get(a),
            "pref": pref.get(a),
            "nation": nation.get(a),
            "published": published.get(a),
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
        "nation_short": nation_short,
        "nation_label": nation_label,
        "has_published": bool(published),
        "published_note": published_note,
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


@dataclass
class Profile:
    m: Municipality
    ov: Overview
    fiscal_year: int
    grants: list[dict[str, Any]]
    yoy: Any
    yoy_series: list[Series]
    yoy_fys: list[int]
    own_only: bool

    def context(self) -> dict[str, Any]:
        cases = (self.ov.support or {}).get("cases") or []
        return {
            "m": self.m,
            "ov": self.ov.model_dump(),
            "fiscal_year": self.fiscal_year,
            "grants": self.grants,
            "indicators_ok": self.ov.indicators is not None,
            "yoy": self.yoy,
            "yoy_series": self.yoy_series,
            "yoy_fys": self.yoy_fys,
            "case": cases[0] if cases else None,
            "earlier_cases": cases[1:],
            "case_steps": CASE_STEPS,
            "flag_labels": FLAG_LABELS,
            "unavailable": self.ov.unavailable,
            "own_only": self.own_only,
        }


async def profile(ctx: ViewContext, code: str, fiscal_year: int | None) -> Profile:
    m = lookup(ctx.registry, code)
    ensure_visible(ctx.actor, m.code, what="区市町村の情報")
    fy = fiscal_year_or_current(fiscal_year)
    parts = await gather(overview_calls(ctx, m, fy))
    ov = shape_overview(m, fy, parts)
    view = parts.get("indicators")
    history = _history(view) if view is not None else None
    ordered = sorted(
        (ov.indicators or {}).get("grants") or [], key=lambda g: grant_order(g.get("grant") or "")
    )
    grants = [_grant_view(g, history) for g in ordered]
    yoy, yoy_series, yoy_fys = _yoy_chart(grants)
    own_only = ctx.actor.role == Role.municipality
    return Profile(m, ov, fy, grants, yoy, yoy_series, yoy_fys, own_only)

"""The grant report: every home municipality's results and allocation estimates, and the
evidence behind the prefecture's own indicators, each figure with the query it came from."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from gateway.clients.indicators import results_query
from gateway.clients.support_cases import cases_query, round_summary_query
from gateway.clients.training import stats_query
from gateway.views.context import ViewContext
from gateway.views.parts import Parts, gather, require_complete
from gateway.views.vocabulary import GRANT_NAMES
from services.common.actor import Role
from services.common.errors import Forbidden
from services.common.fiscal import format_fy_full
from services.common.registry import Registry


async def grant_report(
    ctx: ViewContext, fiscal_year: int, *, complete: bool = False
) -> GrantReport:
    if ctx.actor.role == Role.municipality:
        raise Forbidden("交付金の報告データは都道府県の担当者向けです")
    c, actor, fy = ctx.clients, ctx.actor, fiscal_year
    parts = await gather(
        {
            "grants": ("indicators", _grant_results(ctx, fy)),
            "round": ("support_cases", c.support_cases.round_view(fy, actor=actor)),
            "stats": ("training", c.training.stats(fiscal_year=fy, actor=actor)),
        }
    )
    require_complete(parts, complete)
    return build_grant_report(ctx.registry, fy, parts)


class GrantReport(BaseModel):
    fiscal_year: int
    fiscal_year_label: str
    prefecture: dict[str, Any]
    allocation: dict[str, Any]
    municipalities: list[dict[str, Any]]
    unavailable: list[str]


def prefecture_code(registry: Registry, prefecture: str) -> str:
    """The prefecture's own 6-digit code from the municipality registry (東京都 130001,
    大阪府 270008): its check digit is computed, never assumed."""
    pref = registry.prefecture(prefecture)
    if pref is None:
        raise ValueError(f"都道府県番号 {prefecture} はありません")
    return pref.code


def choose_frameworks(frameworks: list[Any], fy: int) -> dict[tuple[str, str], Any]:
    """Per (grant, level), the newest framework of grant year ``fy`` or earlier."""
    chosen: dict[tuple[str, str], Any] = {}
    for f in frameworks:
        if f.grant_fy > fy:
            continue
        key = (f.grant, f.level)
        if key not in chosen or f.grant_fy > chosen[key].grant_fy:
            chosen[key] = f
    return chosen


async def _grant_results(ctx: ViewContext, fy: int) -> dict[str, Any]:
    """Results and allocation estimates (at the service's budget of the year, on its national
    basis) of the municipal frameworks for grant year ``fy`` (or, where the year has none, the
    latest earlier one), and the prefecture's own framework results: one indicators read."""
    view = await ctx.clients.indicators.grant_report_view(
        fiscal_year=fy, prefecture=ctx.home_prefecture, actor=ctx.actor
    )
    return {"municipal": view.municipal, "prefectural": view.prefectural}


def _estimate(a: dict[str, Any] | None) -> int | None:
    if not a:
        return None
    return a["paid"] if a.get("paid") is not None else a.get("share")


def _source(service: str, query: str, field: str) -> dict[str, str]:
    return {"service": service, "query": query, "field": field}


def allocation_basis(fw: dict[str, Any], alloc: dict[str, Any] | None, problem: Any) -> dict:
    """What a grant's 配分見込額 rest on: the budget (amount, source or override reason), the
    national denominator (computed from the loaded national data, or the published figure)
    and the rule; or the service's message saying what is missing."""
    out: dict[str, Any] = {
        "grant": fw["grant"],
        "grant_fy": fw["grant_fy"],
        "framework_id": fw["id"],
        "framework_state": fw.get("state_label", "暫定"),
        "label": "見込み",
        "estimated": alloc is not None,
        "problem": None if alloc is not None else (problem or "配分を試算できませんでした"),
    }
    if alloc is None:
        return out
    b, basis, rule = alloc.get("budget") or {}, alloc.get("basis") or {}, alloc.get("rule") or {}
    out.update(
        budget={
            "amount": b.get("amount"),
            "basis": b.get("basis"),  # published | override
            "state_label": b.get("state_label"),
            "source": b.get("source"),
            "wording": b.get("wording"),
            "override_reason": b.get("override_reason") or None,
        },
        denominator={
            "value": basis.get("denominator"),
            "kind": basis.get("kind"),  # computed | published
            "text": basis.get("text"),
            "source": basis.get("source"),
        },
        rule={
            "weight": rule.get("weight"),
            "weight_label": rule.get("weight_label"),
            "wording": rule.get("wording"),
            "source": rule.get("source"),
        },
        text=alloc.get("basis_text"),
        rounding=alloc.get("rounding"),
        rests_on_provisional=alloc.get("rests_on_provisional", False),
        provisional_reasons=alloc.get("provisional_reasons", []),
    )
    return out


def build_grant_report(registry: Registry, fy: int, parts: Parts) -> GrantReport:
    """The report from the gathered parts (a pure function of them)."""
    pref = registry.home_prefecture
    home = sorted(registry.home(), key=lambda m: m.code)
    grants = parts.get("grants")
    stats = parts.get("stats")
    round_view = parts.get("round")  # cases and the round's summary, in one answer
    cases = round_view.cases if round_view is not None else None
    summary = round_view.summary if round_view is not None else None

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
    bases: list[dict[str, Any]] = []
    if grants is not None:
        for g in grants["municipal"]:
            fw = g["framework"]
            alloc = g["allocation"] if isinstance(g["allocation"], dict) else None
            bases.append(allocation_basis(fw, alloc, g.get("allocation_problem")))
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
                        # 見込み: the share paid (capped by the request where one is known)
                        "allocation_estimate": _estimate(a),
                        "allocation_label": "見込み" if a else None,
                        "framework_state": fw.get("state_label", "暫定"),
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
    reached = set(stats.municipalities_reached) if stats is not None else None
    if reached is not None:
        for code, row in per_muni.items():
            row["training_reached"] = code in reached

    evidence: list[dict[str, Any]] = []
    if stats is not None:
        q = stats_query(fy)
        evidence += [
            {
                "key": "trainings_held_by_kind",
                "label": "研修事業: 区市町村職員向け研修の開催回数 (種類別)",
                "value": stats.sessions_held_by_kind,
                "source": _source("training", q, "sessions_held_by_kind"),
            },
            {
                "key": "completers_by_kind",
                "label": "研修事業: 修了者数 (種類別)",
                "value": stats.completers_by_kind,
                "source": _source("training", q, "completers_by_kind"),
            },
            {
                "key": "municipalities_reached",
                "label": "研修に参加した区市町村の数",
                "value": len(stats.municipalities_reached),
                "of": len(home),
                "source": _source("training", q, "municipalities_reached"),
            },
        ]
    if summary is not None:
        q = round_summary_query(fy)
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
                "source": _source("support_cases", round_summary_query(fy), "advisor_dispatches"),
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
                "source": _source("support_cases", cases_query(fy), "status != 中止"),
            }
        )
    for lc in low_counts:
        q = results_query(lc["framework_id"], pref)
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
    return GrantReport.model_validate(
        {
            "fiscal_year": fy,
            "fiscal_year_label": format_fy_full(fy),
            "prefecture": {
                "code": registry.prefecture(pref).code,
                "name": registry.prefecture(pref).name,
                "results": prefecture_results,
                "evidence": evidence,
            },
            "allocation": {
                "label": "見込み",
                "budgets": {b["grant"]: (b.get("budget") or {}).get("amount") for b in bases},
                "grants": bases,
                "rule": "配分額 (見込み) = 予算額 × 重み ÷ 全国の Σ重み (重みは年度の規則: 総合得点、または総合得点 × 第1号被保険者数)、所要見込額が上限、1円未満切り捨て。分母は全国の値 (読み込んだ団体だけでは割りません)",
            },
            "municipalities": list(per_muni.values()),
            "unavailable": parts.unavailable,
        }
    )

"""Support candidates: the municipalities that applied first, then by weakness against their
peers, with a balanced suggestion per region class (the rule is ``rank_candidates``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from gateway.views.context import ViewContext, fiscal_year_or_current
from gateway.views.parts import Parts, gather, require_complete
from gateway.views.vocabulary import GRANT_NAMES
from services.common.actor import Role
from services.common.errors import Forbidden
from services.common.registry import Registry


class Candidates(BaseModel):
    fiscal_year: int
    rule: str
    targets_by_region_class: dict[str, int]
    priority_categories: list[str] | str
    candidates: list[dict[str, Any]]
    suggested: list[str]
    shortfall_by_region_class: dict[str, int]
    indicators_available: bool
    unavailable: list[str]


async def candidates(
    ctx: ViewContext, fiscal_year: int | None, *, complete: bool = False
) -> Candidates:
    if ctx.actor.role not in (Role.admin, Role.coordinator, Role.viewer):
        raise Forbidden("候補の一覧は都道府県の担当者向けです")
    fy = fiscal_year_or_current(fiscal_year)
    sup, actor = ctx.clients.support_cases, ctx.actor
    parts = await gather(
        {
            "round": ("support_cases", sup.round_view(fy, actor=actor)),
            "latest": (
                "indicators",
                ctx.clients.indicators.latest_results(
                    prefecture=ctx.home_prefecture, peer_set="peer_type", actor=actor
                ),
            ),
        }
    )
    require_complete(parts, complete)
    settings = ctx.settings
    priority = [c.strip() for c in settings.priority_categories.split(",") if c.strip()]
    ranked = rank_candidates(
        ctx.registry, fy, parts, priority=priority, low_threshold=settings.low_score_threshold
    )
    return Candidates.model_validate(ranked)


def rank_candidates(
    registry: Registry, fy: int, parts: Parts, *, priority: list[str], low_threshold: float
) -> dict[str, Any]:
    """The ranking rule, a pure function of the gathered parts: applicants first, then by
    how far their priority categories lie below their peer group's mean."""
    view = parts.get("round")  # the round and its applications, in one answer
    apps = {a["municipality_code"]: a for a in ((view.applications if view else None) or [])}
    rnd = (view.round if view else None) or {}
    targets = rnd.get("targets_by_region_class") or {"区部": 1, "市部": 1, "町村部": 1}
    latest = parts.get("latest")
    # weakness: for each priority category, how far the entity's score rate lies below its
    # peer group's mean, summed over the grants (percentage points).
    weak: dict[str, float] = {}
    reasons: dict[str, list[str]] = {}
    # each one's peer type as the service groups it now (the results asked with
    # peer_set=peer_type: the prefecture's setting, else the registry's default)
    types: dict[str, str] = {}
    if latest is not None:
        for block in latest:
            for e in block.get("entities", []):
                if e.get("peer_set") == "peer_type" and e.get("peer_group"):
                    types.setdefault(e["entity_code"], e["peer_group"])
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
                "peer_type": types.get(m.code),
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

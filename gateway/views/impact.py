"""Impact of companion support: how the indicator items linked to support cases changed for
the supported municipalities and for their unsupported peers (the rules are pure functions:
``linked_items``, ``before_after`` and ``compare_changes``)."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel

from gateway.clients.base import ServiceError
from gateway.views.context import ViewContext
from gateway.views.parts import gather, require_complete
from services.common.registry import Registry

CANCELLED = "中止"
TOO_FEW = "比較に必要なデータが足りません (支援した団体1以上と類似団体3以上が必要)"


class Impact(BaseModel):
    theme: str | None
    items: list[dict[str, Any]]
    enough_data: bool
    note: str | None
    unavailable: list[str]


def _empty(theme: str | None, note: str, unavailable: list[str] | None = None) -> Impact:
    return Impact(
        theme=theme, items=[], enough_data=False, note=note, unavailable=unavailable or []
    )


def linked_items(
    cases: list[dict[str, Any]], theme: str | None
) -> tuple[dict[str, set[str]], int | None]:
    """Indicator item → the municipalities supported on it (cancelled cases left out), and
    the first fiscal year of support."""
    linked: dict[str, set[str]] = {}
    first_fy: dict[str, int] = {}
    for c in cases:
        if c.get("status") == CANCELLED or (theme is not None and c.get("theme") != theme):
            continue
        for item in c.get("indicator_item_codes") or []:
            linked.setdefault(item, set()).add(c["municipality_code"])
        fyc = c.get("fiscal_year")
        if fyc:
            first_fy[c["municipality_code"]] = min(first_fy.get(c["municipality_code"], fyc), fyc)
    return linked, (min(first_fy.values()) if first_fy else None)


def before_after(frameworks: list[Any], support_start: int | None) -> dict[str, tuple[Any, Any]]:
    """Per grant, the frameworks to compare. Before: the newest evaluated before support
    began; after: the newest of all, if evaluated in or after the first support year (an
    action in FY N scores in the framework evaluating FY N, paid in grant year N+1)."""
    by_grant: dict[str, list[Any]] = {}
    for f in frameworks:
        by_grant.setdefault(f.grant, []).append(f)
    pairs = {}
    for grant, fws in by_grant.items():
        fws.sort(key=lambda f: f.grant_fy)
        before = [f for f in fws if support_start is None or f.evaluation_fy < support_start]
        after = [f for f in fws if support_start is None or f.evaluation_fy >= support_start]
        if before and after and before[-1].id != after[-1].id:
            pairs[grant] = (before[-1], after[-1])
    return pairs


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def compare_changes(
    registry: Registry,
    linked: dict[str, set[str]],
    pairs: dict[str, tuple[Any, Any]],
    compares: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Per grant and linked item: the mean change of the supported municipalities and of
    their unsupported peers (same peer type, as the compare answer gives it: the prefecture's
    setting, else the registry's default); enough data needs 1 supported and 3 peers."""
    out = []
    for (grant, (bf, lf)), comp in zip(pairs.items(), compares, strict=True):
        types = {e["entity_code"]: e.get("peer_type") for e in comp.get("entities", [])}
        for item, supported in sorted(linked.items()):
            diffs_s, diffs_u = [], []
            peer_groups = {types.get(c) for c in supported} - {None}
            for e in comp.get("entities", []):
                d = next((i for i in e.get("items", []) if i.get("code") == item), None)
                m = registry.get(e["entity_code"])
                if d is None or d.get("diff") is None or m is None:
                    continue
                if e["entity_code"] in supported:
                    diffs_s.append(d["diff"])
                elif types.get(e["entity_code"]) in peer_groups:
                    diffs_u.append(d["diff"])
            enough = len(diffs_s) >= 1 and len(diffs_u) >= 3
            out.append(
                {
                    "grant": grant,
                    "item_code": item,
                    "from_grant_fy": bf.grant_fy,
                    "to_grant_fy": lf.grant_fy,
                    "supported": {"count": len(diffs_s), "mean_change": _mean(diffs_s)},
                    "unsupported_peers": {"count": len(diffs_u), "mean_change": _mean(diffs_u)},
                    "enough_data": enough,
                    "note": None if enough else TOO_FEW,
                }
            )
    return out


async def impact(ctx: ViewContext, theme: str | None, *, complete: bool = False) -> Impact:
    ind, actor = ctx.clients.indicators, ctx.actor
    parts = await gather(
        {
            "cases": ("support_cases", ctx.clients.support_cases.cases(actor=actor)),
            "frameworks": ("indicators", ind.frameworks(level="municipality", actor=actor)),
        }
    )
    require_complete(parts, complete)
    if parts.unavailable:
        return _empty(theme, "必要なサービスが応答しません", parts.unavailable)
    linked, support_start = linked_items(parts.get("cases"), theme)
    if not linked:
        return _empty(theme, "指標と結び付いた支援事例がありません")
    pairs = before_after(parts.get("frameworks"), support_start)
    if not pairs:
        return _empty(
            theme,
            f"支援を始めた{support_start}年度以降を評価した結果がまだないため、比較できません"
            if support_start
            else "比較できる2か年の結果がありません",
        )
    try:
        compares = await asyncio.gather(
            *(
                ind.compare(
                    lf.id,
                    previous_id=bf.id,
                    prefecture=ctx.home_prefecture,
                    item_codes=sorted(linked),
                    actor=actor,
                )
                for bf, lf in pairs.values()
            )
        )
    except ServiceError as exc:
        if complete:
            raise
        return _empty(theme, exc.detail, [exc.service])
    items = compare_changes(ctx.registry, linked, pairs, compares)
    return Impact(
        theme=theme,
        items=items,
        enough_data=any(i["enough_data"] for i in items),
        note=None if items else "比較できる2か年の結果がありません",
        unavailable=[],
    )

"""The support pages' views: the round (applications ranked, balance per region class) and
the case workspace (status stepper, visits, logic tree, initiatives, roadmap, report)."""

from __future__ import annotations

import re
from typing import Any

from gateway.clients.support_cases import CASE_STEPS, ITEM_STATUSES
from gateway.views.candidates import rank_candidates
from gateway.views.context import ViewContext
from gateway.views.parts import gather
from services.common import clock
from services.common.errors import Forbidden
from services.common.registry import CodeError, get_registry

SERVICE = "support_cases"
STEPS = CASE_STEPS
VISIT_KINDS = ("ヒアリング", "訪問支援", "検討会")
MAX_DEPTH = 6


def muni(code: str | None) -> str:
    if not code:
        return ""
    try:
        return get_registry().require(code).name
    except CodeError:
        return code


def fy_param(value: int | None) -> int:
    return value if value and 2000 <= value <= 2100 else clock.current_fiscal_year()


def int_or_none(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def codes(value: str) -> list[str]:
    return [c for c in re.split(r"[,\s、，]+", value or "") if c]


# ---------------------------------------------------------------- the round


def region_balance(
    targets: dict[str, int], apps: list[dict[str, Any]], suggested: list[str]
) -> list[dict[str, Any]]:
    registry = get_registry()
    rows = []
    for rc, n in targets.items():
        selected = [a for a in apps if a.get("region_class") == rc and a.get("status") == "選定"]
        sugg = [c for c in suggested if (m := registry.get(c)) and m.region_class == rc]
        rows.append(
            {
                "region_class": rc,
                "target": n,
                "selected": len(selected),
                "selected_names": [a.get("municipality_name") for a in selected],
                "suggested_names": [muni(c) for c in sugg],
            }
        )
    return rows


async def round_context(ctx: ViewContext, fy: int) -> dict[str, Any]:
    """The round page: applications ranked (the candidates rule), the balance per region
    class, the year's cases."""
    client, actor = ctx.clients.support_cases, ctx.actor
    services, registry = ctx.clients, ctx.registry
    parts = await gather(
        {
            # the round, its applications and the year's cases: one support_cases read
            "round": (SERVICE, client.round_view(fy, actor=actor)),
            "latest": (
                "indicators",
                services.indicators.latest_results(
                    prefecture=registry.home_prefecture, peer_set="peer_type", actor=actor
                ),
            ),
        }
    )
    settings = ctx.settings
    priority = [c.strip() for c in settings.priority_categories.split(",") if c.strip()]
    ranking = None
    view = parts.get("round")
    if view is not None and view.applications is None:
        # The service leaves applications out for an advisor: the round page is not theirs.
        raise Forbidden("専門家は希望の一覧を閲覧できません")
    if view is not None:
        ranking = rank_candidates(
            registry, fy, parts, priority=priority, low_threshold=settings.low_score_threshold
        )
    apps = sorted((view.applications if view else None) or [], key=lambda a: a["municipality_code"])
    rnd = view.round if view else None
    targets = (rnd or {}).get("targets_by_region_class") or {"区部": 1, "市部": 1, "町村部": 1}
    cases = sorted(view.cases if view else [], key=lambda c: c["municipality_code"])
    return {
        "fiscal_year": fy,
        "round": rnd,
        "applications": apps,
        "applications_loaded": view is not None and view.applications is not None,
        "ranking": ranking,
        "candidates": [r for r in (ranking or {}).get("candidates", []) if r["applied"]],
        "others": [
            r
            for r in (ranking or {}).get("candidates", [])
            if not r["applied"] and r["weakness"] is not None
        ][:10],
        "balance": region_balance(targets, apps, (ranking or {}).get("suggested", [])),
        "cases": cases,
        "cases_loaded": view is not None,
        "unavailable": parts.unavailable,
        "muni": muni,
        "app_messages": {},
    }


def walk(node: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not node:
        return []
    out = [node]
    for c in node.get("children") or []:
        out += walk(c)
    return out


def height(node: dict[str, Any]) -> int:
    kids = node.get("children") or []
    return 0 if not kids else 1 + max(height(c) for c in kids)


def tree_index(tree: dict[str, Any] | None) -> dict[int, dict[str, Any]]:
    return {n["id"]: n for n in walk((tree or {}).get("root"))}


def move_targets(tree: dict[str, Any] | None) -> dict[int, list[dict[str, Any]]]:
    """For each node, the nodes it may move under: not itself or its descendants, not its
    present parent, and not so deep that the subtree would pass depth 6."""
    nodes = walk((tree or {}).get("root"))
    out: dict[int, list[dict[str, Any]]] = {}
    for n in nodes:
        if n.get("parent_id") is None:
            continue
        own = {x["id"] for x in walk(n)}
        h = height(n)
        out[n["id"]] = [
            t
            for t in nodes
            if t["id"] not in own and t["id"] != n["parent_id"] and t["depth"] + 1 + h <= MAX_DEPTH
        ]
    return out


def stepper(case: dict[str, Any]) -> list[dict[str, str]]:
    status = case.get("status")
    done_at = {}
    for t in case.get("transitions") or []:
        done_at[t["to_status"]] = t["at"]
    index = STEPS.index(status) if status in STEPS else -1
    if status == "中止":
        last = [t["from_status"] for t in case.get("transitions") or [] if t["to_status"] == "中止"]
        index = STEPS.index(last[-1]) if last and last[-1] in STEPS else -1
    steps = []
    for i, s in enumerate(STEPS):
        state = "done" if i < index else "current" if i == index else "todo"
        if status == "中止" and i == index:
            state = "stopped"
        if status == "完了" and s == "完了":
            state = "done current"
        steps.append({"name": s, "state": state, "at": done_at.get(s, "")})
    return steps


def tree_context(case_id: int, tree: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "tree": tree,
        "targets": move_targets(tree),
        "node_msgs": {},
        "tree_msg": None,
        "forms": {},
        **extra,
    }


def month_index(month: str) -> int:
    y, m = month.split("-")
    return int(y) * 12 + int(m) - 1


def timeline(items: list[dict[str, Any]], fy: int) -> dict[str, Any]:
    """Months across (at least the case's fiscal year, April to March), one row per item."""
    start = month_index(f"{fy}-04")
    end = month_index(f"{fy + 1}-03")
    for it in items:
        start = min(start, month_index(it["start_month"]))
        end = max(end, month_index(it["end_month"]))
    months = [
        {"key": f"{i // 12:04d}-{i % 12 + 1:02d}", "y": i // 12, "m": i % 12 + 1}
        for i in range(start, end + 1)
    ]
    rows = []
    for it in sorted(items, key=lambda x: (x["start_month"], x["id"])):
        s, e = month_index(it["start_month"]) - start, month_index(it["end_month"]) - start
        rows.append(
            {
                "item": it,
                "col_start": s + 2,  # column 1 holds the initiative's name
                "col_end": e + 3,
                "milestones": [
                    {**ms, "col": month_index(ms["month"]) - start + 2}
                    for ms in it.get("milestones") or []
                    if start <= month_index(ms["month"]) <= end
                ],
            }
        )
    return {"months": months, "rows": rows, "count": len(months)}


def report_body(html: str | None) -> str | None:
    """The service's report page without its <html>/<head>: the body to embed."""
    if html is None:
        return None
    m = re.search(r"<body[^>]*>(.*)</body>", html, re.S | re.I)
    body = m.group(1) if m else html
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", body, flags=re.S | re.I)
    # Its headings sit under the page's 報告書 (h2) and プレビュー (h3) headings.
    return re.sub(
        r"<(/?)h([1-6])\b",
        lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 3, 6)}",
        body,
        flags=re.I,
    )


async def case_context(ctx: ViewContext, case_id: int, **extra: Any) -> dict[str, Any]:
    """The case workspace: the case, its visits, tree, initiatives, roadmap and report."""
    client, actor = ctx.clients.support_cases, ctx.actor
    parts = await gather(
        {
            "case": (SERVICE, client.case(case_id, actor=actor)),
            "visits": (SERVICE, client.visits(case_id, actor=actor)),
            "tree": (SERVICE, client.tree(case_id, actor=actor)),
            "initiatives": (SERVICE, client.initiatives(case_id, actor=actor)),
            "roadmap": (SERVICE, client.roadmap(case_id, actor=actor)),
            "lessons": (SERVICE, client.lessons(case_id, actor=actor)),
            "report": (SERVICE, client.report_html(case_id, actor=actor)),
            "advisors": (SERVICE, client.advisors(actor=actor)),
        }
    )
    case = parts.get("case")
    tree = parts.get("tree")
    fy = (case or {}).get("fiscal_year") or clock.current_fiscal_year()
    ctx: dict[str, Any] = {
        "case_id": case_id,
        "case": case,
        "steps": stepper(case) if case else [],
        "step_msg": None,
        "visits": sorted(parts.get("visits") or [], key=lambda v: v["visit_date"], reverse=True),
        "visit_form": {},
        "visit_msg": None,
        "advisors": [a for a in parts.get("advisors") or [] if a.get("active", True)],
        "visit_kinds": VISIT_KINDS,
        "initiatives": parts.get("initiatives") or [],
        "initiative_msg": None,
        "initiative_form": {},
        "nodes": walk((tree or {}).get("root")),
        "timeline": timeline(parts.get("roadmap") or [], fy),
        "item_statuses": ITEM_STATUSES,
        "lessons": parts.get("lessons"),
        "lessons_msg": None,
        "lessons_text": None,
        "report_body": report_body(parts.get("report")),
        "unavailable": parts.unavailable,
        "muni": muni,
        **tree_context(case_id, tree),
    }
    ctx.update(extra)
    return ctx


async def roadmap_context(ctx: ViewContext, case_id: int) -> dict[str, Any]:
    """The roadmap on its own page (printable): the case and its timeline."""
    client, actor = ctx.clients.support_cases, ctx.actor
    parts = await gather(
        {
            "case": (SERVICE, client.case(case_id, actor=actor)),
            "roadmap": (SERVICE, client.roadmap(case_id, actor=actor)),
        }
    )
    case = parts.get("case")
    fy = (case or {}).get("fiscal_year") or clock.current_fiscal_year()
    return {
        "case_id": case_id,
        "case": case,
        "timeline": timeline(parts.get("roadmap") or [], fy),
        "item_statuses": ITEM_STATUSES,
        "unavailable": parts.unavailable,
        "muni": muni,
    }

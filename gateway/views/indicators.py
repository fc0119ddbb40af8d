"""The indicator pages' views: results of a framework by peer group (sorted), and the
comparison with an earlier framework (each model is the template's context)."""

from __future__ import annotations

from typing import Any

from gateway.actions import as_app_error
from gateway.clients.base import ServiceError, ServiceRejected
from gateway.views.context import ViewContext
from gateway.views.parts import gather
from gateway.views.vocabulary import GRANT_NAMES
from services.common.errors import AppError
from services.common.registry import PEER_TYPES, REGION_CLASSES

SERVICE = "indicators"
LEVEL_NAMES = {"municipality": "市町村分", "prefecture": "都道府県分"}
PEER_SETS = {"region_class": "地域区分", "peer_type": "類似団体の類型", "size_band": "規模"}
SORTS = {
    "rank": "順位",
    "name": "名称",
    "total": "総合得点",
    "score_rate": "得点率",
    "peer_rank": "グループ内順位",
}


def yen(value: Any) -> str:
    """12345678 → 12,345,678円 (negative with a minus sign, positive differences with +)."""
    if value is None:
        return "—"
    return f"{int(value):,}円"


def signed_yen(value: Any) -> str:
    if value is None:
        return "—"
    v = int(value)
    return f"+{v:,}円" if v > 0 else f"{v:,}円"


def points(value: Any) -> str:
    if value is None:
        return "—"
    v = float(value)
    return f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"


def signed_points(value: Any) -> str:
    if value is None:
        return "—"
    v = float(value)
    text = points(abs(v))
    return f"+{text}" if v > 0 else (f"−{text}" if v < 0 else "±0")


def base(**extra: Any) -> dict[str, Any]:
    return {
        "grant_names": GRANT_NAMES,
        "level_names": LEVEL_NAMES,
        "yen": yen,
        "signed_yen": signed_yen,
        "pts": points,
        "signed_pts": signed_points,
        **extra,
    }


async def framework_or_notice(
    ctx: ViewContext, framework_id: int
) -> tuple[dict[str, Any] | None, list[str]]:
    """The framework (with its tree), or None and the unavailable service."""
    try:
        return await ctx.clients.indicators.framework(framework_id, actor=ctx.actor), []
    except ServiceRejected as exc:
        raise as_app_error(exc) from exc
    except ServiceError:
        return None, [SERVICE]


def group_options(size_bands: list[str]) -> dict[str, list[str]]:
    return {
        "region_class": list(REGION_CLASSES),
        "peer_type": list(PEER_TYPES),
        "size_band": size_bands,
    }


def result_params(
    ctx: ViewContext, fw: dict[str, Any], peer_set: str, group: str
) -> dict[str, Any]:
    params: dict[str, Any] = {"peer_set": peer_set}
    if fw["level"] == "municipality":
        params["prefecture"] = ctx.home_prefecture
    if group:
        params["group"] = f"{peer_set}:{group}"
    return params


def sort_rows(rows: list[dict[str, Any]], sort: str, order: str) -> list[dict[str, Any]]:
    if sort.startswith("cat:"):
        code = sort[4:]

        def key(e: dict[str, Any]) -> Any:
            c = next((c for c in e.get("categories", []) if c["code"] == code), None)
            return (c or {}).get("score_rate") or 0

    elif sort == "name":

        def key(e: dict[str, Any]) -> Any:
            return e["entity_code"]

    else:

        def key(e: dict[str, Any]) -> Any:
            return e.get(sort) if e.get(sort) is not None else 0

    return sorted(rows, key=key, reverse=order == "desc")


async def results(
    ctx: ViewContext, framework_id: int, peer_set: str, group: str, sort: str, order: str
) -> dict[str, Any]:
    if peer_set not in PEER_SETS:
        peer_set = "region_class"
    fw, unavailable = await framework_or_notice(ctx, framework_id)
    results, size_bands = None, []
    if fw is not None:
        client, actor = ctx.clients.indicators, ctx.actor
        params = result_params(ctx, fw, peer_set, group)
        parts = await gather(
            {
                "results": (SERVICE, client.results(framework_id, actor=actor, **params)),
                "peer_sets": (SERVICE, client.peer_sets(actor=actor)),
            }
        )
        unavailable = parts.unavailable
        results = parts.get("results")
        size_bands = (parts.get("peer_sets") or {}).get("size_bands", [])
    options = group_options(size_bands)
    if group and group not in options.get(peer_set, []):
        group = ""
    top = (results or {}).get("summary", {}).get("top_categories", [])
    valid_sorts = set(SORTS) | {f"cat:{c}" for c in top}
    if sort not in valid_sorts:
        sort = "rank"
    rows = sort_rows((results or {}).get("entities", []), sort, order)
    query = {"peer_set": peer_set, "group": group}
    export_params = result_params(ctx, fw, peer_set, group) if fw else {}
    return base(
        fw=fw,
        framework_id=framework_id,
        results=results,
        rows=rows,
        top_categories=top,
        peer_sets=PEER_SETS,
        group_options=options,
        peer_set=peer_set,
        group=group,
        sort=sort,
        order=order,
        sorts=SORTS,
        query=query,
        export_query=export_params,
        home_codes={m.code for m in ctx.registry.home()},
        unavailable=unavailable,
        current="results",
    )


async def compare(ctx: ViewContext, framework_id: int, previous_id: int | None) -> dict[str, Any]:
    fw, unavailable = await framework_or_notice(ctx, framework_id)
    comparison, missing = None, None
    frameworks: list[Any] = []
    if fw is not None:
        client, actor = ctx.clients.indicators, ctx.actor
        try:
            parts = await gather(
                {
                    "compare": (
                        SERVICE,
                        client.compare(
                            framework_id,
                            previous_id=previous_id,
                            prefecture=ctx.home_prefecture,
                            actor=actor,
                        ),
                    ),
                    "frameworks": (
                        SERVICE,
                        client.frameworks(grant=fw["grant"], level=fw["level"], actor=actor),
                    ),
                }
            )
        except AppError as exc:
            if exc.status not in (404, 422):
                raise
            missing = exc.detail
            parts = await gather(
                {
                    "frameworks": (
                        SERVICE,
                        client.frameworks(grant=fw["grant"], level=fw["level"], actor=actor),
                    )
                }
            )
        comparison = parts.get("compare")
        frameworks = [f for f in parts.get("frameworks", []) if f.id != framework_id]
        unavailable = parts.unavailable
    entities = sorted(
        (comparison or {}).get("entities", []),
        key=lambda e: (e.get("diff") is None, e.get("diff") or 0, e["entity_code"]),
    )
    previous = next(
        (f for f in frameworks if comparison and f.id == comparison.get("previous_framework_id")),
        None,
    )
    return base(
        fw=fw,
        framework_id=framework_id,
        comparison=comparison,
        entities=entities,
        previous=previous,
        frameworks=frameworks,
        previous_id=previous_id,
        missing=missing,
        home_codes={m.code for m in ctx.registry.home()},
        unavailable=unavailable,
        current="compare",
    )

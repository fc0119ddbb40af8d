"""The indicator pages' views: results of a framework by peer group (sorted), and the
comparison with an earlier framework (each model is the template's context)."""

from __future__ import annotations

from typing import Any

from gateway.actions import WRITE_REFUSALS, as_app_error, attempt
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


# ---------------------------------------------------------------- page actions

FRAMEWORK_FORMATS = {"json": "JSON", "yaml": "YAML", "xlsx": "Excel (XLSX)"}
MAX_UPLOAD = 20 * 1024 * 1024
WHATIF_ROWS = 3
# A file the service will not take (bad rows, too large, unknown format) is the form's message.
IMPORT_REFUSALS = WRITE_REFUSALS


def items_of(tree: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for c in tree:
        out += c.get("items", [])
        out += items_of(c.get("categories", []))
    return out


async def index_context(ctx: ViewContext) -> dict[str, Any]:
    parts = await gather(
        {"frameworks": (SERVICE, ctx.clients.indicators.frameworks(actor=ctx.actor))}
    )
    frameworks = sorted(
        parts.get("frameworks", []), key=lambda f: (-f.grant_fy, f.grant, f.level != "prefecture")
    )
    return base(frameworks=frameworks, unavailable=parts.unavailable)


async def framework_context(ctx: ViewContext, framework_id: int) -> dict[str, Any]:
    fw, unavailable = await framework_or_notice(ctx, framework_id)
    return base(
        fw=fw,
        framework_id=framework_id,
        item_count=len(items_of(fw["categories"])) if fw else 0,
        formats=FRAMEWORK_FORMATS,
        unavailable=unavailable,
        current="tree",
    )


async def import_form_context(
    ctx: ViewContext, framework_id: int, written: int | None
) -> dict[str, Any]:
    fw, unavailable = await framework_or_notice(ctx, framework_id)
    return base(
        fw=fw,
        framework_id=framework_id,
        outcome={"written": written} if written is not None else None,
        unavailable=unavailable,
        current="import",
    )


def bad_rows(exc: ServiceRejected) -> list[dict[str, Any]]:
    """The service's errors as rows: line, column, message."""
    rows = []
    for e in exc.problem.get("errors") or []:
        loc = list(e.get("loc") or [])
        line = column = None
        if "line" in loc and loc.index("line") + 1 < len(loc):
            line = loc[loc.index("line") + 1]
        if "column" in loc and loc.index("column") + 1 < len(loc):
            column = loc[loc.index("column") + 1]
        rows.append({"line": line, "column": column, "msg": e.get("msg", "")})
    return rows


async def _upload(upload: Any) -> tuple[bytes, str | None, int]:
    """The file's content, or what to fix about it and the status."""
    if upload is None or isinstance(upload, str) or not getattr(upload, "filename", ""):
        return b"", "取り込むファイルを選んでください (CSV または Excel)。", 422
    content = await upload.read()
    if not content:
        return b"", "ファイルが空です。得点の入ったファイルを選んでください。", 422
    if len(content) > MAX_UPLOAD:
        return b"", "ファイルが大きすぎます (20MBまで)。", 413
    return content, None, 200


async def import_scores(
    ctx: ViewContext, framework_id: int, upload: Any
) -> tuple[dict[str, Any], int]:
    """Send the file to the service: what the import block shows, and the status."""
    content, problem, status = await _upload(upload)
    if problem:
        return {"error": problem}, status
    filename = upload.filename
    call = ctx.clients.indicators.import_scores(
        framework_id, filename, content, getattr(upload, "content_type", "") or "", actor=ctx.actor
    )
    done = await attempt(call, refusals=IMPORT_REFUSALS)
    if done.refusal is not None:
        exc = done.refusal
        rejected = exc.problem.get("detail") or exc.detail
        return {"filename": filename, "rejected": rejected, "bad_rows": bad_rows(exc)}, done.status
    if not done.ok:
        detail = done.down.detail if done.down else ""
        text = f"評価指標のサービスが応答しないため、取り込めませんでした ({detail})。"
        return {"error": f"{text}何も書き込んでいません。"}, done.status
    return {"written": done.value["written"], "filename": filename}, 200


def import_outcome_context(framework_id: int, outcome: dict[str, Any]) -> dict[str, Any]:
    return base(
        fw=None, framework_id=framework_id, outcome=outcome, unavailable=[], current="import"
    )


# --- allocation and its what-if


def budget(settings: Any, fw: dict[str, Any] | None, value: str) -> tuple[int, str | None]:
    default = (
        settings.allocation_budget_doryoku
        if fw and fw.get("grant") == "doryoku"
        else settings.allocation_budget_suishin
    )
    text = (value or "").replace(",", "").replace("円", "").strip()
    if not text:
        return default, None
    if not text.isdigit():
        return default, "予算額は0以上の整数 (円) で入力してください (例: 2000000000)。"
    return int(text), None


def allocation_base(framework_id: int, amount: int, **extra: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "fw": None,
        "framework_id": framework_id,
        "budget": amount,
        "budget_error": None,
        "sim": None,
        "items": [],
        "whatif_rows": WHATIF_ROWS,
        "form": {},
        "whatif": None,
        "whatif_errors": [],
        "unavailable": [],
        "current": "allocation",
    }
    return base(**(defaults | extra))


async def _with_simulation(
    ctx: ViewContext, framework_id: int, context: dict[str, Any], loaded: Any = None
) -> None:
    """The framework and the simulation at the context's budget (or the notice)."""
    fw, unavailable = loaded or await framework_or_notice(ctx, framework_id)
    context.update(unavailable=unavailable)
    if fw is None:
        return
    call = ctx.clients.indicators.allocation(
        framework_id, {"budget": context["budget"]}, actor=ctx.actor
    )
    parts = await gather({"sim": (SERVICE, call)})
    context.update(fw=fw, items=items_of(fw["categories"]))
    context.update(sim=parts.get("sim"), unavailable=parts.unavailable)


async def allocation_context(ctx: ViewContext, framework_id: int, value: str) -> dict[str, Any]:
    loaded = await framework_or_notice(ctx, framework_id)
    amount, budget_error = budget(ctx.settings, loaded[0], value)
    context = allocation_base(framework_id, amount)
    context["budget_error"] = budget_error
    await _with_simulation(ctx, framework_id, context, loaded)
    return context


def whatif_changes(values: dict[str, str]) -> tuple[dict[str, float], list[str]]:
    """The assumed points per item from the form's rows, and what to fix."""
    errors: list[str] = []
    if not values.get("entity_code", ""):
        errors.append("区市町村 (保険者) を選んでください。")
    changes: dict[str, float] = {}
    for n in range(WHATIF_ROWS):
        item, raw = values.get(f"item_{n}", ""), values.get(f"points_{n}", "")
        if not item and not raw:
            continue
        if not item or not raw:
            errors.append(f"{n + 1}行目: 指標と仮定の得点の両方を入力してください。")
            continue
        try:
            changes[item] = float(raw)
        except ValueError:
            errors.append(f"{n + 1}行目: 得点は数値で入力してください ({raw})。")
    if not changes and not errors:
        errors.append("得点を変える指標を1つ以上選んでください。")
    return changes, errors


async def whatif(
    ctx: ViewContext, framework_id: int, values: dict[str, str], *, whole_page: bool
) -> tuple[dict[str, Any], int]:
    """The what-if at the typed budget: the amount block's context (``whole_page``: the
    allocation page's, the form keeping what was typed) and the status."""
    amount, budget_error = budget(ctx.settings, None, values.get("budget", ""))
    changes, errors = whatif_changes(values)
    errors = ([budget_error] if budget_error else []) + errors
    result, status = None, 422
    if not errors:
        body = {
            "budget": amount,
            "what_if": {"entity_code": values["entity_code"], "points": changes},
        }
        done = await attempt(
            ctx.clients.indicators.allocation(framework_id, body, actor=ctx.actor),
            refusals=WRITE_REFUSALS,
        )
        status = done.status
        if done.ok:
            result = {**done.value["what_if"], "budget": amount, "changes": changes}
        elif done.refusal is not None:
            exc = done.refusal
            errors = [str(e.get("msg")) for e in exc.problem.get("errors") or [] if e.get("msg")]
            errors = errors or [exc.problem.get("detail") or exc.detail]
        else:
            detail = done.down.detail if done.down else ""
            errors = [f"評価指標のサービスが応答しないため、試算できませんでした ({detail})。"]
    context = allocation_base(
        framework_id, amount, whatif=result, whatif_errors=errors, form=values
    )
    if whole_page:
        await _with_simulation(ctx, framework_id, context)
    return context, status

"""The indicator pages' views: results of a framework by peer group (sorted), and the
comparison with an earlier framework (each model is the template's context)."""

from __future__ import annotations

from typing import Any

from gateway.actions import WRITE_REFUSALS, Outcome, as_app_error, attempt, refusal_message
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


async def framework_context(ctx: ViewContext, framework_id: int) -> dict[str, Any]:
    fw, unavailable = await framework_or_notice(ctx, framework_id)
    return authoring_base(
        fw=fw,
        framework_id=framework_id,
        item_count=len(items_of(fw["categories"])) if fw else 0,
        formats=FRAMEWORK_FORMATS,
        can_edit=is_staff_actor(ctx),
        import_items_url=f"/imports/items?framework_id={framework_id}",  # the import wizard
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


def budget(value: str) -> tuple[int | None, str | None]:
    """The typed what-if budget (None: the year's budget held by the service), or what to fix."""
    text = (value or "").replace(",", "").replace("円", "").strip()
    if not text:
        return None, None
    if not text.isdigit():
        return (
            None,
            "予算額は0以上の整数 (円) で入力してください (例: 2000000000)。空欄ならその年度の予算を使います。",
        )
    return int(text), None


def allocation_base(framework_id: int, amount: int | None, **extra: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "fw": None,
        "framework_id": framework_id,
        "budget": amount,
        "budget_error": None,
        "sim": None,
        "sim_problem": None,
        "items": [],
        "whatif_rows": WHATIF_ROWS,
        "form": {},
        "whatif": None,
        "whatif_errors": [],
        "unavailable": [],
        "current": "allocation",
    }
    return base(**(defaults | extra))


def simulation_body(amount: int | None, **extra: Any) -> dict[str, Any]:
    """No budget: the service takes the year's (published or overridden, with its source)."""
    return ({"budget": amount} if amount is not None else {}) | extra


async def _with_simulation(
    ctx: ViewContext, framework_id: int, context: dict[str, Any], loaded: Any = None
) -> None:
    """The framework and the simulation at the context's budget, the service's message saying
    what is missing (422: no budget, no national basis), or the notice."""
    fw, unavailable = loaded or await framework_or_notice(ctx, framework_id)
    context.update(unavailable=unavailable)
    if fw is None:
        return
    context.update(fw=fw, items=items_of(fw["categories"]))
    call = ctx.clients.indicators.allocation(
        framework_id, simulation_body(context["budget"]), actor=ctx.actor
    )
    done = await attempt(call, refusals=(422,))
    if done.ok:
        context.update(sim=done.value)
    elif done.refusal is not None:
        context.update(sim_problem=refusal_message(done.refusal))
    else:
        context.update(unavailable=[SERVICE])


async def allocation_context(ctx: ViewContext, framework_id: int, value: str) -> dict[str, Any]:
    loaded = await framework_or_notice(ctx, framework_id)
    amount, budget_error = budget(value)
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
    amount, budget_error = budget(values.get("budget", ""))
    changes, errors = whatif_changes(values)
    errors = ([budget_error] if budget_error else []) + errors
    result, status = None, 422
    if not errors:
        body = simulation_body(
            amount, what_if={"entity_code": values["entity_code"], "points": changes}
        )
        done = await attempt(
            ctx.clients.indicators.allocation(framework_id, body, actor=ctx.actor),
            refusals=WRITE_REFUSALS,
        )
        status = done.status
        if done.ok:
            sim = done.value
            result = {
                **sim["what_if"],
                "budget": sim["totals"]["budget"],
                "budget_basis": (sim.get("budget") or {}).get("basis"),
                "provisional_reasons": sim.get("provisional_reasons", []),
                "changes": changes,
            }
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


# ---------------------------------------------------------------- authoring (issue #15)
# Frameworks grouped by grant × level × year with their state and source; copying the previous
# year's; editing source, state and the tree (all or nothing); budgets with their source or
# override reason; the published national denominator of a year.

STATES = {"provisional": "暫定", "confirmed": "確定"}
BUDGET_LEVELS = {**LEVEL_NAMES, "all": "合計 (内訳なし)"}
ITEM_FIELDS = ("category", "order", "code", "text", "max", "min", "alt", "note", "kind")
ITEM_HIDDEN = ("kind", "navg", "nrate")
CAT_FIELDS = ("code", "name", "parent", "max", "order", "navg")
BLANK_ITEMS, BLANK_CATS = 3, 1


def text_fields(form: Any) -> dict[str, str]:
    """A posted form's text fields, stripped (files left out)."""
    return {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}


def is_staff_actor(ctx: ViewContext) -> bool:
    return ctx.actor.role.value in ("admin", "coordinator")


def source_text(src: dict[str, Any] | None) -> str:
    """資料名 (日付) 頁, or "" when no document is named."""
    src = src or {}
    if not src.get("document"):
        return ""
    date = f" ({src['date']})" if src.get("date") else ""
    page = f" {src['page']}" if src.get("page") else ""
    return f"{src['document']}{date}{page}"


def authoring_base(**extra: Any) -> dict[str, Any]:
    return base(states=STATES, source_text=source_text, budget_levels=BUDGET_LEVELS, **extra)


def framework_groups(frameworks: list[Any]) -> list[dict[str, Any]]:
    """Frameworks by grant × level, each group's years newest first."""
    groups: dict[tuple[str, str], list[Any]] = {}
    for f in sorted(frameworks, key=lambda f: (f.grant, f.level != "municipality", -f.grant_fy)):
        groups.setdefault((f.grant, f.level), []).append(f)
    return [
        {"grant": g, "level": lv, "key": f"{g}:{lv}", "frameworks": fs, "latest": fs[0].grant_fy}
        for (g, lv), fs in groups.items()
    ]


async def index_context(
    ctx: ViewContext, *, copy_form: dict[str, str] | None = None, message: Any = None
) -> dict[str, Any]:
    parts = await gather(
        {"frameworks": (SERVICE, ctx.clients.indicators.frameworks(actor=ctx.actor))}
    )
    frameworks = sorted(
        parts.get("frameworks", []), key=lambda f: (-f.grant_fy, f.grant, f.level != "prefecture")
    )
    groups = framework_groups(frameworks)
    default = {"pair": groups[0]["key"], "grant_fy": str(groups[0]["latest"] + 1)} if groups else {}
    return authoring_base(
        frameworks=frameworks,
        groups=groups,
        can_edit=is_staff_actor(ctx),
        copy_form=copy_form or default,
        message=message,
        unavailable=parts.unavailable,
    )


def _int(text: str) -> int | None:
    text = (text or "").replace(",", "").strip()
    return int(text) if text.lstrip("-").isdigit() else None


def _source_of(form: dict[str, str], prefix: str = "source_") -> dict[str, Any] | None:
    doc = form.get(f"{prefix}document", "").strip()
    if not doc:
        return None
    return {
        "document": doc,
        "date": form.get(f"{prefix}date", "").strip() or None,
        "page": form.get(f"{prefix}page", "").strip(),
    }


async def copy_framework(ctx: ViewContext, form: dict[str, str]) -> tuple[Any, Outcome[Any]]:
    """Create the FY N framework of a grant × level by copying its FY N−1 one (or the earlier
    year typed as 複製元): the new id and the outcome (the gateway's own refusal when the pair
    or that year's framework is missing)."""
    grant, _, level = form.get("pair", "").partition(":")
    year = _int(form.get("grant_fy", ""))
    if grant not in GRANT_NAMES or level not in LEVEL_NAMES:
        return None, Outcome.refused("交付金と区分を選んでください。")
    if year is None or not 2018 <= year <= 2100:
        return None, Outcome.refused(
            "作る体系の交付年度を西暦の整数で入力してください (例: 2026)。"
        )
    typed_from = form.get("from_fy", "").strip()
    from_fy = _int(typed_from) if typed_from else year - 1
    if from_fy is None or not 2018 <= from_fy < year:
        return None, Outcome.refused(
            f"複製元の交付年度は{year}年度より前の西暦で入力してください (空なら前年度)。"
        )
    found = await attempt(
        ctx.clients.indicators.frameworks(grant=grant, level=level, actor=ctx.actor)
    )
    if not found.ok:
        return None, found
    previous = next((f for f in found.value or [] if f.grant_fy == from_fy), None)
    if previous is None:
        names = f"{GRANT_NAMES[grant]}・{LEVEL_NAMES[level]}"
        text = (
            f"{names}の{from_fy}年度の体系がないため、{year}年度の体系を複製で作れません。"
            "先にその年度の体系を作るか取り込んでください。"
        )
        earlier = [f.grant_fy for f in found.value or [] if f.grant_fy < year]
        if earlier:
            text += (
                f"「複製元の交付年度」に {max(earlier)} を入れると、その年度の体系から作れます。"
            )
        return None, Outcome.refused(text)
    body: dict[str, Any] = {"grant_fy": year}
    if src := _source_of(form):
        body["source"] = src
    done = await attempt(
        ctx.clients.indicators.copy_framework(previous.id, body, actor=ctx.actor),
        refusals=WRITE_REFUSALS,
    )
    return (done.value or {}).get("id"), done


# --- the tree editor: flat rows in the form, a nested tree for the service


def tree_rows(fw: dict[str, Any]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The framework's categories and items as the editor's rows (order in steps of 10)."""
    cats: list[dict[str, str]] = []
    items: list[dict[str, str]] = []

    def num(v: Any) -> str:
        return "" if v is None else points(v).replace(",", "")

    def walk(categories: list[dict[str, Any]], parent: str) -> None:
        for c in categories:
            cats.append(
                {
                    "code": c["code"],
                    "name": c["name"],
                    "parent": parent,
                    "max": "",
                    "order": str((len(cats) + 1) * 10),
                    "navg": num(c.get("national_average")),
                }
            )
            for n, it in enumerate(c.get("items", []), start=1):
                items.append(
                    {
                        "category": c["code"],
                        "order": str(n * 10),
                        "code": it["code"],
                        "text": it["text"],
                        "max": num(it["max_points"]),
                        "min": num(it["min_points"]),
                        "alt": it.get("alternatives") or "",
                        "shared": "1" if it.get("shared") else "",
                        "provisional": "1" if it.get("provisional") else "",
                        "note": it.get("note") or "",
                        "kind": it.get("kind") or "indicator",
                        "navg": num(it.get("national_average")),
                        "nrate": ""
                        if it.get("national_rate") is None
                        else str(it["national_rate"]),
                    }
                )
            walk(c.get("categories", []), c["code"])

    walk(fw.get("categories", []), "")
    return cats, items


def rows_from_form(form: Any) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The editor's rows as typed (blank rows kept, so the form comes back as it was)."""

    def get(key: str) -> str:
        v = form.get(key)
        return v.strip() if isinstance(v, str) else ""

    cats = [
        {f: get(f"cat-{i}-{f}") for f in (*CAT_FIELDS, "delete")}
        for i in range(min(_int(get("cat_count")) or 0, 500))
    ]
    items = [
        {
            f: get(f"item-{j}-{f}")
            for f in (*ITEM_FIELDS, *ITEM_HIDDEN, "shared", "provisional", "delete")
        }
        for j in range(min(_int(get("item_count")) or 0, 5000))
    ]
    return cats, items


def _float(text: str) -> float | None:
    try:
        return float(text.replace(",", "")) if text.strip() else None
    except ValueError:
        return None


def tree_from_rows(
    cats: list[dict[str, str]], items: list[dict[str, str]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The nested categories for PUT /tree from the rows, or what to fix (row numbers as
    shown on the form). Blank and deleted rows are left out; order numbers sort siblings."""
    errors: list[str] = []

    def order(row: dict[str, str], n: int) -> tuple[float, int]:
        return (_float(row.get("order", "")) or 0.0, n)

    live_cats = []
    for n, c in enumerate(cats, start=1):
        if c.get("delete") or not (c["code"] or c["name"]):
            continue
        if not c["code"] or not c["name"]:
            errors.append(f"区分 {n}行目: コードと名称の両方を入力してください。")
            continue
        if c.get("max") and _float(c["max"]) is None:
            errors.append(f"区分 {n}行目 ({c['code']}): 資料の満点は数値で入力してください。")
        if c.get("order") and _float(c["order"]) is None:
            errors.append(f"区分 {n}行目 ({c['code']}): 順番は数値で入力してください。")
        live_cats.append((order(c, n), c))
    codes = [c["code"] for _, c in live_cats]
    for code in sorted({x for x in codes if codes.count(x) > 1}):
        errors.append(f"区分コード {code} が重複しています。")
    known = set(codes)
    for _, c in live_cats:
        if c["parent"] and c["parent"] not in known:
            errors.append(f"区分 {c['code']}: 上位の区分 {c['parent']} がありません。")
        if c["parent"] == c["code"]:
            errors.append(f"区分 {c['code']}: 自分自身を上位の区分にはできません。")
    nodes: dict[str, dict[str, Any]] = {}
    for _, c in sorted(live_cats, key=lambda x: x[0]):
        nodes[c["code"]] = {
            "code": c["code"],
            "name": c["name"],
            "max_points": _float(c.get("max", "")),
            "national_average": _float(c.get("navg", "")),
            "categories": [],
            "items": [],
        }
    live_items = []
    for n, it in enumerate(items, start=1):
        if it.get("delete") or not (it["code"] or it["text"] or it["max"]):
            continue
        label = f"指標 {n}行目" + (f" ({it['code']})" if it["code"] else "")
        if not it["code"] or not it["text"]:
            errors.append(f"{label}: 指標コードと評価指標の文言を入力してください。")
        if it["category"] not in nodes:
            errors.append(f"{label}: 区分 {it['category'] or '(空欄)'} がありません。")
        mx, mn = _float(it["max"]), _float(it.get("min") or "0")
        if mx is None:
            errors.append(f"{label}: 満点を数値で入力してください。")
        if mn is None:
            errors.append(f"{label}: 最低点は数値で入力してください (減点の指標は負の数)。")
        if it.get("order") and _float(it["order"]) is None:
            errors.append(f"{label}: 順番は数値で入力してください。")
        live_items.append((order(it, n), it, mx, mn))
    if errors:
        return [], errors
    for _, it, mx, mn in sorted(live_items, key=lambda x: x[0]):
        doc: dict[str, Any] = {
            "code": it["code"],
            "text": it["text"],
            "max_points": mx,
            "min_points": mn or 0,
            "alternatives": it.get("alt") or None,
            "shared": bool(it.get("shared")),
            "provisional": bool(it.get("provisional")),
            "note": it.get("note", ""),
            "kind": it.get("kind") or "indicator",
            "national_average": _float(it.get("navg", "")),
            "national_rate": _float(it.get("nrate", "")),
        }
        nodes[it["category"]]["items"].append(doc)
    top = []
    for _, c in sorted(live_cats, key=lambda x: x[0]):
        (nodes[c["parent"]]["categories"] if c["parent"] else top).append(nodes[c["code"]])
    if not top:
        errors.append("区分が1件もありません。")
    return top, errors


def with_blanks(
    cats: list[dict[str, str]], items: list[dict[str, str]], *, more: int = 0
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Rows plus empty ones to add categories and items in (``more`` extra item rows)."""
    last = cats[-1]["code"] if cats else ""
    blank_item = {f: "" for f in (*ITEM_FIELDS, *ITEM_HIDDEN, "shared", "provisional")}
    return (
        cats + [{f: "" for f in CAT_FIELDS} for _ in range(BLANK_CATS)],
        items + [{**blank_item, "category": last} for _ in range(BLANK_ITEMS + more)],
    )


def _meta_form(fw: dict[str, Any]) -> dict[str, str]:
    src = fw.get("source") or {}
    return {
        "name": fw["name"],
        "state": fw.get("state", "provisional"),
        "state_note": fw.get("state_note", ""),
        "source_document": src.get("document") or "",
        "source_date": src.get("date") or "",
        "source_page": src.get("page") or "",
        "version": str(fw.get("version", "")),
    }


async def edit_context(
    ctx: ViewContext,
    framework_id: int,
    *,
    saved: str | None = None,
    meta: dict[str, str] | None = None,
    rows: tuple[list[dict[str, str]], list[dict[str, str]]] | None = None,
    tree_version: str | None = None,
    drop_scored: bool = False,
    meta_outcome: Outcome[Any] | None = None,
    tree_outcome: Outcome[Any] | None = None,
    tree_errors: list[str] | None = None,
    more: int = 0,
) -> dict[str, Any]:
    fw, unavailable = await framework_or_notice(ctx, framework_id)
    cats: list[dict[str, str]] = []
    items: list[dict[str, str]] = []
    if fw is not None:
        cats, items = rows if rows is not None else tree_rows(fw)
        if rows is None:
            cats, items = with_blanks(cats, items)
        elif more:
            cats, items = with_blanks(cats, items, more=more - BLANK_ITEMS)
    messages = list(tree_errors or [])
    if tree_outcome is not None and tree_outcome.message:
        messages.insert(0, tree_outcome.message["text"])
        exc = tree_outcome.refusal
        for e in (exc.problem.get("errors") or []) if exc else []:
            msg = str(e.get("msg") or "")
            if msg and msg not in messages[0]:
                messages.append(msg)
    return authoring_base(
        fw=fw,
        framework_id=framework_id,
        saved=saved,
        meta=meta or (_meta_form(fw) if fw else {}),
        meta_message=meta_outcome.message if meta_outcome else None,
        cats=cats,
        items=items,
        tree_version=tree_version or (str(fw.get("version", "")) if fw else ""),
        drop_scored=drop_scored,
        tree_errors=messages,
        can_edit=is_staff_actor(ctx),
        import_items_url=f"/imports/items?framework_id={framework_id}",  # the import wizard
        unavailable=unavailable,
        current="edit",
    )


async def save_meta(ctx: ViewContext, framework_id: int, form: dict[str, str]) -> Outcome[Any]:
    """PATCH name, state, state note and source with the version the form was read at."""
    version = _int(form.get("version", ""))
    if version is None:
        return Outcome.refused("版 (version) がありません。ページを読み込み直してください。")
    if form.get("state") not in STATES:
        return Outcome.refused("状態は 暫定 か 確定 を選んでください。")
    if form.get("state") == "confirmed" and not form.get("source_document", "").strip():
        return Outcome.refused("確定にするには出典 (資料名) を入力してください。")
    body: dict[str, Any] = {
        "version": version,
        "state": form["state"],
        "state_note": form.get("state_note", ""),
        "source": _source_of(form) or {"document": "", "date": None, "page": ""},
    }
    if form.get("name", "").strip():
        body["name"] = form["name"].strip()
    return await attempt(
        ctx.clients.indicators.patch_framework(framework_id, body, actor=ctx.actor),
        refusals=WRITE_REFUSALS,
    )


async def save_tree(
    ctx: ViewContext, framework_id: int, form: Any
) -> tuple[Outcome[Any], dict[str, Any]]:
    """PUT the whole tree (all or nothing): the outcome and, when refused, the editor's
    arguments keeping what was typed."""
    cats, items = rows_from_form(form)
    version = _int(str(form.get("version") or ""))
    drop = bool(form.get("drop_scored"))
    keep = {
        "rows": (cats, items),
        "tree_version": str(form.get("version") or ""),
        "drop_scored": drop,
    }
    if str(form.get("op") or "") == "more":
        return Outcome(value=None, status=200), {**keep, "more": BLANK_ITEMS + 3}
    tree, errors = tree_from_rows(cats, items)
    if version is None:
        errors.insert(0, "版 (version) がありません。ページを読み込み直してください。")
    if errors:
        return Outcome.refused("入力内容を確認してください。何も保存していません。"), {
            **keep,
            "tree_errors": errors,
        }
    body = {"version": version, "categories": tree, "drop_scored": drop}
    done = await attempt(
        ctx.clients.indicators.put_tree(framework_id, body, actor=ctx.actor),
        refusals=WRITE_REFUSALS,
    )
    return done, keep


# --- budgets and the national basis


def budget_rows(budgets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(budgets, key=lambda b: (-b["grant_fy"], b["grant"], b["level"]))


async def budgets_context(
    ctx: ViewContext,
    *,
    edit: str = "",
    budget_form: dict[str, str] | None = None,
    basis_form: dict[str, str] | None = None,
    budget_message: Any = None,
    basis_message: Any = None,
    deduction_form: dict[str, str] | None = None,
    deduction_message: Any = None,
    saved: str | None = None,
    rule: str = "",
) -> dict[str, Any]:
    """Budgets per grant × level × grant year with source, state and override; the national
    denominators of the frameworks' years (computed when the national data is loaded, else
    the published figure entered here); the allocation rules."""
    client, actor = ctx.clients.indicators, ctx.actor
    parts = await gather(
        {
            "budgets": (SERVICE, client.budgets(actor=actor)),
            "frameworks": (SERVICE, client.frameworks(actor=actor)),
            "rules": (SERVICE, client.allocation_rules(actor=actor)),
            "deduction_rules": (SERVICE, client.deduction_rules(actor=actor)),
        }
    )
    budgets = budget_rows(parts.get("budgets") or [])
    years = sorted(
        {(f.grant, f.level, f.grant_fy) for f in parts.get("frameworks") or []},
        key=lambda k: (-k[2], k[0], k[1]),
    )[:24]
    bases_parts = await gather(
        {
            f"{g}:{lv}:{fy}": (SERVICE, client.national_basis(g, lv, fy, actor=actor))
            for g, lv, fy in years
        }
    )
    bases = [
        {"grant": g, "level": lv, "grant_fy": fy, "basis": bases_parts.get(f"{g}:{lv}:{fy}")}
        for g, lv, fy in years
    ]
    chosen = next(
        (b for b in budgets if f"{b['grant']}:{b['level']}:{b['grant_fy']}" == edit), None
    )
    if budget_form is None:
        budget_form = {"grant": "suishin", "level": "municipality", "grant_fy": ""}
        if chosen is not None:
            src = chosen.get("source") or {}
            budget_form = {
                "grant": chosen["grant"],
                "level": chosen["level"],
                "grant_fy": str(chosen["grant_fy"]),
                "version": str(chosen["version"]),
                "override_amount": str(chosen["override_amount"] or ""),
                "override_reason": chosen.get("override_reason") or "",
                "published_amount": str(chosen["published_amount"] or ""),
                "state": chosen.get("state", "provisional"),
                "source_document": src.get("document") or "",
                "source_date": src.get("date") or "",
                "source_page": src.get("page") or "",
                "wording": chosen.get("wording") or "",
            }
    deduction_rules = parts.get("deduction_rules") or []
    rule_chosen, deduction_form = deduction_form_of(deduction_rules, rule, deduction_form)
    return authoring_base(
        budgets=budgets,
        bases=bases,
        rules=parts.get("rules") or [],
        edit=edit,
        chosen=chosen,
        budget_form=budget_form,
        basis_form=basis_form or {"grant": "suishin", "level": "municipality"},
        budget_message=budget_message,
        basis_message=basis_message,
        deduction_rules=deduction_rules,
        deduction_form=deduction_form,
        deduction_message=deduction_message,
        rule_chosen=rule_chosen,
        rule_reload=deduction_reload(deduction_rules, deduction_form, deduction_message),
        saved=saved,
        can_edit=is_staff_actor(ctx),
        is_admin=ctx.actor.role.value == "admin",
        unavailable=parts.unavailable + bases_parts.unavailable,
    )


def deduction_form_of(
    rules: list[dict[str, Any]], rule: str, form: dict[str, str] | None
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """(the rule opened for a change (``rule`` = "grant:grant_fy"), the deduction form): the
    typed form when a save was refused, else the opened rule with the version read, else an
    empty form (a new rule: no version)."""
    chosen = next((r for r in rules if f"{r['grant']}:{r['grant_fy']}" == rule), None)
    if form is not None:
        return chosen, form
    if chosen is None:
        return None, {"grant": "suishin"}
    src = chosen.get("source") or {}
    return chosen, {
        "grant": chosen["grant"],
        "grant_fy": str(chosen["grant_fy"]),
        "version": str(chosen["version"]),
        "item_code": chosen["item_code"],
        "threshold": f"{chosen['threshold'] * 100:g}",
        "points": f"{chosen['points']:g}",
        "wording": chosen["wording"],
        "state": chosen.get("state", "provisional"),
        "source_document": src.get("document") or "",
        "source_date": src.get("date") or "",
        "source_page": src.get("page") or "",
    }


def deduction_reload(rules: list[dict[str, Any]], form: dict[str, str], message: Any) -> str | None:
    """After a refused save of a year whose rule exists: "grant:grant_fy" of that rule, so the
    page offers to open its current content (what was typed stays in the form)."""
    if not message:
        return None
    key = f"{form.get('grant', '')}:{form.get('grant_fy', '').strip()}"
    return key if any(f"{r['grant']}:{r['grant_fy']}" == key for r in rules) else None


def _key(form: dict[str, str]) -> tuple[str, str, int | None, str | None]:
    grant, level, year = (
        form.get("grant", ""),
        form.get("level", ""),
        _int(form.get("grant_fy", "")),
    )
    if grant not in GRANT_NAMES:
        return grant, level, year, "交付金を選んでください。"
    if level not in BUDGET_LEVELS:
        return grant, level, year, "区分を選んでください。"
    if year is None or not 2018 <= year <= 2100:
        return grant, level, year, "交付年度を西暦の整数で入力してください (例: 2026)。"
    return grant, level, year, None


async def save_budget(ctx: ViewContext, form: dict[str, str]) -> Outcome[Any]:
    """An override with its required reason (kind=override), or the published figure with
    its source (kind=published)."""
    grant, level, year, problem = _key(form)
    if problem:
        return Outcome.refused(problem)
    # a new budget has no version yet: the field is left out (null is refused by the service)
    version = _int(form.get("version", ""))
    body: dict[str, Any] = {} if version is None else {"version": version}
    if form.get("kind") == "override":
        amount = _int(form.get("override_amount", ""))
        if amount is None or amount < 0:
            return Outcome.refused("上書きする額を0以上の整数 (円) で入力してください。")
        body |= {"override_amount": amount, "override_reason": form.get("override_reason", "")}
        # the published figure stays as it is (the service keeps it when none is sent)
    else:
        amount = _int(form.get("published_amount", ""))
        if amount is None or amount < 0:
            return Outcome.refused("公表された予算額を0以上の整数 (円) で入力してください。")
        body |= {
            "published_amount": amount,
            "state": form.get("state") if form.get("state") in STATES else "provisional",
            "source": _source_of(form) or {"document": "", "date": None, "page": ""},
            "wording": form.get("wording", ""),
            "note": form.get("note", ""),
        }
        if _int(form.get("override_amount", "")) is not None:  # an override in force stays
            body |= {
                "override_amount": _int(form["override_amount"]),
                "override_reason": form.get("override_reason", ""),
            }
    return await attempt(
        ctx.clients.indicators.put_budget(grant, level, year, body, actor=ctx.actor),  # type: ignore[arg-type]
        refusals=WRITE_REFUSALS,
    )


async def save_national_basis(ctx: ViewContext, form: dict[str, str]) -> Outcome[Any]:
    grant, level, year, problem = _key(form)
    if problem or level == "all":
        return Outcome.refused(problem or "区分は市町村分か都道府県分を選んでください。")
    value = _float(form.get("denominator", ""))
    if value is None or value <= 0:
        return Outcome.refused("全国の分母 (Σ 総合得点 × 重み) を正の数で入力してください。")
    body = {
        "denominator": value,
        "source": _source_of(form) or {"document": "", "date": None, "page": ""},
        "state": form.get("state") if form.get("state") in STATES else "provisional",
        "note": form.get("note", ""),
        "version": _int(form.get("version", "")),
    }
    return await attempt(
        ctx.clients.indicators.put_national_basis(grant, level, year, body, actor=ctx.actor),  # type: ignore[arg-type]
        refusals=WRITE_REFUSALS,
    )


async def save_deduction_rule(ctx: ViewContext, form: dict[str, str]) -> Outcome[Any]:
    """The prefecture's deduction rule of a grant year: the prefecture framework's item, the
    score rate (in %) at or under which a municipality triggers it, the (negative) points, the
    document's wording and its source (required by the service)."""
    grant, year = form.get("grant", ""), _int(form.get("grant_fy", ""))
    if grant not in GRANT_NAMES:
        return Outcome.refused("交付金を選んでください。")
    if year is None or not 2018 <= year <= 2100:
        return Outcome.refused("交付年度を西暦の整数で入力してください (例: 2026)。")
    percent, points = _float(form.get("threshold", "")), _float(form.get("points", ""))
    if percent is None or not 0 < percent < 100:
        return Outcome.refused(
            "得点率のしきい値を0より大きく100より小さい数 (%) で入力してください。"
        )
    if points is None or points >= 0:
        return Outcome.refused("減点を負の数で入力してください (例: -10)。")
    body = {
        "item_code": form.get("item_code", "").strip(),
        "threshold": percent / 100,
        "points": points,
        "wording": form.get("wording", "").strip(),
        "state": form.get("state") if form.get("state") in STATES else "provisional",
        "source": _source_of(form) or {"document": "", "date": None, "page": ""},
    }
    # the version the form was read at (a stale one → 409 on the form); none for a new rule
    version = _int(form.get("version", ""))
    if version is not None:
        body["version"] = version
    return await attempt(
        ctx.clients.indicators.put_deduction_rule(grant, year, body, actor=ctx.actor),  # type: ignore[arg-type]
        refusals=WRITE_REFUSALS,
    )

"""Indicator pages (評価指標): frameworks and their trees, results against peers, score import,
the allocation simulator with its what-if, and the year-over-year comparison."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.actions import as_app_error, stream
from gateway.clients.base import ServiceError, ServiceRejected
from gateway.clients.indicators import IndicatorsClient
from gateway.templating import path_for, render, wants_fragment
from gateway.views import indicators as indicators_view
from gateway.views.context import Ctx, view_context
from gateway.views.indicators import (
    base,
    framework_or_notice,
)
from gateway.views.parts import gather

router = APIRouter(include_in_schema=False)

SERVICE = "indicators"
FRAMEWORK_FORMATS = {"json": "JSON", "yaml": "YAML", "xlsx": "Excel (XLSX)"}
MAX_UPLOAD = 20 * 1024 * 1024
WHATIF_ROWS = 3


def _client(request: Request) -> IndicatorsClient:
    return request.app.state.services.indicators


def _actor(request: Request) -> Any:
    return getattr(request.state, "actor", None)


def _items(tree: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for c in tree:
        out += c.get("items", [])
        out += _items(c.get("categories", []))
    return out


# ---------------------------------------------------------------- frameworks


@router.get("/indicators", name="indicators_index", response_class=HTMLResponse)
async def indicators_index(request: Request) -> HTMLResponse:
    parts = await gather(
        {"frameworks": (SERVICE, _client(request).frameworks(actor=_actor(request)))}
    )
    frameworks = sorted(
        parts.get("frameworks", []), key=lambda f: (-f.grant_fy, f.grant, f.level != "prefecture")
    )
    return render(
        request,
        "indicators/index.html",
        base(frameworks=frameworks, unavailable=parts.unavailable),
    )


@router.get(
    "/indicators/frameworks/{framework_id}",
    name="indicators_framework",
    response_class=HTMLResponse,
)
async def indicators_framework(request: Request, framework_id: int) -> HTMLResponse:
    fw, unavailable = await framework_or_notice(view_context(request), framework_id)
    return render(
        request,
        "indicators/framework.html",
        base(
            fw=fw,
            framework_id=framework_id,
            item_count=len(_items(fw["categories"])) if fw else 0,
            formats=FRAMEWORK_FORMATS,
            unavailable=unavailable,
            current="tree",
        ),
    )


@router.get("/indicators/frameworks/{framework_id}/export", name="indicators_framework_export")
async def indicators_framework_export(
    request: Request,
    framework_id: int,
    format: Annotated[str, Query(pattern="^(json|yaml|xlsx)$")] = "xlsx",
) -> Response:
    opened = _client(request).framework_export(framework_id, format, actor=_actor(request))
    return await stream(request, opened, what="ファイル")


# ---------------------------------------------------------------- results


@router.get(
    "/indicators/frameworks/{framework_id}/results",
    name="indicators_results",
    response_class=HTMLResponse,
)
async def indicators_results(
    request: Request,
    ctx: Ctx,
    framework_id: int,
    peer_set: Annotated[str, Query()] = "region_class",
    group: Annotated[str, Query(max_length=100)] = "",
    sort: Annotated[str, Query(max_length=100)] = "rank",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
) -> HTMLResponse:
    view = await indicators_view.results(ctx, framework_id, peer_set, group, sort, order)
    return render(request, "indicators/results.html", view, block="results_body")


@router.get(
    "/indicators/frameworks/{framework_id}/results/export", name="indicators_results_export"
)
async def indicators_results_export(
    request: Request,
    framework_id: int,
    format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv",
    peer_set: Annotated[str, Query()] = "region_class",
    prefecture: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    group: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    params = {"format": format, "peer_set": peer_set, "prefecture": prefecture, "group": group}
    opened = _client(request).results_export(
        framework_id, {k: v for k, v in params.items() if v}, actor=_actor(request)
    )
    return await stream(request, opened, what="ファイル")


# ---------------------------------------------------------------- score import


def _bad_rows(exc: ServiceRejected) -> list[dict[str, Any]]:
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


@router.get(
    "/indicators/frameworks/{framework_id}/import",
    name="indicators_import",
    response_class=HTMLResponse,
)
async def indicators_import_form(
    request: Request, framework_id: int, written: Annotated[int | None, Query()] = None
) -> HTMLResponse:
    fw, unavailable = await framework_or_notice(view_context(request), framework_id)
    return render(
        request,
        "indicators/import.html",
        base(
            fw=fw,
            framework_id=framework_id,
            outcome={"written": written} if written is not None else None,
            unavailable=unavailable,
            current="import",
        ),
    )


@router.post("/indicators/frameworks/{framework_id}/import", response_class=HTMLResponse)
async def indicators_import(request: Request, framework_id: int) -> Response:
    form = await request.form()
    upload = form.get("file")
    outcome: dict[str, Any] = {}
    status = 200
    filename = getattr(upload, "filename", "") or ""
    if upload is None or isinstance(upload, str) or not filename:
        outcome = {"error": "取り込むファイルを選んでください (CSV または Excel)。"}
        status = 422
    else:
        content = await upload.read()
        if not content:
            outcome = {"error": "ファイルが空です。得点の入ったファイルを選んでください。"}
            status = 422
        elif len(content) > MAX_UPLOAD:
            outcome = {"error": "ファイルが大きすぎます (20MBまで)。"}
            status = 413
        else:
            try:
                result = await _client(request).import_scores(
                    framework_id,
                    filename,
                    content,
                    getattr(upload, "content_type", "") or "",
                    actor=_actor(request),
                )
            except ServiceRejected as exc:
                if exc.status == 404:
                    raise as_app_error(exc) from exc
                status = exc.status or 422
                outcome = {
                    "filename": filename,
                    "rejected": exc.problem.get("detail") or exc.detail,
                    "bad_rows": _bad_rows(exc),
                }
            except ServiceError as exc:
                status = 503
                outcome = {
                    "error": "評価指標のサービスが応答しないため、取り込めませんでした "
                    f"({exc.detail})。何も書き込んでいません。"
                }
            else:
                if not wants_fragment(request):
                    url = path_for(request, "indicators_import", framework_id=framework_id)
                    return RedirectResponse(f"{url}?written={result['written']}", status_code=303)
                outcome = {"written": result["written"], "filename": filename}
    return render(
        request,
        "indicators/import.html",
        base(
            fw=None,
            framework_id=framework_id,
            outcome=outcome,
            unavailable=[],
            current="import",
        ),
        block="import_outcome",
        status_code=200 if wants_fragment(request) else status,
    )


# ---------------------------------------------------------------- allocation


def _budget(request: Request, fw: dict[str, Any] | None, value: str) -> tuple[int, str | None]:
    settings = request.app.state.settings
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


@router.get(
    "/indicators/frameworks/{framework_id}/allocation",
    name="indicators_allocation",
    response_class=HTMLResponse,
)
async def indicators_allocation(
    request: Request, framework_id: int, budget: Annotated[str, Query(max_length=30)] = ""
) -> HTMLResponse:
    fw, unavailable = await framework_or_notice(view_context(request), framework_id)
    amount, budget_error = _budget(request, fw, budget)
    sim = None
    if fw is not None:
        parts = await gather(
            {
                "sim": (
                    SERVICE,
                    _client(request).allocation(
                        framework_id, {"budget": amount}, actor=_actor(request)
                    ),
                )
            }
        )
        sim, unavailable = parts.get("sim"), parts.unavailable
    return render(
        request,
        "indicators/allocation.html",
        base(
            fw=fw,
            framework_id=framework_id,
            budget=amount,
            budget_error=budget_error,
            sim=sim,
            items=_items(fw["categories"]) if fw else [],
            whatif_rows=WHATIF_ROWS,
            form={},
            whatif=None,
            whatif_errors=[],
            unavailable=unavailable,
            current="allocation",
        ),
    )


@router.post(
    "/indicators/frameworks/{framework_id}/allocation/what-if",
    name="indicators_whatif",
    response_class=HTMLResponse,
)
async def indicators_whatif(request: Request, framework_id: int) -> Response:
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    amount, budget_error = _budget(request, None, values.get("budget", ""))
    errors: list[str] = [budget_error] if budget_error else []
    entity = values.get("entity_code", "")
    if not entity:
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
    whatif, status = None, 422
    if not errors:
        try:
            sim = await _client(request).allocation(
                framework_id,
                {"budget": amount, "what_if": {"entity_code": entity, "points": changes}},
                actor=_actor(request),
            )
        except ServiceRejected as exc:
            status = exc.status or 422
            errors = [str(e.get("msg")) for e in exc.problem.get("errors") or [] if e.get("msg")]
            errors = errors or [exc.problem.get("detail") or exc.detail]
        except ServiceError as exc:
            status = 503
            errors = [f"評価指標のサービスが応答しないため、試算できませんでした ({exc.detail})。"]
        else:
            whatif, status = {**sim["what_if"], "budget": amount, "changes": changes}, 200
    context = base(
        fw=None,
        framework_id=framework_id,
        budget=amount,
        budget_error=None,
        sim=None,
        items=[],
        whatif_rows=WHATIF_ROWS,
        whatif=whatif,
        whatif_errors=errors,
        form=values,
        unavailable=[],
        current="allocation",
    )
    if wants_fragment(request):
        # htmx swaps only 2xx answers: the amount block with the messages comes back as 200.
        return render(request, "indicators/allocation.html", context, block="whatif_amount")
    # A plain post (no JavaScript): the whole page, the form keeping what was typed.
    fw, unavailable = await framework_or_notice(view_context(request), framework_id)
    if fw is not None:
        parts = await gather(
            {
                "sim": (
                    SERVICE,
                    _client(request).allocation(
                        framework_id, {"budget": amount}, actor=_actor(request)
                    ),
                )
            }
        )
        context.update(sim=parts.get("sim"), unavailable=parts.unavailable)
        context.update(fw=fw, items=_items(fw["categories"]))
    else:
        context.update(unavailable=unavailable)
    return render(request, "indicators/allocation.html", context, status_code=status)


# ---------------------------------------------------------------- year over year


@router.get(
    "/indicators/frameworks/{framework_id}/compare",
    name="indicators_compare",
    response_class=HTMLResponse,
)
async def indicators_compare(
    request: Request,
    ctx: Ctx,
    framework_id: int,
    previous_id: Annotated[int | None, Query()] = None,
) -> HTMLResponse:
    view = await indicators_view.compare(ctx, framework_id, previous_id)
    return render(request, "indicators/compare.html", view)

"""Indicator pages (評価指標): frameworks and their trees, results against peers, score import,
the allocation simulator with its what-if, and the year-over-year comparison."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from gateway.clients.base import ServiceError, ServiceRejected
from gateway.clients.indicators import IndicatorsClient
from gateway.combine import gather
from gateway.templating import path_for, render, wants_fragment
from services.common.errors import AppError
from services.common.registry import REGION_CLASSES, get_registry

router = APIRouter(include_in_schema=False)

SERVICE = "indicators"
GRANT_NAMES = {"suishin": "保険者機能強化推進交付金", "doryoku": "介護保険保険者努力支援交付金"}
LEVEL_NAMES = {"municipality": "市町村分", "prefecture": "都道府県分"}
PEER_SETS = {"region_class": "地域区分", "peer_type": "類似団体の類型", "size_band": "規模"}
PEER_TYPES = ("大都市型", "都市型", "離島・中山間型")
SORTS = {
    "rank": "順位",
    "name": "名称",
    "total": "総合得点",
    "score_rate": "得点率",
    "peer_rank": "グループ内順位",
}
FRAMEWORK_FORMATS = {"json": "JSON", "yaml": "YAML", "xlsx": "Excel (XLSX)"}
MAX_UPLOAD = 20 * 1024 * 1024
WHATIF_ROWS = 3


def _client(request: Request) -> IndicatorsClient:
    return request.app.state.services.indicators


def _actor(request: Request) -> Any:
    return getattr(request.state, "actor", None)


def _app_error(exc: ServiceRejected) -> AppError:
    err = AppError(exc.problem.get("detail") or exc.detail, title=exc.problem.get("title"))
    err.status = exc.status or 400
    return err


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


def _base(**extra: Any) -> dict[str, Any]:
    return {
        "grant_names": GRANT_NAMES,
        "level_names": LEVEL_NAMES,
        "yen": yen,
        "signed_yen": signed_yen,
        "pts": points,
        "signed_pts": signed_points,
        **extra,
    }


async def _framework_or_notice(
    request: Request, framework_id: int
) -> tuple[dict[str, Any] | None, list[str]]:
    """The framework (with its tree), or None and the unavailable service."""
    try:
        return await _client(request).framework(framework_id, actor=_actor(request)), []
    except ServiceRejected as exc:
        raise _app_error(exc) from exc
    except ServiceError:
        return None, [SERVICE]


def _items(tree: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for c in tree:
        out += c.get("items", [])
        out += _items(c.get("categories", []))
    return out


async def _stream(request: Request, path: str, params: dict[str, Any]) -> Response:
    """An export of the service passed on with its content type and file name."""
    try:
        resp = await _client(request).open_file(path, params=params, actor=_actor(request))
    except ServiceRejected as exc:
        raise _app_error(exc) from exc
    except ServiceError as exc:
        return render(
            request,
            "error.html",
            {
                "title": "ファイルを取得できません",
                "detail": f"評価指標のサービスが応答しません ({exc.detail})。",
            },
            status_code=503,
        )
    headers = {
        k: resp.headers[k] for k in ("content-disposition", "content-length") if k in resp.headers
    }
    if "content-encoding" in resp.headers:
        headers.pop("content-length", None)
    return StreamingResponse(
        resp.aiter_bytes(),
        media_type=resp.headers.get("content-type", "application/octet-stream"),
        headers=headers,
        background=BackgroundTask(resp.aclose),
    )


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
        _base(frameworks=frameworks, unavailable=parts.unavailable),
    )


@router.get(
    "/indicators/frameworks/{framework_id}",
    name="indicators_framework",
    response_class=HTMLResponse,
)
async def indicators_framework(request: Request, framework_id: int) -> HTMLResponse:
    fw, unavailable = await _framework_or_notice(request, framework_id)
    return render(
        request,
        "indicators/framework.html",
        _base(
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
    return await _stream(request, f"/frameworks/{framework_id}/export", {"format": format})


# ---------------------------------------------------------------- results


def _group_options(size_bands: list[str]) -> dict[str, list[str]]:
    return {
        "region_class": list(REGION_CLASSES),
        "peer_type": list(PEER_TYPES),
        "size_band": size_bands,
    }


def _result_params(fw: dict[str, Any], peer_set: str, group: str) -> dict[str, Any]:
    params: dict[str, Any] = {"peer_set": peer_set}
    if fw["level"] == "municipality":
        params["prefecture"] = get_registry().home_prefecture
    if group:
        params["group"] = f"{peer_set}:{group}"
    return params


def _sort_rows(rows: list[dict[str, Any]], sort: str, order: str) -> list[dict[str, Any]]:
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


@router.get(
    "/indicators/frameworks/{framework_id}/results",
    name="indicators_results",
    response_class=HTMLResponse,
)
async def indicators_results(
    request: Request,
    framework_id: int,
    peer_set: Annotated[str, Query()] = "region_class",
    group: Annotated[str, Query(max_length=100)] = "",
    sort: Annotated[str, Query(max_length=100)] = "rank",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
) -> HTMLResponse:
    if peer_set not in PEER_SETS:
        peer_set = "region_class"
    fw, unavailable = await _framework_or_notice(request, framework_id)
    results, size_bands = None, []
    if fw is not None:
        client, actor = _client(request), _actor(request)
        params = _result_params(fw, peer_set, group)
        parts = await gather(
            {
                "results": (SERVICE, client.results(framework_id, actor=actor, **params)),
                "peer_sets": (SERVICE, client.peer_sets(actor=actor)),
            }
        )
        unavailable = parts.unavailable
        results = parts.get("results")
        size_bands = (parts.get("peer_sets") or {}).get("size_bands", [])
    options = _group_options(size_bands)
    if group and group not in options.get(peer_set, []):
        group = ""
    top = (results or {}).get("summary", {}).get("top_categories", [])
    valid_sorts = set(SORTS) | {f"cat:{c}" for c in top}
    if sort not in valid_sorts:
        sort = "rank"
    rows = _sort_rows((results or {}).get("entities", []), sort, order)
    query = {"peer_set": peer_set, "group": group}
    export_params = _result_params(fw, peer_set, group) if fw else {}
    return render(
        request,
        "indicators/results.html",
        _base(
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
            home_codes={m.code for m in get_registry().home()},
            unavailable=unavailable,
            current="results",
        ),
        block="results_body",
    )


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
    return await _stream(
        request,
        f"/frameworks/{framework_id}/results/export",
        {k: v for k, v in params.items() if v},
    )


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
    fw, unavailable = await _framework_or_notice(request, framework_id)
    return render(
        request,
        "indicators/import.html",
        _base(
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
                    raise _app_error(exc) from exc
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
        _base(
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
    fw, unavailable = await _framework_or_notice(request, framework_id)
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
        _base(
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
    context = _base(
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
    fw, unavailable = await _framework_or_notice(request, framework_id)
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
    framework_id: int,
    previous_id: Annotated[int | None, Query()] = None,
) -> HTMLResponse:
    fw, unavailable = await _framework_or_notice(request, framework_id)
    comparison, missing = None, None
    frameworks: list[Any] = []
    if fw is not None:
        client, actor = _client(request), _actor(request)
        try:
            parts = await gather(
                {
                    "compare": (
                        SERVICE,
                        client.compare(
                            framework_id,
                            previous_id=previous_id,
                            prefecture=get_registry().home_prefecture,
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
    return render(
        request,
        "indicators/compare.html",
        _base(
            fw=fw,
            framework_id=framework_id,
            comparison=comparison,
            entities=entities,
            previous=previous,
            frameworks=frameworks,
            previous_id=previous_id,
            missing=missing,
            home_codes={m.code for m in get_registry().home()},
            unavailable=unavailable,
            current="compare",
        ),
    )

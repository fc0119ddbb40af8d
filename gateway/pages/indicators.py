"""Indicator pages (評価指標): frameworks and their trees, results against peers, score import,
the allocation simulator with its what-if, and the year-over-year comparison. The work is in
``gateway.views.indicators``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.actions import stream
from gateway.templating import path_for, render, wants_fragment
from gateway.views import indicators as view
from gateway.views.context import Ctx

router = APIRouter(include_in_schema=False)


# ---------------------------------------------------------------- frameworks


@router.get("/indicators", name="indicators_index", response_class=HTMLResponse)
async def indicators_index(request: Request, ctx: Ctx) -> HTMLResponse:
    return render(request, "indicators/index.html", await view.index_context(ctx))


@router.post("/indicators/frameworks/copy", name="indicators_copy", response_class=HTMLResponse)
async def indicators_copy(request: Request, ctx: Ctx) -> Response:
    """Create the FY N framework of a grant × level by copying its FY N−1 one (暫定)."""
    form = view.text_fields(await request.form())
    new_id, done = await view.copy_framework(ctx, form)
    if done.ok and new_id is not None:
        url = path_for(request, "indicators_edit", framework_id=new_id)
        return RedirectResponse(f"{url}?saved=copy", status_code=303)
    context = await view.index_context(ctx, copy_form=form, message=done.message)
    return render(request, "indicators/index.html", context, status_code=done.status)


@router.get(
    "/indicators/frameworks/{framework_id}",
    name="indicators_framework",
    response_class=HTMLResponse,
)
async def indicators_framework(request: Request, ctx: Ctx, framework_id: int) -> HTMLResponse:
    context = await view.framework_context(ctx, framework_id)
    return render(request, "indicators/framework.html", context)


@router.get(
    "/indicators/frameworks/{framework_id}/edit",
    name="indicators_edit",
    response_class=HTMLResponse,
)
async def indicators_edit(
    request: Request,
    ctx: Ctx,
    framework_id: int,
    saved: Annotated[str | None, Query(pattern="^(copy|meta|tree)$")] = None,
) -> HTMLResponse:
    context = await view.edit_context(ctx, framework_id, saved=saved)
    return render(request, "indicators/edit.html", context)


@router.post("/indicators/frameworks/{framework_id}/meta", name="indicators_meta_save")
async def indicators_meta_save(request: Request, ctx: Ctx, framework_id: int) -> Response:
    """Name, state (暫定/確定) and source, with the version the form was read at."""
    form = view.text_fields(await request.form())
    done = await view.save_meta(ctx, framework_id, form)
    if done.ok:
        url = path_for(request, "indicators_edit", framework_id=framework_id)
        return RedirectResponse(f"{url}?saved=meta", status_code=303)
    context = await view.edit_context(ctx, framework_id, meta=form, meta_outcome=done)
    return render(request, "indicators/edit.html", context, status_code=done.status)


@router.post("/indicators/frameworks/{framework_id}/tree", name="indicators_tree_save")
async def indicators_tree_save(request: Request, ctx: Ctx, framework_id: int) -> Response:
    """The whole tree, all or nothing; a refusal keeps every typed row on the form."""
    done, keep = await view.save_tree(ctx, framework_id, await request.form())
    if done.ok and "more" not in keep:
        url = path_for(request, "indicators_edit", framework_id=framework_id)
        return RedirectResponse(f"{url}?saved=tree", status_code=303)
    context = await view.edit_context(ctx, framework_id, tree_outcome=done, **keep)
    return render(request, "indicators/edit.html", context, status_code=done.status)


@router.get("/indicators/frameworks/{framework_id}/export", name="indicators_framework_export")
async def indicators_framework_export(
    request: Request,
    ctx: Ctx,
    framework_id: int,
    format: Annotated[str, Query(pattern="^(json|yaml|xlsx)$")] = "xlsx",
) -> Response:
    opened = ctx.clients.indicators.framework_export(framework_id, format, actor=ctx.actor)
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
    context = await view.results(ctx, framework_id, peer_set, group, sort, order)
    return render(request, "indicators/results.html", context, block="results_body")


@router.get(
    "/indicators/frameworks/{framework_id}/results/export", name="indicators_results_export"
)
async def indicators_results_export(
    request: Request,
    ctx: Ctx,
    framework_id: int,
    format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv",
    peer_set: Annotated[str, Query()] = "region_class",
    prefecture: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    group: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    params = {"format": format, "peer_set": peer_set, "prefecture": prefecture, "group": group}
    opened = ctx.clients.indicators.results_export(
        framework_id, {k: v for k, v in params.items() if v}, actor=ctx.actor
    )
    return await stream(request, opened, what="ファイル")


# ---------------------------------------------------------------- score import


@router.get(
    "/indicators/frameworks/{framework_id}/import",
    name="indicators_import",
    response_class=HTMLResponse,
)
async def indicators_import_form(
    request: Request, ctx: Ctx, framework_id: int, written: Annotated[int | None, Query()] = None
) -> HTMLResponse:
    context = await view.import_form_context(ctx, framework_id, written)
    return render(request, "indicators/import.html", context)


@router.post("/indicators/frameworks/{framework_id}/import", response_class=HTMLResponse)
async def indicators_import(request: Request, ctx: Ctx, framework_id: int) -> Response:
    upload = (await request.form()).get("file")
    outcome, status = await view.import_scores(ctx, framework_id, upload)
    if status == 200 and not wants_fragment(request):
        url = path_for(request, "indicators_import", framework_id=framework_id)
        return RedirectResponse(f"{url}?written={outcome['written']}", status_code=303)
    context = view.import_outcome_context(framework_id, outcome)
    status = 200 if wants_fragment(request) else status
    return render(
        request, "indicators/import.html", context, block="import_outcome", status_code=status
    )


# ---------------------------------------------------------------- allocation


@router.get(
    "/indicators/frameworks/{framework_id}/allocation",
    name="indicators_allocation",
    response_class=HTMLResponse,
)
async def indicators_allocation(
    request: Request,
    ctx: Ctx,
    framework_id: int,
    budget: Annotated[str, Query(max_length=30)] = "",
) -> HTMLResponse:
    context = await view.allocation_context(ctx, framework_id, budget)
    return render(request, "indicators/allocation.html", context)


@router.post(
    "/indicators/frameworks/{framework_id}/allocation/what-if",
    name="indicators_whatif",
    response_class=HTMLResponse,
)
async def indicators_whatif(request: Request, ctx: Ctx, framework_id: int) -> Response:
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    # htmx swaps only 2xx answers: the amount block with the messages comes back as 200;
    # a plain post (no JavaScript) gets the whole page, the form keeping what was typed.
    whole_page = not wants_fragment(request)
    context, status = await view.whatif(ctx, framework_id, values, whole_page=whole_page)
    if whole_page:
        return render(request, "indicators/allocation.html", context, status_code=status)
    return render(request, "indicators/allocation.html", context, block="whatif_amount")


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
    context = await view.compare(ctx, framework_id, previous_id)
    return render(request, "indicators/compare.html", context)


# ---------------------------------------------------------------- budgets and national basis


@router.get("/indicators/budgets", name="indicators_budgets", response_class=HTMLResponse)
async def indicators_budgets(
    request: Request,
    ctx: Ctx,
    edit: Annotated[str, Query(max_length=40)] = "",
    saved: Annotated[str | None, Query(pattern="^(budget|national|deduction)$")] = None,
    rule: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    context = await view.budgets_context(ctx, edit=edit, saved=saved, rule=rule)
    return render(request, "indicators/budgets.html", context)


@router.post("/indicators/budgets", name="indicators_budget_save")
async def indicators_budget_save(request: Request, ctx: Ctx) -> Response:
    """A budget's published figure with its source, or an override with its reason."""
    form = view.text_fields(await request.form())
    done = await view.save_budget(ctx, form)
    if done.ok:
        url = path_for(request, "indicators_budgets")
        return RedirectResponse(f"{url}?saved=budget", status_code=303)
    context = await view.budgets_context(ctx, budget_form=form, budget_message=done.message)
    return render(request, "indicators/budgets.html", context, status_code=done.status)


@router.post("/indicators/budgets/national", name="indicators_national_save")
async def indicators_national_save(request: Request, ctx: Ctx) -> Response:
    """The published national denominator of a grant × level × year, with its source."""
    form = view.text_fields(await request.form())
    done = await view.save_national_basis(ctx, form)
    if done.ok:
        url = path_for(request, "indicators_budgets")
        return RedirectResponse(f"{url}?saved=national#national", status_code=303)
    context = await view.budgets_context(ctx, basis_form=form, basis_message=done.message)
    return render(request, "indicators/budgets.html", context, status_code=done.status)


@router.post("/indicators/budgets/deduction", name="indicators_deduction_save")
async def indicators_deduction_save(request: Request, ctx: Ctx) -> Response:
    """The prefecture's deduction rule of a grant year, with its source (the year's results
    take it at once)."""
    form = view.text_fields(await request.form())
    done = await view.save_deduction_rule(ctx, form)
    if done.ok:
        url = path_for(request, "indicators_budgets")
        return RedirectResponse(f"{url}?saved=deduction#deduction", status_code=303)
    context = await view.budgets_context(ctx, deduction_form=form, deduction_message=done.message)
    return render(request, "indicators/budgets.html", context, status_code=done.status)

"""The peer types (類型) page: the 62 with default and current type, and the form that sets
one (coordinators and admins). The work is in ``gateway.views.peer_types``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.templating import path_for, render
from gateway.views import peer_types as view
from gateway.views.context import Ctx
from gateway.views.indicators import text_fields

router = APIRouter(include_in_schema=False)
Code = Annotated[str, Path(pattern=r"^\d{6}$")]


@router.get("/indicators/peer-types", name="indicators_peer_types", response_class=HTMLResponse)
async def peer_types_page(
    request: Request, ctx: Ctx, saved: Annotated[str | None, Query(max_length=6)] = None
) -> HTMLResponse:
    context = await view.page_context(ctx, saved=saved)
    return render(request, "indicators/peer_types.html", context)


@router.post("/indicators/peer-types/{code}", name="indicators_peer_type_save")
async def peer_type_save(request: Request, ctx: Ctx, code: Code) -> Response:
    """Set one municipality's type (or back to the default); a refusal is said on its row."""
    form = text_fields(await request.form())
    done = await view.save(ctx, code, form)
    if done.ok:
        url = path_for(request, "indicators_peer_types")
        return RedirectResponse(f"{url}?saved={code}#pt-{code}", status_code=303)
    context = await view.page_context(ctx, code=code, form=form, message=done.message)
    return render(request, "indicators/peer_types.html", context, status_code=done.status)

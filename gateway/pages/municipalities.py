"""Home (the dashboard of the home prefecture's municipalities) and the municipality profile:
routes only, each calling its view (gateway/views/dashboard.py, profile.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from gateway.clients.base import collect_tags
from gateway.kept import render_kept
from gateway.templating import path_for
from gateway.views import dashboard as dashboard_view
from gateway.views import profile as profile_view
from gateway.views.context import Ctx

router = APIRouter(include_in_schema=False)

Filter = Annotated[str, Query(max_length=40)]


@router.get("/", name="home", response_class=HTMLResponse)
async def home(
    request: Request,
    ctx: Ctx,
    region_class: Annotated[str, Query(max_length=20)] = "",
    medical_area: Filter = "",
    peer_type: Annotated[str, Query(max_length=20)] = "",
    sort: Filter = "code",
    dir: Annotated[str, Query(max_length=4)] = "asc",
) -> HTMLResponse:
    filters = {"region_class": region_class, "medical_area": medical_area, "peer_type": peer_type}
    base = path_for(request, "home")
    tags = collect_tags()
    view = await dashboard_view.dashboard(
        ctx, filters=filters, sort=sort, descending=dir == "desc", base=base
    )
    # One path prefix instead of a url_for per row (62 route look-ups per render).
    profile_base = path_for(request, "municipality_page", code="0")[:-1]
    return render_kept(
        request,
        tags,
        "municipalities/index.html",
        lambda: view.context() | {"profile_base": profile_base},
        block="dashboard",
    )


@router.get("/municipalities/{code}", name="municipality_page", response_class=HTMLResponse)
async def municipality_page(
    request: Request,
    ctx: Ctx,
    code: str,
    fiscal_year: Annotated[int | None, Query(ge=2018, le=2100)] = None,
) -> HTMLResponse:
    tags = collect_tags()
    view = await profile_view.profile(ctx, code, fiscal_year)
    return render_kept(request, tags, "municipalities/show.html", view.context)

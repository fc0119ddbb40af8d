"""Jinja2 templates (with fragments) and the filters pages share."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import pass_context
from jinja2_fragments.fastapi import Jinja2Blocks

from services.common import clock
from services.common.fiscal import (
    fiscal_year_of,
    format_date_ja,
    format_fy,
    format_fy_full,
    format_fy_wareki,
)

TEMPLATES_DIR = Path(__file__).parent / "templates"


def _date_ja(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        # A timestamp ("2027-03-31T15:30:00+00:00") is an instant: its day is Tokyo's.
        value = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = clock.to_tokyo(value).date()
    return format_date_ja(value)


def _time_ja(value: datetime | str | None) -> str:
    """An instant as Tokyo's wall-clock time, "15:30"."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{clock.to_tokyo(value):%H:%M}"


def _context(request: Request) -> dict[str, Any]:
    settings = request.app.state.settings
    today = clock.today()
    return {
        "demo": settings.demo,
        "today": today,
        "current_fy": fiscal_year_of(today),
        "static_version": request.app.state.static_version,
    }


_PATH_CACHE_LIMIT = 20_000


def path_for(request: Request, name: str, /, **path_params: Any) -> str:
    """The path of a route (``/training/sessions/3``), never an absolute URL: links and
    redirects stay right behind a TLS-terminating reverse proxy whatever scheme and host the
    gateway itself sees (and the root path, when mounted under one, is kept).

    Remembered per router: Starlette finds a name by trying every route (an exception per
    miss), about 0.1 ms a lookup, and a page makes a dozen (the navigation). Routes do not
    change after start-up, so the same name, parameters and root path give the same path."""
    router = request.scope.get("router") or request.app.router
    cache: dict[tuple[Any, ...], str] | None = getattr(router, "_banso_paths", None)
    if cache is None:
        cache = {}
        router._banso_paths = cache
    key = (request.scope.get("root_path", ""), name, *sorted(path_params.items()))
    path = cache.get(key)
    if path is None:
        path = request.url_for(name, **path_params).path
        if len(cache) >= _PATH_CACHE_LIMIT:
            cache.clear()  # bounded: ids in links (sessions, cases) keep coming
        cache[key] = path
    return path


@pass_context
def _url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> str:
    return path_for(context["request"], name, **path_params)


templates = Jinja2Blocks(directory=str(TEMPLATES_DIR), context_processors=[_context])
templates.env.globals["url_for"] = _url_for  # paths in pages (see path_for)
templates.env.filters.update(
    fy=format_fy,
    fy_wareki=format_fy_wareki,
    fy_full=format_fy_full,
    date_ja=_date_ja,
    time_ja=_time_ja,
)


def wants_fragment(request: Request) -> bool:
    """htmx asked for a part of the page (not a boosted navigation)."""
    return (
        request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"
    )


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    block: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The page, or only ``block`` when htmx asked for a fragment; varies on HX-Request."""
    kwargs: dict[str, Any] = {"status_code": status_code, "headers": {"Vary": "HX-Request"}}
    if block and wants_fragment(request):
        kwargs["block_name"] = block
    return templates.TemplateResponse(request, name, context, **kwargs)


def fragment(
    request: Request, name: str, block: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """Only ``block`` of the page ``name`` (the caller has decided that htmx asked for it)."""
    headers = {"Vary": "HX-Request"}
    return templates.TemplateResponse(
        request, name, context, status_code=status_code, headers=headers, block_name=block
    )

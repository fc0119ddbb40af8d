"""The import wizard's pages: upload → column mapping → preview (dry run) → commit, one flow
for every import (``gateway.views.imports`` holds the kinds and the work). Every step is a
plain form (boosted by htmx when JavaScript runs)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.templating import path_for, render
from gateway.views import imports as view
from gateway.views.context import Ctx

router = APIRouter(include_in_schema=False)


@router.get("/imports/{kind}", name="imports_start", response_class=HTMLResponse)
async def imports_start(request: Request, ctx: Ctx, kind: str) -> HTMLResponse:
    """Step 1: choose the file (the target comes in the query: framework_id, fiscal_year)."""
    step = await view.start(ctx, kind, dict(request.query_params))
    return render(request, "imports/upload.html", step.context())


@router.post("/imports/{kind}", name="imports_upload", response_class=HTMLResponse)
async def imports_upload(request: Request, ctx: Ctx, kind: str) -> Response:
    """Keep the file, then on to the mapping (303); the form again with what to fix."""
    step = await view.upload(ctx, request.app.state.db, kind, await request.form())
    if step.upload is not None:
        url = path_for(request, "imports_mapping", upload_id=step.upload.id)
        return RedirectResponse(url, status_code=303)
    status = view.shown_status(step, request.headers)
    return render(request, "imports/upload.html", step.context(), status_code=status)


@router.get("/imports/u/{upload_id}", name="imports_mapping", response_class=HTMLResponse)
async def imports_mapping(request: Request, ctx: Ctx, upload_id: str) -> HTMLResponse:
    """Step 2: each column of the file with a sample, mapped to a field."""
    step = await view.mapping_step(ctx, request.app.state.db, upload_id)
    return render(request, "imports/mapping.html", step.context())


@router.post("/imports/u/{upload_id}/preview", name="imports_preview", response_class=HTMLResponse)
async def imports_preview(request: Request, ctx: Ctx, upload_id: str) -> HTMLResponse:
    """Step 3: the service's dry run (nothing written); a mapping to fix shows step 2."""
    step = await view.preview(ctx, request.app.state.db, upload_id, await request.form())
    page = "imports/mapping.html" if step.step == 2 else "imports/preview.html"
    return render(
        request, page, step.context(), status_code=view.shown_status(step, request.headers)
    )


@router.post("/imports/u/{upload_id}/commit", name="imports_commit", response_class=HTMLResponse)
async def imports_commit(request: Request, ctx: Ctx, upload_id: str) -> HTMLResponse:
    """Step 4: written all or nothing; the result, or the refusal with the mapping kept."""
    step = await view.commit(ctx, request.app.state.db, upload_id, await request.form())
    page = {2: "imports/mapping.html", 3: "imports/preview.html"}.get(
        step.step, "imports/result.html"
    )
    return render(
        request, page, step.context(), status_code=view.shown_status(step, request.headers)
    )

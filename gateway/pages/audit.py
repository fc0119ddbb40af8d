"""The audit page for admins: every service's audit trail, merged (gateway/views/audit.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from gateway.auth.deps import AdminActor
from gateway.templating import render
from gateway.views.audit import audit_trail

router = APIRouter(include_in_schema=False)


@router.get("/admin/audit", name="admin_audit", response_class=HTMLResponse)
async def audit_page(
    request: Request,
    actor: AdminActor,
    entity_type: Annotated[str, Query(max_length=64)] = "",
    entity_id: Annotated[str, Query(max_length=64)] = "",
    actor_id: Annotated[str, Query(max_length=128)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    filters = {"entity_type": entity_type, "entity_id": entity_id, "actor_id": actor_id}
    filters |= {"since": since, "until": until}
    view = await audit_trail(request.app.state.services.all(), actor, filters)
    status = 422 if view.errors else 200
    ctx = view.context()
    return render(request, "audit/index.html", ctx, block="audit_results", status_code=status)

"""/healthz (alive) and /readyz (database reachable, migrations at head)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.common.migrate import current_revisions, head_revisions, ping

Check = Callable[[Request], Awaitable[dict[str, Any]]]


async def database_check(request: Request) -> dict[str, Any]:
    """Reachable within 2 s, and at the head of this service's migration history."""
    db = request.app.state.db
    service = request.app.state.settings.service_name
    try:
        await asyncio.wait_for(ping(db.engine), timeout=2)
    except Exception as exc:
        return {"ok": False, "detail": f"データベースに接続できません: {exc.__class__.__name__}"}
    heads = request.app.state.migration_heads
    try:
        current = await asyncio.wait_for(current_revisions(db.engine, service), timeout=2)
    except Exception as exc:
        return {"ok": False, "detail": f"マイグレーションの状態を読めません: {exc}"}
    if current != heads:
        return {
            "ok": False,
            "detail": "マイグレーションが最新ではありません (make migrate を実行してください)",
            "current": sorted(current),
            "head": sorted(heads),
        }
    return {"ok": True, "revision": sorted(current)}


def health_router(checks: dict[str, Check]) -> APIRouter:
    router = APIRouter(tags=["運用"])

    @router.get("/healthz", summary="プロセスの死活")
    async def healthz(request: Request) -> dict[str, str]:
        return {"status": "ok", "service": request.app.state.settings.service_name}

    @router.get(
        "/readyz",
        summary="依存先を含む準備状態",
        responses={503: {"description": "準備ができていない依存先があります"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        names = list(checks)
        results = await asyncio.gather(*(checks[n](request) for n in names))
        body_checks = dict(zip(names, results, strict=True))
        failing = [n for n, r in body_checks.items() if not r.get("ok")]
        body = {
            "status": "ok" if not failing else "unavailable",
            "service": request.app.state.settings.service_name,
            "failing": failing,
            "checks": body_checks,
        }
        return JSONResponse(body, status_code=200 if not failing else 503)

    return router


def migration_heads(service: str) -> set[str]:
    return head_revisions(service)

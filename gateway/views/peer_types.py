"""A municipality's peer type (類型) as the prefecture sets it: the home prefecture's
municipalities with their default (the registry's) and current type, one form per
municipality to change it (version checked), who changed it last and, for admins, the link
to its audit trail. The service keeps every change in its audit log (PeerTypeOverride)."""

from __future__ import annotations

from typing import Any

from gateway.actions import WRITE_REFUSALS, Outcome, attempt
from gateway.views.context import ViewContext
from gateway.views.parts import gather
from services.common.actor import Role
from services.common.registry import PEER_TYPES, REGION_CLASSES

SERVICE = "indicators"
DEFAULT = ""  # the form's value for "back to the registry's default" (null to the service)
AUDIT_ENTITY = "PeerTypeOverride"


def may_edit(ctx: ViewContext) -> bool:
    return ctx.actor.role in (Role.admin, Role.coordinator)


async def page_context(
    ctx: ViewContext,
    *,
    saved: str | None = None,
    code: str | None = None,
    form: dict[str, str] | None = None,
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The table of the 62 with default and current type (grouped by region class); with
    ``code``/``form``/``message`` the refused form of that row keeps what was chosen."""
    parts = await gather({"types": (SERVICE, ctx.clients.indicators.peer_types(actor=ctx.actor))})
    answer = parts.get("types")
    rows = list((answer or {}).get("data") or [])
    region = {m.code: m.region_class for m in ctx.registry.home()}
    groups = [
        {
            "region_class": rc,
            "rows": [r for r in rows if region.get(r["entity_code"]) == rc],
        }
        for rc in REGION_CLASSES
    ]
    names = {r["entity_code"]: r["name"] for r in rows}
    return {
        "groups": [g for g in groups if g["rows"]],
        "count": len(rows),
        "overridden": sum(1 for r in rows if r.get("overridden")),
        "peer_types": PEER_TYPES,
        "can_edit": may_edit(ctx),
        "is_admin": ctx.actor.role == Role.admin,
        "audit_entity": AUDIT_ENTITY,
        "saved": saved if saved in names else None,
        "saved_name": names.get(saved or ""),
        "form_code": code,
        "form": form or {},
        "message": message,
        "unavailable": parts.unavailable,
    }


def _version(text: str) -> int | None:
    return int(text) if text.isdigit() else None


async def save(ctx: ViewContext, code: str, form: dict[str, str]) -> Outcome[Any]:
    """Set the municipality's type (the empty choice: back to the default), as read at
    ``version``; refusals (a type that is none, a stale version, a role that may not) are
    said on the form."""
    chosen = form.get("peer_type", "")
    if chosen != DEFAULT and chosen not in PEER_TYPES:
        return Outcome.refused(
            f"類型は {'・'.join(PEER_TYPES)} または「既定に戻す」から選んでください。"
        )
    version = _version(form.get("version", ""))
    if version is None:
        return Outcome.refused("版が読み取れません。ページを読み込み直してから変更してください。")
    body = {"peer_type": chosen or None, "version": version}
    return await attempt(
        ctx.clients.indicators.put_peer_type(code, body, actor=ctx.actor),  # type: ignore[arg-type]
        refusals=WRITE_REFUSALS,
    )

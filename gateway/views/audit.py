"""The audit page's view for admins: every service's audit trail (GET /api/v1/audit), merged.

Each service keeps its own append-only ``audit_log``; this page asks the three services at
once with the same filters, through the service clients and as the admin (the services check
the admin role themselves), and shows one table, newest first. A service that is down is named
in a notice; one without an audit trail yet (404) is named too and shows no rows.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from gateway.clients.base import ServiceClient, ServiceError, ServiceRejected
from services.common import clock
from services.common.actor import Actor

JST = clock.TOKYO
PER_SERVICE = 200  # newest rows asked of each service
SERVICE_LABELS = {"indicators": "評価指標", "support_cases": "伴走支援", "training": "研修"}
ACTION_LABELS = {"create": "作成", "update": "更新", "delete": "削除"}


@dataclass
class AuditRow:
    service: str
    at: datetime  # aware, Japan time
    actor_id: str
    actor_name: str
    actor_role: str
    entity_type: str
    entity_id: str
    action: str
    changes: list[tuple[str, Any, Any]]
    note: dict[str, Any] | None = None

    @property
    def service_label(self) -> str:
        return SERVICE_LABELS.get(self.service, self.service)

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


@dataclass
class AuditResult:
    rows: list[AuditRow] = field(default_factory=list)
    down: list[str] = field(default_factory=list)  # could not be asked: "研修 (接続できません)"
    without_trail: list[str] = field(default_factory=list)  # answered 404: no audit trail yet
    truncated: list[str] = field(default_factory=list)  # gave PER_SERVICE rows: maybe more


def _parse_date(value: str, label: str, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(f"{label}は 2026-04-01 の形で入力してください")
        return None


def _row(service: str, raw: dict[str, Any]) -> AuditRow:
    at = datetime.fromisoformat(str(raw["at"]).replace("Z", "+00:00"))
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    changes = []
    for name, pair in sorted((raw.get("changes") or {}).items()):
        before, after = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        changes.append((name, before, after))
    return AuditRow(
        service=service,
        at=at.astimezone(JST),
        actor_id=str(raw.get("actor_id", "")),
        actor_name=str(raw.get("actor_name", "")),
        actor_role=str(raw.get("actor_role", "")),
        entity_type=str(raw.get("entity_type", "")),
        entity_id=str(raw.get("entity_id", "")),
        action=str(raw.get("action", "")),
        changes=changes,
        note=raw.get("note"),
    )


async def collect(
    clients: dict[str, ServiceClient], params: dict[str, Any], actor: Actor
) -> AuditResult:
    """Ask every service concurrently; merge the rows, newest first."""

    async def one(name: str, client: ServiceClient) -> tuple[str, Any]:
        try:
            return name, await client.audit(params, actor=actor)
        except ServiceRejected as exc:
            return name, exc
        except ServiceError as exc:
            return name, exc

    result = AuditResult()
    answers = await asyncio.gather(*(one(n, c) for n, c in clients.items()))
    for name, answer in answers:
        label = SERVICE_LABELS.get(name, name)
        if isinstance(answer, ServiceRejected) and answer.status == 404:
            result.without_trail.append(label)
        elif isinstance(answer, ServiceError):
            result.down.append(f"{label} ({answer.detail})")
        elif isinstance(answer, list):
            result.rows += [_row(name, r) for r in answer if isinstance(r, dict)]
            if len(answer) >= params.get("limit", PER_SERVICE):
                result.truncated.append(label)
        else:
            result.down.append(f"{label} (予期しない応答)")
    result.rows.sort(key=lambda r: r.at, reverse=True)
    return result


@dataclass
class AuditPage:
    result: AuditResult
    filters: dict[str, str]
    errors: list[str]
    per_service: int = PER_SERVICE

    def context(self) -> dict[str, Any]:
        return {
            "result": self.result,
            "filters": self.filters,
            "errors": self.errors,
            "per_service": self.per_service,
        }


async def audit_trail(
    clients: dict[str, ServiceClient], actor: Actor, filters: dict[str, str]
) -> AuditPage:
    """The merged trail for the filters, or the errors that say what to fix in them."""
    filters = {k: v.strip() for k, v in filters.items()}
    errors: list[str] = []
    since_d = _parse_date(filters["since"], "開始日", errors)
    until_d = _parse_date(filters["until"], "終了日", errors)
    if since_d and until_d and until_d < since_d:
        errors.append("終了日は開始日以降にしてください")
    if errors:
        return AuditPage(AuditResult(), filters, errors)
    params: dict[str, Any] = {"limit": PER_SERVICE}
    for key in ("entity_type", "entity_id", "actor_id"):
        if filters[key]:
            params[key] = filters[key]
    # Dates are days in Japan: since = that day's 0:00 JST, until = the next day's 0:00.
    if since_d:
        params["since"] = datetime.combine(since_d, time(), JST).isoformat()
    if until_d:
        params["until"] = datetime.combine(until_d + timedelta(days=1), time(), JST).isoformat()
    return AuditPage(await collect(clients, params, actor), filters, errors)

"""The audit trail: every write in a service appends who, when, what and the fields before and
after. Append-only: no code path updates or deletes audit rows, and database triggers refuse it.

A service opts in by creating the table in its own metadata (``audit_table(Base.metadata)``)
and passing it to ``create_service_app(audit=...)``; its sessions then record every insert,
update and delete of its other tables at flush time, with the actor of the request.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import (
    JSON,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    event,
    insert,
    inspect,
    select,
)
from sqlalchemy.orm import Session

from services.common import clock
from services.common.access import require_roles
from services.common.actor import Actor, Role, current_actor
from services.common.models import UTCDateTime
from services.common.observability import current_request_id

AUDIT_TABLE = "audit_log"


def audit_table(metadata: MetaData) -> Table:
    return Table(
        AUDIT_TABLE,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime, nullable=False),
        Column("actor_id", String(128), nullable=False),
        Column("actor_name", String(200), nullable=False),
        Column("actor_role", String(32), nullable=False),
        Column("entity_type", String(64), nullable=False),
        Column("entity_id", String(64), nullable=False),
        Column("action", String(32), nullable=False),
        Column("changes", JSON, nullable=False),
        Column("note", JSON, nullable=True),
        Column("request_id", String(128), nullable=True),
        Index("ix_audit_log_entity", "entity_type", "entity_id"),
        Index("ix_audit_log_actor", "actor_id"),
        Index("ix_audit_log_at", "at"),
    )


# Triggers that make the table append-only in the database itself (used by migrations).
APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
APPEND_ONLY_POSTGRES = [
    "CREATE OR REPLACE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse()",
]


def append_only_ddl(dialect: str) -> list[str]:
    return APPEND_ONLY_POSTGRES if dialect == "postgresql" else APPEND_ONLY_SQLITE


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


_SKIP = frozenset({"updated_at", "updated_by", "version", "created_at", "created_by"})


def _identity(obj: Any) -> str:
    state = inspect(obj)
    ident = state.mapper.primary_key_from_instance(obj)
    return ":".join("" if p is None else str(p) for p in ident)


def _changes(obj: Any, action: str) -> dict[str, Any]:
    state = inspect(obj)
    out: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in _SKIP:
            continue
        hist = state.attrs[key].history
        if action == "create":
            value = getattr(obj, key, None)
            if value is not None:
                out[key] = [None, _plain(value)]
        elif action == "delete":
            value = (
                hist.unchanged[0] if hist.unchanged else (hist.deleted[0] if hist.deleted else None)
            )
            if value is not None:
                out[key] = [_plain(value), None]
        elif hist.has_changes():
            before = hist.deleted[0] if hist.deleted else None
            after = hist.added[0] if hist.added else None
            if _plain(before) != _plain(after):
                out[key] = [_plain(before), _plain(after)]
    return out


def install_audit(session_class: type[Session], table: Table) -> None:
    """Record every flush of ``session_class`` (a Session subclass of one service)."""
    tables = {table.name}

    @event.listens_for(session_class, "before_flush")
    def _collect(session: Session, _ctx: Any, _instances: Any) -> None:
        # Deleted rows lose their state after the flush: read them now.
        pending = session.info.setdefault("_audit_deleted", [])
        for obj in session.deleted:
            if getattr(obj, "__tablename__", None) not in tables:
                pending.append((type(obj).__name__, _identity(obj), _changes(obj, "delete")))

    @event.listens_for(session_class, "after_flush")
    def _record(session: Session, _ctx: Any) -> None:
        rows: list[dict[str, Any]] = []
        for obj in session.new:
            if getattr(obj, "__tablename__", None) in tables:
                continue
            rows.append(_row(type(obj).__name__, _identity(obj), "create", _changes(obj, "create")))
        for obj in session.dirty:
            if getattr(obj, "__tablename__", None) in tables or not session.is_modified(obj):
                continue
            changes = _changes(obj, "update")
            if changes:
                rows.append(_row(type(obj).__name__, _identity(obj), "update", changes))
        for entity, ident, changes in session.info.pop("_audit_deleted", []):
            rows.append(_row(entity, ident, "delete", changes))
        if rows:
            session.connection().execute(insert(table), rows)


def _row(entity: str, ident: str, action: str, changes: dict[str, Any]) -> dict[str, Any]:
    actor = current_actor.get()
    return {
        "at": clock.now(),
        "actor_id": actor.id if actor else "system",
        "actor_name": actor.name if actor else "システム",
        "actor_role": actor.role.value if actor else "system",
        "entity_type": entity,
        "entity_id": ident[:64],
        "action": action,
        "changes": changes,
        "note": None,
        "request_id": current_request_id(),
    }


async def record_event(
    session: Any, table: Table, *, entity_type: str, entity_id: str, action: str, **facts: Any
) -> None:
    """An explicit audit row for an action that is more than its row changes (e.g. an import)."""
    row = _row(entity_type, entity_id, action, {})
    row["note"] = _plain(facts)
    # Core insert: through the session's connection (SQLModel deprecates session.execute).
    conn = await session.connection()
    await conn.execute(insert(table).values(**row))


AdminOnly = Annotated[Actor, Depends(require_roles(Role.admin))]


class AuditEntry(BaseModel):
    id: int
    at: dt.datetime
    actor_id: str
    actor_name: str
    actor_role: str
    entity_type: str
    entity_id: str
    action: str
    changes: dict[str, Any]
    note: dict[str, Any] | None = None
    request_id: str | None = None


def audit_router(table: Table) -> APIRouter:
    """GET /audit for admins: filter by entity, actor and date. There is no write path."""
    router = APIRouter(tags=["監査ログ"])

    @router.get("/audit", response_model=list[AuditEntry], summary="監査ログ (管理者のみ)")
    async def list_audit(
        request: Request,
        _actor: AdminOnly,
        entity_type: str | None = None,
        entity_id: str | None = None,
        actor_id: str | None = None,
        since: Annotated[dt.datetime | None, Query(description="この日時以降")] = None,
        until: Annotated[dt.datetime | None, Query(description="この日時より前")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> list[dict[str, Any]]:
        q = select(table).order_by(table.c.id.desc()).limit(limit)
        if entity_type:
            q = q.where(table.c.entity_type == entity_type)
        if entity_id:
            q = q.where(table.c.entity_id == entity_id)
        if actor_id:
            q = q.where(table.c.actor_id == actor_id)
        if since:
            q = q.where(table.c.at >= since)
        if until:
            q = q.where(table.c.at < until)
        async with request.app.state.db.engine.connect() as conn:
            result = await conn.execute(q)
            return [dict(r._mapping) for r in result]

    return router


__all__ = ["append_only_ddl", "audit_router", "audit_table", "install_audit", "record_event"]

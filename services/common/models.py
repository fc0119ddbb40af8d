"""Model helpers every service uses: its own metadata, who/when fields, optimistic versions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.orm import registry as sa_registry
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from services.common import clock
from services.common.actor import Actor
from services.common.errors import Conflict


def utcnow() -> datetime:
    """This instant in UTC, from the product's one clock (services/common/clock.py)."""
    return clock.now()


def make_base(service: str) -> type[SQLModel]:
    """An SQLModel base with its own registry and metadata, so that each service's tables
    live apart (tests can load several services in one process without clashes)."""
    reg = sa_registry()
    base = type(f"{service.title().replace('_', '')}Table", (SQLModel,), {}, registry=reg)
    return base  # type: ignore[return-value]


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored and returned as an aware UTC datetime on every database (SQLite keeps
    no offset and would hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def tz_field(**kw: Any) -> Any:
    """A timezone-aware timestamp column (aware UTC in and out)."""
    return Field(sa_type=UTCDateTime, **kw)  # type: ignore[call-overload]


class Tracked(SQLModel):
    """Who created and last changed a row, and when; ``version`` for optimistic locking."""

    created_at: datetime = tz_field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=200)
    updated_at: datetime = tz_field(default_factory=utcnow)
    updated_by: str = Field(default="", max_length=200)
    version: int = Field(default=1)


def stamp_created(obj: Tracked, actor: Actor) -> None:
    now = utcnow()
    obj.created_at = obj.updated_at = now
    obj.created_by = obj.updated_by = actor.label


def check_version(obj: Tracked, expected: int | None, *, what: str = "このデータ") -> None:
    """Refuse a write made against an older version (409, nothing changed)."""
    if expected is not None and expected != obj.version:
        raise Conflict(
            f"{what}は他の人が更新しました (現在の版 {obj.version}、送信された版 {expected})。"
            "最新の内容を読み込み直してから変更してください",
            current_version=obj.version,
        )


def stamp_updated(obj: Tracked, actor: Actor) -> None:
    obj.updated_at = utcnow()
    obj.updated_by = actor.label
    obj.version += 1


async def get_for_update(session: Any, model: type[Any], ident: Any) -> Any:
    """Load a row for changing it: ``SELECT … FOR UPDATE`` on PostgreSQL, so that the version
    check and the write are atomic against concurrent requests. (On SQLite a writing request
    already holds the database's write lock from BEGIN IMMEDIATE; FOR UPDATE is omitted.)"""
    from sqlmodel import select

    pk = model.__table__.primary_key.columns.values()[0]
    result = await session.exec(select(model).where(pk == ident).with_for_update())
    return result.first()

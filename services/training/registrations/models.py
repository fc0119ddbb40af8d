"""Registrations (申込): confirmed while seats remain, otherwise waitlisted in arrival order."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import pydantic
from pydantic import BaseModel
from sqlalchemy import Index
from sqlmodel import Field

from services.common.models import Tracked, tz_field
from services.common.registry import MunicipalityCode
from services.training.base import Base


class Registration(Tracked, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "registration"
    __table_args__ = (
        Index("ix_registration_session_status", "session_id", "status"),
        Index("ix_registration_session_email", "session_id", "email"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="training_session.id")
    name: str = Field(max_length=200)
    municipality_code: str = Field(max_length=6, index=True)
    role: str = Field(default="", max_length=100)
    email: str = Field(max_length=320)
    status: str = Field(max_length=12, description="confirmed / waitlisted / cancelled")
    # Arrival order: taken while the session row is locked, so it is the order seats were given.
    seq: int
    confirmed_at: datetime | None = tz_field(default=None, nullable=True)
    cancelled_at: datetime | None = tz_field(default=None, nullable=True)


class RegistrationCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    municipality_code: MunicipalityCode
    role: str = Field(default="", max_length=100)
    email: str = pydantic.Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "山田 花子",
                    "municipality_code": "131016",
                    "role": "地域包括支援センター職員",
                    "email": "hanako.yamada@city.example.jp",
                }
            ]
        }
    }


class RegistrationPublic(BaseModel):
    id: int
    session_id: int
    name: str
    municipality_code: str
    role: str
    email: str | None = pydantic.Field(
        description="メールアドレス (支援担当・管理者と、その区市町村の職員にだけ。ほかは null)"
    )
    status: Literal["confirmed", "waitlisted", "cancelled"]
    waitlist_position: int | None
    created_at: datetime
    created_by: str


class CancelResult(BaseModel):
    """A cancelled registration and who took the freed seat (the first on the waitlist)."""

    cancelled: RegistrationPublic
    promoted: list[RegistrationPublic]

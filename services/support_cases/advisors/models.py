"""Advisors (専門家): the experts the prefecture dispatches to supported municipalities."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from services.common.models import Tracked
from services.support_cases.base import Base

SPECIALTIES = ("介護予防", "認知症", "在宅医療・介護連携", "計画の進捗管理", "データ分析")


class AdvisorBase(SQLModel):
    name: str = Field(min_length=1, max_length=200, description="氏名")
    affiliation: str = Field(default="", max_length=200, description="所属")
    specialties: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False), description="専門分野"
    )
    availability: str = Field(
        default="", sa_column=Column(Text, nullable=False), description="対応可能な時期・曜日"
    )
    actor_id: str | None = Field(
        default=None,
        max_length=128,
        description="この専門家がログインするときの利用者ID (担当事例の閲覧範囲に使う)",
    )
    active: bool = Field(default=True)


class Advisor(Tracked, AdvisorBase, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "advisor"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: str | None = Field(default=None, max_length=128, unique=True)


class AdvisorCreate(AdvisorBase):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "山田 花子",
                    "affiliation": "○○大学 公衆衛生学",
                    "specialties": ["介護予防", "データ分析"],
                    "availability": "火・木 終日",
                    "actor_id": "advisor-yamada",
                }
            ]
        }
    }


class AdvisorUpdate(SQLModel):
    version: int
    name: str | None = Field(default=None, min_length=1, max_length=200)
    affiliation: str | None = Field(default=None, max_length=200)
    specialties: list[str] | None = None
    availability: str | None = None
    actor_id: str | None = Field(default=None, max_length=128)
    active: bool | None = None


class AdvisorPublic(AdvisorBase):
    id: int
    version: int
    updated_at: datetime

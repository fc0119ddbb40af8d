"""Grant indicator frameworks (評価指標の体系): one per grant × level × grant fiscal year."""

from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.models import Tracked
from services.indicators.base import Base


class Grant(StrEnum):
    suishin = "suishin"  # 保険者機能強化推進交付金
    doryoku = "doryoku"  # 介護保険保険者努力支援交付金


class Level(StrEnum):
    municipality = "municipality"
    prefecture = "prefecture"


class FrameworkBase(SQLModel):
    code: str = Field(max_length=64, index=True)
    name: str = Field(max_length=200)
    grant: Grant
    level: Level
    grant_fy: int = Field(ge=2018, le=2100, description="交付年度")
    evaluation_fy: int = Field(ge=2017, le=2100, description="評価年度")


class Framework(Tracked, FrameworkBase, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "framework"
    __table_args__ = (UniqueConstraint("grant", "level", "grant_fy"),)

    id: int | None = Field(default=None, primary_key=True)


class FrameworkPublic(FrameworkBase):
    id: int
    max_points: float = 0

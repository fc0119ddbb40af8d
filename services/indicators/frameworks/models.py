"""Grant indicator frameworks (評価指標の体系): one per grant × level × grant fiscal year."""

from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.models import Tracked
from services.indicators.base import Base


class Grant(StrEnum):
    suishin = "suishin"  # 保険者機能強化推進交付金
    doryoku = "doryoku"  # 介護保険保険者努力支援交付金


class Level(StrEnum):
    municipality = "municipality"
    prefecture = "prefecture"


GRANT_NAMES = {
    Grant.suishin: "保険者機能強化推進交付金",
    Grant.doryoku: "介護保険保険者努力支援交付金",
}


class FrameworkBase(SQLModel):
    code: str = Field(max_length=64, index=True)
    name: str = Field(max_length=200)
    grant: Grant
    level: Level
    grant_fy: int = Field(ge=2018, le=2100, description="交付年度")
    evaluation_fy: int = Field(ge=2017, le=2100, description="評価年度 (通常は交付年度の前年度)")


class Framework(Tracked, FrameworkBase, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "framework"
    __table_args__ = (UniqueConstraint("grant", "level", "grant_fy"),)

    id: int | None = Field(default=None, primary_key=True)
    max_points: float = Field(default=0, description="規則に従って計算した満点")


def _fk(target: str, *, index: bool = True, nullable: bool = False) -> Column:
    return Column(Integer, ForeignKey(target, ondelete="CASCADE"), index=index, nullable=nullable)


class Category(Base, table=True):  # type: ignore[call-arg]
    """A category (区分) of a framework; categories nest (Ⅱ → Ⅱ(2) → 地域ケア会議)."""

    __tablename__ = "category"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(sa_column=_fk("framework.id"))
    parent_id: int | None = Field(default=None, sa_column=_fk("category.id", nullable=True))
    code: str = Field(max_length=64)
    name: str = Field(max_length=300)
    stated_max: float | None = Field(default=None, description="資料に記載の満点 (検証用)")
    max_points: float = 0
    position: int = 0


class Item(Base, table=True):  # type: ignore[call-arg]
    """An indicator (評価指標) with its maximum and (for deductions) minimum points."""

    __tablename__ = "item"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(sa_column=_fk("framework.id"))
    category_id: int = Field(sa_column=_fk("category.id"))
    code: str = Field(max_length=64)
    text: str = Field(max_length=2000)
    max_points: float = 0
    min_points: float = 0
    alternatives: str | None = Field(
        default=None, max_length=64, description="選択肢グループ (ア/イ 等、高い方のみ算定)"
    )
    shared: bool = Field(default=False, description="両交付金で共通の指標 (1件として算定)")
    note: str = Field(default="", max_length=500)
    position: int = 0

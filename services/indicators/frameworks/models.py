"""Grant indicator frameworks (評価指標の体系): one per grant × level × grant fiscal year."""

from datetime import date
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.models import Tracked
from services.indicators.base import Base


class Grant(StrEnum):
    suishin = "suishin"  # 保険者機能強化推進交付金
    doryoku = "doryoku"  # 介護保険保険者努力支援交付金


class Level(StrEnum):
    municipality = "municipality"
    prefecture = "prefecture"


class State(StrEnum):
    """Whether an official figure is final: 暫定 (provisional) or 確定 (confirmed)."""

    provisional = "provisional"  # 暫定
    confirmed = "confirmed"  # 確定


STATE_NAMES = {State.provisional: "暫定", State.confirmed: "確定"}


class ItemKind(StrEnum):
    indicator = "indicator"  # 評価指標
    # The published points of a whole category whose item table is not known (yet): not an
    # indicator, it holds 区分の得点 so that totals and ranks work before an item import.
    category_total = "category_total"


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
    __table_args__ = (
        UniqueConstraint("grant", "level", "grant_fy"),
        CheckConstraint("state IN ('provisional', 'confirmed')", name="framework_state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    max_points: float = Field(default=0, description="規則に従って計算した満点")
    # Where the framework comes from, and whether it is final.
    source_document: str = Field(default="", max_length=300)
    source_date: date | None = None
    source_page: str = Field(default="", max_length=60)
    state: str = Field(default=State.provisional.value, max_length=16)
    state_note: str = Field(default="", max_length=1000)
    # The published national average of the total (全国平均) and where it was published.
    national_average: float | None = None
    averages_document: str = Field(default="", max_length=300)
    averages_date: date | None = None
    averages_page: str = Field(default="", max_length=60)


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
    national_average: float | None = Field(default=None, description="公表された全国平均点")


class Item(Base, table=True):  # type: ignore[call-arg]
    """An indicator (評価指標) with its maximum and (for deductions) minimum points."""

    __tablename__ = "item"
    __table_args__ = (
        UniqueConstraint("framework_id", "code"),
        CheckConstraint("kind IN ('indicator', 'category_total')", name="item_kind"),
        CheckConstraint(
            "national_rate IS NULL OR (national_rate >= 0 AND national_rate <= 1)",
            name="item_national_rate",
        ),
    )

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
    kind: str = Field(default=ItemKind.indicator.value, max_length=16)
    provisional: bool = Field(default=False, description="配点が暫定 (資料で確認できない)")
    national_average: float | None = Field(default=None, description="公表された全国平均点")
    national_rate: float | None = Field(default=None, description="公表された全国の達成率 (0〜1)")


class ColumnMapping(Tracked, Base, table=True):  # type: ignore[call-arg]
    """A saved column mapping of an import file, per kind × grant × level × grant year, so
    that next year's file of the same layout needs no mapping step."""

    __tablename__ = "column_mapping"
    __table_args__ = (
        UniqueConstraint("kind", "grant", "level", "grant_fy"),
        CheckConstraint("kind IN ('published_results', 'items')", name="column_mapping_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    grant: str = Field(max_length=16)
    level: str = Field(max_length=16)
    grant_fy: int
    mapping: dict = Field(default_factory=dict, sa_type=JSON)  # type: ignore[type-arg]

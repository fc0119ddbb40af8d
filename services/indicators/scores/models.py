"""Scores: one row per framework × entity × item (a cell), with the years it belongs to."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field

from services.common.models import tz_field, utcnow
from services.indicators.base import Base


class Score(Base, table=True):  # type: ignore[call-arg]
    """Points of one entity on one item. ``evaluation_fy`` is the year the work was done,
    ``grant_fy`` the year it pays (an action in FY N first scores in grant year N+1)."""

    __tablename__ = "score"

    framework_id: int = Field(
        sa_column=Column(Integer, ForeignKey("framework.id", ondelete="CASCADE"), primary_key=True)
    )
    entity_code: str = Field(max_length=6, primary_key=True)
    item_id: int = Field(
        sa_column=Column(Integer, ForeignKey("item.id", ondelete="CASCADE"), primary_key=True)
    )
    points: float
    evaluation_fy: int
    grant_fy: int
    updated_at: datetime = tz_field(default_factory=utcnow)
    updated_by: str = Field(default="", max_length=200)


class DeductionRule(Base, table=True):  # type: ignore[call-arg]
    """The prefecture's deduction item of a grant year (FY2019 Ⅲ-②: −10 when one of its
    municipalities' score rate is about 30% or less), as published, with its source."""

    __tablename__ = "deduction_rule"
    __table_args__ = (
        UniqueConstraint("grant", "grant_fy"),
        CheckConstraint("threshold > 0 AND threshold < 1", name="deduction_rule_threshold"),
        CheckConstraint("points < 0", name="deduction_rule_points"),
        CheckConstraint("state IN ('provisional', 'confirmed')", name="deduction_rule_state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    grant: str = Field(max_length=16)
    grant_fy: int
    item_code: str = Field(max_length=64, description="都道府県分の体系の減点指標のコード")
    threshold: float = Field(description="市町村の得点率がこれ以下なら減点")
    points: float
    wording: str = Field(max_length=1000, description="資料の記載 (原文)")
    state: str = Field(default="provisional", max_length=16)
    source_document: str = Field(default="", max_length=300)
    source_date: date | None = None
    source_page: str = Field(default="", max_length=60)
    version: int = Field(default=1, description="版 (更新のたびに1増える; 古い版での更新は 409)")


class DeductionTrigger(Base, table=True):  # type: ignore[call-arg]
    """Read model: the municipalities (insurers) that trigger a prefecture's deduction in a
    prefecture framework, refreshed whenever the municipal scores of that year change."""

    __tablename__ = "deduction_trigger"

    framework_id: int = Field(
        sa_column=Column(Integer, ForeignKey("framework.id", ondelete="CASCADE"), primary_key=True)
    )
    entity_code: str = Field(max_length=6, primary_key=True)
    prefecture_code: str = Field(max_length=6, index=True)
    total: float
    max_points: float
    score_rate: float

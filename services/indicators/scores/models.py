"""Scores: one row per framework × entity × item (a cell), with the years it belongs to."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer
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

"""Support rounds (支援年度): one per fiscal year, with its application window and targets."""

from datetime import date

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from services.common.models import Tracked
from services.support_cases.base import Base


class RoundBase(SQLModel):
    fiscal_year: int = Field(ge=2018, le=2100, description="支援年度")
    theme_policy: str = Field(default="open", max_length=20, description="open | fixed")
    themes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    application_opens: date | None = None
    application_closes: date | None = None
    targets_by_region_class: dict[str, int] = Field(
        default_factory=lambda: {"区部": 1, "市部": 1, "町村部": 1},
        sa_column=Column(JSON, nullable=False),
    )
    advisor_days_budget: int = Field(default=0, ge=0)


class SupportRound(Tracked, RoundBase, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "support_round"

    id: int | None = Field(default=None, primary_key=True)
    fiscal_year: int = Field(ge=2018, le=2100, unique=True, description="支援年度")


class RoundPublic(RoundBase):
    id: int
    version: int

"""Read models of the support_cases service, kept by the writes that change them.

- ``case_summary``: what the case list shows beside the case's own columns (advisors,
  observers, visit dates, advisor hours, roadmap progress, when the status last changed), so
  that a list of cases is one query. Visit dates are kept (not "the next visit"), because which
  visit is next depends on the day it is read.
- ``round_figures``: a round's applications by status, selections by region class, cases by
  status, advisor dispatches and hours: the round summary is one row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field

from services.common.models import tz_field
from services.support_cases.base import Base


class CaseSummary(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "case_summary"

    case_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    round_id: int = Field(index=True)
    advisors: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    observers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    visit_dates: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    visits_count: int = 0
    advisor_hours: float = 0.0
    roadmap_items: int = 0
    roadmap_items_done: int = 0
    status_changed_at: datetime | None = tz_field(default=None, nullable=True)


class RoundFigures(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "round_figures"

    round_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    applications: int = 0
    applications_by_status: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    selected_by_region_class: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    cases_by_status: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    advisor_dispatches: int = 0
    advisor_hours: float = 0.0

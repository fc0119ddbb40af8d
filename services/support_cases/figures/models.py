"""Read models of the support_cases service, kept by the writes that change them.

- ``case_summary``: what the case list shows beside the case's own columns (advisors,
  observers, visit dates, advisor hours, roadmap progress, when the status last changed), so
  that a list of cases is one query. Visit dates are kept (not "the next visit"), because which
  visit is next depends on the day it is read.
- ``round_figures``: a round's applications by status, selections by region class, cases by
  status, advisor dispatches and hours: the round summary is one row.
- ``case_item``: a case's list item (GET /cases) as JSON text, in two parts around its last
  and next visit dates (which depend on the day it is read: computed at read time from the
  kept visit dates), so that a list is the stored parts joined.
- ``round_item``: a round as RoundPublic answers it and its summary (RoundSummary), as JSON
  text, made with the round figures.
- ``application_item``: an application as ApplicationPublic answers it, as JSON text, with
  and without the contact person's data (who may see it depends on the reader).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
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


class CaseItem(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "case_item"

    case_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    head: str = Field(sa_column=Column(Text, nullable=False), description="id … observers")
    tail: str = Field(
        sa_column=Column(Text, nullable=False), description="advisor_hours … (closing brace)"
    )
    visit_dates: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class ApplicationItem(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "application_item"

    application_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    round_id: int = Field(index=True)
    municipality_code: str = Field(max_length=6)
    version: int = Field(description="the application's version the JSON was made from")
    full: str = Field(sa_column=Column(Text, nullable=False), description="with contact data")
    redacted: str = Field(sa_column=Column(Text, nullable=False), description="contact data null")


class RoundItem(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "round_item"

    round_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    version: int = Field(description="the round's version the JSON was made from")
    round: str = Field(sa_column=Column(Text, nullable=False), description="RoundPublic")
    summary: str = Field(sa_column=Column(Text, nullable=False), description="RoundSummary")

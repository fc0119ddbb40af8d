"""Read models of the training service: figures kept by the writes that change them.

Every figure a page or a combined answer reads is a stored row here, refreshed in the
transaction of the write (registration, cancellation, attendance, session or program edit) by
``figures.service.refresh``. A row that would hold only zeros is not stored: absence is zero.

- ``session_figures``: one row per session (開催回): its program, fiscal year and kind, dates,
  capacity, days and the days needed to complete, and the counts (確定, キャンセル待ち,
  実人数 = people who attended at least one day, 延べ人数 = person-days, 修了者).
- ``session_municipality_figures``: the same counts per session and municipality.
- ``municipality_kind_figures``: per fiscal year × kind × municipality whose people attended:
  実人数 (distinct e-mail addresses), 延べ人数, completers, sessions attended.
- ``municipality_year_figures``: per fiscal year × municipality over every kind: confirmed
  registrations, 実人数 (counted once across kinds), 延べ人数, completers, sessions attended.
- ``kind_year_figures``: per fiscal year × kind over every municipality: sessions, 実人数
  (distinct across municipalities), 延べ人数, completers.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Index
from sqlmodel import Field

from services.training.base import Base


class SessionFigures(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "session_figures"
    __table_args__ = (Index("ix_session_figures_year_kind", "fiscal_year", "kind"),)

    session_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    program_id: int = Field(index=True)
    fiscal_year: int
    kind: str = Field(max_length=60)
    first_date: date
    last_date: date
    capacity: int
    days: int
    required_days: int
    confirmed: int = 0
    waitlisted: int = 0
    persons: int = 0
    attendances: int = 0
    completers: int = 0


class SessionMunicipalityFigures(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "session_municipality_figures"
    __table_args__ = (
        Index("ix_session_municipality_figures_year", "fiscal_year", "kind", "municipality_code"),
    )

    session_id: int = Field(primary_key=True)
    municipality_code: str = Field(primary_key=True, max_length=6)
    program_id: int = Field(index=True)
    fiscal_year: int
    kind: str = Field(max_length=60)
    confirmed: int = 0
    waitlisted: int = 0
    persons: int = 0
    attendances: int = 0
    completers: int = 0


class MunicipalityKindFigures(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "municipality_kind_figures"

    fiscal_year: int = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=60)
    municipality_code: str = Field(primary_key=True, max_length=6)
    persons: int = 0
    attendances: int = 0
    completers: int = 0
    sessions_attended: int = 0


class MunicipalityYearFigures(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "municipality_year_figures"

    fiscal_year: int = Field(primary_key=True)
    municipality_code: str = Field(primary_key=True, max_length=6)
    registrations: int = 0
    persons: int = 0
    attendances: int = 0
    completers: int = 0
    sessions_attended: int = 0


class KindYearFigures(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "kind_year_figures"

    fiscal_year: int = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=60)
    sessions: int = 0
    persons: int = 0
    attendances: int = 0
    completers: int = 0


READ_MODELS = (
    SessionFigures,
    SessionMunicipalityFigures,
    MunicipalityKindFigures,
    MunicipalityYearFigures,
    KindYearFigures,
)


class FiguresGeneration(Base, table=True):  # type: ignore[call-arg]
    """One row: a counter every write of this service adds one to, in its own transaction.

    A reader's answer cached in process memory (figures/cache.py) is served only while the
    counter it was made at is still the database's: every process and replica checks the same
    row, so none serves an answer older than the last committed write."""

    __tablename__ = "figures_generation"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    generation: int = Field(default=0, sa_type=BigInteger)  # type: ignore[call-overload]

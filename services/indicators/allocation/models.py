"""Inputs of the allocation simulator: first-insured persons and requested amounts per insurer."""

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field

from services.common.models import Tracked, tz_field, utcnow
from services.indicators.base import Base


class AllocationInput(Tracked, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "allocation_input"
    __table_args__ = (UniqueConstraint("grant", "grant_fy", "entity_code"),)

    id: int | None = Field(default=None, primary_key=True)
    grant: str = Field(max_length=16, description="suishin | doryoku")
    grant_fy: int
    entity_code: str = Field(max_length=6, index=True)
    first_insured: int = Field(ge=0, description="第1号被保険者数")
    requested: int = Field(
        sa_column=Column(BigInteger, nullable=False), description="所要見込額 (円)"
    )


LEVELS_SQL = "level IN ('municipality', 'prefecture', 'all')"
STATE_SQL = "state IN ('provisional', 'confirmed')"


class Budget(Tracked, Base, table=True):  # type: ignore[call-arg]
    """The budget of a grant × level × grant year: the published figure with its source, and a
    person's override with the reason (the override wins while it is set). ``level`` ``all``
    is a published total of both levels that the source does not split."""

    __tablename__ = "budget"
    __table_args__ = (
        UniqueConstraint("grant", "level", "grant_fy"),
        CheckConstraint("\"grant\" IN ('suishin', 'doryoku')", name="budget_grant"),
        CheckConstraint(LEVELS_SQL, name="budget_level"),
        CheckConstraint(STATE_SQL, name="budget_state"),
        CheckConstraint("published_amount IS NULL OR published_amount >= 0", name="budget_pub"),
        CheckConstraint("override_amount IS NULL OR override_amount >= 0", name="budget_override"),
        CheckConstraint(
            "override_amount IS NULL OR length(override_reason) > 0", name="budget_override_reason"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    grant: str = Field(max_length=16)
    level: str = Field(max_length=16)
    grant_fy: int
    published_amount: int | None = Field(default=None, sa_column=Column(BigInteger))
    state: str = Field(default="provisional", max_length=16)
    source_document: str = Field(default="", max_length=300)
    source_date: date | None = None
    source_page: str = Field(default="", max_length=60)
    wording: str = Field(default="", max_length=500, description="資料の記載 (原文)")
    note: str = Field(default="", max_length=500)
    override_amount: int | None = Field(default=None, sa_column=Column(BigInteger))
    override_reason: str = Field(default="", max_length=500)


class FirstInsured(Base, table=True):  # type: ignore[call-arg]
    """第1号被保険者数 of an insurer for the allocation of a fiscal (grant) year, from a file
    (介護保険事業状況報告)."""

    __tablename__ = "first_insured"
    __table_args__ = (
        CheckConstraint("persons >= 0", name="first_insured_persons"),
        CheckConstraint("length(entity_code) = 6", name="first_insured_code_length"),
    )

    entity_code: str = Field(primary_key=True, max_length=6)
    fiscal_year: int = Field(primary_key=True)
    persons: int
    as_of: str = Field(default="", max_length=60, description="基準日 (例: 令和5年9月末)")
    source: str = Field(default="", max_length=300)
    updated_at: datetime = tz_field(default_factory=utcnow)
    updated_by: str = Field(default="", max_length=200)


class NationalBasis(Tracked, Base, table=True):  # type: ignore[call-arg]
    """A published national denominator Σ(score × weight) for a grant × level × grant year,
    used when the national scores or first-insured counts are not all loaded."""

    __tablename__ = "national_basis"
    __table_args__ = (
        UniqueConstraint("grant", "level", "grant_fy"),
        CheckConstraint("level IN ('municipality', 'prefecture')", name="national_basis_level"),
        CheckConstraint(STATE_SQL, name="national_basis_state"),
        CheckConstraint("denominator > 0", name="national_basis_positive"),
        CheckConstraint("length(source_document) > 0", name="national_basis_source"),
    )

    id: int | None = Field(default=None, primary_key=True)
    grant: str = Field(max_length=16)
    level: str = Field(max_length=16)
    grant_fy: int
    denominator: float = Field(description="全国の Σ(総合得点 × 重み)")
    state: str = Field(default="provisional", max_length=16)
    source_document: str = Field(max_length=300)
    source_date: date | None = None
    source_page: str = Field(default="", max_length=60)
    note: str = Field(default="", max_length=500)


class AllocationRule(Tracked, Base, table=True):  # type: ignore[call-arg]
    """How a grant × level splits its budget from a grant year on: by score, or by score ×
    第1号被保険者数; the wording and source say where the rule comes from."""

    __tablename__ = "allocation_rule"
    __table_args__ = (
        UniqueConstraint("grant", "level", "from_fy"),
        CheckConstraint("level IN ('municipality', 'prefecture')", name="allocation_rule_level"),
        CheckConstraint(
            "weight IN ('score', 'score_x_first_insured')", name="allocation_rule_weight"
        ),
        CheckConstraint(STATE_SQL, name="allocation_rule_state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    grant: str = Field(max_length=16)
    level: str = Field(max_length=16)
    from_fy: int
    weight: str = Field(max_length=32)
    wording: str = Field(default="", max_length=1000)
    state: str = Field(default="provisional", max_length=16)
    source_document: str = Field(default="", max_length=300)
    source_date: date | None = None
    source_page: str = Field(default="", max_length=60)

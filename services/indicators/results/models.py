"""Read models of the results: stored figures every read uses, refreshed in the transaction of
each write that changes their inputs (results/readmodels.py).

- ``result_entity``: per framework × scored entity — total, score rate, category points,
  national and prefecture ranks (``RANK() OVER``), previous year's total and the flags at the
  default thresholds.
- ``result_member``: per framework × group set × entity — its group and rank in the group
  (every built-in set and every user-defined peer set).
- ``result_average``: per framework × block (the nation, each prefecture, each group of every
  set nationwide and within each prefecture) — means of the total, of each category and of
  each item, and how many entities score each item in full.
"""

from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer
from sqlmodel import Field

from services.indicators.base import Base


def _fw() -> Any:
    return Field(
        sa_column=Column(Integer, ForeignKey("framework.id", ondelete="CASCADE"), primary_key=True)
    )


class ResultEntity(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "result_entity"
    __table_args__ = (Index("ix_result_entity_fw_pref", "framework_id", "prefecture"),)

    framework_id: int = _fw()
    entity_code: str = Field(max_length=6, primary_key=True)
    prefecture: str = Field(max_length=2)
    total: float
    rank_key: float = Field(description="総合得点を小数9桁に丸めた値 (同点の判定)")
    score_rate: float
    national_rank: int = 0
    national_rank_of: int = 0
    prefecture_rank: int = 0
    prefecture_rank_of: int = 0
    previous_total: float | None = None
    category_points: dict = Field(default_factory=dict, sa_type=JSON)  # type: ignore[type-arg]
    flags: list = Field(default_factory=list, sa_type=JSON)  # type: ignore[type-arg]


class ResultMember(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "result_member"
    __table_args__ = (
        Index("ix_result_member_group", "framework_id", "group_set", "group_name"),
        Index("ix_result_member_entity", "framework_id", "entity_code"),
    )

    framework_id: int = _fw()
    group_set: str = Field(max_length=100, primary_key=True)
    entity_code: str = Field(max_length=6, primary_key=True)
    group_name: str = Field(max_length=100)
    prefecture: str = Field(max_length=2)
    rank: int = 0
    rank_of: int = 0


class ResultAverage(Base, table=True):  # type: ignore[call-arg]
    """``prefecture`` '' = the whole nation; ``group_set`` '' = every entity of the block. The
    groups of the ``prefecture`` set are the prefecture blocks themselves (not stored twice)."""

    __tablename__ = "result_average"

    framework_id: int = _fw()
    prefecture: str = Field(max_length=2, primary_key=True)
    group_set: str = Field(max_length=100, primary_key=True)
    group_name: str = Field(max_length=100, primary_key=True)
    count: int
    mean_total: float
    mean_score_rate: float
    categories: list = Field(default_factory=list, sa_type=JSON)  # type: ignore[type-arg]
    items: dict = Field(default_factory=dict, sa_type=JSON)  # type: ignore[type-arg]
    full_counts: dict = Field(default_factory=dict, sa_type=JSON)  # type: ignore[type-arg]


class ResultsGeneration(Base, table=True):  # type: ignore[call-arg]
    """One row: a random number replaced in the transaction of every refresh of the read
    models. The read cache (results/cache.py) serves an answer only while it is unchanged."""

    __tablename__ = "results_generation"

    id: int = Field(default=1, primary_key=True)
    generation: int = Field(default=0, sa_type=BigInteger)


READ_MODELS = (ResultEntity, ResultMember, ResultAverage)

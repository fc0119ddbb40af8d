"""Regional analysis (地域分析): the measure catalogue, values per municipality × measure ×
fiscal year, published national figures, uploads waiting for commit, and the read models
(ranks in the prefecture, means per group) refreshed in the transaction of every write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlmodel import Field

from services.common.models import Tracked, tz_field, utcnow
from services.indicators.base import Base


class RegionalMeasure(Tracked, Base, table=True):  # type: ignore[call-arg]
    """One measure of the catalogue (認定率, 受給率 …); its wording per year is in
    RegionalMeasureDefinition."""

    __tablename__ = "regional_measure"

    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    unit: str = Field(max_length=20)
    category: str = Field(default="", max_length=100)
    # "higher" / "lower" when a direction is favourable; None when it is not (認定率).
    favourable_direction: str | None = Field(default=None, max_length=10)
    decimals: int = Field(default=1)
    integer: bool = Field(default=False)
    min_value: float | None = None
    max_value: float | None = None
    until_fy: int | None = Field(default=None, description="最後に定義がある年度 (なし = 継続)")
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    sort_order: int = Field(default=0)
    origin: str = Field(default="shipped", max_length=10)  # shipped | user


class RegionalMeasureDefinition(Base, table=True):  # type: ignore[call-arg]
    """The definition and sources of a measure from ``from_fy`` until the next definition."""

    __tablename__ = "regional_measure_definition"

    measure_code: str = Field(
        sa_column=Column(
            String(64),
            ForeignKey("regional_measure.code", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    from_fy: int = Field(primary_key=True)
    definition: str = Field(sa_column=Column(Text, nullable=False))
    sources: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    note: str = Field(default="", sa_column=Column(Text, nullable=False))


class RegionalValue(Base, table=True):  # type: ignore[call-arg]
    """One municipality's value of one measure in one fiscal year. ``prefecture``,
    ``region_class`` and ``peer_group`` are copied from the registry when written, so that
    ranks and group means are computed set-based in SQL."""

    __tablename__ = "regional_value"
    __table_args__ = (Index("ix_regional_value_entity", "entity_code", "fiscal_year"),)

    fiscal_year: int = Field(primary_key=True)
    measure_code: str = Field(
        sa_column=Column(
            String(64),
            ForeignKey("regional_measure.code", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    entity_code: str = Field(primary_key=True, max_length=6)
    value: float
    prefecture: str = Field(max_length=2)
    region_class: str = Field(max_length=20)
    peer_group: str | None = Field(default=None, max_length=50)
    source: str = Field(default="", max_length=300)
    sample: bool = Field(default=False, description="サンプル (デモ用の架空の値)")
    import_id: int | None = None
    updated_at: datetime = tz_field(default_factory=utcnow)
    updated_by: str = Field(default="", max_length=200)


class RegionalRank(Base, table=True):  # type: ignore[call-arg]
    """Read model: a value's rank in its prefecture (1 = highest, ties share a rank)."""

    __tablename__ = "regional_rank"
    __table_args__ = (Index("ix_regional_rank_entity", "entity_code", "fiscal_year"),)

    fiscal_year: int = Field(primary_key=True)
    measure_code: str = Field(primary_key=True, max_length=64)
    entity_code: str = Field(primary_key=True, max_length=6)
    rank_in_prefecture: int
    rank_of: int


class RegionalStat(Base, table=True):  # type: ignore[call-arg]
    """Read model: the unweighted mean of the municipalities' values in a scope —
    ``prefecture`` (key '13'), ``region`` ('13:区部'), ``peer`` ('大都市型'), ``national`` ('')."""

    __tablename__ = "regional_stat"

    fiscal_year: int = Field(primary_key=True)
    measure_code: str = Field(primary_key=True, max_length=64)
    scope: str = Field(primary_key=True, max_length=20)
    scope_key: str = Field(primary_key=True, max_length=80)
    mean: float
    count: int
    sample_count: int = 0


class RegionalNationalFigure(Base, table=True):  # type: ignore[call-arg]
    """A published national figure (全国値) of a measure for a year, with its source."""

    __tablename__ = "regional_national_figure"

    fiscal_year: int = Field(primary_key=True)
    measure_code: str = Field(
        sa_column=Column(
            String(64),
            ForeignKey("regional_measure.code", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    value: float
    state: str = Field(max_length=4)  # 暫定 | 確定
    source: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = tz_field(default_factory=utcnow)
    updated_by: str = Field(default="", max_length=200)


class RegionalImport(Tracked, Base, table=True):  # type: ignore[call-arg]
    """An uploaded file between preview and commit (the file itself is kept until then)."""

    __tablename__ = "regional_import"

    id: int | None = Field(default=None, primary_key=True)
    file_name: str = Field(max_length=300)
    sha256: str = Field(max_length=64)
    size: int
    fiscal_year: int | None = None
    source: str = Field(default="", max_length=300)
    mapping: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="preview", max_length=12)  # preview | committed
    written: int | None = None
    committed_at: datetime | None = tz_field(default=None, nullable=True)
    committed_by: str = Field(default="", max_length=200)


class RegionalImportFile(Base, table=True):  # type: ignore[call-arg]
    """The bytes of an uploaded file, apart from its record: written with a core insert so that
    the audit trail records the upload's sha256, not the file."""

    __tablename__ = "regional_import_file"

    import_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("regional_import.id", ondelete="CASCADE"), primary_key=True
        )
    )
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))

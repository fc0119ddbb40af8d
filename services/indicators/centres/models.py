"""地域包括支援センター: the register (centres and their facts per year), the evaluation
catalogue (items by work area, per fiscal year), yearly answers, and the read models the
charts and the summary read (refreshed in the transaction that writes answers)."""

from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field

from services.common.models import Tracked
from services.indicators.base import Base


class Centre(Tracked, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "centre"
    __table_args__ = (UniqueConstraint("municipality_code", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    municipality_code: str = Field(max_length=6, index=True)
    name: str = Field(max_length=200)
    # First and last fiscal year the centre operates (None: open-ended).
    opened_fy: int | None = None
    closed_fy: int | None = None
    sample: bool = Field(default=False, description="デモ用のサンプルデータ")


class CentreYear(Tracked, Base, table=True):  # type: ignore[call-arg]
    """What a centre was in one fiscal year: form of operation, operator, area, staff."""

    __tablename__ = "centre_year"
    __table_args__ = (UniqueConstraint("centre_id", "fiscal_year"),)

    id: int | None = Field(default=None, primary_key=True)
    centre_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("centre.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    fiscal_year: int
    operation: str = Field(max_length=8)  # 直営 / 委託
    operator: str = Field(default="", max_length=200)  # 運営法人 (委託先)
    area_served: str = Field(default="", max_length=500)  # 担当圏域
    # Staff by profession (人, 常勤換算も可): {"保健師等": 2, "社会福祉士等": 2, ...}
    staff: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    staff_total: float = 0.0
    note: str = Field(default="", max_length=1000)


class EvalCatalogue(Tracked, Base, table=True):  # type: ignore[call-arg]
    """The evaluation items of one fiscal year (版), with their source and state."""

    __tablename__ = "centre_eval_catalogue"

    id: int | None = Field(default=None, primary_key=True)
    fiscal_year: int = Field(unique=True)
    name: str = Field(max_length=200)
    source_document: str = Field(default="", max_length=500)
    source_date: str = Field(default="", max_length=40)
    source_page: str = Field(default="", max_length=40)
    state: str = Field(default="暫定", max_length=8)  # 暫定 / 確定
    sample: bool = False
    note: str = Field(default="", max_length=2000)
    # Work areas in order: [{code, name, group, training_kinds}]
    areas: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class EvalItem(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "centre_eval_item"
    __table_args__ = (UniqueConstraint("catalogue_id", "subject", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    catalogue_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("centre_eval_catalogue.id", ondelete="CASCADE"),
            index=True,
            nullable=False,
        )
    )
    subject: str = Field(max_length=16)  # centre (センター指標) / municipality (市町村指標)
    code: str = Field(max_length=32)
    area_code: str = Field(max_length=16)
    text: str = Field(max_length=1000)
    position: int = 0
    note: str = Field(default="", max_length=1000)


class EvalSheet(Tracked, Base, table=True):  # type: ignore[call-arg]
    """One subject's answers for one fiscal year: a centre's, or a municipality's own. The
    counts and rate are stored (met ÷ items), refreshed when the answers are written."""

    __tablename__ = "centre_eval_sheet"
    __table_args__ = (UniqueConstraint("fiscal_year", "subject_key"),)

    id: int | None = Field(default=None, primary_key=True)
    fiscal_year: int = Field(index=True)
    subject: str = Field(max_length=16)
    # "centre:<id>" or "municipality:<code>": one sheet per subject and year.
    subject_key: str = Field(max_length=40)
    municipality_code: str = Field(max_length=6, index=True)
    prefecture: str = Field(max_length=2, index=True)
    centre_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("centre.id", ondelete="CASCADE"), index=True, nullable=True
        ),
    )
    sample: bool = False
    item_count: int = 0
    met_count: int = 0
    rate: float = 0.0


class EvalAnswer(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "centre_eval_answer"
    __table_args__ = (UniqueConstraint("sheet_id", "item_code"),)

    id: int | None = Field(default=None, primary_key=True)
    sheet_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("centre_eval_sheet.id", ondelete="CASCADE"),
            index=True,
            nullable=False,
        )
    )
    item_code: str = Field(max_length=32)
    area_code: str = Field(max_length=16)  # copied from the item: areas are summed per sheet
    met: bool
    note: str = Field(default="", max_length=1000)


class EvalSheetArea(Base, table=True):  # type: ignore[call-arg]
    """Read model: one sheet's rate per work area."""

    __tablename__ = "centre_eval_sheet_area"

    sheet_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("centre_eval_sheet.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    area_code: str = Field(max_length=16, primary_key=True)
    items: int
    met: int
    rate: float


class EvalPrefectureArea(Base, table=True):  # type: ignore[call-arg]
    """Read model: the unweighted mean of the sheets' rates in a prefecture, per work area
    (``area_code`` "" is the whole sheet: prefecture_rate)."""

    __tablename__ = "centre_eval_prefecture_area"

    fiscal_year: int = Field(primary_key=True)
    prefecture: str = Field(max_length=2, primary_key=True)
    subject: str = Field(max_length=16, primary_key=True)
    area_code: str = Field(max_length=16, primary_key=True)
    sheets: int
    mean_rate: float


class EvalPrefectureItem(Base, table=True):  # type: ignore[call-arg]
    """Read model: the share of a prefecture's sheets that meet each item."""

    __tablename__ = "centre_eval_prefecture_item"

    fiscal_year: int = Field(primary_key=True)
    prefecture: str = Field(max_length=2, primary_key=True)
    subject: str = Field(max_length=16, primary_key=True)
    item_code: str = Field(max_length=32, primary_key=True)
    sheets: int
    met_share: float

"""What the deduction and saved-mapping endpoints answer."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class SourceOut(BaseModel):
    document: str
    date: str | None
    page: str


class DeductionRuleOut(BaseModel):
    grant: str
    grant_fy: int
    item_code: str = Field(description="都道府県分の体系の減点指標のコード")
    threshold: float = Field(description="市町村の得点率がこれ以下なら減点")
    points: float
    wording: str = Field(description="資料の記載 (原文)")
    state: str
    state_label: str
    source: SourceOut
    version: int = Field(description="版: 更新するときはこの値を送る (古い版なら 409)")


class Trigger(BaseModel):
    entity_code: str
    insurer_number: str | None
    name: str
    total: float
    max_points: float
    score_rate: float


class PrefectureDeduction(BaseModel):
    prefecture_code: str
    name: str
    points: float | None
    derived: bool = Field(description="市町村の結果から導出した得点")
    triggered_by: list[Trigger]


class DeductionView(BaseModel):
    grant: str
    grant_fy: int
    municipal_framework_id: int | None
    prefecture_framework_id: int | None
    rule: DeductionRuleOut | None
    prefectures: list[PrefectureDeduction]
    missing: list[str] | None = Field(default=None, description="導出に足りないもの")


class SavedMapping(BaseModel):
    mapping: dict[str, Any]
    updated_by: str
    updated_at: datetime


class PublishedImportProblem(BaseModel):
    """A problem of the file or its mapping (not a problem+json answer)."""

    loc: list[int | str]
    msg: str


class ColumnMapping(BaseModel):
    entity_column: str | None
    columns: dict[str, str | None] = Field(
        description="列名 → 指標コード | category:区分コード | total | null (無視)"
    )


class UnmatchedInsurer(BaseModel):
    line: int
    value: str
    msg: str


class PublishedImport(BaseModel):
    dry_run: bool
    columns: list[str]
    mapping: ColumnMapping
    mapping_origin: str
    rows: int
    matched_insurers: int
    unmatched_insurers: list[UnmatchedInsurer]
    unmatched_columns: list[str]
    items_without_column: list[str]
    cells: int
    problems: list[PublishedImportProblem]
    written: int

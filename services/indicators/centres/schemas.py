"""Request bodies of the centres domain and the structure data it ships (centres/data/)."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from services.indicators.rows import rows, text

DATA_DIR = Path(__file__).parent / "data"

Operation = Literal["直営", "委託"]
Subject = Literal["centre", "municipality"]
State = Literal["暫定", "確定"]
SUBJECTS: tuple[str, ...] = ("centre", "municipality")
SUBJECT_LABELS = {"centre": "センター", "municipality": "市町村"}


@cache
def structure() -> dict[str, Any]:
    """The work-area structure, professions and the published register figures (seed 001)."""
    return json.loads((DATA_DIR / "structure.json").read_text(encoding="utf-8"))


def sample_catalogue() -> dict[str, Any]:
    return json.loads((DATA_DIR / "sample_catalogue.json").read_text(encoding="utf-8"))


def professions() -> list[str]:
    return list(structure()["professions"])


def _check_staff(staff: dict[str, float]) -> dict[str, float]:
    known = professions()
    bad = [k for k in staff if k not in known]
    if bad:
        raise ValueError(
            f"職種 {', '.join(bad)} は語彙にありません (使える職種: {'、'.join(known)})"
        )
    for k, v in staff.items():
        if not (0 <= v <= 1000):
            raise ValueError(f"職種 {k} の人数は 0〜1000 で入力してください ({v:g})")
    return staff


class CentreFacts(BaseModel):
    """What a centre is in one fiscal year."""

    operation: Operation = Field(description="設置形態: 直営 / 委託")
    operator: str = Field("", max_length=200, description="運営法人 (委託先)")
    area_served: str = Field("", max_length=500, description="担当圏域")
    staff: dict[str, float] = Field(
        default_factory=dict,
        description="職種ごとの職員数 (保健師等、社会福祉士等、主任介護支援専門員等、"
        "その他の専門職、事務職)",
    )
    note: str = Field("", max_length=1000)

    @field_validator("staff")
    @classmethod
    def _staff(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_staff(v)


class CentreIn(CentreFacts):
    municipality_code: str = Field(pattern=r"^\d{6}$")
    name: str = Field(min_length=1, max_length=200)
    fiscal_year: int = Field(ge=2000, le=2100, description="最初に記録する年度")
    opened_fy: int | None = Field(None, ge=2000, le=2100)
    closed_fy: int | None = Field(None, ge=2000, le=2100)
    sample: bool = False

    @model_validator(mode="after")
    def _years(self) -> CentreIn:
        if self.opened_fy and self.closed_fy and self.closed_fy < self.opened_fy:
            raise ValueError("廃止年度が開設年度より前です")
        return self

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "municipality_code": "132012",
                    "name": "八王子市 高齢者あんしん相談センター 元本郷",
                    "fiscal_year": 2024,
                    "operation": "委託",
                    "operator": "社会福祉法人 例示会",
                    "area_served": "元本郷町・平岡町",
                    "staff": {"保健師等": 2, "社会福祉士等": 2, "主任介護支援専門員等": 2},
                }
            ]
        }
    }


class CentreUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    opened_fy: int | None = Field(None, ge=2000, le=2100)
    closed_fy: int | None = Field(None, ge=2000, le=2100)
    version: int = Field(description="読み込んだときの版 (古ければ 409)")


class CentreYearIn(CentreFacts):
    version: int | None = Field(
        None, description="その年度の記録を更新するときは読み込んだときの版 (新規なら省略)"
    )


class AreaIn(BaseModel):
    code: str = Field(min_length=1, max_length=16)
    name: str = Field(min_length=1, max_length=100)
    group: str = Field("", max_length=100)
    training_kinds: list[str] = Field(
        default_factory=list, description="この業務分野に関係する研修の種類 (研修の目標へのリンク)"
    )


class CatalogueIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    source_document: str = Field("", max_length=500)
    source_date: str = Field("", max_length=40)
    source_page: str = Field("", max_length=40)
    state: State = "暫定"
    sample: bool = False
    note: str = Field("", max_length=2000)
    areas: list[AreaIn] | None = Field(
        None, description="業務分野 (省略すると通知の構成: GET /centres/work-areas)"
    )
    # Rows stay loose so that every bad row is reported by index.
    items: list[Any] = Field(
        **rows(
            "[{subject: centre|municipality, code, area_code, text, note}]。最大 1,000 項目",
            {
                "subject": {"enum": ["centre", "municipality"]},
                "code": text(32),
                "area_code": text(16),
                "text": text(1000),
                "note": text(1000),
            },
            ["subject", "code", "area_code", "text"],
            1_000,
        )
    )
    version: int | None = Field(None, description="既存の年度を置き換えるときは読み込んだ版")


class AnswersIn(BaseModel):
    # Rows stay loose so that every bad row is reported by index.
    answers: list[Any] = Field(
        **rows(
            "[{item_code, met: true|false, note}] 全項目。最大 1,000 項目",
            {"item_code": text(32), "met": {"type": "boolean"}, "note": text(1000)},
            ["item_code", "met"],
            1_000,
        )
    )
    version: int | None = Field(
        None, description="既に回答があるときは読み込んだときの版 (古ければ 409)"
    )

    model_config = {
        "json_schema_extra": {
            "examples": [{"answers": [{"item_code": "C1-01", "met": True, "note": ""}]}]
        }
    }


# --- answers (what the routes return) ------------------------------------------------------------
# Staff counts are keyed by the profession vocabulary (structure.json), so they stay a mapping.

Staff = dict[str, float]


class SourceOut(BaseModel):
    document: str
    date: str | None = None
    page: str | None = None


class CentreOut(BaseModel):
    id: int
    municipality_code: str
    municipality_name: str | None
    name: str
    operation: Operation | None = Field(description="その年度の設置形態 (記録がなければ null)")
    operator: str
    area_served: str
    staff: Staff
    staff_total: float | None
    fiscal_year: int | None
    opened_fy: int | None
    closed_fy: int | None
    sample: bool
    version: int


class CentreYearOut(BaseModel):
    fiscal_year: int
    operation: Operation
    operator: str
    area_served: str
    staff: Staff
    staff_total: float
    note: str
    version: int
    updated_at: datetime
    updated_by: str


class CentreDetail(CentreOut):
    years: list[CentreYearOut]
    created_at: datetime
    updated_at: datetime
    updated_by: str


class RegisterImported(BaseModel):
    centres_created: int
    years_written: int


class OperationCounts(BaseModel):
    total: int
    直営: int
    委託: int


class AreaCounts(OperationCounts):
    area: str


class MunicipalityCounts(OperationCounts):
    code: str
    name: str | None


class PublishedRegister(BaseModel):
    fiscal_year: int
    centres: dict[str, OperationCounts] = Field(description="区部・市町村部・合計")
    staff_mean: dict[str, float] = Field(description="1センター当たり職員数 (全国・都道府県)")
    staff_mean_note: str
    state: str
    source: SourceOut


class CentreStats(OperationCounts):
    fiscal_year: int
    prefecture: str
    by_area: list[AreaCounts]
    by_municipality: list[MunicipalityCounts]
    consigned_share: float | None
    staff_mean: float | None
    staff_by_profession: Staff
    published: PublishedRegister | None
    sample: bool


class WorkAreaOut(BaseModel):
    code: str
    group: str
    name: str
    training_kinds: list[str]


class WorkAreas(BaseModel):
    name: str
    note: str
    state: str
    source: SourceOut
    areas: list[WorkAreaOut]
    professions: list[str]


class SubjectCounts(BaseModel):
    centre: int
    municipality: int


class CatalogueSummary(BaseModel):
    id: int
    fiscal_year: int
    name: str
    state: str
    source: SourceOut
    sample: bool
    version: int
    items: SubjectCounts
    answered: SubjectCounts


class CatalogueItemOut(BaseModel):
    code: str
    subject: Subject
    area_code: str
    area_name: str | None
    text: str
    note: str


class CatalogueOut(BaseModel):
    id: int
    fiscal_year: int
    name: str
    note: str
    state: str
    source: SourceOut
    sample: bool
    version: int
    updated_at: datetime
    updated_by: str
    areas: list[WorkAreaOut]
    items: list[CatalogueItemOut]
    counts: SubjectCounts


class CatalogueRef(BaseModel):
    fiscal_year: int
    name: str
    state: str
    source: SourceOut
    sample: bool
    version: int


class CentreRate(BaseModel):
    id: int
    name: str
    rate: float | None


class EvaluationSummary(BaseModel):
    municipality_code: str
    fiscal_year: int
    centres: list[CentreRate]
    municipality_rate: float | None
    prefecture_rate: float | None


class WeakItem(BaseModel):
    code: str
    text: str
    met_share: float | None


class WeakArea(BaseModel):
    code: str
    name: str
    group: str
    rank: int
    mean_rate: float | None
    sheets: int
    items: list[WeakItem]
    training_kinds: list[str]
    reference: str


class WeakestAreas(BaseModel):
    fiscal_year: int
    prefecture: str
    subject: Subject
    catalogue: CatalogueRef
    sheets: int
    prefecture_rate: float | None
    areas: list[WeakArea]


class AnswersImported(BaseModel):
    answers: int
    centres: int
    municipalities: int


class AnswerOut(BaseModel):
    item_code: str
    area_code: str
    text: str
    met: bool | None
    note: str
    prefecture_met_share: float | None


class AreaRate(BaseModel):
    code: str
    name: str
    group: str
    items: int
    met: int | None
    rate: float | None
    prefecture_mean: float | None


class CentreRef(BaseModel):
    id: int
    municipality_code: str
    municipality_name: str | None
    name: str
    sample: bool


class SheetBase(BaseModel):
    fiscal_year: int
    subject: Subject
    catalogue: CatalogueRef
    answered: bool
    answers: list[AnswerOut]
    areas: list[AreaRate]
    items: int | None
    met: int | None
    rate: float | None
    prefecture_rate: float | None
    sample: bool
    version: int | None
    updated_at: datetime | None
    updated_by: str | None


class CentreSheet(SheetBase):
    centre: CentreRef


class MunicipalitySheet(SheetBase):
    municipality_code: str
    municipality_name: str | None


class RadarArea(BaseModel):
    code: str
    name: str
    group: str
    items: int
    rate: float | None
    municipality_mean: float | None
    prefecture_mean: float | None


class CentreRadar(BaseModel):
    centre: CentreRef
    fiscal_year: int
    catalogue: CatalogueRef
    answered: bool
    areas: list[RadarArea]
    rate: float | None
    municipality_mean_rate: float | None
    municipality_centres: int
    prefecture: str
    prefecture_rate: float | None
    prefecture_centres: int

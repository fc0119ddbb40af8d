"""Request and answer shapes of the regional analysis API (地域分析)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from services.indicators.rows import CELL, rows, text

MEASURE_CODE = r"^[a-z][a-z0-9_]{1,63}$"
FY_MIN, FY_MAX = 2000, 2100

# A figure's source as a row of NationalIn documents it (the handler validates it as SourceRef).
SOURCE_ROW = {
    "type": "object",
    "properties": {
        "publisher": text(200),
        "document": text(300),
        "indicator": text(300),
        "date": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]},
        "page": text(50),
        "url": text(500),
    },
    "required": ["publisher", "document"],
}

# --- the catalogue -----------------------------------------------------------------------------


class SourceRef(BaseModel):
    """Where a definition or a figure comes from (出典)."""

    publisher: str = Field(min_length=1, max_length=200, description="公表者 (厚生労働省 など)")
    document: str = Field(min_length=1, max_length=300, description="資料名")
    indicator: str = Field(default="", max_length=300, description="資料の中の指標名・表名")
    date: dt.date | None = Field(default=None, description="公表日・取得日")
    page: str = Field(default="", max_length=50, description="ページ・表番号")
    url: str = Field(default="", max_length=500)


class DefinitionDoc(BaseModel):
    from_fy: int = Field(ge=FY_MIN, le=FY_MAX, description="この定義が使われる最初の年度")
    definition: str = Field(min_length=1, max_length=4000)
    sources: list[SourceRef] = Field(min_length=1)
    note: str = Field(default="", max_length=2000)


class MeasureDoc(BaseModel):
    code: str = Field(pattern=MEASURE_CODE, description="連携用の固定コード")
    name: str = Field(min_length=1, max_length=200)
    unit: str = Field(min_length=1, max_length=20, description="%, 円, 人 など")
    category: str = Field(default="", max_length=100)
    favourable_direction: Literal["higher", "lower"] | None = Field(
        default=None, description="好ましい方向 (higher = 高いほど良い)。なければ null"
    )
    decimals: int = Field(default=1, ge=0, le=6, description="表示の小数桁数")
    integer: bool = Field(default=False, description="整数のみ (人数など)")
    min_value: float | None = None
    max_value: float | None = None
    until_fy: int | None = Field(default=None, ge=FY_MIN, le=FY_MAX)
    aliases: list[str] = Field(
        default_factory=list, description="取込ファイルの列名 (見える化・事業状況報告の指標名)"
    )
    definitions: list[DefinitionDoc] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> MeasureDoc:
        if self.min_value is not None and self.max_value is not None:
            if self.min_value > self.max_value:
                raise ValueError("min_value は max_value 以下にしてください")
        years = [d.from_fy for d in self.definitions]
        if len(set(years)) != len(years):
            raise ValueError("definitions の from_fy が重複しています")
        if self.until_fy is not None and self.until_fy < min(years):
            raise ValueError("until_fy は最初の定義の from_fy 以降にしてください")
        return self


class CatalogueDoc(BaseModel):
    about: str = ""
    measures: list[MeasureDoc] = Field(min_length=1)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "measures": [
                        {
                            "code": "care_plan_check_rate",
                            "name": "ケアプラン点検の実施割合",
                            "unit": "%",
                            "favourable_direction": "higher",
                            "min_value": 0,
                            "max_value": 100,
                            "definitions": [
                                {
                                    "from_fy": 2021,
                                    "definition": "居宅介護支援事業所のうちケアプラン点検を行った割合",
                                    "sources": [{"publisher": "東京都", "document": "独自調査"}],
                                }
                            ],
                        }
                    ]
                }
            ]
        }
    }


class DefinitionPublic(BaseModel):
    from_fy: int
    definition: str
    sources: list[dict[str, Any]]
    note: str


class MeasurePublic(BaseModel):
    code: str
    name: str
    unit: str
    category: str
    favourable_direction: str | None
    decimals: int
    integer: bool
    min_value: float | None
    max_value: float | None
    from_fy: int
    until_fy: int | None
    origin: str
    aliases: list[str]
    definition: str | None = Field(description="指定年度 (なければ最新) の定義")
    sources: list[dict[str, Any]]
    definitions: list[DefinitionPublic]


class CatalogueWritten(BaseModel):
    written: list[str]


# --- values -------------------------------------------------------------------------------------


class ValuesIn(BaseModel):
    # Rows stay loose so that every bad row is reported by index, not only the first.
    values: list[Any] = Field(
        **rows(
            '[{"entity_code", "measure_code", "value"}]; value null は値の削除。最大 60,000 行'
            " (全国の区市町村 × 30 指標。それより大きい表はファイルの取込で)",
            {"entity_code": CELL, "measure_code": text(64), "value": CELL},
            ["entity_code", "measure_code", "value"],
            60_000,
        )
    )
    source: str = Field(default="", max_length=300, description="出典 (資料名・取得日)")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "values": [
                        {
                            "entity_code": "131016",
                            "measure_code": "certification_rate",
                            "value": 19.2,
                        }
                    ],
                    "source": "地域包括ケア「見える化」システム (2024-03-15 取得)",
                }
            ]
        }
    }


class Written(BaseModel):
    written: int
    deleted: int = 0
    fiscal_years: list[int] = Field(default_factory=list)


class NationalIn(BaseModel):
    figures: list[Any] = Field(
        **rows(
            '[{"measure_code", "value", "state": "暫定"|"確定", "source": {…}}]; '
            "value null は削除。最大 1,000 行",
            {
                "measure_code": text(64),
                "value": CELL,
                "state": {"enum": ["暫定", "確定"]},
                "source": SOURCE_ROW,
            },
            ["measure_code", "value"],
            1_000,
        )
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "figures": [
                        {
                            "measure_code": "certification_rate",
                            "value": 19.0,
                            "state": "確定",
                            "source": {
                                "publisher": "厚生労働省",
                                "document": "介護保険事業状況報告 (年報)",
                                "date": "2025-08-01",
                                "page": "表1",
                            },
                        }
                    ]
                }
            ]
        }
    }


class NationalFigure(BaseModel):
    measure_code: str
    fiscal_year: int
    value: float
    state: str
    source: dict[str, Any]
    updated_at: dt.datetime
    updated_by: str


# --- reads ------------------------------------------------------------------------------------


class CompareMeasure(BaseModel):
    code: str
    name: str
    unit: str
    value: float | None
    peer_mean: float | None
    prefecture_mean: float | None
    national_mean: float | None
    rank_in_prefecture: int | None


class CompareOut(BaseModel):
    """The fixed comparison answer (integrations rely on exactly these keys)."""

    entity_code: str
    fiscal_year: int
    peer_group: str | None
    measures: list[CompareMeasure]


class AcrossRow(BaseModel):
    entity_code: str
    name: str
    value: float | None
    rank_in_prefecture: int | None
    peer_group: str | None
    source: str | None
    sample: bool


class AcrossGroup(BaseModel):
    region_class: str
    mean: float | None
    count: int
    municipalities: list[AcrossRow]


class AcrossOut(BaseModel):
    fiscal_year: int
    prefecture: str
    prefecture_name: str
    measure: MeasurePublic
    prefecture_mean: float | None
    national_mean: float | None
    national_source: dict[str, Any] | None
    peer_means: dict[str, float]
    count: int = Field(description="値のある区市町村の数")
    of: int = Field(description="都道府県内の区市町村の数")
    sample: bool = Field(description="サンプル (架空の値) を含む")
    groups: list[AcrossGroup]


class TrendPoint(BaseModel):
    fiscal_year: int
    value: float | None
    peer_mean: float | None
    prefecture_mean: float | None
    national_mean: float | None
    rank_in_prefecture: int | None
    rank_of: int | None


class TrendMeasure(BaseModel):
    code: str
    name: str
    unit: str
    decimals: int
    favourable_direction: str | None
    points: list[TrendPoint]


class TrendOut(BaseModel):
    entity_code: str
    name: str
    prefecture: str
    peer_group: str | None
    region_class: str
    fiscal_years: list[int]
    sample: bool = Field(description="サンプル (架空の値) を含む")
    measures: list[TrendMeasure]


class EvidenceItem(BaseModel):
    measure_code: str
    fiscal_year: int
    known: bool = Field(description="カタログにあり、その年度に定義されている指標か")
    name: str | None
    unit: str | None
    decimals: int | None
    value: float | None
    peer_mean: float | None
    prefecture_mean: float | None
    national_mean: float | None
    rank_in_prefecture: int | None
    rank_of: int | None
    source: str | None
    sample: bool


class EvidenceOut(BaseModel):
    entity_code: str
    peer_group: str | None
    items: list[EvidenceItem]


class YearSummary(BaseModel):
    fiscal_year: int
    measures: int = Field(description="値のある指標の数")
    values: int
    sample: bool = Field(description="サンプル (架空の値) を含む")
    national_figures: int


# --- imports ----------------------------------------------------------------------------------


class ColumnMap(BaseModel):
    measure_code: str = Field(pattern=MEASURE_CODE)
    fiscal_year: int | None = Field(default=None, ge=FY_MIN, le=FY_MAX)
    scale: float = Field(default=1.0, gt=0, description="値に掛ける数 (割合 0.195 → 100)")


class ImportMapping(BaseModel):
    """How to read an upload. Every field is optional: what is absent is detected."""

    sheet: str | None = Field(default=None, description="XLSX のシート名 (なし = 最初のシート)")
    header_row: int | None = Field(default=None, ge=1, le=200, description="見出しの行番号")
    entity_column: str | None = Field(default=None, description="団体コード・保険者番号の列")
    format: Literal["wide", "long"] | None = Field(
        default=None, description="wide = 指標ごとに列、long = 指標名と値の列"
    )
    columns: dict[str, ColumnMap | str] = Field(
        default_factory=dict, description="wide: 列 (見出しまたは列記号 A, B …) → 指標"
    )
    ignore: list[str] = Field(default_factory=list, description="読まない列")
    measure_column: str | None = Field(default=None, description="long: 指標名の列")
    value_column: str | None = Field(default=None, description="long: 値の列")
    year_column: str | None = Field(default=None, description="long: 年度の列 (任意)")
    measure_names: dict[str, str] = Field(
        default_factory=dict, description="long: 指標名 → 指標コード"
    )


class ImportUpdate(BaseModel):
    version: int
    mapping: ImportMapping | None = None
    fiscal_year: int | None = Field(default=None, ge=FY_MIN, le=FY_MAX)
    source: str | None = Field(default=None, max_length=300)


class ImportCommit(BaseModel):
    version: int


class HeaderInfo(BaseModel):
    index: int
    letter: str
    name: str
    role: Literal["entity", "name", "measure", "measure_name", "value", "year", "ignored"]
    measure_code: str | None = None
    fiscal_year: int | None = None
    scale: float | None = None


class SampleRow(BaseModel):
    line: int
    entity_code: str
    entity_name: str
    measure_code: str
    fiscal_year: int
    value: float


class Skipped(BaseModel):
    line: int
    reason: str


class ImportPreview(BaseModel):
    id: int
    version: int
    status: str
    file_name: str
    sha256: str
    fiscal_year: int | None
    source: str
    sheets: list[str]
    sheet: str | None
    header_row: int | None
    format: str | None
    headers: list[HeaderInfo]
    mapping: dict[str, Any]
    rows: int = Field(description="データ行の数")
    values: int = Field(description="書き込む値の数")
    fiscal_years: list[int]
    skipped: list[Skipped]
    problems: list[dict[str, Any]] = Field(description="[{loc, msg}] 全件。あれば確定できない")
    sample: list[SampleRow]
    ready: bool
    created_at: dt.datetime
    created_by: str
    written: int | None
    committed_at: dt.datetime | None
    committed_by: str


class ImportInfo(BaseModel):
    id: int
    version: int
    status: str
    file_name: str
    fiscal_year: int | None
    source: str
    created_at: dt.datetime
    created_by: str
    written: int | None
    committed_at: dt.datetime | None

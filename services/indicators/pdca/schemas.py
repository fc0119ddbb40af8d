"""The PDCA sheet (取組と目標) document and its computed progress."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

SelfEvaluation = Literal["達成", "一部達成", "未達成"]


class Target(BaseModel):
    """A number with unit and period (1,350人 over 2018–2020), or a qualitative target."""

    kind: Literal["cumulative", "level", "qualitative"] = Field(
        "qualitative",
        description="cumulative: 期間の実績の合計で測る / level: 最新の実績で測る / "
        "qualitative: 年1回以上・増加・全62区市町村 など",
    )
    value: float | None = None
    unit: str = Field("", max_length=40)
    start_fy: int | None = None
    end_fy: int | None = None
    text: str = Field(
        "", max_length=1000, description="目標の表記 (例: 1,350人、年1回以上、全62区市町村)"
    )

    @model_validator(mode="after")
    def _numeric_needs_value(self) -> Target:
        if self.kind != "qualitative" and self.value is None:
            raise ValueError("数値目標には value (目標値) が必要です")
        if self.start_fy and self.end_fy and self.end_fy < self.start_fy:
            raise ValueError("目標期間の終了年度が開始年度より前です")
        return self


# The longest free text of a sheet (a cell of the 取組と目標 form).
LONG = 10_000


class YearRecord(BaseModel):
    fiscal_year: int = Field(ge=2000, le=2100)
    actions: str = Field("", max_length=LONG, description="取組の実施内容・実績")
    actual_value: float | None = Field(None, description="実績値 (入力した場合)")
    actual_source: str | None = Field(
        None,
        max_length=300,
        description="実績値の出典キー (例: training.completers:全体研修・情報交換会:2019)",
    )
    self_evaluation: SelfEvaluation | None = None
    next_steps: str = Field("", max_length=LONG, description="自己評価と今後の課題・対応策")


class SheetItem(BaseModel):
    code: str = Field(min_length=1, max_length=64, description="事項 (例: 1-事項1)")
    section: str = Field(
        "",
        max_length=300,
        description="大項目 (例: 1 保険者による地域分析及び事業計画の策定等への支援)",
    )
    title: str = Field(min_length=1, max_length=1000, description="事項の内容")
    theme: str | None = Field(
        None,
        max_length=40,
        description="テーマのコード (GET /pdca/themes の語彙: kaigo_yobo 介護予防、"
        "kyufu_tekiseika 給付適正化、ninchisho 認知症 など)。空なら未分類",
    )
    target: Target = Target()
    current_issues: str = Field("", max_length=LONG, description="目標設定するに至った現状と課題")
    vision: str = Field("", max_length=LONG, description="計画最終年度までに目指すべきビジョン")
    metric_source: str | None = Field(
        None,
        max_length=300,
        description="目標に対する実績の出典キー "
        "(例: training.completers:全体研修・情報交換会:2018-2020)。"
        "値はゲートウェイが progress に渡す",
    )
    reference: str = Field("", max_length=LONG, description="参考資料")
    years: list[YearRecord] = Field([], max_length=101, description="年度ごとの記録 (2000〜2100)")


class SheetIn(BaseModel):
    entity_code: str = Field(pattern=r"^\d{6}$")
    title: str = Field(min_length=1, max_length=300)
    start_fy: int = Field(ge=2000, le=2100)
    end_fy: int = Field(ge=2000, le=2100)
    items: list[SheetItem] = Field([], max_length=200)
    published: bool | None = Field(
        None,
        description="公開 (他の区市町村が閲覧できる)。作成時に省略すると下書き、"
        "更新時に省略すると変えない",
    )

    @model_validator(mode="after")
    def _check(self) -> SheetIn:
        if self.end_fy < self.start_fy:
            raise ValueError("計画の終了年度が開始年度より前です")
        codes = [i.code for i in self.items]
        dup = {c for c in codes if codes.count(c) > 1}
        if dup:
            raise ValueError(f"事項のコードが重複しています: {', '.join(sorted(dup))}")
        return self

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "entity_code": "130001",
                    "title": "区市町村への支援の取組と目標",
                    "start_fy": 2018,
                    "end_fy": 2020,
                    "items": [
                        {
                            "code": "2-(1)-事項1",
                            "section": "2 地域ケア会議及び介護予防の効果的な実施に向けた支援",
                            "title": "地域ケア会議の司会者・助言者の養成",
                            "target": {
                                "kind": "cumulative",
                                "value": 1350,
                                "unit": "人",
                                "start_fy": 2018,
                                "end_fy": 2020,
                                "text": "1,350人",
                            },
                            "years": [
                                {
                                    "fiscal_year": 2018,
                                    "actual_value": 352,
                                    "self_evaluation": "達成",
                                }
                            ],
                        }
                    ],
                }
            ]
        }
    }


class SheetUpdate(SheetIn):
    version: int = Field(description="読み込んだときの版 (古ければ 409)")


def progress(
    items: list[SheetItem], metrics: dict[str, float] | None = None
) -> list[dict[str, Any]]:
    """Progress toward each item's target: cumulative sums the years in the target period,
    level takes the latest year; a metric source's value (from the gateway) wins over typing."""
    metrics = metrics or {}
    out = []
    for it in items:
        t = it.target
        years = sorted(it.years, key=lambda y: y.fiscal_year)
        if t.start_fy is not None:
            years = [y for y in years if y.fiscal_year >= t.start_fy]
        if t.end_fy is not None:
            years = [y for y in years if y.fiscal_year <= t.end_fy]
        values: list[tuple[int, float]] = []
        for y in years:
            v = metrics.get(y.actual_source) if y.actual_source else None
            v = v if v is not None else y.actual_value
            if v is not None:
                values.append((y.fiscal_year, float(v)))
        actual: float | None = None
        source = "entered"
        if it.metric_source and it.metric_source in metrics:
            actual, source = float(metrics[it.metric_source]), "metric"
        elif values:
            actual = sum(v for _, v in values) if t.kind == "cumulative" else values[-1][1]
        rate = None
        if t.kind != "qualitative" and actual is not None and t.value:
            rate = actual / t.value
        evaluations = [y.self_evaluation for y in years if y.self_evaluation]
        out.append(
            {
                "code": it.code,
                "kind": t.kind,
                "target_value": t.value,
                "unit": t.unit,
                "actual": actual,
                "actual_from": source if actual is not None else None,
                "by_year": [{"fiscal_year": fy, "value": v} for fy, v in values],
                "progress": rate,
                "achieved": (rate >= 1) if rate is not None else None,
                "latest_self_evaluation": evaluations[-1] if evaluations else None,
                "metric_source": it.metric_source,
            }
        )
    return out


def target_text(it: SheetItem) -> str:
    t = it.target
    if t.text:
        return t.text
    if t.value is None:
        return ""
    period = f" ({t.start_fy}〜{t.end_fy}年度)" if t.start_fy and t.end_fy else ""
    return f"{t.value:g}{t.unit}{period}"


EVALUATION_KEYS = ("達成", "一部達成", "未達成", "未評価")


def digest(items: list[SheetItem], start_fy: int, end_fy: int) -> dict[str, Any]:
    """The stored summary of a sheet (its read model): per item its theme, target and progress
    on the entered values, and per fiscal year the count of each self-evaluation (an item with
    no evaluation that year counts as 未評価)."""
    prog = {p["code"]: p for p in progress(items)}
    out_items = []
    years: dict[str, dict[str, int]] = {
        str(fy): dict.fromkeys(EVALUATION_KEYS, 0) for fy in range(start_fy, end_fy + 1)
    }
    for it in items:
        evaluations = {str(y.fiscal_year): y.self_evaluation for y in it.years if y.self_evaluation}
        for fy, counts in years.items():
            counts[evaluations.get(fy) or "未評価"] += 1
        p = prog[it.code]
        out_items.append(
            {
                "code": it.code,
                "title": it.title,
                "section": it.section,
                "theme": it.theme or None,
                "target_text": target_text(it),
                "kind": it.target.kind,
                "target_value": it.target.value,
                "unit": it.target.unit,
                "actual": p["actual"],
                "progress": p["progress"],
                "achieved": p["achieved"],
                "latest_self_evaluation": p["latest_self_evaluation"],
                "evaluations": evaluations,
                "metric_source": it.metric_source,
            }
        )
    numeric = [i for i in out_items if i["kind"] != "qualitative"]
    rates = [i["progress"] for i in numeric if i["progress"] is not None]
    return {
        "items": out_items,
        "years": years,
        "progress": {
            "numeric_items": len(numeric),
            "with_actual": len(rates),
            "achieved": sum(1 for i in numeric if i["achieved"]),
            "mean_progress": sum(rates) / len(rates) if rates else None,
        },
    }


def metric_sources(items: list[SheetItem]) -> list[str]:
    keys = {it.metric_source for it in items if it.metric_source}
    keys |= {y.actual_source for it in items for y in it.years if y.actual_source}
    return sorted(keys)


# --- answers (what the routes return) ------------------------------------------------------------


class SheetItemOut(SheetItem):
    theme_name: str | None = Field(description="テーマの名称 (テーマがなければ null)")


class YearValue(BaseModel):
    fiscal_year: int
    value: float


class ItemProgress(BaseModel):
    code: str
    kind: str
    unit: str
    target_value: float | None
    actual: float | None
    actual_from: str | None = Field(description="実績の出典 (入力値・出典キー)")
    by_year: list[YearValue]
    progress: float | None
    achieved: bool | None
    metric_source: str | None
    latest_self_evaluation: str | None


class GoodPracticeRef(BaseModel):
    id: int
    item_code: str
    reference: str


class SheetOut(BaseModel):
    id: int
    entity_code: str
    name: str | None
    title: str
    start_fy: int
    end_fy: int
    published: bool
    published_at: datetime | None
    published_by: str | None
    items: list[SheetItemOut]
    progress: list[ItemProgress]
    metric_sources: list[str]
    good_practices: list[GoodPracticeRef]
    version: int
    updated_at: datetime
    updated_by: str


class ThemeOut(BaseModel):
    code: str
    name: str


class MetricHead(BaseModel):
    code: str
    label: str
    argument: str
    combine: str


class MetricSources(BaseModel):
    format: str
    max_years: int
    heads: list[MetricHead]
    training_kinds: list[str]
    examples: list[str]


class GoodPracticeOut(BaseModel):
    id: int
    reference: str
    href: str
    sheet_id: int
    sheet_title: str
    sheet_published: bool
    start_fy: int
    end_fy: int
    entity_code: str
    entity_name: str | None
    item_code: str
    item_title: str
    item_present: bool
    theme: str | None
    theme_name: str | None
    target_text: str | None
    progress: float | None
    latest_self_evaluation: str | None
    note: str
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class SideCounts(BaseModel):
    municipalities: int
    with_sheet: int
    published: int
    drafts: int


class SideFilters(BaseModel):
    region_class: str | None
    peer_type: str | None
    peer_set: str | None
    peer_group: str | None


class SideItem(BaseModel):
    code: str
    title: str
    kind: str
    unit: str
    target_text: str | None
    progress: float | None
    achieved: bool | None
    actual: float | None
    self_evaluation: str | None
    good_practice_id: int | None


class SideTheme(BaseModel):
    code: str | None
    name: str | None
    items: list[SideItem]


class SideProgress(BaseModel):
    numeric_items: int
    with_actual: int
    achieved: int
    mean_progress: float | None


class SideSheet(BaseModel):
    id: int
    title: str
    start_fy: int
    end_fy: int
    published: bool
    published_at: datetime | None
    updated_at: datetime
    version: int
    progress: SideProgress
    self_evaluation: dict[str, int] = Field(description="自己評価ごとの事項数 (未評価を含む)")
    themes: list[SideTheme]


class SideMunicipality(BaseModel):
    code: str
    name: str
    region_class: str | None
    peer_type: str | None
    status: str
    sheet: SideSheet | None


class SideBySide(BaseModel):
    fiscal_year: int
    prefecture: str
    filters: SideFilters
    counts: SideCounts
    themes: list[ThemeOut]
    progress_basis: str
    municipalities: list[SideMunicipality]

"""Response models of the result endpoints (the fixed contract's fields, documented in the
OpenAPI). Answers are built as plain data and validated into these; the routes leave out the
keys an answer does not carry (``response_model_exclude_unset``), so the shape stays exactly
the documented one."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.indicators.allocation.schemas import SimulationOut


class Flag(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str = Field(description="low_score_rate | drop")
    message: str
    deduction: float | None = Field(default=None, description="都道府県の評価での減点 (市町村分)")
    drop: float | None = Field(default=None, description="前年度からの低下 (点)")


class CategoryResult(BaseModel):
    code: str
    parent: str | None
    points: float
    max_points: float
    score_rate: float


class EntityResult(BaseModel):
    entity_code: str = Field(description="区市町村コード (広域連合は保険者番号)")
    insurer_number: str | None = Field(
        default=None,
        description="介護保険 保険者番号 (区市町村は導出または保険者一覧の番号、広域連合は自身の番号; "
        "都道府県は null)",
    )
    name: str
    total: float
    max_points: float
    score_rate: float = Field(description="得点率 (0〜1、丸めない)")
    rank: int = Field(description="絞り込んだ範囲での順位 (同点は同順位)")
    rank_of: int
    national_rank: int
    national_rank_of: int
    prefecture_rank: int
    prefecture_rank_of: int
    peer_set: str
    peer_group: str
    peer_rank: int
    peer_rank_of: int
    previous_total: float | None
    evaluation_fy: int
    grant_fy: int
    categories: list[CategoryResult]
    flags: list[Flag]


class CategoryMean(BaseModel):
    code: str
    parent: str | None = None
    mean_points: float | None
    mean_score_rate: float | None


class DeductionTrigger(BaseModel):
    entity_code: str
    insurer_number: str | None
    name: str
    score_rate: float


class DeductionBasis(BaseModel):
    rule: dict[str, Any] | None = Field(
        description="年度の減点の規則 (GET /deduction-rules と同じ形)"
    )
    endpoint: str = Field(description="都道府県ごとの減点と該当市町村 (GET)")
    triggered_by: list[DeductionTrigger]
    text: str


class ResultsSummary(BaseModel):
    count: int
    missing: int = Field(description="範囲内で得点のない団体の数")
    mean_total: float | None
    mean_score_rate: float | None
    categories: list[CategoryMean]
    top_categories: list[str]
    low_count: int
    low_threshold: float
    previous_framework_id: int | None
    prefecture_deduction: float | None = Field(
        default=None,
        description="市町村分の体系で prefecture を指定したとき: 都道府県の減点 (年度の減点の規則"
        "から。未確定・規則なしは null)",
    )
    prefecture_deduction_basis: DeductionBasis | None = Field(
        default=None, description="減点の根拠: 規則、該当する市町村、確定かどうか"
    )


class Results(BaseModel):
    entities: list[EntityResult]
    summary: ResultsSummary


class FrameworkRef(BaseModel):
    id: int
    code: str
    name: str
    grant: str
    level: str
    grant_fy: int
    evaluation_fy: int
    max_points: float
    state: str = Field("provisional", description="provisional (暫定) | confirmed (確定)")
    state_label: str = Field("暫定", description="暫定 | 確定: 暫定の体系の数値には印をつける")


class LatestResults(Results):
    grant: str
    framework: FrameworkRef


class ItemMean(BaseModel):
    code: str
    mean_points: float
    full_share: float = Field(description="満点の団体の割合")


class AverageBlock(BaseModel):
    count: int
    mean_total: float | None
    mean_score_rate: float | None
    categories: list[CategoryMean]
    items: list[ItemMean] = Field(
        default_factory=list,
        description="指標ごとの平均 (区市町村のページ用の回答 /views/municipalities では省く)",
    )


class PrefectureAverage(AverageBlock):
    code: str


class GroupAverage(AverageBlock):
    group: str


class NationAverage(AverageBlock):
    kind: str = Field(
        description="all_insurers: 全国の全保険者の得点から計算した全国平均 | loaded: 読み込んだ"
        "団体だけの平均 (全国平均ではない)"
    )
    label: str = Field(description="表示する名前 (団体数つき)")
    insurers_in_country: int = Field(description="全国の保険者 (都道府県分は都道府県) の数")


class PublishedCategory(BaseModel):
    code: str
    mean_points: float | None
    mean_score_rate: float | None


class PublishedItem(BaseModel):
    code: str
    mean_points: float | None
    national_rate: float | None = Field(description="全国の達成率 (0〜1)")


class PublishedAverage(BaseModel):
    kind: str = Field(description="published")
    label: str
    mean_total: float | None
    mean_score_rate: float | None
    categories: list[PublishedCategory]
    items: list[PublishedItem]
    source: dict[str, Any] = Field(description="出典 {document, date, page}")
    state: str
    state_label: str


class Averages(BaseModel):
    framework_id: int
    nation: NationAverage
    prefecture: PrefectureAverage | None
    group_set: str
    groups: list[GroupAverage]
    published: PublishedAverage | None = Field(
        default=None, description="体系に登録された公表値の全国平均 (出典つき); ないときは null"
    )


class RecoverItem(BaseModel):
    item_code: str
    text: str
    category_code: str
    max_points: float
    points: float
    gap: float
    full_share: float
    provisional: bool = Field(
        default=False, description="配点が暫定 (暫定の体系、または資料で確認できない配点)"
    )


class Recover(BaseModel):
    entity_code: str
    insurer_number: str | None = Field(
        default=None,
        description="介護保険 保険者番号 (区市町村は導出または保険者一覧の番号、広域連合は自身の番号; "
        "都道府県は null)",
    )
    name: str
    group_set: str
    group: str
    peer_count: int
    share: float
    recoverable_points: float
    items: list[RecoverItem]
    rests_on_provisional: bool = Field(
        default=False, description="暫定の配点に基づく指標を含む (または体系が暫定)"
    )
    provisional_reasons: list[str] = Field(default_factory=list)


class CodeDiff(BaseModel):
    code: str
    points: float | None
    previous_points: float | None
    diff: float | None


class EntityCompare(BaseModel):
    entity_code: str
    insurer_number: str | None = Field(
        default=None,
        description="介護保険 保険者番号 (区市町村は導出または保険者一覧の番号、広域連合は自身の番号; "
        "都道府県は null)",
    )
    name: str
    total: float | None
    previous_total: float | None
    diff: float | None
    score_rate: float | None
    previous_score_rate: float | None
    categories: list[CodeDiff]
    items: list[CodeDiff] | None = Field(
        default=None, description="entity_code または item_codes を指定したとき"
    )
    peer_type: str | None = Field(
        default=None,
        description="区市町村の類型 (都の設定 PUT /peer-types/{code} があればそれ、なければ団体一覧の"
        "既定。類型のない団体は null)",
    )


class Matched(BaseModel):
    matched: list[str]
    only_current: list[str]
    only_previous: list[str]


class Compare(BaseModel):
    framework_id: int
    previous_framework_id: int
    categories: Matched
    items: Matched
    entities: list[EntityCompare]


class DashboardRow(BaseModel):
    entity_code: str
    insurer_number: str | None = Field(
        default=None,
        description="介護保険 保険者番号 (区市町村は導出または保険者一覧の番号、広域連合は自身の番号; "
        "都道府県は null)",
    )
    name: str
    total: float
    max_points: float
    score_rate: float
    rank: int
    rank_of: int
    national_rank: int
    national_rank_of: int
    prefecture_rank: int
    prefecture_rank_of: int
    peer_set: str
    peer_group: str
    peer_rank: int
    peer_rank_of: int
    previous_total: float | None
    flags: list[Flag]


class DashboardGrant(BaseModel):
    grant: str
    framework: FrameworkRef
    rows: list[DashboardRow] = Field(description="都道府県内の得点のある区市町村 (順位順)")
    summary: ResultsSummary


PEER_TYPES_FIELD = (
    "都道府県内の区市町村ごとの類型 (団体コード → 類型): 都の設定 (PUT /peer-types/{code}) が"
    "あればそれ、なければ団体一覧の既定。画面はこの値を表示し、類型で絞り込む"
)


class Dashboard(BaseModel):
    prefecture: str | None
    grants: list[DashboardGrant]
    peer_types: dict[str, str | None] = Field(default_factory=dict, description=PEER_TYPES_FIELD)


class YearTotal(BaseModel):
    framework_id: int
    grant_fy: int
    evaluation_fy: int
    total: float
    max_points: float
    score_rate: float
    prefecture_mean: float = Field(description="都道府県内の区市町村の平均総合得点")


class ProfileGrant(BaseModel):
    grant: str
    framework: FrameworkRef | None = Field(description="得点のある最新の体系")
    entity: EntityResult | None
    summary: ResultsSummary | None = Field(description="都道府県内の集計")
    recover: Recover | None
    years: list[YearTotal] = Field(description="直近の交付年度ごとの総合得点")
    averages: Averages | None = Field(description="得点のある最新の体系の平均")


class Profile(BaseModel):
    entity_code: str
    insurer_number: str | None = Field(
        default=None,
        description="介護保険 保険者番号 (区市町村は導出または保険者一覧の番号、広域連合は自身の番号; "
        "都道府県は null)",
    )
    name: str
    prefecture: str
    peer_type: str | None = Field(
        None,
        description="いま使う類型 (都の設定 PUT /peer-types/{code} があればそれ、なければ団体一覧の既定)",
    )
    default_peer_type: str | None = Field(None, description="団体一覧 (registry) の既定の類型")
    grants: list[ProfileGrant]
    pdca: dict[str, Any] | None = Field(
        None,
        description="pdca=true のとき: 利用者が読める最新の取組と目標のシート (進捗つき、なければ null)",
    )


class GrantReportMunicipal(BaseModel):
    framework: FrameworkRef
    results: Results = Field(description="都道府県内の区市町村の結果")
    allocation: SimulationOut | None = Field(
        description="配分額の試算 (POST /frameworks/{id}/allocation と同じ。試算できなければ null)"
    )
    allocation_problem: str | None = Field(
        None, description="試算できないとき: 何が足りないか (予算・全国の分母・規則)"
    )


class GrantReportPrefectural(BaseModel):
    framework: FrameworkRef
    results: Results = Field(description="都道府県自身の結果")


class GrantReport(BaseModel):
    fiscal_year: int
    municipal: list[GrantReportMunicipal] = Field(
        description="交付金ごとに、その交付年度以前で最新の区市町村の体系"
    )
    prefectural: list[GrantReportPrefectural] = Field(
        description="交付金ごとに、その交付年度以前で最新の都道府県の体系"
    )
    peer_types: dict[str, str | None] = Field(default_factory=dict, description=PEER_TYPES_FIELD)

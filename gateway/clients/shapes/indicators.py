"""The indicators service's answers as the gateway reads them: generated from its
OpenAPI document by ``python -m scripts.client_shapes``; do not edit by hand."""

from __future__ import annotations

from typing import Any, Literal, NotRequired

from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12


class AcrossGroup(TypedDict):
    region_class: str
    mean: float | None
    count: int
    municipalities: list[AcrossRow]


class AcrossOut(TypedDict):
    fiscal_year: int
    prefecture: str
    prefecture_name: str
    measure: MeasurePublic
    prefecture_mean: float | None
    national_mean: float | None
    national_source: dict[str, Any] | None
    peer_means: dict[str, float]
    count: int
    of: int
    sample: bool
    groups: list[AcrossGroup]


class AcrossRow(TypedDict):
    entity_code: str
    name: str
    value: float | None
    rank_in_prefecture: int | None
    peer_group: str | None
    source: str | None
    sample: bool


class Actor(TypedDict):
    "Who is acting. ``municipality_code`` is set for municipality staff only; ``advised``"

    id: str
    name: str
    role: Role
    municipality_code: NotRequired[str | None]
    advised: NotRequired[list[str]]


class AllocationRow(TypedDict):
    entity_code: str
    insurer_number: str | None
    name: str
    total: float
    first_insured: int | None
    first_insured_source: str | None
    requested: int | None
    weight: float
    share: int
    paid: int | None
    shortfall: int | None
    surplus: int | None
    label: str


class AllocationTotals(TypedDict):
    budget: int
    share: int
    paid: int
    requested: int
    not_paid_out: int | None
    surplus: int
    rounding_remainder: int | None
    outside_listed: int | None


class AnswerOut(TypedDict):
    item_code: str
    area_code: str
    text: str
    met: bool | None
    note: str
    prefecture_met_share: float | None


class AnswersImported(TypedDict):
    answers: int
    centres: int
    municipalities: int


class AnswersIn(TypedDict):
    answers: list[dict[str, Any]]
    version: NotRequired[int | None]


class AreaCounts(TypedDict):
    total: int
    直営: int
    委託: int
    area: str


class AreaIn(TypedDict):
    code: str
    name: str
    group: NotRequired[str]
    training_kinds: NotRequired[list[str]]


class AreaRate(TypedDict):
    code: str
    name: str
    group: str
    items: int
    met: int | None
    rate: float | None
    prefecture_mean: float | None


class AuditEntry(TypedDict):
    id: int
    at: str
    actor_id: str
    actor_name: str
    actor_role: str
    entity_type: str
    entity_id: str
    action: str
    changes: dict[str, Any]
    note: NotRequired[dict[str, Any] | None]
    request_id: NotRequired[str | None]


class Averages(TypedDict):
    framework_id: int
    nation: NationAverage
    prefecture: PrefectureAverage | None
    group_set: str
    groups: list[GroupAverage]
    published: NotRequired[PublishedAverage | None]


class BasisOut(TypedDict):
    "What the denominator rests on: computed from every insurer, or the published figure."

    kind: Literal["computed", "published"]
    text: str
    denominator: float
    insurers: NotRequired[int | None]
    grant: NotRequired[str | None]
    level: NotRequired[str | None]
    grant_fy: NotRequired[int | None]
    state: NotRequired[str | None]
    state_label: NotRequired[str | None]
    source: NotRequired[services__indicators__allocation__schemas__SourceOut | None]
    note: NotRequired[str | None]
    version: NotRequired[int | None]
    updated_by: NotRequired[str | None]


class Body_create_import_api_v1_regional_imports_post(TypedDict):
    file: str
    fiscal_year: NotRequired[int | None]
    mapping: NotRequired[str | None]
    source: NotRequired[str]


class Body_import_answers_api_v1_centres_evaluations__fiscal_year__import_post(TypedDict):
    file: str


class Body_import_catalogue_api_v1_centres_catalogues__fiscal_year__import_post(TypedDict):
    file: str
    name: str
    source_document: NotRequired[str]
    source_date: NotRequired[str]
    source_page: NotRequired[str]
    state: NotRequired[Literal["暫定", "確定"]]
    note: NotRequired[str]
    version: NotRequired[int | None]


class Body_import_first_insured_api_v1_first_insured__fiscal_year__import_post(TypedDict):
    file: str


class Body_import_framework_api_v1_frameworks_import_post(TypedDict):
    file: str


class Body_import_inputs_api_v1_allocation__grant___grant_fy__inputs_import_post(TypedDict):
    file: str


class Body_import_insurers_api_v1_insurers_import_post(TypedDict):
    file: str


class Body_import_items_api_v1_frameworks__framework_id__items_import_post(TypedDict):
    file: str
    mapping: NotRequired[str | None]


class Body_import_published_api_v1_frameworks__framework_id__published_results_import_post(
    TypedDict
):
    file: str
    mapping: NotRequired[str | None]


class Body_import_register_api_v1_centres_import_post(TypedDict):
    file: str


class Body_import_scores_api_v1_frameworks__framework_id__scores_import_post(TypedDict):
    file: str


class BudgetIn(TypedDict):
    "A published budget (with its source), or a person's override with the reason."

    published_amount: NotRequired[int | None]
    state: NotRequired[State]
    source: NotRequired[Source | None]
    wording: NotRequired[str]
    note: NotRequired[str]
    override_amount: NotRequired[int | None]
    override_reason: NotRequired[str]
    version: NotRequired[int | None]


class BudgetOut(TypedDict):
    grant: str
    level: str
    level_label: str
    grant_fy: int
    amount: int | None
    basis: Literal["published", "override"]
    published_amount: int | None
    state: str
    state_label: str
    source: services__indicators__allocation__schemas__SourceOut
    wording: str
    note: str
    override_amount: int | None
    override_reason: str | None
    updated_by: str | None
    updated_at: str | None
    version: int


class CatalogueDoc(TypedDict):
    about: NotRequired[str]
    measures: list[MeasureDoc]


class CatalogueIn(TypedDict):
    name: str
    source_document: NotRequired[str]
    source_date: NotRequired[str]
    source_page: NotRequired[str]
    state: NotRequired[Literal["暫定", "確定"]]
    sample: NotRequired[bool]
    note: NotRequired[str]
    areas: NotRequired[list[AreaIn] | None]
    items: list[dict[str, Any]]
    version: NotRequired[int | None]


class CatalogueItemOut(TypedDict):
    code: str
    subject: Literal["centre", "municipality"]
    area_code: str
    area_name: str | None
    text: str
    note: str


class CatalogueOut(TypedDict):
    id: int
    fiscal_year: int
    name: str
    note: str
    state: str
    source: services__indicators__centres__schemas__SourceOut
    sample: bool
    version: int
    updated_at: str
    updated_by: str
    areas: list[WorkAreaOut]
    items: list[CatalogueItemOut]
    counts: SubjectCounts


class CatalogueRef(TypedDict):
    fiscal_year: int
    name: str
    state: str
    source: services__indicators__centres__schemas__SourceOut
    sample: bool
    version: int


class CatalogueSummary(TypedDict):
    id: int
    fiscal_year: int
    name: str
    state: str
    source: services__indicators__centres__schemas__SourceOut
    sample: bool
    version: int
    items: SubjectCounts
    answered: SubjectCounts


class CatalogueWritten(TypedDict):
    written: list[str]


class CategoryDoc(TypedDict):
    code: str
    name: str
    max_points: NotRequired[float | None]
    national_average: NotRequired[float | None]
    categories: NotRequired[list[CategoryDoc]]
    items: NotRequired[list[ItemDoc]]


class CategoryMean(TypedDict):
    code: str
    parent: NotRequired[str | None]
    mean_points: float | None
    mean_score_rate: float | None


class CategoryOut(TypedDict):
    code: str
    name: str
    max_points: float
    national_average: NotRequired[float | None]
    categories: NotRequired[list[CategoryOut]]
    items: NotRequired[list[ItemOut]]


class CategoryPreview(TypedDict):
    code: str
    stated_max: float | None
    items: int
    imported: bool
    items_pending: bool


class CategoryResult(TypedDict):
    code: str
    parent: str | None
    points: float
    max_points: float
    score_rate: float


class CentreDetail(TypedDict):
    id: int
    municipality_code: str
    municipality_name: str | None
    name: str
    operation: Literal["直営", "委託"] | None
    operator: str
    area_served: str
    staff: dict[str, float]
    staff_total: float | None
    fiscal_year: int | None
    opened_fy: int | None
    closed_fy: int | None
    sample: bool
    version: int
    years: list[CentreYearOut]
    created_at: str
    updated_at: str
    updated_by: str


class CentreIn(TypedDict):
    operation: Literal["直営", "委託"]
    operator: NotRequired[str]
    area_served: NotRequired[str]
    staff: NotRequired[dict[str, float]]
    note: NotRequired[str]
    municipality_code: str
    name: str
    fiscal_year: int
    opened_fy: NotRequired[int | None]
    closed_fy: NotRequired[int | None]
    sample: NotRequired[bool]


class CentreOut(TypedDict):
    id: int
    municipality_code: str
    municipality_name: str | None
    name: str
    operation: Literal["直営", "委託"] | None
    operator: str
    area_served: str
    staff: dict[str, float]
    staff_total: float | None
    fiscal_year: int | None
    opened_fy: int | None
    closed_fy: int | None
    sample: bool
    version: int


class CentreRadar(TypedDict):
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


class CentreRate(TypedDict):
    id: int
    name: str
    rate: float | None


class CentreRef(TypedDict):
    id: int
    municipality_code: str
    municipality_name: str | None
    name: str
    sample: bool


class CentreSheet(TypedDict):
    fiscal_year: int
    subject: Literal["centre", "municipality"]
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
    updated_at: str | None
    updated_by: str | None
    centre: CentreRef


class CentreStats(TypedDict):
    total: int
    直営: int
    委託: int
    fiscal_year: int
    prefecture: str
    by_area: list[AreaCounts]
    by_municipality: list[MunicipalityCounts]
    consigned_share: float | None
    staff_mean: float | None
    staff_by_profession: dict[str, float]
    published: PublishedRegister | None
    sample: bool


class CentreUpdate(TypedDict):
    name: NotRequired[str | None]
    opened_fy: NotRequired[int | None]
    closed_fy: NotRequired[int | None]
    version: int


class CentreYearIn(TypedDict):
    operation: Literal["直営", "委託"]
    operator: NotRequired[str]
    area_served: NotRequired[str]
    staff: NotRequired[dict[str, float]]
    note: NotRequired[str]
    version: NotRequired[int | None]


class CentreYearOut(TypedDict):
    fiscal_year: int
    operation: Literal["直営", "委託"]
    operator: str
    area_served: str
    staff: dict[str, float]
    staff_total: float
    note: str
    version: int
    updated_at: str
    updated_by: str


class CodeDiff(TypedDict):
    code: str
    points: float | None
    previous_points: float | None
    diff: float | None


class ColumnMap(TypedDict):
    measure_code: str
    fiscal_year: NotRequired[int | None]
    scale: NotRequired[float]


class ColumnMapping(TypedDict):
    entity_column: str | None
    columns: dict[str, str | None]


class CombinedView(TypedDict):
    "``sum_of_maxima`` is present only when both grants have a framework."

    level: Level
    grant_fy: int
    frameworks: list[FrameworkSummary]
    missing: list[Grant]
    shared_items: list[SharedItem]
    combined_max: float | None
    sum_of_maxima: NotRequired[float | None]


class Compare(TypedDict):
    framework_id: int
    previous_framework_id: int
    categories: Matched
    items: Matched
    entities: list[EntityCompare]


class CompareMeasure(TypedDict):
    code: str
    name: str
    unit: str
    value: float | None
    peer_mean: float | None
    prefecture_mean: float | None
    national_mean: float | None
    rank_in_prefecture: int | None


class CompareOut(TypedDict):
    "The fixed comparison answer (integrations rely on exactly these keys)."

    entity_code: str
    fiscal_year: int
    peer_group: str | None
    measures: list[CompareMeasure]


class Dashboard(TypedDict):
    prefecture: str | None
    grants: list[DashboardGrant]
    peer_types: NotRequired[dict[str, str | None]]


class DashboardGrant(TypedDict):
    grant: str
    framework: FrameworkRef
    rows: list[DashboardRow]
    summary: ResultsSummary


class DashboardRow(TypedDict):
    entity_code: str
    insurer_number: NotRequired[str | None]
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


class DeductionBasis(TypedDict):
    rule: dict[str, Any] | None
    endpoint: str
    triggered_by: list[DeductionTrigger]
    text: str


class DeductionRuleIn(TypedDict):
    item_code: str
    threshold: float
    points: float
    wording: str
    state: NotRequired[State]
    source: Source
    version: NotRequired[int | None]


class DeductionRuleOut(TypedDict):
    grant: str
    grant_fy: int
    item_code: str
    threshold: float
    points: float
    wording: str
    state: str
    state_label: str
    source: services__indicators__scores__schemas__SourceOut
    version: int


class DeductionTrigger(TypedDict):
    entity_code: str
    insurer_number: str | None
    name: str
    score_rate: float


class DeductionView(TypedDict):
    grant: str
    grant_fy: int
    municipal_framework_id: int | None
    prefecture_framework_id: int | None
    rule: DeductionRuleOut | None
    prefectures: list[PrefectureDeduction]
    missing: NotRequired[list[str] | None]


class DefinitionDoc(TypedDict):
    from_fy: int
    definition: str
    sources: list[SourceRef]
    note: NotRequired[str]


class DefinitionPublic(TypedDict):
    from_fy: int
    definition: str
    sources: list[dict[str, Any]]
    note: str


class EntityCompare(TypedDict):
    entity_code: str
    insurer_number: NotRequired[str | None]
    name: str
    total: float | None
    previous_total: float | None
    diff: float | None
    score_rate: float | None
    previous_score_rate: float | None
    categories: list[CodeDiff]
    items: NotRequired[list[CodeDiff] | None]
    peer_type: NotRequired[str | None]


class EntityResult(TypedDict):
    entity_code: str
    insurer_number: NotRequired[str | None]
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
    evaluation_fy: int
    grant_fy: int
    categories: list[CategoryResult]
    flags: list[Flag]


class EvaluationSummary(TypedDict):
    municipality_code: str
    fiscal_year: int
    centres: list[CentreRate]
    municipality_rate: float | None
    prefecture_rate: float | None


class EvidenceItem(TypedDict):
    measure_code: str
    fiscal_year: int
    known: bool
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


class EvidenceOut(TypedDict):
    entity_code: str
    peer_group: str | None
    items: list[EvidenceItem]


class FirstInsuredImportOut(TypedDict):
    dry_run: bool
    written: int
    rows: int
    persons: NotRequired[int | None]
    problems: list[ImportProblem]


class FirstInsuredOut(TypedDict):
    fiscal_year: int
    count: int
    persons: int
    data: list[FirstInsuredRowOut]


class FirstInsuredRowOut(TypedDict):
    entity_code: str
    insurer_number: str | None
    name: str
    persons: int
    as_of: str
    source: str


Flag = dict[str, Any]


class FrameworkCopy(TypedDict):
    "Create a framework for another grant year from this one's tree."

    grant_fy: int
    evaluation_fy: NotRequired[int | None]
    code: NotRequired[str | None]
    name: NotRequired[str | None]
    source: NotRequired[Source | None]


class FrameworkDetail(TypedDict):
    id: int
    code: str
    name: str
    grant: Grant
    level: Level
    grant_fy: int
    evaluation_fy: int
    max_points: float
    state: NotRequired[State]
    state_label: NotRequired[str]
    state_note: NotRequired[str]
    source: NotRequired[Source]
    provisional_points: NotRequired[bool]
    items_pending: NotRequired[bool]
    national_average: NotRequired[float | None]
    averages_source: NotRequired[Source]
    version: NotRequired[int]
    categories: list[CategoryOut]


class FrameworkDoc(TypedDict):
    code: str
    name: str
    grant: Grant
    level: Level
    grant_fy: int
    evaluation_fy: int
    max_points: NotRequired[float | None]
    source: NotRequired[Source]
    state: NotRequired[State]
    state_note: NotRequired[str]
    national_average: NotRequired[float | None]
    averages_source: NotRequired[Source]
    categories: list[CategoryDoc]


class FrameworkPatch(TypedDict):
    "Fields of a framework itself (not its tree); ``version`` is required."

    version: int
    code: NotRequired[str | None]
    name: NotRequired[str | None]
    evaluation_fy: NotRequired[int | None]
    source: NotRequired[Source | None]
    state: NotRequired[State | None]
    state_note: NotRequired[str | None]
    national_average: NotRequired[float | None]
    averages_source: NotRequired[Source | None]


class FrameworkRef(TypedDict):
    id: int
    code: str
    name: str
    grant: str
    level: str
    grant_fy: int
    evaluation_fy: int
    max_points: float
    state: NotRequired[str]
    state_label: NotRequired[str]


class FrameworkSummary(TypedDict):
    id: int
    code: str
    name: str
    grant: Grant
    level: Level
    grant_fy: int
    evaluation_fy: int
    max_points: float
    state: NotRequired[State]
    state_label: NotRequired[str]
    state_note: NotRequired[str]
    source: NotRequired[Source]
    provisional_points: NotRequired[bool]
    items_pending: NotRequired[bool]
    national_average: NotRequired[float | None]
    averages_source: NotRequired[Source]
    version: NotRequired[int]


class GoodPracticeIn(TypedDict):
    sheet_id: int
    item_code: str
    note: str


class GoodPracticeOut(TypedDict):
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
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str


class GoodPracticeRef(TypedDict):
    id: int
    item_code: str
    reference: str


class GoodPracticeUpdate(TypedDict):
    note: str
    version: int


Grant = Literal["suishin", "doryoku"]


class GrantReport(TypedDict):
    fiscal_year: int
    municipal: list[GrantReportMunicipal]
    prefectural: list[GrantReportPrefectural]
    peer_types: NotRequired[dict[str, str | None]]


class GrantReportMunicipal(TypedDict):
    framework: FrameworkRef
    results: Results
    allocation: SimulationOut | None
    allocation_problem: NotRequired[str | None]


class GrantReportPrefectural(TypedDict):
    framework: FrameworkRef
    results: Results


class GroupAverage(TypedDict):
    count: int
    mean_total: float | None
    mean_score_rate: float | None
    categories: list[CategoryMean]
    items: NotRequired[list[ItemMean]]
    group: str


class HeaderInfo(TypedDict):
    index: int
    letter: str
    name: str
    role: Literal["entity", "name", "measure", "measure_name", "value", "year", "ignored"]
    measure_code: NotRequired[str | None]
    fiscal_year: NotRequired[int | None]
    scale: NotRequired[float | None]


class ImportCommit(TypedDict):
    version: int


class ImportInfo(TypedDict):
    id: int
    version: int
    status: str
    file_name: str
    fiscal_year: int | None
    source: str
    created_at: str
    created_by: str
    written: int | None
    committed_at: str | None


class ImportMapping(TypedDict):
    "How to read an upload. Every field is optional: what is absent is detected."

    sheet: NotRequired[str | None]
    header_row: NotRequired[int | None]
    entity_column: NotRequired[str | None]
    format: NotRequired[Literal["wide", "long"] | None]
    columns: NotRequired[dict[str, ColumnMap | str]]
    ignore: NotRequired[list[str]]
    measure_column: NotRequired[str | None]
    value_column: NotRequired[str | None]
    year_column: NotRequired[str | None]
    measure_names: NotRequired[dict[str, str]]


class ImportPreview(TypedDict):
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
    rows: int
    values: int
    fiscal_years: list[int]
    skipped: list[Skipped]
    problems: list[dict[str, Any]]
    sample: list[SampleRow]
    ready: bool
    created_at: str
    created_by: str
    written: int | None
    committed_at: str | None
    committed_by: str


class ImportProblem(TypedDict):
    loc: list[str | int]
    msg: str


class ImportUpdate(TypedDict):
    version: int
    mapping: NotRequired[ImportMapping | None]
    fiscal_year: NotRequired[int | None]
    source: NotRequired[str | None]


class InputRowOut(TypedDict):
    entity_code: str
    first_insured: int
    requested: int
    version: int
    updated_at: str | None
    updated_by: str | None


class InputsImported(TypedDict):
    written: int
    rows: int


class InputsIn(TypedDict):
    rows: list[dict[str, Any]]


class InsurerFound(TypedDict):
    insurer_number: str
    entity_code: str
    name: str
    kind: str
    members: list[Member]
    source: str
    given: str
    given_form: str


class InsurerImport(TypedDict):
    insurers: int
    unions: int
    municipalities_in_unions: int
    listed: int
    derived: int
    note: str
    dry_run: bool
    written: int
    problems: list[dict[str, Any]]


class InsurerList(TypedDict):
    summary: InsurerSummary
    insurers: list[InsurerRow]


class InsurerRow(TypedDict):
    insurer_number: str
    entity_code: str
    name: str
    kind: str
    members: list[Member]
    source: str


class InsurerSummary(TypedDict):
    insurers: int
    unions: int
    municipalities_in_unions: int
    listed: int
    derived: int
    note: str


class ItemChanges(TypedDict):
    added: list[str]
    updated: list[str]
    removed: list[str]
    removed_scored: list[RemovedScored]


class ItemDoc(TypedDict):
    code: str
    text: str
    max_points: float
    min_points: NotRequired[float]
    alternatives: NotRequired[str | None]
    shared: NotRequired[bool]
    note: NotRequired[str]
    kind: NotRequired[ItemKind]
    provisional: NotRequired[bool]
    national_average: NotRequired[float | None]
    national_rate: NotRequired[float | None]


class ItemImport(TypedDict):
    dry_run: bool
    columns: list[str]
    mapping: dict[str, str]
    mapping_origin: str
    rows: int
    items: list[ItemPreview]
    categories: list[CategoryPreview]
    changes: ItemChanges
    problems: list[ItemImportProblem]
    written: int


class ItemImportProblem(TypedDict):
    "A problem of a row or column of the file (not a problem+json answer)."

    loc: list[int | str]
    msg: str


ItemKind = Literal["indicator", "category_total"]


class ItemMean(TypedDict):
    code: str
    mean_points: float
    full_share: float


class ItemOut(TypedDict):
    code: str
    text: str
    max_points: float
    min_points: float
    alternatives: NotRequired[str | None]
    shared: NotRequired[bool]
    note: NotRequired[str]
    kind: NotRequired[ItemKind]
    provisional: NotRequired[bool]
    national_average: NotRequired[float | None]
    national_rate: NotRequired[float | None]


class ItemPreview(TypedDict):
    line: int
    category: str
    code: str
    text: str
    kind: str
    max_points: float
    min_points: float
    alternatives: str | None
    shared: bool
    provisional: bool
    national_average: float | None
    national_rate: float | None
    note: str


class ItemProgress(TypedDict):
    code: str
    kind: str
    unit: str
    target_value: float | None
    actual: float | None
    actual_from: str | None
    by_year: list[YearValue]
    progress: float | None
    achieved: bool | None
    metric_source: str | None
    latest_self_evaluation: str | None


class LatestResults(TypedDict):
    entities: list[EntityResult]
    summary: ResultsSummary
    grant: str
    framework: FrameworkRef


Level = Literal["municipality", "prefecture"]


class MappingIn(TypedDict):
    entity_column: str
    columns: dict[str, str | None]


class Matched(TypedDict):
    matched: list[str]
    only_current: list[str]
    only_previous: list[str]


class MeasureDoc(TypedDict):
    code: str
    name: str
    unit: str
    category: NotRequired[str]
    favourable_direction: NotRequired[Literal["higher", "lower"] | None]
    decimals: NotRequired[int]
    integer: NotRequired[bool]
    min_value: NotRequired[float | None]
    max_value: NotRequired[float | None]
    until_fy: NotRequired[int | None]
    aliases: NotRequired[list[str]]
    definitions: list[DefinitionDoc]


class MeasurePublic(TypedDict):
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
    definition: str | None
    sources: list[dict[str, Any]]
    definitions: list[DefinitionPublic]


class Member(TypedDict):
    code: str
    name: str


class MetricHead(TypedDict):
    code: str
    label: str
    argument: str
    combine: str


class MetricSources(TypedDict):
    format: str
    max_years: int
    heads: list[MetricHead]
    training_kinds: list[str]
    examples: list[str]


class MetricsIn(TypedDict):
    metrics: dict[str, float]


class MunicipalityCounts(TypedDict):
    total: int
    直営: int
    委託: int
    code: str
    name: str | None


class MunicipalitySheet(TypedDict):
    fiscal_year: int
    subject: Literal["centre", "municipality"]
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
    updated_at: str | None
    updated_by: str | None
    municipality_code: str
    municipality_name: str | None


class NationAverage(TypedDict):
    count: int
    mean_total: float | None
    mean_score_rate: float | None
    categories: list[CategoryMean]
    items: NotRequired[list[ItemMean]]
    kind: str
    label: str
    insurers_in_country: int


class NationalBasisIn(TypedDict):
    denominator: float
    source: Source
    state: NotRequired[State]
    note: NotRequired[str]
    version: NotRequired[int | None]


class NationalBasisOut(TypedDict):
    grant: str
    level: str
    grant_fy: int
    denominator: float
    state: str
    state_label: str
    source: services__indicators__allocation__schemas__SourceOut
    note: str
    version: int
    updated_by: str | None


class NationalFigure(TypedDict):
    measure_code: str
    fiscal_year: int
    value: float
    state: str
    source: dict[str, Any]
    updated_at: str
    updated_by: str


class NationalIn(TypedDict):
    figures: list[dict[str, Any]]


class OperationCounts(TypedDict):
    total: int
    直営: int
    委託: int


class PeerSetIn(TypedDict):
    name: str
    description: NotRequired[str]
    members: dict[str, str]
    version: NotRequired[int | None]


class PeerSetOut(TypedDict):
    id: int
    name: str
    description: str
    version: int
    members: dict[str, str]


class PeerSets(TypedDict):
    builtin: list[str]
    size_bands: list[str]
    user: list[PeerSetOut]


class PeerTypeIn(TypedDict):
    peer_type: str | None
    version: int


class PeerTypeOut(TypedDict):
    entity_code: str
    name: str
    peer_type: str | None
    default_peer_type: str | None
    overridden: bool
    version: int
    updated_by: NotRequired[str | None]
    updated_at: NotRequired[str | None]
    refreshed: NotRequired[int | None]


class PeerTypesOut(TypedDict):
    data: list[PeerTypeOut]
    count: int


class PrefectureAverage(TypedDict):
    count: int
    mean_total: float | None
    mean_score_rate: float | None
    categories: list[CategoryMean]
    items: NotRequired[list[ItemMean]]
    code: str


class PrefectureDeduction(TypedDict):
    prefecture_code: str
    name: str
    points: float | None
    derived: bool
    triggered_by: list[Trigger]


Problem = dict[str, Any]


class Profile(TypedDict):
    entity_code: str
    insurer_number: NotRequired[str | None]
    name: str
    prefecture: str
    peer_type: NotRequired[str | None]
    default_peer_type: NotRequired[str | None]
    grants: list[ProfileGrant]
    pdca: NotRequired[dict[str, Any] | None]


class ProfileGrant(TypedDict):
    grant: str
    framework: FrameworkRef | None
    entity: EntityResult | None
    summary: ResultsSummary | None
    recover: Recover | None
    years: list[YearTotal]
    averages: Averages | None


class PublishIn(TypedDict):
    published: bool
    version: int


class PublishedAverage(TypedDict):
    kind: str
    label: str
    mean_total: float | None
    mean_score_rate: float | None
    categories: list[PublishedCategory]
    items: list[PublishedItem]
    source: dict[str, Any]
    state: str
    state_label: str


class PublishedCategory(TypedDict):
    code: str
    mean_points: float | None
    mean_score_rate: float | None


class PublishedImport(TypedDict):
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


class PublishedImportProblem(TypedDict):
    "A problem of the file or its mapping (not a problem+json answer)."

    loc: list[int | str]
    msg: str


class PublishedItem(TypedDict):
    code: str
    mean_points: float | None
    national_rate: float | None


class PublishedRegister(TypedDict):
    fiscal_year: int
    centres: dict[str, OperationCounts]
    staff_mean: dict[str, float]
    staff_mean_note: str
    state: str
    source: services__indicators__centres__schemas__SourceOut


class RadarArea(TypedDict):
    code: str
    name: str
    group: str
    items: int
    rate: float | None
    municipality_mean: float | None
    prefecture_mean: float | None


class Recover(TypedDict):
    entity_code: str
    insurer_number: NotRequired[str | None]
    name: str
    group_set: str
    group: str
    peer_count: int
    share: float
    recoverable_points: float
    items: list[RecoverItem]
    rests_on_provisional: NotRequired[bool]
    provisional_reasons: NotRequired[list[str]]


class RecoverItem(TypedDict):
    item_code: str
    text: str
    category_code: str
    max_points: float
    points: float
    gap: float
    full_share: float
    provisional: NotRequired[bool]


class RegisterImported(TypedDict):
    centres_created: int
    years_written: int


class RemovedScored(TypedDict):
    code: str
    scores: int


class Results(TypedDict):
    entities: list[EntityResult]
    summary: ResultsSummary


class ResultsSummary(TypedDict):
    count: int
    missing: int
    mean_total: float | None
    mean_score_rate: float | None
    categories: list[CategoryMean]
    top_categories: list[str]
    low_count: int
    low_threshold: float
    previous_framework_id: int | None
    prefecture_deduction: NotRequired[float | None]
    prefecture_deduction_basis: NotRequired[DeductionBasis | None]


Role = Literal["admin", "coordinator", "advisor", "municipality", "viewer", "api_client"]


class RuleOut(TypedDict):
    grant: str
    level: str
    from_fy: int
    weight: Literal["score", "score_x_first_insured"]
    weight_label: str
    wording: str
    state: str
    state_label: str
    source: services__indicators__allocation__schemas__SourceOut


class SampleRow(TypedDict):
    line: int
    entity_code: str
    entity_name: str
    measure_code: str
    fiscal_year: int
    value: float


class SavedMapping(TypedDict):
    mapping: dict[str, Any]
    updated_by: str
    updated_at: str


class ScoreCell(TypedDict):
    entity_code: str
    item_code: str
    points: float
    evaluation_fy: int
    grant_fy: int
    updated_at: str
    updated_by: str


class ScoresIn(TypedDict):
    scores: list[dict[str, Any]]


class SharedItem(TypedDict):
    code: str
    text: str
    max_points: float


class SheetIn(TypedDict):
    entity_code: str
    title: str
    start_fy: int
    end_fy: int
    items: NotRequired[list[SheetItem]]
    published: NotRequired[bool | None]


class SheetItem(TypedDict):
    code: str
    section: NotRequired[str]
    title: str
    theme: NotRequired[str | None]
    target: NotRequired[Target]
    current_issues: NotRequired[str]
    vision: NotRequired[str]
    metric_source: NotRequired[str | None]
    reference: NotRequired[str]
    years: NotRequired[list[YearRecord]]


class SheetItemOut(TypedDict):
    code: str
    section: NotRequired[str]
    title: str
    theme: NotRequired[str | None]
    target: NotRequired[Target]
    current_issues: NotRequired[str]
    vision: NotRequired[str]
    metric_source: NotRequired[str | None]
    reference: NotRequired[str]
    years: NotRequired[list[YearRecord]]
    theme_name: str | None


class SheetOut(TypedDict):
    id: int
    entity_code: str
    name: str | None
    title: str
    start_fy: int
    end_fy: int
    published: bool
    published_at: str | None
    published_by: str | None
    items: list[SheetItemOut]
    progress: list[ItemProgress]
    metric_sources: list[str]
    good_practices: list[GoodPracticeRef]
    version: int
    updated_at: str
    updated_by: str


class SheetUpdate(TypedDict):
    entity_code: str
    title: str
    start_fy: int
    end_fy: int
    items: NotRequired[list[SheetItem]]
    published: NotRequired[bool | None]
    version: int


class ShippedLoaded(TypedDict):
    created: list[str]


class SideBySide(TypedDict):
    fiscal_year: int
    prefecture: str
    filters: SideFilters
    counts: SideCounts
    themes: list[ThemeOut]
    progress_basis: str
    municipalities: list[SideMunicipality]


class SideCounts(TypedDict):
    municipalities: int
    with_sheet: int
    published: int
    drafts: int


class SideFilters(TypedDict):
    region_class: str | None
    peer_type: str | None
    peer_set: str | None
    peer_group: str | None


class SideItem(TypedDict):
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


class SideMunicipality(TypedDict):
    code: str
    name: str
    region_class: str | None
    peer_type: str | None
    status: str
    sheet: SideSheet | None


class SideProgress(TypedDict):
    numeric_items: int
    with_actual: int
    achieved: int
    mean_progress: float | None


class SideSheet(TypedDict):
    id: int
    title: str
    start_fy: int
    end_fy: int
    published: bool
    published_at: str | None
    updated_at: str
    version: int
    progress: SideProgress
    self_evaluation: dict[str, int]
    themes: list[SideTheme]


class SideTheme(TypedDict):
    code: str | None
    name: str | None
    items: list[SideItem]


class SimulateIn(TypedDict):
    budget: NotRequired[int | None]
    what_if: NotRequired[WhatIf | None]


class SimulationBudget(TypedDict):
    "The budget a simulation used: the year's (a budget row) or an explicit what-if amount."

    amount: int
    basis: Literal["published", "override", "what_if"]
    label: NotRequired[str | None]
    grant: NotRequired[str | None]
    level: NotRequired[str | None]
    level_label: NotRequired[str | None]
    grant_fy: NotRequired[int | None]
    published_amount: NotRequired[int | None]
    state: NotRequired[str | None]
    state_label: NotRequired[str | None]
    source: NotRequired[services__indicators__allocation__schemas__SourceOut | None]
    wording: NotRequired[str | None]
    note: NotRequired[str | None]
    override_amount: NotRequired[int | None]
    override_reason: NotRequired[str | None]
    updated_by: NotRequired[str | None]
    updated_at: NotRequired[str | None]
    version: NotRequired[int | None]


class SimulationOut(TypedDict):
    framework_id: int
    grant: str
    level: str
    grant_fy: int
    label: str
    rounding: str
    budget: SimulationBudget
    rule: RuleOut
    basis: BasisOut
    basis_text: str
    rests_on_provisional: bool
    provisional_reasons: list[str]
    entities: list[AllocationRow]
    totals: AllocationTotals
    without_inputs: list[str]
    without_first_insured: list[str]
    what_if: WhatIfOut | None


class Skipped(TypedDict):
    line: int
    reason: str


class Source(TypedDict):
    "Where an official figure was published: document, date, page."

    document: NotRequired[str]
    date: NotRequired[str | None]
    page: NotRequired[str]


class SourceRef(TypedDict):
    "Where a definition or a figure comes from (出典)."

    publisher: str
    document: str
    indicator: NotRequired[str]
    date: NotRequired[str | None]
    page: NotRequired[str]
    url: NotRequired[str]


State = Literal["provisional", "confirmed"]


class SubjectCounts(TypedDict):
    centre: int
    municipality: int


class Target(TypedDict):
    "A number with unit and period (1,350人 over 2018–2020), or a qualitative target."

    kind: NotRequired[Literal["cumulative", "level", "qualitative"]]
    value: NotRequired[float | None]
    unit: NotRequired[str]
    start_fy: NotRequired[int | None]
    end_fy: NotRequired[int | None]
    text: NotRequired[str]


class ThemeOut(TypedDict):
    code: str
    name: str


class TreeIn(TypedDict):
    "The whole tree of a framework (categories and items) replacing the current one."

    version: int
    categories: list[CategoryDoc]
    max_points: NotRequired[float | None]
    drop_scored: NotRequired[bool]


class TrendMeasure(TypedDict):
    code: str
    name: str
    unit: str
    decimals: int
    favourable_direction: str | None
    points: list[TrendPoint]


class TrendOut(TypedDict):
    entity_code: str
    name: str
    prefecture: str
    peer_group: str | None
    region_class: str
    fiscal_years: list[int]
    sample: bool
    measures: list[TrendMeasure]


class TrendPoint(TypedDict):
    fiscal_year: int
    value: float | None
    peer_mean: float | None
    prefecture_mean: float | None
    national_mean: float | None
    rank_in_prefecture: int | None
    rank_of: int | None


class Trigger(TypedDict):
    entity_code: str
    insurer_number: str | None
    name: str
    total: float
    max_points: float
    score_rate: float


class UnmatchedInsurer(TypedDict):
    line: int
    value: str
    msg: str


class ValuesIn(TypedDict):
    values: list[dict[str, Any]]
    source: NotRequired[str]


class WeakArea(TypedDict):
    code: str
    name: str
    group: str
    rank: int
    mean_rate: float | None
    sheets: int
    items: list[WeakItem]
    training_kinds: list[str]
    reference: str


class WeakItem(TypedDict):
    code: str
    text: str
    met_share: float | None


class WeakestAreas(TypedDict):
    fiscal_year: int
    prefecture: str
    subject: Literal["centre", "municipality"]
    catalogue: CatalogueRef
    sheets: int
    prefecture_rate: float | None
    areas: list[WeakArea]


class WhatIf(TypedDict):
    entity_code: str
    points: dict[str, Any]


class WhatIfItem(TypedDict):
    item_code: str
    points: float
    provisional: bool


class WhatIfOut(TypedDict):
    entity_code: str
    name: str
    changed_items: list[str]
    total_before: float
    total_after: float
    share_before: int
    share_after: int
    paid_before: int | None
    paid_after: int | None
    difference: int
    items: list[WhatIfItem]
    label: str
    rests_on_provisional: bool


class WorkAreaOut(TypedDict):
    code: str
    group: str
    name: str
    training_kinds: list[str]


class WorkAreas(TypedDict):
    name: str
    note: str
    state: str
    source: services__indicators__centres__schemas__SourceOut
    areas: list[WorkAreaOut]
    professions: list[str]


class YearRecord(TypedDict):
    fiscal_year: int
    actions: NotRequired[str]
    actual_value: NotRequired[float | None]
    actual_source: NotRequired[str | None]
    self_evaluation: NotRequired[Literal["達成", "一部達成", "未達成"] | None]
    next_steps: NotRequired[str]


class YearSummary(TypedDict):
    fiscal_year: int
    measures: int
    values: int
    sample: bool
    national_figures: int


class YearTotal(TypedDict):
    framework_id: int
    grant_fy: int
    evaluation_fy: int
    total: float
    max_points: float
    score_rate: float
    prefecture_mean: float


class YearValue(TypedDict):
    fiscal_year: int
    value: float


class services__indicators__allocation__routes__Written(TypedDict):
    written: int


class services__indicators__allocation__schemas__SourceOut(TypedDict):
    document: str
    date: str | None
    page: str


class services__indicators__centres__schemas__SourceOut(TypedDict):
    document: str
    date: NotRequired[str | None]
    page: NotRequired[str | None]


class services__indicators__regional__schemas__Written(TypedDict):
    written: int
    deleted: NotRequired[int]
    fiscal_years: NotRequired[list[int]]


class services__indicators__scores__routes__Written(TypedDict):
    written: int


class services__indicators__scores__schemas__SourceOut(TypedDict):
    document: str
    date: str | None
    page: str


# Each JSON operation's answer (2xx), as the annotation a client method declares.
RESPONSES: dict[str, str] = {
    "GET /api/v1/allocation/rules": "list[RuleOut]",
    "GET /api/v1/allocation/{grant}/{grant_fy}/inputs": "list[InputRowOut]",
    "PUT /api/v1/allocation/{grant}/{grant_fy}/inputs": "services__indicators__allocation__routes__Written",
    "POST /api/v1/allocation/{grant}/{grant_fy}/inputs/import": "InputsImported",
    "GET /api/v1/allocation/{grant}/{level}/{grant_fy}/national": "NationalBasisOut | None",
    "PUT /api/v1/allocation/{grant}/{level}/{grant_fy}/national": "NationalBasisOut",
    "GET /api/v1/audit": "list[AuditEntry]",
    "GET /api/v1/budgets": "list[BudgetOut]",
    "PUT /api/v1/budgets/{grant}/{level}/{grant_fy}": "BudgetOut",
    "GET /api/v1/centres": "list[CentreOut]",
    "POST /api/v1/centres": "CentreDetail",
    "GET /api/v1/centres/catalogues": "list[CatalogueSummary]",
    "GET /api/v1/centres/catalogues/{fiscal_year}": "CatalogueOut",
    "PUT /api/v1/centres/catalogues/{fiscal_year}": "CatalogueOut",
    "POST /api/v1/centres/catalogues/{fiscal_year}/import": "CatalogueOut",
    "GET /api/v1/centres/evaluations/{fiscal_year}/areas": "WeakestAreas",
    "POST /api/v1/centres/evaluations/{fiscal_year}/import": "AnswersImported",
    "GET /api/v1/centres/evaluations/{fiscal_year}/municipalities/{municipality_code}": "MunicipalitySheet",
    "PUT /api/v1/centres/evaluations/{fiscal_year}/municipalities/{municipality_code}": "MunicipalitySheet",
    "GET /api/v1/centres/evaluations/{fiscal_year}/summary": "EvaluationSummary",
    "POST /api/v1/centres/import": "RegisterImported",
    "GET /api/v1/centres/stats": "CentreStats",
    "GET /api/v1/centres/work-areas": "WorkAreas",
    "GET /api/v1/centres/{centre_id}": "CentreDetail",
    "PATCH /api/v1/centres/{centre_id}": "CentreDetail",
    "GET /api/v1/centres/{centre_id}/evaluations/{fiscal_year}": "CentreSheet",
    "PUT /api/v1/centres/{centre_id}/evaluations/{fiscal_year}": "CentreSheet",
    "GET /api/v1/centres/{centre_id}/evaluations/{fiscal_year}/radar": "CentreRadar",
    "PUT /api/v1/centres/{centre_id}/years/{fiscal_year}": "CentreDetail",
    "GET /api/v1/deduction-rules": "list[DeductionRuleOut]",
    "PUT /api/v1/deduction-rules/{grant}/{grant_fy}": "DeductionRuleOut",
    "GET /api/v1/first-insured/{fiscal_year}": "FirstInsuredOut",
    "POST /api/v1/first-insured/{fiscal_year}/import": "FirstInsuredImportOut",
    "GET /api/v1/frameworks": "list[FrameworkSummary]",
    "POST /api/v1/frameworks": "FrameworkDetail",
    "GET /api/v1/frameworks/combined": "CombinedView",
    "POST /api/v1/frameworks/import": "FrameworkDetail",
    "POST /api/v1/frameworks/shipped": "ShippedLoaded",
    "GET /api/v1/frameworks/{framework_id}": "FrameworkDetail",
    "PATCH /api/v1/frameworks/{framework_id}": "FrameworkDetail",
    "POST /api/v1/frameworks/{framework_id}/allocation": "SimulationOut",
    "GET /api/v1/frameworks/{framework_id}/averages": "Averages",
    "GET /api/v1/frameworks/{framework_id}/compare": "Compare",
    "POST /api/v1/frameworks/{framework_id}/copy": "FrameworkDetail",
    "GET /api/v1/frameworks/{framework_id}/deduction": "DeductionView",
    "GET /api/v1/frameworks/{framework_id}/export": "dict[str, Any]",
    "POST /api/v1/frameworks/{framework_id}/items/import": "ItemImport",
    "POST /api/v1/frameworks/{framework_id}/published-results/import": "PublishedImport",
    "GET /api/v1/frameworks/{framework_id}/published-results/mapping": "SavedMapping | None",
    "PUT /api/v1/frameworks/{framework_id}/published-results/mapping": "SavedMapping",
    "GET /api/v1/frameworks/{framework_id}/recover": "Recover",
    "GET /api/v1/frameworks/{framework_id}/results": "Results",
    "GET /api/v1/frameworks/{framework_id}/scores": "list[ScoreCell]",
    "PUT /api/v1/frameworks/{framework_id}/scores": "services__indicators__scores__routes__Written",
    "POST /api/v1/frameworks/{framework_id}/scores/import": "services__indicators__scores__routes__Written",
    "PUT /api/v1/frameworks/{framework_id}/tree": "FrameworkDetail",
    "GET /api/v1/insurers": "InsurerList",
    "POST /api/v1/insurers/import": "InsurerImport",
    "GET /api/v1/insurers/{code}": "InsurerFound",
    "GET /api/v1/me": "Actor",
    "GET /api/v1/pdca/good-practices": "list[GoodPracticeOut]",
    "POST /api/v1/pdca/good-practices": "GoodPracticeOut",
    "GET /api/v1/pdca/good-practices/{good_practice_id}": "GoodPracticeOut",
    "PATCH /api/v1/pdca/good-practices/{good_practice_id}": "GoodPracticeOut",
    "GET /api/v1/pdca/metric-sources": "MetricSources",
    "GET /api/v1/pdca/municipalities": "SideBySide",
    "GET /api/v1/pdca/sheets": "list[SheetOut]",
    "POST /api/v1/pdca/sheets": "SheetOut",
    "GET /api/v1/pdca/sheets/{sheet_id}": "SheetOut",
    "PUT /api/v1/pdca/sheets/{sheet_id}": "SheetOut",
    "POST /api/v1/pdca/sheets/{sheet_id}/progress": "SheetOut",
    "PUT /api/v1/pdca/sheets/{sheet_id}/published": "SheetOut",
    "GET /api/v1/pdca/themes": "list[ThemeOut]",
    "GET /api/v1/peer-sets": "PeerSets",
    "POST /api/v1/peer-sets": "PeerSetOut",
    "PUT /api/v1/peer-sets/{peer_set_id}": "PeerSetOut",
    "GET /api/v1/peer-types": "PeerTypesOut",
    "PUT /api/v1/peer-types/{entity_code}": "PeerTypeOut",
    "GET /api/v1/regional/evidence": "EvidenceOut",
    "GET /api/v1/regional/imports": "list[ImportInfo]",
    "POST /api/v1/regional/imports": "ImportPreview",
    "GET /api/v1/regional/imports/{import_id}": "ImportPreview",
    "PUT /api/v1/regional/imports/{import_id}": "ImportPreview",
    "POST /api/v1/regional/imports/{import_id}/commit": "ImportPreview",
    "GET /api/v1/regional/measures": "list[MeasurePublic]",
    "PUT /api/v1/regional/measures": "CatalogueWritten",
    "GET /api/v1/regional/trend": "TrendOut",
    "GET /api/v1/regional/years": "list[YearSummary]",
    "GET /api/v1/regional/{fiscal_year}/compare": "CompareOut",
    "GET /api/v1/regional/{fiscal_year}/measures/{measure_code}": "AcrossOut",
    "GET /api/v1/regional/{fiscal_year}/national": "list[NationalFigure]",
    "PUT /api/v1/regional/{fiscal_year}/national": "services__indicators__regional__schemas__Written",
    "PUT /api/v1/regional/{fiscal_year}/values": "services__indicators__regional__schemas__Written",
    "GET /api/v1/results/latest": "list[LatestResults]",
    "GET /api/v1/views/dashboard": "Dashboard",
    "GET /api/v1/views/grant-report": "GrantReport",
    "GET /api/v1/views/municipalities/{code}": "Profile",
    "GET /healthz": "dict[str, str]",
    "GET /readyz": "Any",
}

# Each operation's JSON request body, as the annotation a client method's body takes.
REQUESTS: dict[str, str] = {
    "PUT /api/v1/allocation/{grant}/{grant_fy}/inputs": "InputsIn",
    "PUT /api/v1/allocation/{grant}/{level}/{grant_fy}/national": "NationalBasisIn",
    "PUT /api/v1/budgets/{grant}/{level}/{grant_fy}": "BudgetIn",
    "POST /api/v1/centres": "CentreIn",
    "PUT /api/v1/centres/catalogues/{fiscal_year}": "CatalogueIn",
    "PUT /api/v1/centres/evaluations/{fiscal_year}/municipalities/{municipality_code}": "AnswersIn",
    "PATCH /api/v1/centres/{centre_id}": "CentreUpdate",
    "PUT /api/v1/centres/{centre_id}/evaluations/{fiscal_year}": "AnswersIn",
    "PUT /api/v1/centres/{centre_id}/years/{fiscal_year}": "CentreYearIn",
    "PUT /api/v1/deduction-rules/{grant}/{grant_fy}": "DeductionRuleIn",
    "POST /api/v1/frameworks": "FrameworkDoc",
    "PATCH /api/v1/frameworks/{framework_id}": "FrameworkPatch",
    "POST /api/v1/frameworks/{framework_id}/allocation": "SimulateIn | None",
    "POST /api/v1/frameworks/{framework_id}/copy": "FrameworkCopy",
    "PUT /api/v1/frameworks/{framework_id}/published-results/mapping": "MappingIn",
    "PUT /api/v1/frameworks/{framework_id}/scores": "ScoresIn",
    "PUT /api/v1/frameworks/{framework_id}/tree": "TreeIn",
    "POST /api/v1/pdca/good-practices": "GoodPracticeIn",
    "PATCH /api/v1/pdca/good-practices/{good_practice_id}": "GoodPracticeUpdate",
    "POST /api/v1/pdca/sheets": "SheetIn",
    "PUT /api/v1/pdca/sheets/{sheet_id}": "SheetUpdate",
    "POST /api/v1/pdca/sheets/{sheet_id}/progress": "MetricsIn",
    "PUT /api/v1/pdca/sheets/{sheet_id}/published": "PublishIn",
    "POST /api/v1/peer-sets": "PeerSetIn",
    "PUT /api/v1/peer-sets/{peer_set_id}": "PeerSetIn",
    "PUT /api/v1/peer-types/{entity_code}": "PeerTypeIn",
    "PUT /api/v1/regional/imports/{import_id}": "ImportUpdate",
    "POST /api/v1/regional/imports/{import_id}/commit": "ImportCommit",
    "PUT /api/v1/regional/measures": "CatalogueDoc",
    "PUT /api/v1/regional/{fiscal_year}/national": "NationalIn",
    "PUT /api/v1/regional/{fiscal_year}/values": "ValuesIn",
}

"""The framework document (import/export and the detail response) and the max-points rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from services.indicators.frameworks.models import STATE_NAMES, Grant, ItemKind, Level, State


class Source(BaseModel):
    """Where an official figure was published: document, date, page."""

    document: str = Field("", max_length=300, description="資料名")
    date: dt.date | None = Field(None, description="資料の日付")
    page: str = Field("", max_length=60, description="頁")


# The most categories under one parent and items in one category a document may hold (the
# published frameworks have at most 9 and 13).
MAX_CATEGORIES = 100
MAX_ITEMS = 500


class ItemDoc(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=2000)
    max_points: float
    min_points: float = 0
    alternatives: str | None = Field(
        None, max_length=64, description="選択肢グループ: 同じグループは高い方のみ算定"
    )
    shared: bool = Field(False, description="両交付金で共通の指標")
    note: str = Field("", max_length=500)
    kind: ItemKind = Field(
        ItemKind.indicator,
        description="indicator: 評価指標 / category_total: 区分の得点 (指標別の配点が未登録)",
    )
    provisional: bool = Field(False, description="配点が暫定 (資料で確認できない)")
    national_average: float | None = Field(None, description="公表された全国平均点")
    national_rate: float | None = Field(None, ge=0, le=1, description="公表された全国の達成率")


class CategoryDoc(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=300)
    max_points: float | None = Field(None, description="資料に記載の満点 (あれば検証)")
    national_average: float | None = Field(None, description="公表された全国平均点")
    categories: list[CategoryDoc] = Field([], max_length=MAX_CATEGORIES)
    items: list[ItemDoc] = Field([], max_length=MAX_ITEMS)


class FrameworkDoc(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    grant: Grant
    level: Level
    grant_fy: int = Field(ge=2018, le=2100)
    evaluation_fy: int = Field(ge=2017, le=2100)
    max_points: float | None = Field(None, description="資料に記載の満点 (あれば検証)")
    source: Source = Field(default_factory=Source, description="体系の出典")
    state: State = Field(State.provisional, description="provisional (暫定) | confirmed (確定)")
    state_note: str = Field("", max_length=1000, description="暫定である理由など")
    national_average: float | None = Field(None, description="公表された全国平均点 (総合得点)")
    averages_source: Source = Field(default_factory=Source, description="全国平均・達成率の出典")
    categories: list[CategoryDoc] = Field(max_length=MAX_CATEGORIES)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "code": "suishin-prefecture-2019",
                    "name": "2019年度 保険者機能強化推進交付金 (都道府県分)",
                    "grant": "suishin",
                    "level": "prefecture",
                    "grant_fy": 2019,
                    "evaluation_fy": 2018,
                    "max_points": 80,
                    "categories": [
                        {
                            "code": "Ⅲ",
                            "name": "管内の市町村における評価指標の達成状況による評価",
                            "max_points": 80,
                            "items": [
                                {"code": "Ⅲ-①", "text": "分野毎の達成状況", "max_points": 20},
                                {
                                    "code": "Ⅲ-②",
                                    "text": "得点が著しく低い市町村があるか",
                                    "max_points": 0,
                                    "min_points": -10,
                                },
                                {"code": "Ⅲ-③", "text": "軽度 基準時間", "max_points": 60},
                            ],
                        }
                    ],
                }
            ]
        }
    }


CATEGORY_TOTAL_SUFFIX = "-区分計"


def category_total_item(cat: CategoryDoc) -> ItemDoc:
    """The stand-in of a category whose item table is not known: its published points as a
    whole (not an indicator; replaced when the item table is imported)."""
    return ItemDoc(
        code=f"{cat.code}{CATEGORY_TOTAL_SUFFIX}",
        text=f"{cat.code} {cat.name} の得点 (指標別の配点は未登録: 評価指標の一覧を取り込んでください)",
        max_points=cat.max_points or 0,
        kind=ItemKind.category_total,
        national_average=cat.national_average,
        note="区分の合計点のみ公表 (指標ではありません)",
    )


def fill_skeleton(doc: FrameworkDoc) -> FrameworkDoc:
    """A copy where every leaf category without items but with a stated maximum holds its
    category-total stand-in (a skeleton takes published category points before an item
    import)."""
    out = doc.model_copy(deep=True)
    for _, cat in iter_categories(out.categories):
        if not cat.items and not cat.categories and cat.max_points is not None:
            cat.items = [category_total_item(cat)]
    return out


def items_max(items: list[ItemDoc] | list[Any]) -> float:
    """Maximum of a list of items: a deduction-only item adds 0; of an alternatives group
    only the highest maximum counts."""
    total = 0.0
    groups: dict[str, float] = {}
    for it in items:
        top = max(float(it.max_points), 0.0)
        if it.alternatives:
            groups[it.alternatives] = max(groups.get(it.alternatives, 0.0), top)
        else:
            total += top
    return total + sum(groups.values())


def category_max(cat: CategoryDoc) -> float:
    return items_max(cat.items) + sum(category_max(c) for c in cat.categories)


def framework_max(doc: FrameworkDoc) -> float:
    return sum(category_max(c) for c in doc.categories)


def combined_max(a: FrameworkDoc, b: FrameworkDoc) -> float:
    """Maximum of two grants' frameworks together: an item marked shared by both grants
    (same code in both) counts once."""
    shared_a = {it.code: it for it in iter_items(a) if it.shared}
    overlap = sum(
        max(float(it.max_points), 0.0) for it in iter_items(b) if it.shared and it.code in shared_a
    )
    return framework_max(a) + framework_max(b) - overlap


def iter_categories(cats: list[CategoryDoc], path: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    for c in cats:
        yield path + (c.code,), c
        yield from iter_categories(c.categories, path + (c.code,))


def iter_items(doc: FrameworkDoc):  # type: ignore[no-untyped-def]
    for _, c in iter_categories(doc.categories):
        yield from c.items


def validate_doc(doc: FrameworkDoc) -> list[dict[str, Any]]:
    """Every problem of a framework document (empty when it is sound)."""
    errors: list[dict[str, Any]] = []
    seen_items: set[str] = set()
    seen_cats: set[str] = set()
    for path, cat in iter_categories(doc.categories):
        loc = ["categories", *path]
        if cat.code in seen_cats:
            errors.append({"loc": loc, "msg": f"区分コード {cat.code} が重複しています"})
        seen_cats.add(cat.code)
        computed = category_max(cat)
        if cat.max_points is not None and abs(cat.max_points - computed) > 1e-9:
            errors.append(
                {
                    "loc": loc,
                    "msg": f"区分 {cat.code} の満点 {cat.max_points:g} が指標の合計 {computed:g} "
                    "と一致しません",
                }
            )
        for it in cat.items:
            iloc = [*loc, "items", it.code]
            if it.code in seen_items:
                errors.append({"loc": iloc, "msg": f"指標コード {it.code} が重複しています"})
            seen_items.add(it.code)
            if it.max_points < it.min_points:
                errors.append(
                    {
                        "loc": iloc,
                        "msg": f"指標 {it.code} の満点 {it.max_points:g} が最低点 "
                        f"{it.min_points:g} より小さくなっています",
                    }
                )
    groups = {it.alternatives for it in iter_items(doc) if it.alternatives}
    for g in sorted(groups & seen_items):
        # Totals group cells by alternatives name or item code: the two must not collide.
        errors.append(
            {
                "loc": ["categories"],
                "msg": f"選択肢グループ名 {g} が指標コードと同じです。別の名前にしてください",
            }
        )
    for path, cat in iter_categories(doc.categories):
        if not cat.items and not cat.categories and cat.max_points is None:
            errors.append(
                {
                    "loc": ["categories", *path],
                    "msg": f"区分 {cat.code} に評価指標がなく満点も記載がありません "
                    "(指標を入れるか、資料の満点を max_points に入れてください)",
                }
            )
    total = framework_max(doc)
    if doc.max_points is not None and abs(doc.max_points - total) > 1e-9:
        errors.append(
            {
                "loc": ["max_points"],
                "msg": f"満点 {doc.max_points:g} が区分の合計 {total:g} と一致しません",
            }
        )
    if not doc.categories:
        errors.append({"loc": ["categories"], "msg": "区分が1件もありません"})
    return errors


class FrameworkSummary(BaseModel):
    id: int
    code: str
    name: str
    grant: Grant
    level: Level
    grant_fy: int
    evaluation_fy: int
    max_points: float
    state: State = State.provisional
    state_label: str = Field("暫定", description="暫定 | 確定")
    state_note: str = ""
    source: Source = Field(default_factory=Source)
    provisional_points: bool = Field(
        False, description="暫定の配点 (資料で確認できない配点) を含む"
    )
    items_pending: bool = Field(
        False, description="指標別の配点が未登録の区分がある (区分の得点のみ)"
    )
    national_average: float | None = None
    averages_source: Source = Field(default_factory=Source)
    version: int = 1


class ItemOut(BaseModel):
    code: str
    text: str
    max_points: float
    min_points: float
    alternatives: str | None = None
    shared: bool = False
    note: str = ""
    kind: ItemKind = ItemKind.indicator
    provisional: bool = False
    national_average: float | None = None
    national_rate: float | None = None


class CategoryOut(BaseModel):
    code: str
    name: str
    max_points: float
    national_average: float | None = None
    categories: list[CategoryOut] = []
    items: list[ItemOut] = []


class FrameworkDetail(FrameworkSummary):
    categories: list[CategoryOut]


class FrameworkPatch(BaseModel):
    """Fields of a framework itself (not its tree); ``version`` is required."""

    version: int
    code: str | None = Field(None, min_length=1, max_length=64)
    name: str | None = Field(None, min_length=1, max_length=200)
    evaluation_fy: int | None = Field(None, ge=2017, le=2100)
    source: Source | None = None
    state: State | None = None
    state_note: str | None = Field(None, max_length=1000)
    national_average: float | None = None
    averages_source: Source | None = None


class FrameworkCopy(BaseModel):
    """Create a framework for another grant year from this one's tree."""

    grant_fy: int = Field(ge=2018, le=2100)
    evaluation_fy: int | None = Field(None, ge=2017, le=2100, description="省略時 交付年度−1")
    code: str | None = Field(None, min_length=1, max_length=64)
    name: str | None = Field(None, min_length=1, max_length=200)
    source: Source | None = None


class TreeIn(BaseModel):
    """The whole tree of a framework (categories and items) replacing the current one."""

    version: int
    categories: list[CategoryDoc] = Field(max_length=MAX_CATEGORIES)
    max_points: float | None = None
    drop_scored: bool = Field(
        False, description="true: 得点のある指標の削除を認める (その得点も削除)"
    )


def state_label(state: State | str) -> str:
    return STATE_NAMES[State(state)]


# --- answers of the combined view and the item-table import -------------------------------------


class SharedItem(BaseModel):
    code: str
    text: str
    max_points: float


class CombinedView(BaseModel):
    """``sum_of_maxima`` is present only when both grants have a framework."""

    level: Level
    grant_fy: int
    frameworks: list[FrameworkSummary]
    missing: list[Grant] = Field(description="体系のない交付金")
    shared_items: list[SharedItem]
    combined_max: float | None
    sum_of_maxima: float | None = None


class ItemImportProblem(BaseModel):
    """A problem of a row or column of the file (not a problem+json answer)."""

    loc: list[int | str]
    msg: str


class ItemPreview(BaseModel):
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


class CategoryPreview(BaseModel):
    code: str
    stated_max: float | None
    items: int
    imported: bool
    items_pending: bool


class RemovedScored(BaseModel):
    code: str
    scores: int


class ItemChanges(BaseModel):
    added: list[str]
    updated: list[str]
    removed: list[str]
    removed_scored: list[RemovedScored]


class ItemImport(BaseModel):
    dry_run: bool
    columns: list[str]
    mapping: dict[str, str] = Field(description="項目 → 列名")
    mapping_origin: str
    rows: int
    items: list[ItemPreview]
    categories: list[CategoryPreview]
    changes: ItemChanges
    problems: list[ItemImportProblem]
    written: int

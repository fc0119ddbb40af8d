"""The framework document (import/export and the detail response) and the max-points rules."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from services.indicators.frameworks.models import Grant, Level


class ItemDoc(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=2000)
    max_points: float
    min_points: float = 0
    alternatives: str | None = Field(
        None, description="選択肢グループ: 同じグループは高い方のみ算定"
    )
    shared: bool = Field(False, description="両交付金で共通の指標")
    note: str = ""


class CategoryDoc(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=300)
    max_points: float | None = Field(None, description="資料に記載の満点 (あれば検証)")
    categories: list[CategoryDoc] = []
    items: list[ItemDoc] = []


class FrameworkDoc(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    grant: Grant
    level: Level
    grant_fy: int = Field(ge=2018, le=2100)
    evaluation_fy: int = Field(ge=2017, le=2100)
    max_points: float | None = Field(None, description="資料に記載の満点 (あれば検証)")
    categories: list[CategoryDoc]

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
    total = framework_max(doc)
    if doc.max_points is not None and abs(doc.max_points - total) > 1e-9:
        errors.append(
            {
                "loc": ["max_points"],
                "msg": f"満点 {doc.max_points:g} が区分の合計 {total:g} と一致しません",
            }
        )
    if not seen_items:
        errors.append({"loc": ["categories"], "msg": "評価指標が1件もありません"})
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


class ItemOut(BaseModel):
    code: str
    text: str
    max_points: float
    min_points: float
    alternatives: str | None = None
    shared: bool = False
    note: str = ""


class CategoryOut(BaseModel):
    code: str
    name: str
    max_points: float
    categories: list[CategoryOut] = []
    items: list[ItemOut] = []


class FrameworkDetail(FrameworkSummary):
    categories: list[CategoryOut]

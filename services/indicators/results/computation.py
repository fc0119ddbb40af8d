"""Computation: totals and category sums of the entities scored in a framework, competition
ranks, one entity's totals from its cells.

Totals are computed set-based: the database sums each entity's points per leaf category (the
highest of an alternatives group counts once), Python rolls the few category sums up the tree.
The refresh of the read models (readmodels.py) computes them on every write that changes
them; reads take them from ``result_entity`` (``compute``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.registry import get_registry
from services.indicators.frameworks.models import Item
from services.indicators.results.models import ResultEntity
from services.indicators.scores.models import Score

if TYPE_CHECKING:
    from services.indicators.frameworks.service import Tree


def entity_name(code: str) -> str:
    reg = get_registry()
    if code in reg.prefectures:
        return reg.prefectures[code].name
    m = reg.get(code)
    return m.full_name if m else code


def rank_key(total: float) -> float:
    """What ties are judged on: totals equal to 9 decimals share a rank."""
    return round(total, 9)


def competition_ranks(totals: dict[str, float]) -> dict[str, int]:
    """1 + the number of strictly higher totals: ties share a rank, the next one skips."""
    ordered = sorted(totals.items(), key=lambda kv: -kv[1])
    ranks: dict[str, int] = {}
    prev: float | None = None
    rank = 0
    for pos, (code, total) in enumerate(ordered, start=1):
        if prev is None or rank_key(total) != rank_key(prev):
            rank = pos
            prev = total
        ranks[code] = rank
    return ranks


@dataclass
class Computed:
    """Totals and category sums of every entity scored in one framework."""

    tree: Tree
    totals: dict[str, float] = field(default_factory=dict)
    cats: dict[str, dict[str, float]] = field(default_factory=dict)  # entity → cat code → points

    @property
    def max_points(self) -> float:
        return self.tree.framework.max_points

    def rate(self, total: float) -> float:
        return total / self.max_points if self.max_points else 0.0


def leaf_sums_query(framework_id: int, entities: Iterable[str] | None = None) -> Any:
    """(entity, category id, points) per entity and leaf category: an alternatives group's
    highest points count once (``entities``: only these entities' cells)."""
    group_key = func.coalesce(Item.alternatives, Item.code).label("g")
    inner = (
        select(
            Score.entity_code.label("entity_code"),  # type: ignore[attr-defined]
            Item.category_id.label("category_id"),  # type: ignore[attr-defined]
            group_key,
            func.max(Score.points).label("p"),
        )
        .join(Item, Item.id == Score.item_id)
        .where(Score.framework_id == framework_id)
    )
    if entities is not None:
        inner = inner.where(Score.entity_code.in_(sorted(entities)))  # type: ignore[attr-defined]
    inner = inner.group_by(Score.entity_code, Item.category_id, group_key).subquery()
    return select(inner.c.entity_code, inner.c.category_id, func.sum(inner.c.p)).group_by(
        inner.c.entity_code, inner.c.category_id
    )


def roll_up(
    rows: Iterable[tuple[str, int, float | None]], chains: dict[int, list[str]]
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Totals and category sums (a category's points include its sub-categories') from the
    leaf sums; ``chains``: category id → its code and its ancestors' codes."""
    totals: dict[str, float] = {}
    cats: dict[str, dict[str, float]] = {}
    for code, cat_id, pts in rows:
        pts = float(pts or 0)
        totals[code] = totals.get(code, 0.0) + pts
        per = cats.setdefault(code, {})
        for cc in chains[cat_id]:
            per[cc] = per.get(cc, 0.0) + pts
    return totals, cats


async def compute_from_scores(session: AsyncSession, tree: Tree) -> Computed:
    """Every entity's total and category subtotals, from the score cells (one grouped query)."""
    rows = (await (await session.connection()).execute(leaf_sums_query(tree.framework.id))).all()  # type: ignore[arg-type]
    chains = {c.id: [a.code for a in tree.ancestors(c.id)] for c in tree.categories}  # type: ignore[arg-type]
    totals, cats = roll_up(rows, chains)  # type: ignore[arg-type]
    return Computed(tree, totals, cats)


async def compute(session: AsyncSession, tree: Tree) -> Computed:
    """Every entity's total and category subtotals, as stored in the read model."""
    from services.indicators.results.readmodels import ensure_current

    await ensure_current(session)
    q = select(ResultEntity.entity_code, ResultEntity.total, ResultEntity.category_points).where(
        ResultEntity.framework_id == tree.framework.id
    )
    out = Computed(tree)
    for code, total, cats in (await (await session.connection()).execute(q)).all():
        out.totals[code] = total
        out.cats[code] = cats
    return out


def totals_of_cells(tree: Tree, cells: dict[int, float]) -> tuple[float, dict[str, float]]:
    """One entity's total and category sums from its cells (item id → points), same rules."""
    groups: dict[tuple[int, str], float] = {}
    for item in tree.items:
        if item.id not in cells:
            continue
        key = (item.category_id, item.alternatives or item.code)
        groups[key] = max(groups.get(key, float("-inf")), cells[item.id])  # type: ignore[index]
    cats: dict[str, float] = defaultdict(float)
    total = 0.0
    for (cat_id, _), pts in groups.items():
        total += pts
        for a in tree.ancestors(cat_id):
            cats[a.code] += pts
    return total, dict(cats)


async def item_cells(
    session: AsyncSession, tree: Tree, codes: list[str] | None = None
) -> dict[str, dict[int, float]]:
    """Per entity: item id → points (optionally for some entities only)."""
    q = select(Score.entity_code, Score.item_id, Score.points).where(
        Score.framework_id == tree.framework.id
    )
    if codes is not None:
        q = q.where(Score.entity_code.in_(codes))  # type: ignore[attr-defined]
    out: dict[str, dict[int, float]] = defaultdict(dict)
    for code, item_id, pts in (await session.exec(q)).all():
        out[code][item_id] = pts
    return out

"""Comparisons: averages of the nation, a prefecture and groups; 取り戻す指標 against the peers;
year over year. Read from the stored read models (and, for one entity, its own cells)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.errors import NotFound
from services.indicators.frameworks.service import load_tree
from services.indicators.results import readmodels
from services.indicators.results.computation import compute, entity_name, item_cells
from services.indicators.results.grouping import check_set, prefecture_of, previous_framework
from services.indicators.results.models import ResultAverage, ResultEntity, ResultMember

RA = ResultAverage.__table__  # type: ignore[attr-defined]
RE = ResultEntity.__table__  # type: ignore[attr-defined]
RM = ResultMember.__table__  # type: ignore[attr-defined]

EMPTY_BLOCK: dict[str, Any] = {
    "count": 0,
    "mean_total": None,
    "mean_score_rate": None,
    "categories": [],
    "items": [],
}


def _block(row: Any) -> dict[str, Any]:
    return {
        "count": row.count,
        "mean_total": row.mean_total,
        "mean_score_rate": row.mean_score_rate,
        "categories": row.categories,
        "items": [
            {"code": c, "mean_points": m, "full_share": s}
            for c, m, s in zip(
                row.items["code"], row.items["mean_points"], row.items["full_share"], strict=True
            )
        ],
    }


async def averages(
    session: AsyncSession,
    framework_id: int,
    *,
    prefecture: str | None,
    group_set: str,
) -> dict[str, Any]:
    """Means of the nation, the prefecture and each group of a set (within the prefecture
    when one is given), per category and item: stored blocks."""
    await load_tree(session, framework_id)  # 404 for an unknown framework
    await check_set(session, group_set)
    await readmodels.ensure_current(session)
    pref = prefecture or ""
    if group_set == "prefecture":
        return await _prefecture_groups(session, framework_id, prefecture)
    q = select(RA).where(
        RA.c.framework_id == framework_id,
        ((RA.c.prefecture == "") & (RA.c.group_set == ""))
        | ((RA.c.prefecture == pref) & (RA.c.group_set.in_(("", group_set)))),
    )
    rows = (await (await session.connection()).execute(q)).all()
    nation = next((r for r in rows if r.prefecture == "" and r.group_set == ""), None)
    own = next((r for r in rows if r.prefecture == pref and r.group_set == "" and pref), None)
    groups = sorted(
        (r for r in rows if r.prefecture == pref and r.group_set == group_set),
        key=lambda r: r.group_name,
    )
    out: dict[str, Any] = {
        "framework_id": framework_id,
        "nation": _block(nation) if nation else dict(EMPTY_BLOCK),
        "prefecture": None,
        "group_set": group_set,
        "groups": [{"group": r.group_name, **_block(r)} for r in groups],
    }
    if prefecture:
        out["prefecture"] = {"code": prefecture, **(_block(own) if own else dict(EMPTY_BLOCK))}
    return out


async def _prefecture_groups(
    session: AsyncSession, framework_id: int, prefecture: str | None
) -> dict[str, Any]:
    """Averages by the ``prefecture`` set: its groups are the stored prefecture blocks."""
    q = select(RA).where(RA.c.framework_id == framework_id, RA.c.group_set == "")
    if prefecture:
        q = q.where(RA.c.prefecture.in_(("", prefecture)))
    rows = (await (await session.connection()).execute(q)).all()
    nation = next((r for r in rows if r.prefecture == ""), None)
    prefs = sorted((r for r in rows if r.prefecture), key=lambda r: r.prefecture)
    out: dict[str, Any] = {
        "framework_id": framework_id,
        "nation": _block(nation) if nation else dict(EMPTY_BLOCK),
        "prefecture": None,
        "group_set": "prefecture",
        "groups": [{"group": r.prefecture, **_block(r)} for r in prefs],
    }
    if prefecture:
        own = prefs[0] if prefs else None
        out["prefecture"] = {"code": prefecture, **(_block(own) if own else dict(EMPTY_BLOCK))}
    return out


async def recover(
    session: AsyncSession,
    framework_id: int,
    *,
    entity_code: str,
    group_set: str,
    share: float,
) -> dict[str, Any]:
    """取り戻す指標: items at least ``share`` of the peers score in full and the entity does not.
    The peers' full marks come from the stored block of the entity's group (less the entity's
    own), the entity's points from its cells."""
    tree = await load_tree(session, framework_id)
    await check_set(session, group_set)
    await readmodels.ensure_current(session)
    conn = await session.connection()
    if (
        await conn.execute(
            select(RE.c.entity_code).where(
                RE.c.framework_id == framework_id, RE.c.entity_code == entity_code
            )
        )
    ).first() is None:
        raise NotFound(f"{entity_code} の得点がこの体系にありません")
    group = (
        await conn.execute(
            select(RM.c.group_name).where(
                RM.c.framework_id == framework_id,
                RM.c.group_set == group_set,
                RM.c.entity_code == entity_code,
            )
        )
    ).scalar_one()
    by_prefecture = group_set == "prefecture"  # its groups are the prefecture blocks
    block = (
        await conn.execute(
            select(RA.c.count, RA.c.full_counts).where(
                RA.c.framework_id == framework_id,
                RA.c.prefecture == (group if by_prefecture else ""),
                RA.c.group_set == ("" if by_prefecture else group_set),
                RA.c.group_name == ("" if by_prefecture else group),
            )
        )
    ).one()
    peer_count = block.count - 1
    own = (await item_cells(session, tree, [entity_code])).get(entity_code, {})
    cat_by_id = {c.id: c for c in tree.categories}
    items = []
    group_best: dict[str, float] = {}  # an alternatives group's best own points
    for it in tree.items:
        if it.alternatives and it.id in own:
            key = f"{it.category_id}:{it.alternatives}"
            group_best[key] = max(group_best.get(key, float("-inf")), own[it.id])  # type: ignore[index]
    for it in tree.items:
        if it.max_points <= 0 or peer_count <= 0:
            continue
        own_full = 1 if own.get(it.id, 0.0) >= it.max_points else 0  # type: ignore[arg-type]
        full = (block.full_counts.get(it.code, 0) - own_full) / peer_count
        if it.alternatives:
            pts = group_best.get(f"{it.category_id}:{it.alternatives}", 0.0)
        else:
            pts = own.get(it.id, 0.0)  # type: ignore[arg-type]
        if full >= share and pts < it.max_points:
            items.append(
                {
                    "item_code": it.code,
                    "text": it.text,
                    "category_code": cat_by_id[it.category_id].code,
                    "max_points": it.max_points,
                    "points": pts,
                    "gap": it.max_points - pts,
                    "full_share": full,
                }
            )
    items.sort(key=lambda r: (-r["gap"], -r["full_share"], r["item_code"]))
    return {
        "entity_code": entity_code,
        "name": entity_name(entity_code),
        "group_set": group_set,
        "group": group,
        "peer_count": max(peer_count, 0),
        "share": share,
        "recoverable_points": sum(r["gap"] for r in items),
        "items": items,
    }


async def compare(
    session: AsyncSession,
    framework_id: int,
    *,
    previous_id: int | None,
    prefecture: str | None,
    entity_code: str | None,
    item_codes: list[str] | None = None,
) -> dict[str, Any]:
    """Year over year by category and item code; codes found in only one year are listed.
    Item rows come for the one ``entity_code``, or for every entity when ``item_codes`` names
    the items wanted (the gateway's impact view)."""
    cur_tree = await load_tree(session, framework_id)
    prev = await previous_framework(session, cur_tree.framework, previous_id)
    if prev is None:
        raise NotFound(
            "比較する前年度の評価指標の体系がありません (previous_id を指定してください)"
        )
    prev_tree = await load_tree(session, prev.id)  # type: ignore[arg-type]
    cur, old = await compute(session, cur_tree), await compute(session, prev_tree)
    cur_cats = [c.code for c in cur_tree.categories]
    old_cats = {c.code for c in prev_tree.categories}
    matched_cats = [c for c in cur_cats if c in old_cats]
    cur_items = [i.code for i in cur_tree.items]
    old_items = set(prev_tree.by_code)
    matched_items = [i for i in cur_items if i in old_items]
    codes = sorted(set(cur.totals) | set(old.totals))
    if prefecture:
        codes = [c for c in codes if prefecture_of(c) == prefecture]
    if entity_code:
        codes = [c for c in codes if c == entity_code]
    item_rows: dict[str, list[dict[str, Any]]] = {}
    wanted = [c for c in matched_items if c in set(item_codes)] if item_codes else matched_items
    if entity_code or item_codes:
        targets = [entity_code] if entity_code else list(codes)
        cur_cells = await item_cells(session, cur_tree, targets)  # type: ignore[arg-type]
        old_cells = await item_cells(session, prev_tree, targets)  # type: ignore[arg-type]
        for ec in targets:
            cc, oc = cur_cells.get(ec, {}), old_cells.get(ec, {})  # type: ignore[arg-type]
            rows = []
            for code in wanted:
                a = cc.get(cur_tree.by_code[code].id)  # type: ignore[arg-type]
                b = oc.get(prev_tree.by_code[code].id)  # type: ignore[arg-type]
                rows.append(
                    {
                        "code": code,
                        "points": a,
                        "previous_points": b,
                        "diff": None if a is None or b is None else a - b,
                    }
                )
            item_rows[ec] = rows  # type: ignore[index]

    def diff(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else a - b

    entities = []
    for code in codes:
        t, pt = cur.totals.get(code), old.totals.get(code)
        row: dict[str, Any] = {
            "entity_code": code,
            "name": entity_name(code),
            "total": t,
            "previous_total": pt,
            "diff": diff(t, pt),
            "score_rate": cur.rate(t) if t is not None else None,
            "previous_score_rate": old.rate(pt) if pt is not None else None,
            "categories": [
                {
                    "code": c,
                    "points": (a := cur.cats.get(code, {}).get(c) if t is not None else None),
                    "previous_points": (
                        b := old.cats.get(code, {}).get(c) if pt is not None else None
                    ),
                    "diff": diff(a, b),
                }
                for c in matched_cats
            ],
        }
        if code in item_rows:
            row["items"] = item_rows[code]
        entities.append(row)
    return {
        "framework_id": framework_id,
        "previous_framework_id": prev.id,
        "categories": {
            "matched": matched_cats,
            "only_current": [c for c in cur_cats if c not in old_cats],
            "only_previous": sorted(old_cats - set(cur_cats)),
        },
        "items": {
            "matched": matched_items,
            "only_current": [i for i in cur_items if i not in old_items],
            "only_previous": sorted(old_items - set(cur_items)),
        },
        "entities": entities,
    }

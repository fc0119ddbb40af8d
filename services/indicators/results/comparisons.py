"""Comparisons: averages of the nation, a prefecture and groups; 取り戻す指標 against the peers;
year over year. Read from the stored read models (and, for one entity, its own cells)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.errors import NotFound
from services.common.registry import Municipality, get_registry
from services.indicators.frameworks.models import STATE_NAMES, ItemKind, Level, State
from services.indicators.frameworks.service import Tree, load_tree
from services.indicators.insurers.service import Directory, load_directory
from services.indicators.regional.service import peer_types
from services.indicators.results import readmodels
from services.indicators.results.computation import compute, item_cells
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
    when one is given), per category and item: stored blocks. The nation's block says whether
    it covers every insurer of the country or only the loaded ones; the framework's published
    全国平均 comes beside it (``published``) with its source."""
    tree = await load_tree(session, framework_id)  # 404 for an unknown framework
    await check_set(session, group_set)
    await readmodels.ensure_current(session)
    out = await _averages(session, framework_id, prefecture, group_set)
    directory = await load_directory(session)
    out["nation"] = {**out["nation"], **await _nation_label(session, tree, directory)}
    out["published"] = published_averages(tree)
    return out


async def _nation_label(session: AsyncSession, tree: Tree, directory: Directory) -> dict[str, Any]:
    """Which mean the nation's block is: over every insurer of the country (全国平均, computed)
    or over the loaded entities only (never called 全国平均)."""
    fw = tree.framework
    country = (
        directory.insurers()
        if fw.level == Level.municipality
        else sorted(get_registry().prefectures)
    )
    scored = set(
        (
            await (await session.connection()).execute(
                select(RE.c.entity_code).where(RE.c.framework_id == fw.id)
            )
        ).scalars()
    )
    covered = sum(1 for c in country if c in scored)
    unit = "保険者" if fw.level == Level.municipality else "都道府県"
    if scored and covered == len(country):
        return {
            "kind": "all_insurers",
            "label": f"全国平均 (全{len(country):,}{unit}の得点から計算)",
            "insurers_in_country": len(country),
        }
    return {
        "kind": "loaded",
        "label": f"読み込んだ{len(scored):,}団体の平均 (全国{len(country):,}{unit}のうち"
        f"{covered:,}。全国平均ではありません)",
        "insurers_in_country": len(country),
    }


def published_averages(tree: Tree) -> dict[str, Any] | None:
    """The framework's published 全国平均 (total, categories, items and achievement rates),
    with its source; None when the framework carries none."""
    fw = tree.framework
    cats = [
        {
            "code": c.code,
            "mean_points": c.national_average,
            "mean_score_rate": c.national_average / c.max_points if c.max_points else None,
        }
        for c in tree.categories
        if c.national_average is not None
    ]
    items = [
        {"code": i.code, "mean_points": i.national_average, "national_rate": i.national_rate}
        for i in tree.items
        if i.national_average is not None or i.national_rate is not None
    ]
    if fw.national_average is None and not cats and not items:
        return None
    return {
        "kind": "published",
        "label": "全国平均 (公表値)",
        "mean_total": fw.national_average,
        "mean_score_rate": fw.national_average / fw.max_points
        if fw.national_average is not None and fw.max_points
        else None,
        "categories": cats,
        "items": items,
        "source": {
            "document": fw.averages_document,
            "date": fw.averages_date.isoformat() if fw.averages_date else None,
            "page": fw.averages_page,
        },
        "state": fw.state,
        "state_label": STATE_NAMES[State(fw.state)],
    }


async def _averages(
    session: AsyncSession, framework_id: int, prefecture: str | None, group_set: str
) -> dict[str, Any]:
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
    directory = await load_directory(session)
    own = (await item_cells(session, tree, [entity_code])).get(entity_code, {})
    fw_provisional = tree.framework.state == State.provisional.value
    cat_by_id = {c.id: c for c in tree.categories}
    items = []
    group_best: dict[str, float] = {}  # an alternatives group's best own points
    for it in tree.items:
        if it.alternatives and it.id in own:
            key = f"{it.category_id}:{it.alternatives}"
            group_best[key] = max(group_best.get(key, float("-inf")), own[it.id])  # type: ignore[index]
    for it in tree.items:
        if it.max_points <= 0 or peer_count <= 0 or it.kind == ItemKind.category_total.value:
            continue  # a 「区分の得点」 stand-in is no indicator: nothing to act on
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
                    "provisional": fw_provisional or it.provisional,
                }
            )
    items.sort(key=lambda r: (-r["gap"], -r["full_share"], r["item_code"]))
    reasons = []
    if fw_provisional:
        fw = tree.framework
        reasons.append(f"体系が暫定です: {fw.state_note}" if fw.state_note else "体系が暫定です")
    n_prov = sum(1 for r in items if r["provisional"] and not fw_provisional)
    if n_prov:
        reasons.append(f"暫定の配点 (資料で確認できない配点) の指標が{n_prov}あります")
    if any(it.kind == ItemKind.category_total.value for it in tree.items):
        reasons.append("「区分の得点」(指標表のない区分) は取り戻す指標に含めていません")
    return {
        "entity_code": entity_code,
        "insurer_number": directory.insurer_number_of_entity(entity_code),
        "name": directory.name_of(entity_code),
        "group_set": group_set,
        "group": group,
        "peer_count": max(peer_count, 0),
        "share": share,
        "recoverable_points": sum(r["gap"] for r in items),
        "items": items,
        "rests_on_provisional": any(r["provisional"] for r in items),
        "provisional_reasons": reasons,
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

    directory = await load_directory(session)
    reg = get_registry()
    types = await peer_types(
        session, [m for c in codes if isinstance(m := reg.get(c), Municipality)]
    )
    entities = []
    for code in codes:
        t, pt = cur.totals.get(code), old.totals.get(code)
        row: dict[str, Any] = {
            "entity_code": code,
            "insurer_number": directory.insurer_number_of_entity(code),
            "name": directory.name_of(code),
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
        row["peer_type"] = types.get(code)
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

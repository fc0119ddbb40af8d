"""Results: totals, rates, competition ranks, peers, averages, 取り戻す指標, flags, year over year.

Totals are computed set-based: the database sums each entity's points per leaf category (the
highest of an alternatives group counts once), Python rolls the few category sums up the tree.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.errors import Invalid, NotFound
from services.common.registry import get_registry
from services.indicators.allocation.models import AllocationInput
from services.indicators.frameworks.models import Framework, Item, Level
from services.indicators.frameworks.service import Tree, load_tree
from services.indicators.results.models import PeerMember, PeerSet
from services.indicators.scores.models import Score

BUILTIN_SETS = ("region_class", "peer_type", "size_band", "prefecture")
SIZE_BANDS = (
    (3_000, "3,000人未満"),
    (10_000, "3,000〜10,000人"),
    (50_000, "10,000〜50,000人"),
    (100_000, "50,000〜100,000人"),
    (None, "100,000人以上"),
)
UNSET = "(未設定)"


def size_band(first_insured: int | None) -> str:
    if first_insured is None:
        return "(第1号被保険者数 未登録)"
    for limit, label in SIZE_BANDS:
        if limit is None or first_insured < limit:
            return label
    return SIZE_BANDS[-1][1]  # pragma: no cover


def entity_name(code: str) -> str:
    reg = get_registry()
    if code in reg.prefectures:
        return reg.prefectures[code].name
    m = reg.get(code)
    return m.full_name if m else code


def prefecture_of(code: str) -> str:
    return code[:2]


def competition_ranks(totals: dict[str, float]) -> dict[str, int]:
    """1 + the number of strictly higher totals: ties share a rank, the next one skips."""
    ordered = sorted(totals.items(), key=lambda kv: -kv[1])
    ranks: dict[str, int] = {}
    prev: float | None = None
    rank = 0
    for pos, (code, total) in enumerate(ordered, start=1):
        if prev is None or round(total, 9) != round(prev, 9):
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


# compute() per (database, framework, updated_at): a framework's results change only when its
# scores are written, and every score write moves updated_at (scores/service.py upsert_cells).
# The key comes from the database, so replicas behind the gateway never serve stale totals.
_COMPUTED: OrderedDict[tuple[str, int, str], Computed] = OrderedDict()
_COMPUTED_MAX = 64


async def compute(session: AsyncSession, tree: Tree) -> Computed:
    """Every entity's total and category subtotals (cached until the scores change)."""
    fw = tree.framework
    conn = await session.connection()
    key = (str(conn.engine.url), fw.id, fw.updated_at.isoformat() if fw.updated_at else "")  # type: ignore[arg-type]
    hit = _COMPUTED.get(key)
    if hit is not None:
        _COMPUTED.move_to_end(key)
        return Computed(tree, hit.totals, hit.cats)
    out = await _compute(session, tree)
    if not session.dirty and not session.new:  # never cache a transaction's unflushed state
        _COMPUTED[key] = out
        if len(_COMPUTED) > _COMPUTED_MAX:
            _COMPUTED.popitem(last=False)
    return out


async def _compute(session: AsyncSession, tree: Tree) -> Computed:
    """Every entity's total and category subtotals, from one grouped query."""
    group_key = func.coalesce(Item.alternatives, Item.code).label("g")
    inner = (
        select(
            Score.entity_code.label("entity_code"),  # type: ignore[attr-defined]
            Item.category_id.label("category_id"),  # type: ignore[attr-defined]
            group_key,
            func.max(Score.points).label("p"),
        )
        .join(Item, Item.id == Score.item_id)
        .where(Score.framework_id == tree.framework.id)
        .group_by(Score.entity_code, Item.category_id, group_key)
        .subquery()
    )
    q = select(inner.c.entity_code, inner.c.category_id, func.sum(inner.c.p)).group_by(
        inner.c.entity_code, inner.c.category_id
    )
    rows = (await (await session.connection()).execute(q)).all()
    out = Computed(tree)
    chains = {c.id: [a.code for a in tree.ancestors(c.id)] for c in tree.categories}  # type: ignore[arg-type]
    for code, cat_id, pts in rows:
        pts = float(pts or 0)
        out.totals[code] = out.totals.get(code, 0.0) + pts
        per = out.cats.setdefault(code, {})
        for cc in chains[cat_id]:
            per[cc] = per.get(cc, 0.0) + pts
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


# --- peer groups -----------------------------------------------------------------------------


async def first_insured_map(session: AsyncSession, fw: Framework) -> dict[str, int]:
    """First-insured persons per entity: the framework's grant year, else the latest known."""
    rows = (
        await session.exec(
            select(
                AllocationInput.entity_code,
                AllocationInput.first_insured,
                AllocationInput.grant_fy,
                AllocationInput.grant,
            ).where(AllocationInput.grant_fy <= fw.grant_fy)
        )
    ).all()
    out: dict[str, int] = {}
    # Later years overwrite earlier ones; within a year the framework's own grant wins.
    for code, n, _fy, _grant in sorted(rows, key=lambda r: (r[2], r[3] == fw.grant)):
        out[code] = n
    return out


async def group_map(
    session: AsyncSession, fw: Framework, set_name: str, codes: list[str]
) -> dict[str, str]:
    """Each entity's group in a group set (built-in or user-defined)."""
    reg = get_registry()
    if set_name in ("region_class", "peer_type"):
        out = {}
        for c in codes:
            m = reg.get(c)
            out[c] = (getattr(m, set_name) if m else None) or UNSET
        return out
    if set_name == "prefecture":
        return {c: prefecture_of(c) for c in codes}
    if set_name == "size_band":
        fi = await first_insured_map(session, fw)
        return {c: size_band(fi.get(c)) for c in codes}
    ps = (await session.exec(select(PeerSet).where(PeerSet.name == set_name))).first()
    if ps is None:
        raise NotFound(
            f"比較グループ {set_name!r} がありません (region_class, peer_type, size_band, "
            "prefecture または登録済みのグループ名を指定してください)"
        )
    members = (await session.exec(select(PeerMember).where(PeerMember.peer_set_id == ps.id))).all()
    by = {m.entity_code: m.group_name for m in members}
    return {c: by.get(c, "(未所属)") for c in codes}


def parse_group(spec: str | None) -> tuple[str, str] | None:
    if not spec:
        return None
    if ":" not in spec:
        raise Invalid(
            "group は 「グループ集合:グループ名」 の形で指定してください (例: region_class:区部)",
            errors=[{"loc": ["query", "group"], "msg": "形式が正しくありません"}],
        )
    set_name, _, name = spec.partition(":")
    return set_name.strip(), name.strip()


def scope_entities(fw: Framework, prefecture: str | None) -> list[str]:
    """Every entity a framework could score, within a prefecture if given."""
    reg = get_registry()
    if fw.level == Level.prefecture:
        codes = list(reg.prefectures)
    else:
        codes = list(reg.municipalities)
    if prefecture:
        codes = [c for c in codes if prefecture_of(c) == prefecture]
    return codes


async def previous_framework(
    session: AsyncSession, fw: Framework, previous_id: int | None = None
) -> Framework | None:
    if previous_id is not None:
        prev = await session.get(Framework, previous_id)
        if prev is None:
            raise NotFound(f"比較する評価指標の体系 {previous_id} が見つかりません")
        return prev
    return (
        await session.exec(
            select(Framework)
            .where(
                Framework.grant == fw.grant,
                Framework.level == fw.level,
                Framework.grant_fy < fw.grant_fy,
            )
            .order_by(Framework.grant_fy.desc())  # type: ignore[attr-defined]
        )
    ).first()


@dataclass
class ResultOptions:
    prefecture: str | None = None
    group: str | None = None
    entity_code: str | None = None
    peer_set: str = "region_class"
    low_threshold: float = 0.30
    deduction: float = -10
    drop_points: float = 20
    previous_id: int | None = None


async def results(session: AsyncSession, framework_id: int, opts: ResultOptions) -> dict[str, Any]:
    """The fixed results shape, with national, prefecture and peer ranks and risk flags."""
    tree = await load_tree(session, framework_id)
    comp = await compute(session, tree)
    return await shape_results(session, comp, opts)


async def shape_results(
    session: AsyncSession, comp: Computed, opts: ResultOptions
) -> dict[str, Any]:
    tree = comp.tree
    fw = tree.framework
    group = parse_group(opts.group)
    scope = scope_entities(fw, opts.prefecture)
    if group:
        gm = await group_map(session, fw, group[0], scope)
        scope = [c for c in scope if gm[c] == group[1]]
    scored_all = comp.totals
    in_scope = [c for c in scope if c in scored_all]
    missing = len(scope) - len(in_scope)
    national = competition_ranks(scored_all)
    by_pref: dict[str, dict[str, float]] = defaultdict(dict)
    for c, t in scored_all.items():
        by_pref[prefecture_of(c)][c] = t
    pref_ranks = {p: competition_ranks(d) for p, d in by_pref.items()}
    peers = await group_map(session, fw, opts.peer_set, list(scored_all))
    by_peer: dict[str, dict[str, float]] = defaultdict(dict)
    for c, t in scored_all.items():
        by_peer[peers[c]][c] = t
    peer_ranks = {g: competition_ranks(d) for g, d in by_peer.items()}
    local = competition_ranks({c: scored_all[c] for c in in_scope})
    prev_totals: dict[str, float] = {}
    prev = await previous_framework(session, fw, opts.previous_id)
    if prev is not None:
        prev_totals = (await compute(session, await load_tree(session, prev.id))).totals  # type: ignore[arg-type]
    top_cats = tree.children.get(None, [])
    all_cats = tree.categories
    by_id = {c.id: c for c in all_cats}
    parent_code = {
        c.id: by_id[c.parent_id].code if c.parent_id is not None else None for c in all_cats
    }
    entities = []
    low_count = 0
    for code in sorted(in_scope, key=lambda c: (local[c], c)):
        total = scored_all[code]
        rate = comp.rate(total)
        flags = []
        if rate <= opts.low_threshold:
            low_count += 1
            flag: dict[str, Any] = {
                "code": "low_score_rate",
                "message": f"得点率が{opts.low_threshold:.0%}以下です",
            }
            if fw.level == Level.municipality:
                flag["deduction"] = opts.deduction
                flag["message"] += f" (都道府県の評価で{opts.deduction:g}点)"
            flags.append(flag)
        prev_total = prev_totals.get(code)
        if prev_total is not None and prev_total - total > opts.drop_points:
            flags.append(
                {
                    "code": "drop",
                    "message": f"前年度から{prev_total - total:g}点低下しました",
                    "drop": prev_total - total,
                }
            )
        cats = comp.cats.get(code, {})
        pc = prefecture_of(code)
        entities.append(
            {
                "entity_code": code,
                "name": entity_name(code),
                "total": total,
                "max_points": fw.max_points,
                "score_rate": rate,
                "rank": local[code],
                "rank_of": len(in_scope),
                "national_rank": national[code],
                "national_rank_of": len(scored_all),
                "prefecture_rank": pref_ranks[pc][code],
                "prefecture_rank_of": len(by_pref[pc]),
                "peer_set": opts.peer_set,
                "peer_group": peers[code],
                "peer_rank": peer_ranks[peers[code]][code],
                "peer_rank_of": len(by_peer[peers[code]]),
                "previous_total": prev_total,
                "evaluation_fy": fw.evaluation_fy,
                "grant_fy": fw.grant_fy,
                "categories": [
                    {
                        "code": c.code,
                        "parent": parent_code.get(c.id),
                        "points": cats.get(c.code, 0.0),
                        "max_points": c.max_points,
                        "score_rate": cats.get(c.code, 0.0) / c.max_points if c.max_points else 0.0,
                    }
                    for c in all_cats
                ],
                "flags": flags,
            }
        )
    n = len(in_scope)
    summary: dict[str, Any] = {
        "count": n,
        "missing": missing,
        "mean_total": sum(scored_all[c] for c in in_scope) / n if n else None,
        "mean_score_rate": sum(comp.rate(scored_all[c]) for c in in_scope) / n if n else None,
        "categories": [
            {
                "code": c.code,
                "parent": parent_code.get(c.id),
                "mean_points": (m := sum(comp.cats[e].get(c.code, 0.0) for e in in_scope) / n)
                if n
                else None,
                "mean_score_rate": (m / c.max_points if c.max_points else 0.0) if n else None,
            }
            for c in all_cats
        ],
        "top_categories": [c.code for c in top_cats],
        "low_count": low_count,
        "low_threshold": opts.low_threshold,
        "previous_framework_id": prev.id if prev else None,
    }
    if fw.level == Level.municipality and opts.prefecture:
        summary["prefecture_deduction"] = opts.deduction if low_count else 0
    if opts.entity_code:
        entities = [e for e in entities if e["entity_code"] == opts.entity_code]
    return {"entities": entities, "summary": summary}


# --- averages, 取り戻す指標, year over year ------------------------------------------------


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


def average_block(
    tree: Tree,
    comp: Computed,
    codes: list[str],
    sums: dict[int, float],
    fulls: dict[int, int],
) -> dict[str, Any]:
    """Means over ``codes``; ``sums``/``fulls``: per item id, the block's points and the
    number of its entities scoring the item in full (a missing cell counts as 0 points)."""
    n = len(codes)
    if not n:
        return {
            "count": 0,
            "mean_total": None,
            "mean_score_rate": None,
            "categories": [],
            "items": [],
        }
    mean_total = sum(comp.totals[c] for c in codes) / n
    return {
        "count": n,
        "mean_total": mean_total,
        "mean_score_rate": comp.rate(mean_total),
        "categories": [
            {
                "code": cat.code,
                "mean_points": (m := sum(comp.cats[c].get(cat.code, 0.0) for c in codes) / n),
                "mean_score_rate": m / cat.max_points if cat.max_points else 0.0,
            }
            for cat in tree.categories
        ],
        "items": [
            {
                "code": it.code,
                "mean_points": sums.get(it.id, 0.0) / n,  # type: ignore[arg-type]
                "full_share": fulls.get(it.id, 0) / n,  # type: ignore[arg-type]
            }
            for it in tree.items
        ],
    }


async def averages(
    session: AsyncSession,
    framework_id: int,
    *,
    prefecture: str | None,
    group_set: str,
) -> dict[str, Any]:
    """Means of the nation, the prefecture and each group of a set, per category and item
    (one pass over the cells fills every block)."""
    tree = await load_tree(session, framework_id)
    comp = await compute(session, tree)
    nation = list(comp.totals)
    base = [c for c in nation if prefecture_of(c) == prefecture] if prefecture else nation
    gm = await group_map(session, tree.framework, group_set, base)
    groups: dict[str, list[str]] = defaultdict(list)
    for c in base:
        groups[gm[c]].append(c)
    full_at = {it.id: it.max_points for it in tree.items if it.max_points > 0}
    sums: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    fulls: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    q = select(Score.entity_code, Score.item_id, Score.points).where(
        Score.framework_id == tree.framework.id
    )
    rows = (await (await session.connection()).execute(q)).all()
    for code, item_id, pts in rows:
        keys = ["*"]
        if prefecture and prefecture_of(code) == prefecture:
            keys.append("pref")
        g = gm.get(code)
        if g is not None:
            keys.append("g:" + g)
        full = item_id in full_at and pts >= full_at[item_id]
        for k in keys:
            sums[k][item_id] += pts
            if full:
                fulls[k][item_id] += 1
    out: dict[str, Any] = {
        "framework_id": framework_id,
        "nation": average_block(tree, comp, nation, sums["*"], fulls["*"]),
        "prefecture": None,
        "group_set": group_set,
        "groups": [
            {"group": g, **average_block(tree, comp, codes, sums["g:" + g], fulls["g:" + g])}
            for g, codes in sorted(groups.items())
        ],
    }
    if prefecture:
        out["prefecture"] = {
            "code": prefecture,
            **average_block(tree, comp, base, sums["pref"], fulls["pref"]),
        }
    return out


async def recover(
    session: AsyncSession,
    framework_id: int,
    *,
    entity_code: str,
    group_set: str,
    share: float,
) -> dict[str, Any]:
    """取り戻す指標: items at least ``share`` of the peers score in full and the entity does not."""
    tree = await load_tree(session, framework_id)
    comp = await compute(session, tree)
    if entity_code not in comp.totals:
        raise NotFound(f"{entity_code} の得点がこの体系にありません")
    gm = await group_map(session, tree.framework, group_set, list(comp.totals))
    group = gm[entity_code]
    peers = [c for c, g in gm.items() if g == group and c != entity_code]
    cells = await item_cells(session, tree, [*peers, entity_code])
    own = cells.get(entity_code, {})
    cat_by_id = {c.id: c for c in tree.categories}
    items = []
    group_best: dict[str, float] = {}  # an alternatives group's best own points
    for it in tree.items:
        if it.alternatives and it.id in own:
            key = f"{it.category_id}:{it.alternatives}"
            group_best[key] = max(group_best.get(key, float("-inf")), own[it.id])  # type: ignore[index]
    for it in tree.items:
        if it.max_points <= 0 or not peers:
            continue
        full = sum(1 for c in peers if cells[c].get(it.id, 0.0) >= it.max_points) / len(peers)  # type: ignore[arg-type]
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
        "peer_count": len(peers),
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
        cur_cells = await item_cells(session, cur_tree, targets)
        old_cells = await item_cells(session, prev_tree, targets)
        for ec in targets:
            cc, oc = cur_cells.get(ec, {}), old_cells.get(ec, {})
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
            item_rows[ec] = rows

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


async def latest_results(
    session: AsyncSession, *, level: Level, opts: ResultOptions
) -> list[dict[str, Any]]:
    """For each grant, the newest framework of this level that has scores, with its results."""
    has_scores = select(Score.framework_id).distinct()
    fws = (
        await session.exec(
            select(Framework)
            .where(Framework.level == level, Framework.id.in_(has_scores))  # type: ignore[union-attr]
            .order_by(Framework.grant, Framework.grant_fy.desc())  # type: ignore[attr-defined]
        )
    ).all()
    seen: set[str] = set()
    out = []
    for fw in fws:
        if fw.grant in seen:
            continue
        seen.add(fw.grant)
        res = await results(session, fw.id, opts)  # type: ignore[arg-type]
        out.append(
            {
                "grant": fw.grant,
                "framework": {
                    "id": fw.id,
                    "code": fw.code,
                    "name": fw.name,
                    "grant": fw.grant,
                    "level": fw.level,
                    "grant_fy": fw.grant_fy,
                    "evaluation_fy": fw.evaluation_fy,
                    "max_points": fw.max_points,
                },
                **res,
            }
        )
    return out


def results_table(res: dict[str, Any]) -> list[list[Any]]:
    """The results as rows for a spreadsheet (Japanese headers)."""
    cats = [k["code"] for k in res["entities"][0]["categories"]] if res["entities"] else []
    header = [
        "団体コード",
        "名称",
        "総合得点",
        "満点",
        "得点率",
        "順位",
        "対象数",
        "全国順位",
        "都道府県内順位",
        "比較グループ",
        "グループ内順位",
        "前年度得点",
        *(f"{c} 得点" for c in cats),
        "注意",
    ]
    rows: list[list[Any]] = [header]
    for e in res["entities"]:
        rows.append(
            [
                e["entity_code"],
                e["name"],
                e["total"],
                e["max_points"],
                round(e["score_rate"], 4),
                e["rank"],
                e["rank_of"],
                e["national_rank"],
                e["prefecture_rank"],
                e["peer_group"],
                e["peer_rank"],
                e["previous_total"],
                *(k["points"] for k in e["categories"]),
                " / ".join(f["message"] for f in e["flags"]),
            ]
        )
    return rows

"""Keeping the results read models current (results/models.py): refreshed from the base tables
in the transaction of every write that changes their inputs, so a read right after a write sees
it and every process and replica reads the same stored rows.

What refreshes when:
- score cells written (PUT, file import, published-results import, the derived prefecture
  deduction): that framework — one set-based refresh per transaction, however many cells; a
  write touching at most ``FEW_ENTITIES`` entities of a framework refreshes only those
  entities' rows, the ranks that move (window UPDATEs) and the averages of the blocks holding
  a touched entity (``refresh_entities``);
- a framework's tree changed (tree PUT, item import, copy, patch): that framework;
- a framework created or removed: the previous-year links of its grant and level;
- a peer set created or changed: the user-defined group sets of every framework (their
  memberships, peer ranks and averages, computed from the stored totals; the built-in sets,
  totals and national and prefecture figures do not move);
- a municipality's peer type set by the prefecture (peers/types.py, the built-in ``peer_type``
  set), allocation inputs (first-insured persons, the size bands): every framework.
After a framework is refreshed, the frameworks of the same grant and level take the new
previous-year totals and drop flags (only the rows that change are written).

How: a write marks what it changed (``mark``; ORM changes are detected after each flush), and
the refresh runs once before the transaction commits (``before_commit``), or earlier when a
read in the same transaction needs the figures (``ensure_current``). Ranks come from SQL
window functions (``RANK() OVER (PARTITION BY …)``, SQLite and PostgreSQL alike), so ties share
a rank and the next one skips. On PostgreSQL the refresh first takes a transaction-scoped
advisory lock: two writes never refresh from snapshots that miss each other (READ COMMITTED,
each statement after the lock sees everything committed before it). The refresh recomputes
rather than adding deltas: every stored row equals a from-scratch computation
(tests/indicators/test_results_property.py checks that after random sequences of writes).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable
from itertools import chain
from typing import Any

from sqlalchemy import Connection, and_, delete, event, insert, or_, select, text, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.allocation.models import AllocationInput
from services.indicators.frameworks.models import Category, Framework, Item, Level
from services.indicators.peers.models import PeerMember, PeerSet, PeerTypeOverride
from services.indicators.results.computation import leaf_sums_query, rank_key, roll_up
from services.indicators.results.grouping import (
    BUILTIN_SETS,
    NOT_MEMBER,
    builtin_group,
    first_insured_from_rows,
    prefecture_of,
    previous_of,
)
from services.indicators.results.models import (
    ResultAverage,
    ResultEntity,
    ResultMember,
    ResultsGeneration,
)
from services.indicators.scores.models import DeductionRule, Score

ALL = "*"
PEERS = "peers"  # the user-defined group sets of every framework
PENDING = "indicators_results_pending"
PENDING_CELLS = "indicators_results_pending_cells"  # framework id → entity codes whose cells moved
CELLS = "cells"  # in PENDING: some frameworks have entries in PENDING_CELLS
FEW_ENTITIES = 50  # a write touching more entities of a framework refreshes it whole
LOCK_KEY = 0x696E6469_72657375  # "indi" "resu": one constant key for pg_advisory_xact_lock

DEFAULT_LOW_THRESHOLD = 0.30
DEFAULT_DROP_POINTS = 20.0

RE = ResultEntity.__table__  # type: ignore[attr-defined]
RM = ResultMember.__table__  # type: ignore[attr-defined]
RA = ResultAverage.__table__  # type: ignore[attr-defined]
GEN = ResultsGeneration.__table__  # type: ignore[attr-defined]
FW = Framework.__table__  # type: ignore[attr-defined]
CAT = Category.__table__  # type: ignore[attr-defined]
ITEM = Item.__table__  # type: ignore[attr-defined]
SCORE = Score.__table__  # type: ignore[attr-defined]


EPS = 1e-9  # a score rate "at or under" a threshold, whatever the float rounding


def deduction_applies(rule: tuple[float, float] | None, rate: float) -> bool:
    """Whether a municipality at ``rate`` triggers the prefecture's deduction of a year's rule
    ((threshold, points) from ``deduction_rule``; None: the year has no rule)."""
    return rule is not None and rate <= rule[0] + EPS


def flags_for(
    level: str,
    rate: float,
    total: float,
    previous_total: float | None,
    *,
    low_threshold: float = DEFAULT_LOW_THRESHOLD,
    rule: tuple[float, float] | None = None,
    drop_points: float = DEFAULT_DROP_POINTS,
) -> list[dict[str, Any]]:
    """``low_score_rate`` (on a municipal framework, with what the prefecture loses when the
    year's stored deduction rule applies) and ``drop`` (the total fell more than
    ``drop_points`` from the previous year)."""
    flags: list[dict[str, Any]] = []
    if rate <= low_threshold:
        flag: dict[str, Any] = {
            "code": "low_score_rate",
            "message": f"得点率が{low_threshold:.0%}以下です",
        }
        if level == Level.municipality and rule is not None and deduction_applies(rule, rate):
            flag["deduction"] = rule[1]
            flag["message"] += f" (都道府県の評価で{rule[1]:g}点: 減点の規則による)"
        flags.append(flag)
    if previous_total is not None and previous_total - total > drop_points:
        flags.append(
            {
                "code": "drop",
                "message": f"前年度から{previous_total - total:g}点低下しました",
                "drop": previous_total - total,
            }
        )
    return flags


def rules_of(conn: Connection) -> dict[tuple[str, int], tuple[float, float]]:
    """Every stored deduction rule: (grant, grant year) → (threshold, points)."""
    dr = DeductionRule.__table__  # type: ignore[attr-defined]
    return {
        (g, fy): (t, p)
        for g, fy, t, p in conn.execute(
            select(dr.c.grant, dr.c.grant_fy, dr.c.threshold, dr.c.points)
        ).all()
    }


# --- marking what changed ---------------------------------------------------------------------


def _sync(session: Session | AsyncSession) -> Session:
    return session.sync_session if isinstance(session, AsyncSession) else session


def mark(
    session: Session | AsyncSession,
    *framework_ids: int | None,
    every: bool = False,
    peers: bool = False,
    entities: Iterable[str] | None = None,
) -> None:
    """Note, in the transaction, which frameworks' figures a write changed (``every``: all;
    ``peers``: the user-defined group sets of every framework; ``entities``: only the cells of
    these entities changed in ``framework_ids`` — a few of them are refreshed alone, see
    ``refresh_entities``)."""
    info = _sync(session).info
    pending: set[Any] = info.setdefault(PENDING, set())
    if every:
        pending.add(ALL)
    if peers:
        pending.add(PEERS)
    ids = [f for f in framework_ids if f is not None]
    if entities is None:
        pending.update(ids)
        return
    codes = set(entities)
    by_fw: dict[int, set[str]] = info.setdefault(PENDING_CELLS, {})
    for f in ids:
        if f in pending:
            continue  # the whole framework is refreshed anyway
        touched = by_fw.setdefault(f, set())
        touched |= codes
        if len(touched) > FEW_ENTITIES:
            pending.add(f)
            by_fw.pop(f)
    pending.add(CELLS)


@event.listens_for(Session, "after_flush")
def _detect(session: Session, _ctx: Any) -> None:
    """ORM changes that move figures: cells, trees, frameworks, peer sets, allocation inputs."""
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Score):
            mark(session, obj.framework_id, entities=[obj.entity_code])
        elif isinstance(obj, (Category, Item)):
            mark(session, obj.framework_id)
        elif isinstance(obj, Framework):
            if obj in session.new or obj in session.deleted:
                mark(session, every=True)
            elif _figures_may_move(obj):
                mark(session, obj.id)
        elif isinstance(obj, (PeerSet, PeerMember)):
            mark(session, peers=True)
        elif isinstance(obj, AllocationInput):
            mark(session, every=True)
        elif isinstance(obj, DeductionRule):  # the flags of that year's municipal framework
            _sync(session).info.setdefault(PENDING, set()).add(("rule", obj.grant, obj.grant_fy))


_BOOKKEEPING = frozenset({"updated_at", "updated_by", "version"})


def _figures_may_move(fw: Framework) -> bool:
    """A changed framework row: anything but its bookkeeping columns (a score write stamps
    ``updated_at``; the cells themselves are marked on their own)."""
    state = sa_inspect(fw)
    return any(a.key not in _BOOKKEEPING and a.history.has_changes() for a in state.attrs)


@event.listens_for(Session, "before_commit")
def _refresh_before_commit(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # ORM changes mark what they move (_detect) as they are flushed
    run_pending(session)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(PENDING_CELLS, None)


def run_pending(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    cells: dict[int, set[str]] = session.info.pop(PENDING_CELLS, None) or {}
    if not pending:
        return
    conn = session.connection()
    if ALL in pending:
        refresh(conn, None)
        return
    ids = {p for p in pending if isinstance(p, int)}
    for _, grant, fy in (p for p in pending if isinstance(p, tuple)):
        ids.update(
            conn.execute(
                select(FW.c.id).where(
                    FW.c.grant == grant, FW.c.grant_fy == fy, FW.c.level == Level.municipality
                )
            ).scalars()
        )
    few = {f: codes for f, codes in cells.items() if f not in ids}
    if ids:
        refresh(conn, ids)
    if few:
        refresh_entities(conn, few)
    if PEERS in pending:
        refresh_user_sets(conn, exclude=ids)
    if not ids and not few and PEERS not in pending:
        bump(conn)  # a rule without its framework: nothing stored moves, cached answers do


async def ensure_current(session: AsyncSession) -> None:
    """A read in a transaction that wrote: refresh what the write changed first."""
    if session.sync_session.info.get(PENDING):
        await session.run_sync(lambda s: (s.flush(), run_pending(s)))


# --- the refresh --------------------------------------------------------------------------------


def bump(conn: Connection) -> None:
    """A new random write generation (the read cache checks it)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    value = secrets.randbits(62)
    stmt = dialect_insert(GEN).values(id=1, generation=value)
    conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={"generation": value}))


def refresh(conn: Connection, framework_ids: Iterable[int] | None = None) -> None:
    """Recompute the read models of these frameworks (None: every framework), then the
    previous-year links of their grants and levels."""
    bump(conn)
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    frameworks = conn.execute(
        select(FW.c.id, FW.c.grant, FW.c.level, FW.c.grant_fy, FW.c.max_points)
    ).all()
    by_id = {f.id: f for f in frameworks}
    wanted = set(by_id) if framework_ids is None else {i for i in framework_ids if i in by_id}
    if not wanted:
        return
    families = {(by_id[i].grant, by_id[i].level) for i in wanted}
    ctx = _Context.load(conn)
    for fw in sorted(frameworks, key=lambda f: f.grant_fy):
        if (fw.grant, fw.level) not in families:
            continue
        prev = previous_of(fw, frameworks)
        if fw.id in wanted:
            _refresh_framework(conn, fw, prev.id if prev else None, ctx)  # type: ignore[attr-defined]
        else:
            _relink(conn, fw, prev.id if prev else None, ctx)  # type: ignore[attr-defined]


class _Context:
    """What every framework's refresh needs once: user peer sets and allocation inputs."""

    def __init__(
        self,
        user_sets: dict[str, dict[str, str]],
        inputs: list[tuple[Any, ...]],
        rules: dict[tuple[str, int], tuple[float, float]],
        peer_types: dict[str, str] | None = None,
    ):
        self.user_sets = user_sets
        self.inputs = inputs
        self.rules = rules
        self.peer_types = peer_types or {}  # the prefecture's settings (peers/types.py)

    def rule(self, fw: Any) -> tuple[float, float] | None:
        """The deduction rule behind a municipal framework's low-score flags."""
        return self.rules.get((fw.grant, fw.grant_fy)) if fw.level == Level.municipality else None

    @classmethod
    def load(cls, conn: Connection) -> _Context:
        ps, pm = PeerSet.__table__, PeerMember.__table__  # type: ignore[attr-defined]
        user_sets: dict[str, dict[str, str]] = {
            name: {} for (name,) in conn.execute(select(ps.c.name)).all()
        }
        for name, code, group in conn.execute(
            select(ps.c.name, pm.c.entity_code, pm.c.group_name).join(
                pm, pm.c.peer_set_id == ps.c.id
            )
        ).all():
            user_sets[name][code] = group
        ai = AllocationInput.__table__  # type: ignore[attr-defined]
        inputs = [
            tuple(r)
            for r in conn.execute(
                select(ai.c.entity_code, ai.c.first_insured, ai.c.grant_fy, ai.c.grant)
            ).all()
        ]
        pt = PeerTypeOverride.__table__  # type: ignore[attr-defined]
        peer_types = {
            code: t for code, t in conn.execute(select(pt.c.entity_code, pt.c.peer_type)).all() if t
        }
        return cls(user_sets, inputs, rules_of(conn), peer_types)

    def memberships(
        self, fw: Any, codes: list[str], *, builtin: bool = True
    ) -> dict[str, dict[str, str]]:
        """group set → entity → group, for every built-in (unless ``builtin`` is false) and
        user-defined set; ``peer_type`` as the prefecture set it where it did."""
        out: dict[str, dict[str, str]] = {}
        if builtin:
            fi = first_insured_from_rows([r for r in self.inputs if r[2] <= fw.grant_fy], fw.grant)
            out = {s: {c: builtin_group(s, c, fi) for c in codes} for s in BUILTIN_SETS}
            out["peer_type"] |= {c: self.peer_types[c] for c in codes if c in self.peer_types}
        for name, members in self.user_sets.items():
            out[name] = {c: members.get(c, NOT_MEMBER) for c in codes}
        return out


def _tree(conn: Connection, fw_id: int) -> tuple[list[Any], list[Any], dict[int, list[str]]]:
    cats = conn.execute(
        select(CAT.c.id, CAT.c.code, CAT.c.parent_id, CAT.c.max_points)
        .where(CAT.c.framework_id == fw_id)
        .order_by(CAT.c.position)
    ).all()
    items = conn.execute(
        select(ITEM.c.id, ITEM.c.code, ITEM.c.max_points)
        .where(ITEM.c.framework_id == fw_id)
        .order_by(ITEM.c.position)
    ).all()
    by_id = {c.id: c for c in cats}
    chains: dict[int, list[str]] = {}
    for c in cats:
        chain_codes, cur = [], c
        while cur is not None:
            chain_codes.append(cur.code)
            cur = by_id.get(cur.parent_id) if cur.parent_id is not None else None
        chains[c.id] = chain_codes
    return cats, items, chains


def _previous_totals(conn: Connection, prev_id: int | None) -> dict[str, float]:
    if prev_id is None:
        return {}
    return dict(
        conn.execute(select(RE.c.entity_code, RE.c.total).where(RE.c.framework_id == prev_id)).all()  # type: ignore[arg-type]
    )


def _refresh_framework(conn: Connection, fw: Any, prev_id: int | None, ctx: _Context) -> None:
    fid = fw.id
    for table in (RA, RM, RE):
        conn.execute(delete(table).where(table.c.framework_id == fid))
    cats, items, chains = _tree(conn, fid)
    totals, cat_points = roll_up(conn.execute(leaf_sums_query(fid)).all(), chains)  # type: ignore[arg-type]
    if not totals:
        return
    max_points = fw.max_points

    def rate(t: float) -> float:
        return t / max_points if max_points else 0.0

    prev = _previous_totals(conn, prev_id)
    conn.execute(
        insert(RE),
        [
            {
                "framework_id": fid,
                "entity_code": code,
                "prefecture": prefecture_of(code),
                "total": total,
                "rank_key": rank_key(total),
                "score_rate": rate(total),
                "previous_total": prev.get(code),
                "category_points": cat_points.get(code, {}),
                "flags": flags_for(fw.level, rate(total), total, prev.get(code), rule=ctx.rule(fw)),
            }
            for code, total in totals.items()
        ],
    )
    _rank_entities(conn, fid)
    codes = list(totals)
    members = ctx.memberships(fw, codes)
    _write_members(conn, fid, members)
    _averages(conn, fw, cats, items, totals, cat_points, members, rate)


def _rank_entities(conn: Connection, fid: int, *, changed_only: bool = False) -> None:
    """National and prefecture ranks of every entity of the framework (a window UPDATE;
    ``changed_only``: writing only the rows whose ranks move)."""
    changed = (
        " AND (result_entity.national_rank IS DISTINCT FROM r.nr"
        " OR result_entity.national_rank_of IS DISTINCT FROM r.nn"
        " OR result_entity.prefecture_rank IS DISTINCT FROM r.pr"
        " OR result_entity.prefecture_rank_of IS DISTINCT FROM r.pn)"
        if changed_only
        else ""
    )
    conn.execute(
        text(
            "UPDATE result_entity SET national_rank = r.nr, national_rank_of = r.nn, "
            "prefecture_rank = r.pr, prefecture_rank_of = r.pn FROM ("
            " SELECT entity_code,"
            " RANK() OVER (ORDER BY rank_key DESC) AS nr, COUNT(*) OVER () AS nn,"
            " RANK() OVER (PARTITION BY prefecture ORDER BY rank_key DESC) AS pr,"
            " COUNT(*) OVER (PARTITION BY prefecture) AS pn"
            " FROM result_entity WHERE framework_id = :f) AS r "
            "WHERE result_entity.framework_id = :f AND result_entity.entity_code = r.entity_code"
            + changed
        ),
        {"f": fid},
    )


def _write_members(
    conn: Connection, fid: int, members: dict[str, dict[str, str]], *, rank: bool = True
) -> None:
    """The memberships of these group sets, and each member's rank in its group."""
    if not members:
        return
    rows = [
        {
            "framework_id": fid,
            "group_set": s,
            "entity_code": c,
            "group_name": g,
            "prefecture": prefecture_of(c),
        }
        for s, by in members.items()
        for c, g in by.items()
    ]
    if rows:
        conn.execute(insert(RM), rows)
    if rank:
        _rank_members(conn, fid, members)


def _rank_members(
    conn: Connection,
    fid: int,
    sets: Iterable[str],
    groups: Iterable[tuple[str, str]] | None = None,
) -> None:
    """Each member's rank in its group, for these group sets (a window UPDATE); ``groups``:
    only the members of these (set, group) pairs, and only the rows whose rank moves."""
    names = sorted(sets)
    if not names:
        return
    marks = ", ".join(f":s{i}" for i in range(len(names)))
    params: dict[str, Any] = {"f": fid, **{f"s{i}": n for i, n in enumerate(names)}}
    which, changed = "", ""
    if groups is not None:
        pairs = sorted(set(groups)) or [("", "")]
        which = (
            " AND ("
            + " OR ".join(
                f"(m.group_set = :gs{i} AND m.group_name = :gn{i})" for i in range(len(pairs))
            )
            + ")"
        )
        for i, (gs, gn) in enumerate(pairs):
            params[f"gs{i}"], params[f"gn{i}"] = gs, gn
        changed = (
            " AND (result_member.rank IS DISTINCT FROM r.rk"
            " OR result_member.rank_of IS DISTINCT FROM r.n)"
        )
    conn.execute(
        text(
            "UPDATE result_member SET rank = r.rk, rank_of = r.n FROM ("
            " SELECT m.group_set, m.entity_code,"
            " RANK() OVER (PARTITION BY m.group_set, m.group_name ORDER BY e.rank_key DESC) AS rk,"
            " COUNT(*) OVER (PARTITION BY m.group_set, m.group_name) AS n"
            " FROM result_member m JOIN result_entity e"
            " ON e.framework_id = m.framework_id AND e.entity_code = m.entity_code"
            f" WHERE m.framework_id = :f AND m.group_set IN ({marks}){which}) AS r "
            "WHERE result_member.framework_id = :f AND result_member.group_set = r.group_set"
            f" AND result_member.entity_code = r.entity_code{changed}"
        ),
        params,
    )


def refresh_user_sets(conn: Connection, *, exclude: Iterable[int] = ()) -> None:
    """After a peer-set write: the user-defined group sets of every framework (but those in
    ``exclude``, refreshed whole in the same transaction) again — memberships, peer ranks and
    the sets' averages, from the stored totals and category points. Nothing else moves."""
    bump(conn)
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    skip = set(exclude)
    ctx = _Context.load(conn)
    frameworks = conn.execute(
        select(FW.c.id, FW.c.grant, FW.c.level, FW.c.grant_fy, FW.c.max_points)
    ).all()
    for fw in frameworks:
        if fw.id in skip:
            continue
        user = ~RM.c.group_set.in_(BUILTIN_SETS)
        conn.execute(delete(RM).where(RM.c.framework_id == fw.id, user))
        conn.execute(
            delete(RA).where(
                RA.c.framework_id == fw.id, RA.c.group_set != "", ~RA.c.group_set.in_(BUILTIN_SETS)
            )
        )
        stored = conn.execute(
            select(RE.c.entity_code, RE.c.total, RE.c.category_points).where(
                RE.c.framework_id == fw.id
            )
        ).all()
        if not stored or not ctx.user_sets:
            continue
        totals = {code: total for code, total, _ in stored}
        cat_points = {code: dict(points or {}) for code, _, points in stored}
        members = ctx.memberships(fw, list(totals), builtin=False)
        _write_members(conn, fw.id, members)
        cats, items, _ = _tree(conn, fw.id)
        max_points = fw.max_points

        def rate(t: float, m: float = max_points) -> float:
            return t / m if m else 0.0

        _averages(conn, fw, cats, items, totals, cat_points, members, rate, base=False)


def _item_stats(
    conn: Connection,
    fid: int,
    *,
    base: bool = True,
    sets: Iterable[str] | None = None,
    groups: Iterable[tuple[str, str]] | None = None,
    only_keys: Iterable[tuple[str, str, str]] | None = None,
) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """Per item, the sum of points and the count of full marks: by prefecture (``base``), and
    by (set, group, prefecture) for ``sets`` (None: every set but prefecture; ``groups``: only
    these (set, group) pairs) — grouped queries over the cells."""
    full = text(
        "CASE WHEN item.max_points > 0 AND score.points >= item.max_points THEN 1 ELSE 0 END"
    )
    prefs = None if only_keys is None else sorted({p for p, g, _ in only_keys if p and not g})
    direct: list[Any] = []  # (block key, item, sum, full marks)
    if base and prefs is not None:
        direct = _pref_stats(conn, fid, full.text, prefs)
    by_pref = (
        []
        if prefs is not None
        else conn.execute(
            text(
                f"SELECT e.prefecture, score.item_id, SUM(score.points), SUM({full.text}) "
                "FROM score JOIN item ON item.id = score.item_id "
                "JOIN result_entity e ON e.framework_id = score.framework_id "
                "AND e.entity_code = score.entity_code "
                "WHERE score.framework_id = :f GROUP BY e.prefecture, score.item_id"
            ),
            {"f": fid},
        ).all()
        if base
        else []
    )
    params: dict[str, Any] = {"f": fid}
    if sets is None:
        which = "m.group_set <> 'prefecture'"
    else:
        names = sorted(set(sets) - {"prefecture"})
        if not names:
            names = [""]  # no set: no row
        which = "m.group_set IN (" + ", ".join(f":s{i}" for i in range(len(names))) + ")"
        params.update({f"s{i}": n for i, n in enumerate(names)})
    if groups is not None:
        pairs = sorted(g for g in set(groups) if g[0] != "prefecture") or [("", "")]
        which += (
            " AND ("
            + " OR ".join(
                f"(m.group_set = :gs{i} AND m.group_name = :gn{i})" for i in range(len(pairs))
            )
            + ")"
        )
        for i, (gs, gn) in enumerate(pairs):
            params[f"gs{i}"], params[f"gn{i}"] = gs, gn
    by_group = conn.execute(
        text(
            f"SELECT m.group_set, m.group_name, m.prefecture, score.item_id, SUM(score.points), "
            f"SUM({full.text}) FROM score JOIN item ON item.id = score.item_id "
            "JOIN result_member m ON m.framework_id = score.framework_id "
            "AND m.entity_code = score.entity_code "
            f"WHERE score.framework_id = :f AND {which} "
            "GROUP BY m.group_set, m.group_name, m.prefecture, score.item_id"
        ),
        params,
    ).all()
    sums: dict[Any, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    fulls: dict[Any, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for pref, item_id, s, n in by_pref:
        for key in (("", "", ""), (pref, "", "")):
            sums[key][item_id] += float(s or 0)
            fulls[key][item_id] += int(n or 0)
    for key, item_id, s, n in direct:
        sums[key][item_id] += float(s or 0)
        fulls[key][item_id] += int(n or 0)
    for gset, gname, pref, item_id, s, n in by_group:
        for key in (("", gset, gname), (pref, gset, gname)):
            sums[key][item_id] += float(s or 0)
            fulls[key][item_id] += int(n or 0)
    return sums, fulls


def _pref_stats(conn: Connection, fid: int, full: str, prefs: list[str]) -> list[Any]:
    """Rows (block key, item, sum, full marks) of the nation (one grouped query by item over
    every cell) and of the prefectures ``prefs`` (their cells only)."""
    nation = conn.execute(
        text(
            f"SELECT score.item_id, SUM(score.points), SUM({full}) "
            "FROM score JOIN item ON item.id = score.item_id "
            "WHERE score.framework_id = :f GROUP BY score.item_id"
        ),
        {"f": fid},
    ).all()
    out = [(("", "", ""), i, s, n) for i, s, n in nation]
    if not prefs:
        return out
    marks = ", ".join(f":p{i}" for i in range(len(prefs)))
    rows = conn.execute(
        text(
            f"SELECT e.prefecture, score.item_id, SUM(score.points), SUM({full}) "
            "FROM score JOIN item ON item.id = score.item_id "
            "JOIN result_entity e ON e.framework_id = score.framework_id "
            "AND e.entity_code = score.entity_code "
            f"WHERE score.framework_id = :f AND e.prefecture IN ({marks}) "
            "GROUP BY e.prefecture, score.item_id"
        ),
        {"f": fid, **{f"p{i}": p for i, p in enumerate(prefs)}},
    ).all()
    return out + [((p, "", ""), i, s, n) for p, i, s, n in rows]


def _averages(
    conn: Connection,
    fw: Any,
    cats: list[Any],
    items: list[Any],
    totals: dict[str, float],
    cat_points: dict[str, dict[str, float]],
    members: dict[str, dict[str, str]],
    rate: Any,
    *,
    base: bool = True,
    only: set[tuple[str, str, str]] | None = None,
) -> None:
    """The averages of each block: the nation and each prefecture (``base``), and each group of
    ``members``' sets, nationally and within each prefecture (``only``: just these blocks)."""
    blocks: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for c in totals:
        p = prefecture_of(c)
        if base:
            blocks[("", "", "")].append(c)
            blocks[(p, "", "")].append(c)
        for s, by in members.items():
            if s == "prefecture":  # its groups are the prefecture blocks
                continue
            blocks[("", s, by[c])].append(c)
            blocks[(p, s, by[c])].append(c)
    if only is not None:
        blocks = {k: v for k, v in blocks.items() if k in only}
        groups = {(gset, gname) for _, gset, gname in only if gset}
        sums, fulls = _item_stats(conn, fw.id, base=base, groups=groups, only_keys=only)
    else:
        sums, fulls = _item_stats(conn, fw.id, base=base, sets=None if base else members)
    cat_list = [(c.code, c.max_points) for c in cats]
    item_list = [(it.id, it.code) for it in items]
    item_codes = [code for _, code in item_list]
    rows = []
    for (pref, gset, gname), codes in blocks.items():
        n = len(codes)
        mean_total = sum(totals[c] for c in codes) / n
        block_sums = sums.get((pref, gset, gname), {})
        block_fulls = fulls.get((pref, gset, gname), {})
        cat_sums: dict[str, float] = defaultdict(float)
        for c in codes:
            for code, pts in cat_points[c].items():
                cat_sums[code] += pts
        rows.append(
            {
                "framework_id": fw.id,
                "prefecture": pref,
                "group_set": gset,
                "group_name": gname,
                "count": n,
                "mean_total": mean_total,
                "mean_score_rate": rate(mean_total),
                "categories": [
                    {
                        "code": code,
                        "mean_points": (m := cat_sums.get(code, 0.0) / n),
                        "mean_score_rate": m / cmax if cmax else 0.0,
                    }
                    for code, cmax in cat_list
                ],
                # three flat lists in item order (cheaper to write and read than dicts)
                "items": {
                    "code": item_codes,
                    "mean_points": [block_sums.get(iid, 0.0) / n for iid, _ in item_list],
                    "full_share": [block_fulls.get(iid, 0) / n for iid, _ in item_list],
                },
                "full_counts": {
                    code: block_fulls[iid] for iid, code in item_list if block_fulls.get(iid)
                },
            }
        )
    if rows:
        conn.execute(insert(RA), rows)


def refresh_entities(conn: Connection, touched: dict[int, set[str]]) -> None:
    """After a score write touching a few entities of these frameworks (framework id → entity
    codes): those entities' rows, everybody's ranks (window UPDATEs), and the averages of the
    blocks that hold a touched entity; then the previous-year links of their grants and
    levels. Every other stored row stays as it is (it does not move)."""
    bump(conn)
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    frameworks = conn.execute(
        select(FW.c.id, FW.c.grant, FW.c.level, FW.c.grant_fy, FW.c.max_points)
    ).all()
    by_id = {f.id: f for f in frameworks}
    wanted = sorted((by_id[f] for f in touched if f in by_id), key=lambda f: f.grant_fy)
    if not wanted:
        return
    ctx = _Context.load(conn)
    for fw in wanted:
        prev = previous_of(fw, frameworks)
        _refresh_some(conn, fw, prev.id if prev else None, ctx, touched[fw.id])  # type: ignore[attr-defined]
    families = {(f.grant, f.level) for f in wanted}
    for fw in sorted(frameworks, key=lambda f: f.grant_fy):
        if (fw.grant, fw.level) in families:
            prev = previous_of(fw, frameworks)
            _relink(conn, fw, prev.id if prev else None, ctx)  # type: ignore[attr-defined]


def _refresh_some(
    conn: Connection, fw: Any, prev_id: int | None, ctx: _Context, touched: set[str]
) -> None:
    fid, codes = fw.id, sorted(touched)
    conn.execute(delete(RE).where(RE.c.framework_id == fid, RE.c.entity_code.in_(codes)))
    conn.execute(delete(RM).where(RM.c.framework_id == fid, RM.c.entity_code.in_(codes)))
    cats, items, chains = _tree(conn, fid)
    totals, cat_points = roll_up(conn.execute(leaf_sums_query(fid, codes)).all(), chains)  # type: ignore[arg-type]
    max_points = fw.max_points

    def rate(t: float) -> float:
        return t / max_points if max_points else 0.0

    prev: dict[str, float] = {}
    if prev_id is not None and totals:
        prev = dict(
            conn.execute(  # type: ignore[arg-type]
                select(RE.c.entity_code, RE.c.total).where(
                    RE.c.framework_id == prev_id, RE.c.entity_code.in_(sorted(totals))
                )
            ).all()
        )
    if totals:
        conn.execute(
            insert(RE),
            [
                {
                    "framework_id": fid,
                    "entity_code": code,
                    "prefecture": prefecture_of(code),
                    "total": total,
                    "rank_key": rank_key(total),
                    "score_rate": rate(total),
                    "previous_total": prev.get(code),
                    "category_points": cat_points.get(code, {}),
                    "flags": flags_for(
                        fw.level, rate(total), total, prev.get(code), rule=ctx.rule(fw)
                    ),
                }
                for code, total in totals.items()
            ],
        )
    _rank_entities(conn, fid, changed_only=True)
    # memberships of the touched entities (the same as before for those already scored)
    _write_members(conn, fid, ctx.memberships(fw, list(totals)), rank=False)
    touched_members = ctx.memberships(fw, codes)
    # ranks move only in the groups holding a touched entity
    _rank_members(
        conn,
        fid,
        list(touched_members),
        groups={(s, g) for s, by in touched_members.items() for g in by.values()},
    )
    # the averages of every block holding a touched entity (scored now or before)
    keys: set[tuple[str, str, str]] = set()
    for s, by in touched_members.items():
        for c in codes:
            p = prefecture_of(c)
            keys |= {("", "", ""), (p, "", "")}
            if s != "prefecture":
                keys |= {("", s, by[c]), (p, s, by[c])}
    conn.execute(
        delete(RA).where(
            RA.c.framework_id == fid,
            or_(
                *(
                    and_(RA.c.prefecture == p, RA.c.group_set == gs, RA.c.group_name == gn)
                    for p, gs, gn in sorted(keys)
                )
            ),
        )
    )
    stored = conn.execute(
        select(RE.c.entity_code, RE.c.total, RE.c.category_points).where(RE.c.framework_id == fid)
    ).all()
    if not stored:
        return
    all_totals = {code: total for code, total, _ in stored}
    all_cats = {code: dict(points or {}) for code, _, points in stored}
    members = ctx.memberships(fw, list(all_totals))
    _averages(conn, fw, cats, items, all_totals, all_cats, members, rate, only=keys)


def _relink(conn: Connection, fw: Any, prev_id: int | None, ctx: _Context) -> None:
    """Previous-year totals and flags of a framework whose own figures did not change."""
    prev = _previous_totals(conn, prev_id)
    rows = conn.execute(
        select(
            RE.c.entity_code, RE.c.total, RE.c.score_rate, RE.c.previous_total, RE.c.flags
        ).where(RE.c.framework_id == fw.id)
    ).all()
    changes = []
    for code, total, score_rate, old_prev, old_flags in rows:
        p = prev.get(code)
        flags = flags_for(fw.level, score_rate, total, p, rule=ctx.rule(fw))
        if p != old_prev or flags != old_flags:
            changes.append({"c": code, "p": p, "fl": flags})
    if changes:
        from sqlalchemy import bindparam

        conn.execute(
            update(RE)
            .where(RE.c.framework_id == fw.id, RE.c.entity_code == bindparam("c"))
            .values(previous_total=bindparam("p"), flags=bindparam("fl")),
            changes,
        )

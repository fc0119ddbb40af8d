"""Regional values: validate every row, write all or nothing, refresh the read models (ranks
in the prefecture, unweighted means per prefecture, area class, peer group and nation) in
the same transaction; the reads select stored rows only."""

from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    String,
    and_,
    case,
    delete,
    func,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Invalid, NotFound
from services.common.models import utcnow
from services.common.registry import Municipality, get_registry
from services.indicators.peers.models import PeerTypeOverride
from services.indicators.regional.catalogue import MeasureInfo, load_catalogue
from services.indicators.regional.entities import resolve_entity
from services.indicators.regional.models import (
    RegionalMeasure,
    RegionalNationalFigure,
    RegionalRank,
    RegionalStat,
    RegionalValue,
)
from services.indicators.regional.schemas import FY_MAX, FY_MIN, SourceRef

V = RegionalValue.__table__  # type: ignore[attr-defined]
R = RegionalRank.__table__  # type: ignore[attr-defined]
S = RegionalStat.__table__  # type: ignore[attr-defined]
N = RegionalNationalFigure.__table__  # type: ignore[attr-defined]
PT = PeerTypeOverride.__table__  # type: ignore[attr-defined]

REGION_ORDER = ("区部", "市部", "町村部")
STATES = ("暫定", "確定")
# Cells official statistics print for "no figure": skipped on import, never read as 0.
NO_FIGURE = frozenset({"-", "－", "―", "‐", "…", "...", "x", "X", "*", "***", "秘匿", "−"})


def region_class_of(m: Municipality) -> str:
    """区部 / 市部 / 町村部: the registry's class for the home prefecture, else by kind."""
    if m.region_class:
        return m.region_class
    return {"特別区": "区部", "市": "市部"}.get(m.kind, "町村部")


def mean_out(x: float | None) -> float | None:
    """A stored mean as answered: rounded to 6 decimals (no float noise such as …0000002)."""
    return None if x is None else round(x, 6)


# --- parsing and checking ---------------------------------------------------------------------


def parse_number(raw: Any) -> float | None:
    """A number from JSON or a cell: 19.5, "19.5", "1,234", "19.5%", "１９．５" (None if not)."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        x = float(raw)
    else:
        text = unicodedata.normalize("NFKC", str(raw)).strip().replace(",", "")
        if text.endswith("%"):
            text = text[:-1].strip()
        try:
            x = float(text)
        except ValueError:
            return None
    return x if math.isfinite(x) else None


def check_value(m: MeasureInfo, x: float) -> str | None:
    if m.integer and not float(x).is_integer():
        return f"{m.name} は整数で入力してください ({x:g})"
    if m.min_value is not None and x < m.min_value:
        return f"{m.name} は {m.min_value:g} 以上です ({x:g} {m.unit})"
    if m.max_value is not None and x > m.max_value:
        return f"{m.name} は {m.max_value:g} 以下です ({x:g} {m.unit})"
    return None


def check_measure(
    catalogue: dict[str, MeasureInfo], code: Any, fy: int
) -> tuple[MeasureInfo | None, str | None]:
    code = "" if code is None else str(code).strip()
    m = catalogue.get(code)
    if m is None:
        return None, f"指標コード {code!r} はカタログにありません"
    if not m.in_force(fy):
        until = f"〜{m.until_fy}年度" if m.until_fy else "以降"
        return None, f"指標 {code} は{fy}年度には定義されていません (定義は{m.from_fy}年度{until})"
    return m, None


@dataclass(frozen=True, slots=True)
class Cell:
    fiscal_year: int
    entity: Municipality
    measure_code: str
    value: float | None  # None: remove the stored value


def validate_rows(
    catalogue: dict[str, MeasureInfo], fy: int, rows: list[Any]
) -> tuple[list[Cell], list[dict[str, Any]]]:
    """Cells from JSON rows, and every bad row's errors by index (loc values.i.field)."""
    cells: list[Cell] = []
    errors: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            errors.append(
                {
                    "loc": ["values", i],
                    "msg": '行は {"entity_code", "measure_code", "value"} の形で指定してください',
                }
            )
            continue
        bad = False
        muni, msg = resolve_entity(row.get("entity_code"))
        if msg:
            errors.append({"loc": ["values", i, "entity_code"], "msg": msg})
            bad = True
        measure, mmsg = check_measure(catalogue, row.get("measure_code"), fy)
        if mmsg:
            errors.append({"loc": ["values", i, "measure_code"], "msg": mmsg})
            bad = True
        if "value" not in row:
            errors.append(
                {"loc": ["values", i, "value"], "msg": "value がありません (値を消すときは null)"}
            )
            continue
        x = None
        if row["value"] is not None:
            x = parse_number(row["value"])
            if x is None:
                errors.append(
                    {
                        "loc": ["values", i, "value"],
                        "msg": f"値は数値で入力してください: {row['value']!r}",
                    }
                )
                continue
            if measure is not None:
                vmsg = check_value(measure, x)
                if vmsg:
                    errors.append({"loc": ["values", i, "value"], "msg": vmsg})
                    continue
        if bad or muni is None or measure is None:
            continue
        key = (muni.code, measure.code)
        if key in seen:
            errors.append(
                {
                    "loc": ["values", i],
                    "msg": f"{i}行目は {seen[key]}行目と同じ団体 ({muni.code}) ・指標です",
                }
            )
            continue
        seen[key] = i
        cells.append(Cell(fy, muni, measure.code, x))
    return cells, errors


def refuse(errors: list[dict[str, Any]], *, index: int = 1) -> Invalid:
    rows = sorted({e["loc"][index] for e in errors if len(e["loc"]) > index})
    shown = ", ".join(map(str, rows[:20])) + (" …" if len(rows) > 20 else "")
    return Invalid(
        f"{len(rows)}行に誤りがあります (0から数えた番号: {shown})。何も書き込んでいません",
        errors=errors,
    )


# --- writing ----------------------------------------------------------------------------------


async def _lock_measures(session: AsyncSession, codes: Iterable[str]) -> None:
    """Writes of one measure queue (PostgreSQL row locks, in code order: no deadlock), so that
    two writers cannot refresh its read models from each other's half-written state."""
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        t = RegionalMeasure.__table__  # type: ignore[attr-defined]
        await conn.execute(
            select(t.c.code).where(t.c.code.in_(sorted(codes))).order_by(t.c.code).with_for_update()
        )


async def peer_types(
    session: AsyncSession, municipalities: Iterable[Municipality]
) -> dict[str, str | None]:
    """Each municipality's peer type (its peer group here): the prefecture's setting
    (peers: ``PUT /peer-types/{code}``) where there is one, else the registry's default."""
    ms = {m.code: m for m in municipalities}
    if not ms:
        return {}
    conn = await session.connection()
    rows = (
        await conn.execute(
            select(PT.c.entity_code, PT.c.peer_type).where(PT.c.entity_code.in_(sorted(ms)))
        )
    ).all()
    set_ = {r.entity_code: r.peer_type for r in rows}
    return {c: set_.get(c) or m.peer_type for c, m in ms.items()}


async def peer_type_of(session: AsyncSession, m: Municipality) -> str | None:
    return (await peer_types(session, [m]))[m.code]


async def reassign_peer_group(
    session: AsyncSession, entity_code: str, peer_type: str | None
) -> int:
    """A municipality's peer type changed: its stored values move to the new peer group and
    the peer means (with ranks and the other means) of every year × measure it has a value
    for are recomputed, in the caller's transaction. Returns how many year × measure pairs
    were refreshed."""
    conn = await session.connection()
    # Every measure, in code order (as writes lock them): a concurrent value write either
    # committed before (its rows move here) or waits and reads the new type after this commit.
    await _lock_measures(session, (await load_catalogue(session)).keys())
    pairs = (
        await conn.execute(
            select(V.c.fiscal_year, V.c.measure_code).where(V.c.entity_code == entity_code)
        )
    ).all()
    if not pairs:
        return 0
    await conn.execute(update(V).where(V.c.entity_code == entity_code).values(peer_group=peer_type))
    touched: dict[int, set[str]] = defaultdict(set)
    for fy, code in pairs:
        touched[fy].add(code)
    for fy, codes in sorted(touched.items()):
        await refresh(session, fy, sorted(codes))
    return len(pairs)


async def write_cells(
    session: AsyncSession,
    cells: list[Cell],
    *,
    actor: Actor,
    source: str = "",
    sample: bool = False,
    import_id: int | None = None,
) -> tuple[int, int]:
    """Upsert (or remove, for None) these cells, then refresh the read models of every
    fiscal year × measure touched. Returns (written, deleted)."""
    if not cells:
        return 0, 0
    touched: dict[int, set[str]] = defaultdict(set)
    for c in cells:
        touched[c.fiscal_year].add(c.measure_code)
    await _lock_measures(session, {c.measure_code for c in cells})
    # Read after the lock: a peer-type write holding it has committed its type by now.
    types = await peer_types(session, [c.entity for c in cells])
    conn = await session.connection()
    now, who = utcnow(), actor.label
    upserts = [
        {
            "fiscal_year": c.fiscal_year,
            "measure_code": c.measure_code,
            "entity_code": c.entity.code,
            "value": c.value,
            "prefecture": c.entity.prefecture,
            "region_class": region_class_of(c.entity),
            "peer_group": types.get(c.entity.code),
            "source": source,
            "sample": sample,
            "import_id": import_id,
            "updated_at": now,
            "updated_by": who,
        }
        for c in cells
        if c.value is not None
    ]
    removals = [c for c in cells if c.value is None]
    deleted = 0
    if removals:
        for c in removals:
            result = await conn.execute(
                delete(V).where(
                    V.c.fiscal_year == c.fiscal_year,
                    V.c.measure_code == c.measure_code,
                    V.c.entity_code == c.entity.code,
                )
            )
            deleted += result.rowcount or 0
    if upserts:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(V)
        stmt = stmt.on_conflict_do_update(
            index_elements=["fiscal_year", "measure_code", "entity_code"],
            set_={
                k: stmt.excluded[k]
                for k in (
                    "value",
                    "prefecture",
                    "region_class",
                    "peer_group",
                    "source",
                    "sample",
                    "import_id",
                    "updated_at",
                    "updated_by",
                )
            },
        )
        for start in range(0, len(upserts), 5_000):
            await conn.execute(stmt, upserts[start : start + 5_000])
    for fy, codes in sorted(touched.items()):
        await refresh(session, fy, sorted(codes))
    return len(upserts), deleted


def _const(text: str) -> Any:
    # An inline SQL constant (ours, never user input): a bound parameter in an
    # INSERT … SELECT … GROUP BY would make PostgreSQL see two different expressions.
    return literal_column(f"'{text}'", String)


async def refresh(session: AsyncSession, fy: int, codes: list[str]) -> None:
    """Recompute ranks and means of these measures in this year, set-based."""
    conn = await session.connection()
    base = and_(V.c.fiscal_year == fy, V.c.measure_code.in_(codes))
    await conn.execute(delete(R).where(R.c.fiscal_year == fy, R.c.measure_code.in_(codes)))
    part = [V.c.measure_code, V.c.prefecture]
    await conn.execute(
        R.insert().from_select(
            ["fiscal_year", "measure_code", "entity_code", "rank_in_prefecture", "rank_of"],
            select(
                V.c.fiscal_year,
                V.c.measure_code,
                V.c.entity_code,
                func.rank().over(partition_by=part, order_by=V.c.value.desc()),
                func.count().over(partition_by=part),
            ).where(base),
        )
    )
    await conn.execute(delete(S).where(S.c.fiscal_year == fy, S.c.measure_code.in_(codes)))
    samples = func.sum(case((V.c.sample == true(), 1), else_=0))
    columns = ["fiscal_year", "measure_code", "scope", "scope_key", "mean", "count", "sample_count"]
    scopes: list[tuple[str, Any, list[Any], list[Any]]] = [
        ("prefecture", V.c.prefecture, [V.c.prefecture], []),
        (
            "region",
            V.c.prefecture + _const(":") + V.c.region_class,
            [V.c.prefecture, V.c.region_class],
            [],
        ),
        ("peer", V.c.peer_group, [V.c.peer_group], [V.c.peer_group.is_not(None)]),
        ("national", _const(""), [], []),
    ]
    for scope, key, group_by, where in scopes:
        await conn.execute(
            S.insert().from_select(
                columns,
                select(
                    V.c.fiscal_year,
                    V.c.measure_code,
                    _const(scope),
                    key,
                    func.avg(V.c.value),
                    func.count(),
                    samples,
                )
                .where(base, *where)
                .group_by(V.c.fiscal_year, V.c.measure_code, *group_by),
            )
        )


async def write_values(
    session: AsyncSession, fy: int, rows: list[Any], *, actor: Actor, source: str = ""
) -> tuple[int, int]:
    """PUT /regional/{fy}/values: every row valid, or 422 naming every bad row."""
    catalogue = await load_catalogue(session)
    cells, errors = validate_rows(catalogue, fy, rows)
    if errors:
        raise refuse(errors)
    return await write_cells(session, cells, actor=actor, source=source)


# --- national figures ---------------------------------------------------------------------------


async def write_national(
    session: AsyncSession, fy: int, rows: list[Any], *, actor: Actor
) -> tuple[int, int]:
    """Published national figures with their source; all or nothing, null value removes."""
    catalogue = await load_catalogue(session)
    errors: list[dict[str, Any]] = []
    good: list[dict[str, Any]] = []
    removals: list[str] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        loc = ["figures", i]
        if not isinstance(row, dict):
            errors.append({"loc": loc, "msg": "行はオブジェクトで指定してください"})
            continue
        m, mmsg = check_measure(catalogue, row.get("measure_code"), fy)
        if mmsg:
            errors.append({"loc": [*loc, "measure_code"], "msg": mmsg})
        elif m is not None and m.code in seen:
            errors.append({"loc": [*loc, "measure_code"], "msg": f"{m.code} が重複しています"})
            continue
        if "value" not in row:
            errors.append({"loc": [*loc, "value"], "msg": "value がありません (消すときは null)"})
            continue
        if row["value"] is None:
            if m is not None:
                seen.add(m.code)
                removals.append(m.code)
            continue
        x = parse_number(row["value"])
        if x is None:
            errors.append({"loc": [*loc, "value"], "msg": "値は数値で入力してください"})
        elif m is not None and (vmsg := check_value(m, x)):
            errors.append({"loc": [*loc, "value"], "msg": vmsg})
        state = row.get("state")
        if state not in STATES:
            errors.append({"loc": [*loc, "state"], "msg": "state は 暫定 または 確定 です"})
        try:
            src = SourceRef.model_validate(row.get("source"))
        except ValueError:
            errors.append(
                {
                    "loc": [*loc, "source"],
                    "msg": "出典 source {publisher, document, date, page} が必要です "
                    "(公表者と資料名は必須)",
                }
            )
            continue
        if m is None or x is None or state not in STATES:
            continue
        seen.add(m.code)
        good.append(
            {
                "fiscal_year": fy,
                "measure_code": m.code,
                "value": x,
                "state": state,
                "source": src.model_dump(mode="json", exclude_defaults=True),
            }
        )
    if errors:
        raise refuse(errors)
    conn = await session.connection()
    now, who = utcnow(), actor.label
    deleted = 0
    for code in removals:
        r = await conn.execute(delete(N).where(N.c.fiscal_year == fy, N.c.measure_code == code))
        deleted += r.rowcount or 0
    if good:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(N)
        stmt = stmt.on_conflict_do_update(
            index_elements=["fiscal_year", "measure_code"],
            set_={
                k: stmt.excluded[k]
                for k in ("value", "state", "source", "updated_at", "updated_by")
            },
        )
        await conn.execute(stmt, [{**g, "updated_at": now, "updated_by": who} for g in good])
    return len(good), deleted


async def list_national(session: AsyncSession, fy: int) -> list[dict[str, Any]]:
    conn = await session.connection()
    rows = (
        await conn.execute(select(N).where(N.c.fiscal_year == fy).order_by(N.c.measure_code))
    ).all()
    return [dict(r._mapping) for r in rows]


# --- reading ----------------------------------------------------------------------------------


def require_municipality(raw: str, *, loc: str = "entity_code") -> Municipality:
    """The municipality of a query's code or insurer number (422 when malformed, 404 when the
    well-formed code names no municipality)."""
    m, msg = resolve_entity(raw)
    if m is not None:
        return m
    if msg and ("登録されていません" in msg or "対応する区市町村がありません" in msg):
        raise NotFound(msg)
    raise Invalid(
        msg or "団体コードが正しくありません", errors=[{"loc": ["query", loc], "msg": msg}]
    )


def total_municipalities() -> int:
    return len(get_registry().municipalities)


@dataclass
class Stats:
    """Stored means of some years and measures, by (fy, code, scope, key)."""

    rows: dict[tuple[int, str, str, str], tuple[float, int, int]]
    figures: dict[tuple[int, str], dict[str, Any]]

    def mean(self, fy: int, code: str, scope: str, key: str | None) -> float | None:
        if key is None:
            return None
        got = self.rows.get((fy, code, scope, key))
        return mean_out(got[0]) if got else None

    def national(self, fy: int, code: str) -> float | None:
        """A published national figure, else the unweighted mean when every municipality of
        the country has a value, else None."""
        fig = self.figures.get((fy, code))
        if fig is not None:
            return fig["value"]
        got = self.rows.get((fy, code, "national", ""))
        if got and got[1] >= total_municipalities():
            return mean_out(got[0])
        return None

    def samples(self, fy: int, code: str) -> int:
        got = self.rows.get((fy, code, "national", ""))
        return got[2] if got else 0


async def load_stats(
    session: AsyncSession,
    *,
    years: Iterable[int] | None,
    codes: Iterable[str] | None,
    prefecture: str | None,
    peer_group: str | None,
    all_regions_of: str | None = None,
    all_peers: bool = False,
) -> Stats:
    conn = await session.connection()
    scopes = [S.c.scope == "national"]
    if prefecture:
        scopes.append(and_(S.c.scope == "prefecture", S.c.scope_key == prefecture))
    if peer_group:
        scopes.append(and_(S.c.scope == "peer", S.c.scope_key == peer_group))
    if all_peers:
        scopes.append(S.c.scope == "peer")
    if all_regions_of:
        scopes.append(and_(S.c.scope == "region", S.c.scope_key.like(f"{all_regions_of}:%")))
    q = select(S).where(or_(*scopes))
    nq = select(N)
    if years is not None:
        ys = sorted(set(years))
        q = q.where(S.c.fiscal_year.in_(ys))
        nq = nq.where(N.c.fiscal_year.in_(ys))
    if codes is not None:
        cs = sorted(set(codes))
        q = q.where(S.c.measure_code.in_(cs))
        nq = nq.where(N.c.measure_code.in_(cs))
    rows = {
        (r.fiscal_year, r.measure_code, r.scope, r.scope_key): (r.mean, r.count, r.sample_count)
        for r in (await conn.execute(q)).all()
    }
    figures = {
        (r.fiscal_year, r.measure_code): dict(r._mapping) for r in (await conn.execute(nq)).all()
    }
    return Stats(rows, figures)


async def compare(session: AsyncSession, fy: int, entity_code: str) -> dict[str, Any]:
    """The fixed comparison of one municipality with its peers, prefecture and nation."""
    m = require_municipality(entity_code)
    catalogue = {c: x for c, x in (await load_catalogue(session)).items() if x.in_force(fy)}
    conn = await session.connection()
    values = dict(
        (
            await conn.execute(
                select(V.c.measure_code, V.c.value).where(
                    V.c.fiscal_year == fy, V.c.entity_code == m.code
                )
            )
        ).all()
    )
    ranks = dict(
        (
            await conn.execute(
                select(R.c.measure_code, R.c.rank_in_prefecture).where(
                    R.c.fiscal_year == fy, R.c.entity_code == m.code
                )
            )
        ).all()
    )
    peer = await peer_type_of(session, m)
    stats = await load_stats(
        session, years=[fy], codes=None, prefecture=m.prefecture, peer_group=peer
    )
    return {
        "entity_code": m.code,
        "fiscal_year": fy,
        "peer_group": peer,
        "measures": [
            {
                "code": x.code,
                "name": x.name,
                "unit": x.unit,
                "value": values.get(x.code),
                "peer_mean": stats.mean(fy, x.code, "peer", peer),
                "prefecture_mean": stats.mean(fy, x.code, "prefecture", m.prefecture),
                "national_mean": stats.national(fy, x.code),
                "rank_in_prefecture": ranks.get(x.code),
            }
            for x in catalogue.values()
        ],
    }


async def across(session: AsyncSession, fy: int, code: str, prefecture: str) -> dict[str, Any]:
    """One measure across a prefecture's municipalities, grouped by 区部/市部/町村部."""
    reg = get_registry()
    pref = reg.prefecture(prefecture)
    if pref is None:
        raise NotFound(f"都道府県番号 {prefecture} はありません (01〜47)")
    catalogue = await load_catalogue(session)
    measure = catalogue.get(code)
    if measure is None:
        raise NotFound(f"指標 {code!r} はカタログにありません")
    conn = await session.connection()
    rows = (
        await conn.execute(
            select(V.c.entity_code, V.c.value, V.c.source, V.c.sample, R.c.rank_in_prefecture)
            .select_from(
                V.outerjoin(
                    R,
                    and_(
                        R.c.fiscal_year == V.c.fiscal_year,
                        R.c.measure_code == V.c.measure_code,
                        R.c.entity_code == V.c.entity_code,
                    ),
                )
            )
            .where(V.c.fiscal_year == fy, V.c.measure_code == code, V.c.prefecture == prefecture)
        )
    ).all()
    by_code = {r.entity_code: r for r in rows}
    stats = await load_stats(
        session,
        years=[fy],
        codes=[code],
        prefecture=prefecture,
        peer_group=None,
        all_regions_of=prefecture,
        all_peers=True,
    )
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    types = await peer_types(session, reg.in_prefecture(prefecture))
    for muni in reg.in_prefecture(prefecture):
        r = by_code.get(muni.code)
        groups[region_class_of(muni)].append(
            {
                "entity_code": muni.code,
                "name": muni.name,
                "value": r.value if r else None,
                "rank_in_prefecture": r.rank_in_prefecture if r else None,
                "peer_group": types[muni.code],
                "source": r.source if r else None,
                "sample": bool(r.sample) if r else False,
            }
        )
    order = [g for g in REGION_ORDER if g in groups] + sorted(set(groups) - set(REGION_ORDER))
    peer_means = {
        key: mean_out(mean)
        for (y, c, scope, key), (mean, _n, _s) in stats.rows.items()
        if scope == "peer" and y == fy and c == code
    }
    fig = stats.figures.get((fy, code))
    return {
        "fiscal_year": fy,
        "prefecture": prefecture,
        "prefecture_name": pref.name,
        "measure": measure.public(fy),
        "prefecture_mean": stats.mean(fy, code, "prefecture", prefecture),
        "national_mean": stats.national(fy, code),
        "national_source": ({**fig["source"], "state": fig["state"]} if fig is not None else None),
        "peer_means": dict(sorted(peer_means.items())),
        "count": len(by_code),
        "of": sum(len(g) for g in groups.values()),
        "sample": any(r.sample for r in rows),
        "groups": [
            {
                "region_class": g,
                "mean": stats.mean(fy, code, "region", f"{prefecture}:{g}"),
                "count": sum(1 for x in groups[g] if x["value"] is not None),
                "municipalities": groups[g],
            }
            for g in order
        ],
    }


def _years_in(years: Iterable[int], lo: int | None, hi: int | None) -> list[int]:
    return sorted(y for y in set(years) if (lo is None or y >= lo) and (hi is None or y <= hi))


async def known_years(session: AsyncSession) -> list[int]:
    conn = await session.connection()
    ys = (await conn.execute(select(S.c.fiscal_year).distinct())).scalars().all()
    ns = (await conn.execute(select(N.c.fiscal_year).distinct())).scalars().all()
    return sorted(set(ys) | set(ns))


async def trend(
    session: AsyncSession,
    entity_code: str,
    *,
    codes: list[str] | None = None,
    from_fy: int | None = None,
    to_fy: int | None = None,
) -> dict[str, Any]:
    """A municipality's measures over the years with the means beside them (one call)."""
    m = require_municipality(entity_code)
    catalogue = await load_catalogue(session)
    if codes:
        unknown = [c for c in codes if c not in catalogue]
        if unknown:
            raise Invalid(
                f"カタログにない指標コードです: {', '.join(unknown)}",
                errors=[
                    {"loc": ["query", "measures"], "msg": f"{c} はありません"} for c in unknown
                ],
            )
        chosen = [catalogue[c] for c in codes]
    else:
        chosen = list(catalogue.values())
    years = _years_in(await known_years(session), from_fy, to_fy)
    conn = await session.connection()
    wanted = [x.code for x in chosen]
    values: dict[tuple[int, str], tuple[float, bool]] = {}
    if years:
        for fy, code, value, sample in (
            await conn.execute(
                select(V.c.fiscal_year, V.c.measure_code, V.c.value, V.c.sample).where(
                    V.c.entity_code == m.code,
                    V.c.fiscal_year.in_(years),
                    V.c.measure_code.in_(wanted),
                )
            )
        ).all():
            values[(fy, code)] = (value, bool(sample))
    ranks = {
        (r.fiscal_year, r.measure_code): (r.rank_in_prefecture, r.rank_of)
        for r in (
            await conn.execute(
                select(R).where(
                    R.c.entity_code == m.code,
                    R.c.fiscal_year.in_(years),
                    R.c.measure_code.in_(wanted),
                )
            )
        ).all()
    }
    peer = await peer_type_of(session, m)
    stats = await load_stats(
        session, years=years, codes=wanted, prefecture=m.prefecture, peer_group=peer
    )
    out_measures = []
    for x in chosen:
        points = []
        for fy in years:
            if not x.in_force(fy):
                continue
            v = values.get((fy, x.code))
            rk = ranks.get((fy, x.code), (None, None))
            points.append(
                {
                    "fiscal_year": fy,
                    "value": v[0] if v else None,
                    "peer_mean": stats.mean(fy, x.code, "peer", peer),
                    "prefecture_mean": stats.mean(fy, x.code, "prefecture", m.prefecture),
                    "national_mean": stats.national(fy, x.code),
                    "rank_in_prefecture": rk[0],
                    "rank_of": rk[1],
                }
            )
        out_measures.append(
            {
                "code": x.code,
                "name": x.name,
                "unit": x.unit,
                "decimals": x.decimals,
                "favourable_direction": x.favourable_direction,
                "points": points,
            }
        )
    return {
        "entity_code": m.code,
        "name": m.name,
        "prefecture": m.prefecture,
        "peer_group": peer,
        "region_class": region_class_of(m),
        "fiscal_years": years,
        "sample": any(s for _v, s in values.values()),
        "measures": out_measures,
    }


def parse_cites(cites: list[str]) -> list[tuple[str, int]]:
    """``code:fiscal_year`` pairs (422 naming each malformed one)."""
    out: list[tuple[str, int]] = []
    errors = []
    for i, c in enumerate(cites):
        code, _, fy = c.partition(":")
        if not code or not fy.isdigit() or not (FY_MIN <= int(fy) <= FY_MAX):
            errors.append(
                {
                    "loc": ["query", "cite", i],
                    "msg": f"{c!r}: 「指標コード:年度」の形で指定してください (例: certification_rate:2023)",
                }
            )
            continue
        out.append((code.strip(), int(fy)))
    if errors:
        raise Invalid("cite の形式が正しくありません", errors=errors)
    return out


async def evidence(session: AsyncSession, entity_code: str, cites: list[str]) -> dict[str, Any]:
    """The values a logic tree cites (measure × year) for one municipality, in one call."""
    m = require_municipality(entity_code)
    pairs = parse_cites(cites)
    catalogue = await load_catalogue(session)
    years = {fy for _c, fy in pairs}
    codes = {c for c, _fy in pairs}
    conn = await session.connection()
    values = {
        (r.fiscal_year, r.measure_code): r
        for r in (
            await conn.execute(
                select(V).where(
                    V.c.entity_code == m.code,
                    V.c.fiscal_year.in_(years),
                    V.c.measure_code.in_(codes),
                )
            )
        ).all()
    }
    ranks = {
        (r.fiscal_year, r.measure_code): r
        for r in (
            await conn.execute(
                select(R).where(
                    R.c.entity_code == m.code,
                    R.c.fiscal_year.in_(years),
                    R.c.measure_code.in_(codes),
                )
            )
        ).all()
    }
    peer = await peer_type_of(session, m)
    stats = await load_stats(
        session, years=years, codes=codes, prefecture=m.prefecture, peer_group=peer
    )
    items = []
    for code, fy in pairs:
        x = catalogue.get(code)
        known = x is not None and x.in_force(fy)
        v = values.get((fy, code))
        rk = ranks.get((fy, code))
        items.append(
            {
                "measure_code": code,
                "fiscal_year": fy,
                "known": known,
                "name": x.name if x else None,
                "unit": x.unit if x else None,
                "decimals": x.decimals if x else None,
                "value": v.value if v is not None else None,
                "peer_mean": stats.mean(fy, code, "peer", peer),
                "prefecture_mean": stats.mean(fy, code, "prefecture", m.prefecture),
                "national_mean": stats.national(fy, code),
                "rank_in_prefecture": rk.rank_in_prefecture if rk is not None else None,
                "rank_of": rk.rank_of if rk is not None else None,
                "source": v.source if v is not None else None,
                "sample": bool(v.sample) if v is not None else False,
            }
        )
    return {"entity_code": m.code, "peer_group": peer, "items": items}


async def year_summaries(session: AsyncSession) -> list[dict[str, Any]]:
    """Fiscal years holding values or national figures (from the read model: cheap)."""
    conn = await session.connection()
    per_year: dict[int, dict[str, Any]] = {}
    for fy, measures, values, samples in (
        await conn.execute(
            select(
                S.c.fiscal_year,
                func.count(),
                func.sum(S.c.count),
                func.sum(S.c.sample_count),
            )
            .where(S.c.scope == "national")
            .group_by(S.c.fiscal_year)
        )
    ).all():
        per_year[fy] = {
            "fiscal_year": fy,
            "measures": measures,
            "values": int(values or 0),
            "sample": bool(samples),
            "national_figures": 0,
        }
    for fy, n in (
        await conn.execute(select(N.c.fiscal_year, func.count()).group_by(N.c.fiscal_year))
    ).all():
        per_year.setdefault(
            fy,
            {"fiscal_year": fy, "measures": 0, "values": 0, "sample": False, "national_figures": 0},
        )["national_figures"] = n
    return [per_year[y] for y in sorted(per_year, reverse=True)]

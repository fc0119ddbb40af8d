"""Writing scores: validate every row first, then one bulk upsert (all or nothing)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Invalid
from services.common.models import utcnow
from services.indicators.frameworks.models import Item, Level
from services.indicators.frameworks.service import ItemInfo, Tree
from services.indicators.insurers.service import Directory, load_directory
from services.indicators.results import readmodels
from services.indicators.scores.models import Score
from services.indicators.tabular import code_text, col_name, decode_csv, number, read_table, text

__all__ = ["col_name", "decode_csv", "read_table"]  # re-exported for older imports


def normalise_code(code: Any) -> str:
    return code_text(code)


def parse_points(value: Any) -> float | None:
    return number(value)


@dataclass(frozen=True, slots=True)
class Cell:
    entity_code: str
    item_id: int
    points: float


def check_points(item: Item | ItemInfo, points: float | None) -> str | None:
    if points is None:
        return "得点は数値で入力してください"
    if points != points or not (item.min_points <= points <= item.max_points):  # NaN too
        return (
            f"指標 {item.code} の得点は {item.min_points:g}〜{item.max_points:g} の範囲で"
            f"入力してください ({points:g})"
        )
    return None


def validate_rows(
    tree: Tree, rows: list[Any], directory: Directory
) -> tuple[list[Cell], list[dict[str, Any]]]:
    """Cells from JSON rows, and every bad row's errors by index. ``entity_code`` may be a
    municipality code or an insurer number; the cell is stored under the entity it names."""
    check_entity = directory.checker(tree.framework.level)
    cells: dict[tuple[str, int], Cell] = {}
    errors: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            errors.append({"loc": ["scores", i], "msg": "行はオブジェクトで指定してください"})
            continue
        resolved, msg = check_entity(row.get("entity_code"))
        if msg:
            errors.append({"loc": ["scores", i, "entity_code"], "msg": msg})
        item = tree.info.get(str(row.get("item_code", "")).strip())
        if item is None:
            errors.append(
                {
                    "loc": ["scores", i, "item_code"],
                    "msg": f"指標コード {row.get('item_code')!r} はこの体系にありません",
                }
            )
            continue
        points = parse_points(row.get("points"))
        pmsg = check_points(item, points)
        if pmsg:
            errors.append({"loc": ["scores", i, "points"], "msg": pmsg})
        if msg or pmsg:
            continue
        code = resolved.entity_code  # type: ignore[union-attr]
        cells[(code, item.id)] = Cell(code, item.id, points)  # type: ignore[arg-type]
    return list(cells.values()), errors


async def upsert_cells(
    session: AsyncSession, tree: Tree, cells: list[Cell], *, actor: Actor
) -> int:
    """Replace these cells in one set-based statement (INSERT … ON CONFLICT DO UPDATE)."""
    if not cells:
        return 0
    fw = tree.framework
    # Plain locals: ORM attribute reads per cell cost a noticeable part of a bulk import.
    fw_id, ev_fy, gr_fy, now, who = fw.id, fw.evaluation_fy, fw.grant_fy, utcnow(), actor.label
    fw.updated_at = now
    # the results read models of this framework are refreshed before the transaction commits
    readmodels.mark(session, fw_id, entities={c.entity_code for c in cells})
    dialect = session.bind.dialect.name  # type: ignore[union-attr]
    if dialect == "postgresql":
        records = [
            (fw_id, c.entity_code, c.item_id, c.points, ev_fy, gr_fy, now, who) for c in cells
        ]
        await _copy_upsert(session, records)
    else:
        # The rows one batch at a time (_sqlite_upsert): a national import's 174,100 rows
        # built at once, as tuples and then as parameter dicts, were most of the process's
        # peak memory.
        await _sqlite_upsert(
            session,
            ((fw_id, c.entity_code, c.item_id, c.points, ev_fy, gr_fy, now, who) for c in cells),
        )
    if fw.level == Level.municipality:
        # the prefecture's deduction item follows the municipal results (compute on write)
        from services.indicators.scores.deduction import refresh

        await refresh(session, fw)
    return len(cells)


async def _sqlite_upsert(session: AsyncSession, records: Iterable[tuple[Any, ...]]) -> None:
    dialect = session.bind.dialect.name  # type: ignore[union-attr]
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = Score.__table__  # type: ignore[attr-defined]
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["framework_id", "entity_code", "item_id"],
        set_={
            "points": stmt.excluded.points,
            "evaluation_fy": stmt.excluded.evaluation_fy,
            "grant_fy": stmt.excluded.grant_fy,
            "updated_at": stmt.excluded.updated_at,
            "updated_by": stmt.excluded.updated_by,
        },
    )
    # The parameter dicts one batch at a time (see upsert_cells).
    rows = iter(records)
    while values := [dict(zip(COLUMNS, r, strict=True)) for r in islice(rows, 20_000)]:
        await (await session.connection()).execute(stmt, values)
        del values


COLUMNS = (
    "framework_id",
    "entity_code",
    "item_id",
    "points",
    "evaluation_fy",
    "grant_fy",
    "updated_at",
    "updated_by",
)


async def _copy_upsert(session: AsyncSession, records: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: COPY the cells into a temporary table, then one INSERT … SELECT … ON
    CONFLICT DO UPDATE (an order of magnitude faster than executemany for 100,000+ rows)."""
    conn = await session.connection()
    raw = (await conn.get_raw_connection()).driver_connection
    await raw.execute(
        "CREATE TEMP TABLE IF NOT EXISTS score_in (LIKE score INCLUDING DEFAULTS) ON COMMIT DROP"
    )
    await raw.execute("TRUNCATE score_in")
    await raw.copy_records_to_table("score_in", records=records, columns=list(COLUMNS))
    await raw.execute(
        f"INSERT INTO score ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} FROM score_in "
        "ON CONFLICT (framework_id, entity_code, item_id) DO UPDATE SET "
        "points = EXCLUDED.points, evaluation_fy = EXCLUDED.evaluation_fy, "
        "grant_fy = EXCLUDED.grant_fy, updated_at = EXCLUDED.updated_at, "
        "updated_by = EXCLUDED.updated_by"
    )
    if len(records) >= 10_000:
        # Fresh statistics after a bulk load, so that results get a good plan at once
        # (autovacuum would analyse only later).
        await raw.execute("ANALYZE score, item")


async def write_scores(session: AsyncSession, tree: Tree, rows: list[Any], *, actor: Actor) -> int:
    cells, errors = validate_rows(tree, rows, await load_directory(session))
    if errors:
        raise Invalid(
            f"{len({e['loc'][1] for e in errors})}行に誤りがあります。何も書き込んでいません",
            errors=errors,
        )
    return await upsert_cells(session, tree, cells, actor=actor)


# --- file import -----------------------------------------------------------------------------

ENTITY_HEADERS = {
    "entity_code",
    "団体コード",
    "保険者コード",
    "保険者番号",
    "insurer_number",
    "地方公共団体コード",
    "コード",
    "code",
}
ITEM_HEADERS = {"item_code", "指標コード", "指標"}
POINTS_HEADERS = {"points", "得点", "点数"}
NAME_HEADERS = {"name", "名称", "団体名", "保険者名", "区市町村名", "都道府県名"}


_s = text


def parse_score_table(
    tree: Tree, table: list[list[Any]], directory: Directory
) -> tuple[list[Cell], list[dict[str, Any]]]:
    """Cells from a long (entity, item, points) or wide (entity + one column per item code)
    table; errors by line and column."""
    if not table:
        raise Invalid("ファイルが空です")
    header = [_s(h) for h in table[0]]
    lower = [h.lower() for h in header]
    check_entity = directory.checker(tree.framework.level)
    errors: list[dict[str, Any]] = []
    cells: dict[tuple[str, int], Cell] = {}

    def col_of(names: set[str]) -> int | None:
        for i, h in enumerate(lower):
            if h in names:
                return i
        return None

    ent_col = col_of(ENTITY_HEADERS)
    if ent_col is None:
        raise Invalid(
            "1行目に団体コードの列 (entity_code または 団体コード) が必要です",
            errors=[{"loc": ["line", 1], "msg": "団体コードの列が見つかりません"}],
        )
    item_col, pts_col = col_of(ITEM_HEADERS), col_of(POINTS_HEADERS)
    by_code = tree.info
    if item_col is not None and pts_col is not None:
        for line, row in enumerate(table[1:], start=2):
            if not any(row):  # an empty line ('' and None are falsy)
                continue
            row = list(row) + [None] * (len(header) - len(row))
            bad = False
            resolved, msg = check_entity(row[ent_col])
            if msg:
                errors.append({"loc": ["line", line, "column", header[ent_col]], "msg": msg})
                bad = True
            item = by_code.get(_s(row[item_col]))
            if item is None:
                errors.append(
                    {
                        "loc": ["line", line, "column", header[item_col]],
                        "msg": f"指標コード {_s(row[item_col])!r} はこの体系にありません",
                    }
                )
                continue
            points = parse_points(row[pts_col])
            pmsg = check_points(item, points)
            if pmsg:
                errors.append({"loc": ["line", line, "column", header[pts_col]], "msg": pmsg})
                bad = True
            if not bad:
                code = resolved.entity_code  # type: ignore[union-attr]
                cells[(code, item.id)] = Cell(code, item.id, points)  # type: ignore[arg-type]
        return list(cells.values()), errors
    # Wide: every other column is an item code (a name column is allowed and ignored).
    columns: list[tuple[int, ItemInfo]] = []
    for i, h in enumerate(header):
        if i == ent_col or lower[i] in NAME_HEADERS or not h:
            continue
        item = by_code.get(h)
        if item is None:
            errors.append(
                {
                    "loc": ["line", 1, "column", h],
                    "msg": f"列名 {h!r} はこの体系の指標コードではありません",
                }
            )
        else:
            columns.append((i, item))
    if errors:
        return [], errors
    if not columns:
        raise Invalid("指標コードの列がありません (縦持ちなら item_code と points の列が必要です)")
    for line, row in enumerate(table[1:], start=2):
        if not any(row):  # an empty line
            continue
        resolved, msg = check_entity(row[ent_col] if ent_col < len(row) else None)
        if msg:
            errors.append({"loc": ["line", line, "column", header[ent_col]], "msg": msg})
            continue
        code = resolved.entity_code  # type: ignore[union-attr]
        for i, item in columns:
            raw = row[i] if i < len(row) else None
            if raw is None or raw == "" or (isinstance(raw, str) and not raw.strip()):
                continue  # an empty cell is not written
            points = parse_points(raw)
            pmsg = check_points(item, points)
            if pmsg:
                errors.append({"loc": ["line", line, "column", header[i]], "msg": pmsg})
                continue
            cells[(code, item.id)] = Cell(code, item.id, points)  # type: ignore[arg-type]
    return list(cells.values()), errors


async def import_scores(
    session: AsyncSession, tree: Tree, filename: str, data: bytes, *, actor: Actor
) -> int:
    cells, errors = parse_score_table(
        tree, read_table(filename, data), await load_directory(session)
    )
    if errors:
        lines = sorted({e["loc"][1] for e in errors})
        raise Invalid(
            f"{len(lines)}行に誤りがあります (行 {', '.join(map(str, lines[:20]))}"
            f"{' …' if len(lines) > 20 else ''})。何も書き込んでいません",
            errors=errors,
        )
    return await upsert_cells(session, tree, cells, actor=actor)


async def read_scores(
    session: AsyncSession, tree: Tree, *, entity_code: str | None = None
) -> list[dict[str, Any]]:
    code_of = {i.id: i.code for i in tree.items}
    q = select(Score).where(Score.framework_id == tree.framework.id)
    if entity_code:
        q = q.where(Score.entity_code == entity_code)
    rows = (await session.exec(q.order_by(Score.entity_code, Score.item_id))).all()
    return [
        {
            "entity_code": s.entity_code,
            "item_code": code_of[s.item_id],
            "points": s.points,
            "evaluation_fy": s.evaluation_fy,
            "grant_fy": s.grant_fy,
            "updated_at": s.updated_at,
            "updated_by": s.updated_by,
        }
        for s in rows
    ]


async def scores_table(
    session: AsyncSession, tree: Tree, *, prefecture: str | None = None
) -> list[list[Any]]:
    """Wide table (one row per entity, one column per item code) that imports back as is."""
    directory = await load_directory(session)
    entity_name = directory.name_of
    id_to_col = {it.id: n for n, it in enumerate(tree.items)}
    q = select(Score.entity_code, Score.item_id, Score.points).where(
        Score.framework_id == tree.framework.id
    )
    rows: dict[str, list[Any]] = {}
    for code, item_id, pts in (await (await session.connection()).execute(q)).all():
        if prefecture and code[:2] != prefecture:
            continue
        row = rows.setdefault(code, [""] * len(tree.items))
        row[id_to_col[item_id]] = int(pts) if float(pts).is_integer() else pts
    header = ["団体コード", "名称", *(it.code for it in tree.items)]
    return [header] + [[code, entity_name(code), *rows[code]] for code in sorted(rows)]

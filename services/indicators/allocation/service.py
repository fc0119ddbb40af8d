"""The allocation simulator: share = budget × (score × first-insured) ÷ Σ(score × first-insured),
paid = min(share, requested). Integer yen: each share is rounded down (floor) and the yen left
over by rounding is reported as ``rounding_remainder``."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Invalid, NotFound
from services.common.models import utcnow
from services.common.registry import get_registry
from services.indicators.allocation.models import AllocationInput
from services.indicators.frameworks.models import Grant, Level
from services.indicators.frameworks.service import load_tree
from services.indicators.insurers.service import Directory, load_directory
from services.indicators.results.service import compute, entity_name, item_cells, totals_of_cells
from services.indicators.scores.service import (
    _s,
    check_points,
    normalise_code,
    parse_points,
    read_table,
)

ROUNDING = "各団体の配分額は1円未満切り捨て (floor)。切り捨てで残った額は rounding_remainder に示す"

CODE_H = {"entity_code", "団体コード", "保険者コード", "地方公共団体コード", "コード"}
FIRST_H = {"first_insured", "第1号被保険者数", "第１号被保険者数"}
REQ_H = {"requested", "所要見込額", "所要見込額(円)"}


def _level_of(code: str) -> Level:
    return Level.prefecture if code in get_registry().prefectures else Level.municipality


def validate_inputs(
    rows: list[Any], directory: Directory, *, source: str = "rows"
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of {entity_code, first_insured, requested}; errors by index (or line).
    ``entity_code``: a prefecture code, a municipality code or an insurer number."""
    checks = {lv: directory.checker(lv) for lv in Level}
    good: dict[str, dict[str, Any]] = {}
    errors: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        loc = [source, i] if source == "rows" else ["line", i]
        if not isinstance(row, dict):
            errors.append({"loc": loc, "msg": "行はオブジェクトで指定してください"})
            continue
        code = normalise_code(row.get("entity_code", ""))
        resolved, msg = checks[_level_of(code)](code)
        bad = False
        if msg:
            errors.append({"loc": [*loc, "entity_code"], "msg": msg})
            bad = True
        else:
            code = resolved.entity_code  # type: ignore[union-attr]
        vals = {}
        for f, label in (("first_insured", "第1号被保険者数"), ("requested", "所要見込額")):
            v = parse_points(row.get(f))
            if v is None or v < 0 or v != int(v):
                errors.append({"loc": [*loc, f], "msg": f"{label}は0以上の整数で入力してください"})
                bad = True
            else:
                vals[f] = int(v)
        if not bad:
            good[code] = {"entity_code": code, **vals}
    return list(good.values()), errors


async def upsert_inputs(
    session: AsyncSession, grant: Grant, grant_fy: int, rows: list[dict[str, Any]], *, actor: Actor
) -> int:
    if not rows:
        return 0
    now = utcnow()
    values = [
        {
            **r,
            "grant": grant.value,
            "grant_fy": grant_fy,
            "created_at": now,
            "created_by": actor.label,
            "updated_at": now,
            "updated_by": actor.label,
            "version": 1,
        }
        for r in rows
    ]
    dialect = session.bind.dialect.name  # type: ignore[union-attr]
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(AllocationInput.__table__)  # type: ignore[attr-defined]
    stmt = stmt.on_conflict_do_update(
        index_elements=["grant", "grant_fy", "entity_code"],
        set_={
            "first_insured": stmt.excluded.first_insured,
            "requested": stmt.excluded.requested,
            "updated_at": stmt.excluded.updated_at,
            "updated_by": stmt.excluded.updated_by,
            "version": AllocationInput.__table__.c.version + 1,  # type: ignore[attr-defined]
        },
    )
    await (await session.connection()).execute(stmt, values)
    return len(values)


async def write_inputs(
    session: AsyncSession, grant: Grant, grant_fy: int, rows: list[Any], *, actor: Actor
) -> int:
    good, errors = validate_inputs(rows, await load_directory(session))
    if errors:
        raise Invalid("配分の入力に誤りがあります。何も書き込んでいません", errors=errors)
    return await upsert_inputs(session, grant, grant_fy, good, actor=actor)


async def import_inputs(
    session: AsyncSession, grant: Grant, grant_fy: int, filename: str, data: bytes, *, actor: Actor
) -> int:
    table = read_table(filename, data)
    if not table:
        raise Invalid("ファイルが空です")
    header = [_s(h) for h in table[0]]
    idx: dict[str, int] = {}
    for name, names in (("entity_code", CODE_H), ("first_insured", FIRST_H), ("requested", REQ_H)):
        found = [i for i, h in enumerate(header) if h.lower() in names or h in names]
        if not found:
            raise Invalid(
                f"1行目に列 {name} ({'・'.join(sorted(names))}) が必要です",
                errors=[{"loc": ["line", 1], "msg": f"{name} の列がありません"}],
            )
        idx[name] = found[0]
    rows, lines = [], []
    for line, row in enumerate(table[1:], start=2):
        if not any(_s(v) for v in row):
            continue
        row = list(row) + [None] * len(header)
        rows.append({k: row[i] for k, i in idx.items()})
        lines.append(line)
    good, errors = validate_inputs(rows, await load_directory(session))
    if errors:
        for e in errors:  # index → line and column
            i, field = e["loc"][1], e["loc"][2] if len(e["loc"]) > 2 else None
            e["loc"] = ["line", lines[i]] + (["column", header[idx[field]]] if field else [])
        raise Invalid("配分の入力に誤りがあります。何も書き込んでいません", errors=errors)
    return await upsert_inputs(session, grant, grant_fy, good, actor=actor)


async def list_inputs(
    session: AsyncSession, grant: Grant, grant_fy: int, entity_code: str | None = None
) -> list[AllocationInput]:
    q = select(AllocationInput).where(
        AllocationInput.grant == grant.value, AllocationInput.grant_fy == grant_fy
    )
    if entity_code:
        q = q.where(AllocationInput.entity_code == entity_code)
    return list((await session.exec(q.order_by(AllocationInput.entity_code))).all())


def allocate(budget: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Split ``budget`` by score × first-insured persons (exact fractions, floor to the yen)."""
    weights = {
        r["entity_code"]: Fraction(str(max(r["total"], 0.0))) * r["first_insured"] for r in rows
    }
    total_w = sum(weights.values(), Fraction(0))
    out_rows = []
    for r in rows:
        w = weights[r["entity_code"]]
        share = int(Fraction(budget) * w / total_w) if total_w else 0  # floor (non-negative)
        paid = min(share, r["requested"])
        out_rows.append(
            {
                **r,
                "weight": float(w),
                "share": share,
                "paid": paid,
                "shortfall": r["requested"] - paid,  # requested but not paid
                "surplus": share - paid,  # share above the request, not paid out
            }
        )
    share_sum = sum(r["share"] for r in out_rows)
    paid_sum = sum(r["paid"] for r in out_rows)
    return {
        "entities": out_rows,
        "totals": {
            "budget": budget,
            "share": share_sum,
            "paid": paid_sum,
            "requested": sum(r["requested"] for r in out_rows),
            "not_paid_out": budget - paid_sum,
            "surplus": share_sum - paid_sum,
            "rounding_remainder": budget - share_sum,
        },
    }


async def simulate(
    session: AsyncSession,
    framework_id: int,
    *,
    budget: int,
    what_if: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Amounts per insurer for a budget; with ``what_if`` ({entity_code, points: {item: p}})
    also the amount after changing that insurer's points and the difference in yen."""
    tree = await load_tree(session, framework_id)
    fw = tree.framework
    comp = await compute(session, tree)
    inputs = {i.entity_code: i for i in await list_inputs(session, Grant(fw.grant), fw.grant_fy)}
    codes = sorted(c for c in comp.totals if c in inputs)
    missing_inputs = sorted(c for c in comp.totals if c not in inputs)

    def rows_with(totals: dict[str, float]) -> list[dict[str, Any]]:
        return [
            {
                "entity_code": c,
                "name": entity_name(c),
                "total": totals[c],
                "first_insured": inputs[c].first_insured,
                "requested": inputs[c].requested,
            }
            for c in codes
        ]

    base = allocate(budget, rows_with(comp.totals))
    out: dict[str, Any] = {
        "framework_id": framework_id,
        "grant": fw.grant,
        "grant_fy": fw.grant_fy,
        "rounding": ROUNDING,
        **base,
        "without_inputs": missing_inputs,
        "what_if": None,
    }
    if what_if:
        code = normalise_code(what_if.get("entity_code", ""))
        if code not in inputs or code not in comp.totals:
            raise NotFound(
                f"{code} の得点または配分の入力 (第1号被保険者数・所要見込額) がありません"
            )
        changes = what_if.get("points") or {}
        errors = []
        cells = (await item_cells(session, tree, [code])).get(code, {})
        new_cells = dict(cells)
        for item_code, pts in changes.items():
            item = tree.by_code.get(item_code)
            if item is None:
                errors.append(
                    {"loc": ["what_if", "points", item_code], "msg": "この体系にない指標コードです"}
                )
                continue
            p = parse_points(pts)
            msg = check_points(item, p)
            if msg:
                errors.append({"loc": ["what_if", "points", item_code], "msg": msg})
                continue
            new_cells[item.id] = p  # type: ignore[index,assignment]
        if errors:
            raise Invalid("仮定の得点に誤りがあります", errors=errors)
        new_total, _ = totals_of_cells(tree, new_cells)  # type: ignore[arg-type]
        totals = dict(comp.totals)
        totals[code] = new_total
        after = allocate(budget, rows_with(totals))
        before_row = next(r for r in base["entities"] if r["entity_code"] == code)
        after_row = next(r for r in after["entities"] if r["entity_code"] == code)
        out["what_if"] = {
            "entity_code": code,
            "name": entity_name(code),
            "changed_items": sorted(changes),
            "total_before": comp.totals[code],
            "total_after": new_total,
            "share_before": before_row["share"],
            "share_after": after_row["share"],
            "paid_before": before_row["paid"],
            "paid_after": after_row["paid"],
            "difference": after_row["paid"] - before_row["paid"],
        }
    return out

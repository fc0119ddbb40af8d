"""Import the ministry's published results: one row per insurer (insurer numbers or municipality
codes), one column per item or per category, with a column mapping saved per grant × level ×
grant year, a preview that lists every unmatched insurer, column and item, and an
all-or-nothing write.

Mapping: ``{"entity_column": "保険者番号", "columns": {"<header>": "<item code>" |
"category:<category code>" | "total" | null}}`` — a category column fills the category's
「区分の得点」 (a skeleton without an item table); ``total`` checks each row's total against
the computed one; ``null`` ignores the column. Without a mapping: the saved one, else a guess
(an item code, a category code, an item text or a known metadata header).
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Invalid
from services.common.models import stamp_created, stamp_updated
from services.indicators.frameworks.models import ColumnMapping, ItemKind
from services.indicators.frameworks.service import Tree
from services.indicators.insurers.service import load_directory
from services.indicators.results.computation import totals_of_cells
from services.indicators.scores.service import Cell, check_points, upsert_cells
from services.indicators.tabular import number, read_table, text

KIND = "published_results"
ENTITY_HEADERS = (
    "保険者番号",
    "団体コード",
    "地方公共団体コード",
    "保険者コード",
    "insurer_number",
    "entity_code",
    "コード",
)
# Columns a published table carries that are no scores (ignored without being mapped).
META_HEADERS = {
    "保険者名",
    "名称",
    "団体名",
    "市町村名",
    "区市町村名",
    "都道府県",
    "都道府県名",
    "都道府県コード",
    "順位",
    "得点率",
    "name",
    "no",
    "no.",
    "番号",
}
TOTAL_HEADERS = {"総合得点", "合計", "合計点", "総得点", "total"}


async def saved_mapping(
    session: AsyncSession, tree: Tree, kind: str = KIND
) -> ColumnMapping | None:
    fw = tree.framework
    return (
        await session.exec(
            select(ColumnMapping).where(
                ColumnMapping.kind == kind,
                ColumnMapping.grant == fw.grant,
                ColumnMapping.level == fw.level,
                ColumnMapping.grant_fy == fw.grant_fy,
            )
        )
    ).first()


async def save_mapping(
    session: AsyncSession, tree: Tree, mapping: dict[str, Any], *, actor: Actor, kind: str = KIND
) -> ColumnMapping:
    row = await saved_mapping(session, tree, kind)
    fw = tree.framework
    if row is None:
        row = ColumnMapping(kind=kind, grant=fw.grant, level=fw.level, grant_fy=fw.grant_fy)
        stamp_created(row, actor)
        session.add(row)
    else:
        stamp_updated(row, actor)
    row.mapping = mapping
    await session.flush()
    return row


def parse_mapping(raw: str | dict[str, Any] | None) -> dict[str, Any] | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, dict):
        data = raw
    else:
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise Invalid(
                "mapping は JSON で指定してください",
                errors=[{"loc": ["mapping"], "msg": str(exc)[:200]}],
            ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("columns", {}), dict):
        raise Invalid(
            'mapping は {"entity_column": 列名, "columns": {列名: 指標コード}} の形です',
            errors=[{"loc": ["mapping"], "msg": "形式が正しくありません"}],
        )
    return data


def guess_mapping(tree: Tree, header: list[str]) -> dict[str, Any]:
    """A first mapping from the headers: item codes, category codes, item texts, totals."""
    low = [h.lower() for h in header]
    entity = next((header[low.index(h.lower())] for h in ENTITY_HEADERS if h.lower() in low), None)
    by_text = {it.text: it.code for it in tree.items}
    cat_codes = {c.code for c in tree.categories}
    cols: dict[str, Any] = {}
    for h in header:
        if not h or h == entity:
            continue
        key = h.strip()
        if key in tree.by_code:
            cols[h] = key
        elif key in cat_codes or key.removeprefix("区分") in cat_codes:
            cols[h] = f"category:{key.removeprefix('区分')}"
        elif key in by_text:
            cols[h] = by_text[key]
        elif key in TOTAL_HEADERS:
            cols[h] = "total"
        elif key.lower() in META_HEADERS:
            cols[h] = None
    return {"entity_column": entity, "columns": cols}


def _targets(tree: Tree, mapping: dict[str, Any], header: list[str]):  # type: ignore[no-untyped-def]
    """(entity column index, [(col index, header, item info | "total")], problems, unmatched)."""
    problems: list[dict[str, Any]] = []
    ent = mapping.get("entity_column")
    if not ent or ent not in header:
        problems.append(
            {
                "loc": ["mapping", "entity_column"],
                "msg": f"保険者番号・団体コードの列 {ent!r} がファイルにありません "
                f"(列: {', '.join(h for h in header if h)})",
            }
        )
        return None, [], problems, []
    ent_idx = header.index(ent)
    cols = mapping.get("columns", {})
    total_of_cat = {
        it.category_id: it for it in tree.items if it.kind == ItemKind.category_total.value
    }
    cat_by_code = {c.code: c for c in tree.categories}
    targets: list[tuple[int, str, Any]] = []
    unmatched: list[str] = []
    for i, h in enumerate(header):
        if i == ent_idx or not h:
            continue
        if h not in cols:
            if h.lower() in META_HEADERS:
                continue
            unmatched.append(h)
            problems.append(
                {
                    "loc": ["line", 1, "column", h],
                    "msg": f"列 {h!r} の対応先がありません (指標コード、category:区分コード、"
                    "total、または無視する列は null を mapping で指定してください)",
                }
            )
            continue
        target = cols[h]
        if target is None:
            continue
        if target == "total":
            targets.append((i, h, "total"))
        elif isinstance(target, str) and target.startswith("category:"):
            code = target.removeprefix("category:")
            cat = cat_by_code.get(code)
            if cat is None:
                problems.append(
                    {"loc": ["mapping", "columns", h], "msg": f"区分 {code} はこの体系にありません"}
                )
            elif cat.id not in total_of_cat:
                problems.append(
                    {
                        "loc": ["mapping", "columns", h],
                        "msg": f"区分 {code} には指標別の配点があります: 区分の列ではなく"
                        "指標ごとの列を対応付けてください",
                    }
                )
            else:
                targets.append((i, h, tree.info[total_of_cat[cat.id].code]))
        elif target in tree.info:
            targets.append((i, h, tree.info[target]))
        else:
            problems.append(
                {
                    "loc": ["mapping", "columns", h],
                    "msg": f"指標コード {target!r} はこの体系にありません",
                }
            )
    return ent_idx, targets, problems, unmatched


async def run(
    session: AsyncSession,
    tree: Tree,
    filename: str,
    data: bytes,
    *,
    mapping_raw: str | dict[str, Any] | None,
    actor: Actor,
    dry_run: bool,
    save: bool = True,
) -> dict[str, Any]:
    """Preview (``dry_run``) or write the published results of a file."""
    table = read_table(filename, data)
    if not table:
        raise Invalid("ファイルが空です")
    header = [text(h) for h in table[0]]
    given = parse_mapping(mapping_raw)
    saved = None if given else await saved_mapping(session, tree)
    if given is not None:
        mapping, origin = given, "request"
    elif saved is not None:
        mapping, origin = dict(saved.mapping), "saved"
    else:
        mapping, origin = guess_mapping(tree, header), "guessed"
    ent_idx, targets, problems, unmatched_columns = _targets(tree, mapping, header)
    directory = await load_directory(session)
    check = directory.checker(tree.framework.level)
    cells: list[Cell] = []
    unmatched_insurers: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    rows = 0
    item_targets = [(i, h, t) for i, h, t in targets if t != "total"]
    bounds = [(i, h, t.id, t.min_points, t.max_points, t) for i, h, t in item_targets]
    total_cols = [(i, h) for i, h, t in targets if t == "total"]
    if ent_idx is not None:
        for line, row in enumerate(table[1:], start=2):
            if not any(v not in (None, "") for v in row):
                continue
            rows += 1
            resolved, msg = check(row[ent_idx] if ent_idx < len(row) else None)
            if msg:
                unmatched_insurers.append(
                    {
                        "line": line,
                        "value": text(row[ent_idx] if ent_idx < len(row) else ""),
                        "msg": msg,
                    }
                )
                problems.append({"loc": ["line", line, "column", header[ent_idx]], "msg": msg})
                continue
            code = resolved.entity_code  # type: ignore[union-attr]
            if code in seen:
                problems.append(
                    {
                        "loc": ["line", line, "column", header[ent_idx]],
                        "msg": f"{code} は {seen[code]}行目にもあります",
                    }
                )
                continue
            seen[code] = line
            n = len(row)
            row_cells = []
            # the hot loop of a national file (174,100 cells): bounds are plain locals
            for i, h, item_id, lo, hi, item in bounds:
                raw = row[i] if i < n else None
                if raw is None or raw == "":
                    continue
                try:
                    pts = float(raw)
                except (TypeError, ValueError):
                    if isinstance(raw, str) and not raw.strip():
                        continue
                    pts = number(raw)  # type: ignore[assignment]
                if pts is None or pts != pts or pts < lo or pts > hi or isinstance(raw, bool):
                    problems.append(
                        {"loc": ["line", line, "column", h], "msg": check_points(item, pts)}
                    )
                    continue
                row_cells.append(Cell(code, item_id, pts))
            if total_cols:
                # the row's total by the results' own rules (results/computation.py)
                got, _ = totals_of_cells(tree, {c.item_id: c.points for c in row_cells})
                for i, h in total_cols:
                    stated = number(row[i] if i < n else None)
                    if stated is not None and abs(stated - got) > 1e-6:
                        problems.append(
                            {
                                "loc": ["line", line, "column", h],
                                "msg": f"合計 {stated:g} が各列から計算した {got:g} と一致しません",
                            }
                        )
            cells.extend(row_cells)
    mapped_items = {t.code for _, _, t in item_targets}
    out: dict[str, Any] = {
        "dry_run": dry_run,
        "columns": header,
        "mapping": mapping,
        "mapping_origin": origin,
        "rows": rows,
        "matched_insurers": len(seen),
        "unmatched_insurers": unmatched_insurers,
        "unmatched_columns": unmatched_columns,
        "items_without_column": [
            it.code for it in tree.items if it.code not in mapped_items and it.max_points > 0
        ],
        "cells": len(cells),
        "problems": problems,
        "written": 0,
    }
    if dry_run:
        return out
    if problems:
        lines = sorted({e["loc"][1] for e in problems if e["loc"][0] == "line"})
        raise Invalid(
            f"{len(problems)}件の誤りがあります"
            + (
                f" (行 {', '.join(map(str, lines[:20]))}{' …' if len(lines) > 20 else ''})"
                if lines
                else ""
            )
            + "。何も書き込んでいません",
            errors=problems,
            unmatched_insurers=unmatched_insurers,
            unmatched_columns=unmatched_columns,
        )
    out["written"] = await upsert_cells(session, tree, cells, actor=actor)
    if save:
        await save_mapping(session, tree, mapping, actor=actor)
    return out

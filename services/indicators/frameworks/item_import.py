"""Import an item table (the ministry's list of 評価指標) into a framework: a column-mapping
step, a preview listing every problem, and an all-or-nothing write.

The file names, per row, the category an item belongs to (a code of the framework's tree),
its code, text and points (and optionally the minimum, alternatives group, shared flag,
note, national average and achievement rate). The items of every category the file names
replace that category's item table (its 「区分の得点」 stand-in included); categories the file
does not name keep theirs. A category's published maximum must equal the imported items'.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Conflict, Invalid
from services.indicators.frameworks.models import Framework, ItemKind
from services.indicators.frameworks.schemas import (
    ItemDoc,
    fill_skeleton,
    iter_categories,
    validate_doc,
)
from services.indicators.frameworks.service import (
    _score_stats,
    load_tree,
    replace_tree,
    tree_to_doc,
)
from services.indicators.tabular import number, read_table, text

FIELDS = {
    "category": ("区分コード", "区分", "category", "category_code", "分野"),
    "code": ("指標コード", "指標番号", "code", "item_code", "番号"),
    "text": ("評価指標", "指標", "text", "内容", "指標の内容"),
    "max_points": ("満点", "配点", "max_points", "点数"),
    "min_points": ("最低点", "減点", "min_points"),
    "alternatives": ("選択肢グループ", "選択肢", "alternatives"),
    "shared": ("両交付金共通", "共通", "shared"),
    "note": ("備考", "note"),
    "national_average": ("全国平均", "平均", "national_average", "平均点"),
    "national_rate": ("全国達成率", "達成率", "national_rate", "該当率"),
    "provisional": ("配点暫定", "暫定", "provisional"),
}
REQUIRED = ("category", "code", "text", "max_points")
YES = {"○", "◯", "1", "true", "TRUE", "yes", "はい", "共通"}


def guess(header: list[str]) -> dict[str, str]:
    low = [h.lower() for h in header]
    out = {}
    for field, names in FIELDS.items():
        for n in names:
            if n.lower() in low:
                out[field] = header[low.index(n.lower())]
                break
    return out


def _mapping(raw: str | None, header: list[str]) -> tuple[dict[str, str], str]:
    if not raw:
        return guess(header), "guessed"
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise Invalid(
            "mapping は JSON で指定してください",
            errors=[{"loc": ["mapping"], "msg": str(exc)[:200]}],
        ) from exc
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise Invalid(
            'mapping は {"category": 列名, "code": 列名, "text": 列名, "max_points": 列名, …} '
            "の形です",
            errors=[{"loc": ["mapping"], "msg": "形式が正しくありません"}],
        )
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise Invalid(
            f"mapping の項目 {', '.join(unknown)} は使えません ({', '.join(FIELDS)})",
            errors=[{"loc": ["mapping", k], "msg": "不明な項目です"} for k in unknown],
        )
    return data, "request"


async def run(
    session: AsyncSession,
    fw: Framework,
    filename: str,
    data: bytes,
    *,
    mapping_raw: str | None,
    actor: Actor,
    dry_run: bool,
    drop_scored: bool = False,
) -> dict[str, Any]:
    table = read_table(filename, data)
    if not table:
        raise Invalid("ファイルが空です")
    header = [text(h) for h in table[0]]
    mapping, origin = _mapping(mapping_raw, header)
    problems: list[dict[str, Any]] = []
    col: dict[str, int] = {}
    for field, name in mapping.items():
        if name not in header:
            problems.append(
                {"loc": ["mapping", field], "msg": f"列 {name!r} がファイルにありません"}
            )
        else:
            col[field] = header.index(name)
    for field in REQUIRED:
        if field not in mapping:
            problems.append(
                {
                    "loc": ["mapping", field],
                    "msg": f"{field} の列を対応付けてください (候補: {', '.join(FIELDS[field])})",
                }
            )
    tree = await load_tree(session, fw.id)  # type: ignore[arg-type]
    doc = tree_to_doc(tree)
    cats = {c.code: c for _, c in iter_categories(doc.categories)}
    new_items: dict[str, list[ItemDoc]] = {}
    seen: dict[str, int] = {}
    preview: list[dict[str, Any]] = []
    rows = 0
    if all(f in col for f in REQUIRED):
        for line, row in enumerate(table[1:], start=2):
            if not any(text(v) for v in row):
                continue
            rows += 1
            row = list(row) + [None] * len(header)

            def cell(field: str, row: list[Any] = row) -> Any:
                return row[col[field]] if field in col else None

            def bad(field: str, msg: str, line: int = line) -> None:
                problems.append({"loc": ["line", line, "column", mapping[field]], "msg": msg})

            cat_code = text(cell("category")).split("/")[-1].strip()
            code, item_text = text(cell("code")), text(cell("text"))
            ok = True
            if cat_code not in cats:
                bad("category", f"区分 {cat_code!r} はこの体系にありません ({', '.join(cats)})")
                ok = False
            if not code:
                bad("code", "指標コードを入力してください")
                ok = False
            elif code in seen:
                bad("code", f"指標コード {code} は {seen[code]}行目にもあります")
                ok = False
            if not item_text:
                bad("text", "評価指標の文言を入力してください")
                ok = False
            mx = number(cell("max_points"))
            mn = (
                number(cell("min_points"))
                if "min_points" in col and text(cell("min_points"))
                else 0.0
            )
            if mx is None:
                bad("max_points", "満点は数値で入力してください")
                ok = False
            if mn is None:
                bad("min_points", "最低点は数値で入力してください")
                ok = False
            if mx is not None and mn is not None and mx < mn:
                bad("max_points", f"満点 {mx:g} が最低点 {mn:g} より小さくなっています")
                ok = False
            avg = number(cell("national_average")) if text(cell("national_average")) else None
            rate = None
            if text(cell("national_rate")):
                raw_rate = text(cell("national_rate"))
                rate = number(raw_rate.rstrip("%"))
                if rate is not None and (raw_rate.endswith("%") or rate > 1):
                    rate = rate / 100
                if rate is None or not 0 <= rate <= 1:
                    bad("national_rate", "達成率は 0〜1 (または 0〜100%) で入力してください")
                    ok = False
            if not ok:
                continue
            seen[code] = line
            item = ItemDoc(
                code=code,
                text=item_text[:2000],
                max_points=mx,  # type: ignore[arg-type]
                min_points=mn,  # type: ignore[arg-type]
                alternatives=text(cell("alternatives")) or None,
                shared=text(cell("shared")) in YES,
                note=text(cell("note"))[:500],
                provisional=text(cell("provisional")) in YES,
                national_average=avg,
                national_rate=rate,
            )
            new_items.setdefault(cat_code, []).append(item)
            preview.append({"line": line, "category": cat_code, **item.model_dump(mode="json")})
    # the resulting tree: named categories get the file's items, others keep theirs
    for code, items in new_items.items():
        cats[code].items = items
    result = fill_skeleton(doc)
    for e in validate_doc(result):
        problems.append(e)
    before = {it.code: it for it in tree.items}
    after = {it.code: it for _, c in iter_categories(result.categories) for it in c.items}
    stats = await _score_stats(session, fw.id)  # type: ignore[arg-type]
    removed = [code for code in before if code not in after]
    removed_scored = [
        {"code": code, "scores": stats[before[code].id][0]}  # type: ignore[index]
        for code in removed
        if before[code].id in stats
    ]
    out: dict[str, Any] = {
        "dry_run": dry_run,
        "columns": header,
        "mapping": mapping,
        "mapping_origin": origin,
        "rows": rows,
        "items": preview,
        "categories": [
            {
                "code": c.code,
                "stated_max": c.max_points,
                "items": len(c.items),
                "imported": c.code in new_items,
                "items_pending": any(i.kind == ItemKind.category_total for i in c.items),
            }
            for _, c in iter_categories(result.categories)
        ],
        "changes": {
            "added": [code for code in after if code not in before],
            "updated": [code for code in after if code in before],
            "removed": removed,
            "removed_scored": removed_scored,
        },
        "problems": problems,
        "written": 0,
    }
    if dry_run:
        return out
    if problems:
        lines = sorted({e["loc"][1] for e in problems if e["loc"][0] == "line"})
        raise Invalid(
            f"{len(problems)}件の誤りがあります"
            + (f" (行 {', '.join(map(str, lines[:20]))})" if lines else "")
            + "。何も書き込んでいません",
            errors=problems,
        )
    if removed_scored and not drop_scored:
        raise Conflict(
            "得点のある指標が置き換えで消えます ("
            + ", ".join(f"{r['code']} {r['scores']}件" for r in removed_scored)
            + ")。drop_scored=true で得点ごと置き換えるか、先に得点を移してください。"
            "何も変更していません",
            errors=[
                {"loc": ["items", r["code"]], "msg": f"得点 {r['scores']}件"}
                for r in removed_scored
            ],
        )
    await replace_tree(session, fw, result.categories, actor=actor, drop_scored=drop_scored)
    out["written"] = len(preview)
    return out

"""Framework work: create from a document, read the tree back, export and import files."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import yaml
from openpyxl import Workbook, load_workbook
from pydantic import ValidationError
from sqlalchemy import case, delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Conflict, Invalid, NotFound
from services.common.exports import export_row
from services.common.inputs import find_problems
from services.common.models import check_version, get_for_update, stamp_created, stamp_updated
from services.indicators.frameworks.models import (
    Category,
    Framework,
    Grant,
    Item,
    ItemKind,
    State,
)
from services.indicators.frameworks.schemas import (
    CategoryDoc,
    CategoryOut,
    FrameworkCopy,
    FrameworkDetail,
    FrameworkDoc,
    FrameworkPatch,
    FrameworkSummary,
    ItemDoc,
    ItemOut,
    Source,
    category_max,
    combined_max,
    fill_skeleton,
    framework_max,
    iter_categories,
    iter_items,
    state_label,
    validate_doc,
)
from services.indicators.results import readmodels


async def list_frameworks(
    session: AsyncSession,
    *,
    grant: str | None = None,
    level: str | None = None,
    grant_fy: int | None = None,
    evaluation_fy: int | None = None,
) -> list[Framework]:
    """Frameworks, oldest grant year first."""
    q = select(Framework)
    if grant_fy is not None:
        q = q.where(Framework.grant_fy == grant_fy)
    if evaluation_fy is not None:
        q = q.where(Framework.evaluation_fy == evaluation_fy)
    if grant:
        q = q.where(Framework.grant == grant)
    if level:
        q = q.where(Framework.level == level)
    return list((await session.exec(q.order_by(Framework.grant_fy, Framework.id))).all())


async def get_framework(session: AsyncSession, framework_id: int) -> Framework:
    fw = await session.get(Framework, framework_id)
    if fw is None:
        raise NotFound(f"評価指標の体系 {framework_id} が見つかりません")
    return fw


async def item_flags(session: AsyncSession, ids: list[int]) -> dict[int, tuple[bool, bool]]:
    """Per framework: (has provisional points, has categories without an item table)."""
    if not ids:
        return {}
    q = (
        select(
            Item.framework_id,
            func.max(case((Item.provisional, 1), else_=0)),
            func.max(case((Item.kind == ItemKind.category_total.value, 1), else_=0)),
        )
        .where(Item.framework_id.in_(ids))  # type: ignore[attr-defined]
        .group_by(Item.framework_id)
    )
    rows = (await (await session.connection()).execute(q)).all()
    return {fid: (bool(p), bool(c)) for fid, p, c in rows}


def _source(document: str, day: Any, page: str) -> Source:
    return Source(document=document or "", date=day, page=page or "")


def summary(fw: Framework, flags: tuple[bool, bool] = (False, False)) -> FrameworkSummary:
    return FrameworkSummary(
        id=fw.id,  # type: ignore[arg-type]
        code=fw.code,
        name=fw.name,
        grant=fw.grant,
        level=fw.level,
        grant_fy=fw.grant_fy,
        evaluation_fy=fw.evaluation_fy,
        max_points=fw.max_points,
        state=State(fw.state),
        state_label=state_label(fw.state),
        state_note=fw.state_note,
        source=_source(fw.source_document, fw.source_date, fw.source_page),
        provisional_points=flags[0],
        items_pending=flags[1],
        national_average=fw.national_average,
        averages_source=_source(fw.averages_document, fw.averages_date, fw.averages_page),
        version=fw.version,
    )


async def summaries(session: AsyncSession, rows: list[Framework]) -> list[FrameworkSummary]:
    flags = await item_flags(session, [r.id for r in rows])  # type: ignore[misc]
    return [summary(r, flags.get(r.id, (False, False))) for r in rows]  # type: ignore[arg-type]


def _set_meta(fw: Framework, doc: FrameworkDoc) -> None:
    fw.source_document = doc.source.document
    fw.source_date = doc.source.date
    fw.source_page = doc.source.page
    fw.state = State(doc.state).value
    fw.state_note = doc.state_note
    fw.national_average = doc.national_average
    fw.averages_document = doc.averages_source.document
    fw.averages_date = doc.averages_source.date
    fw.averages_page = doc.averages_source.page


def _item_fields(it: ItemDoc) -> dict[str, Any]:
    return {
        "code": it.code,
        "text": it.text,
        "max_points": it.max_points,
        "min_points": it.min_points,
        "alternatives": it.alternatives,
        "shared": it.shared,
        "note": it.note,
        "kind": ItemKind(it.kind).value,
        "provisional": it.provisional,
        "national_average": it.national_average,
        "national_rate": it.national_rate,
    }


async def create_framework(session: AsyncSession, doc: FrameworkDoc, *, actor: Actor) -> Framework:
    """Store a validated framework document (422 listing every problem; 409 if the grant,
    level and grant year already have one). A leaf category without items but with its
    published maximum gets its category-total stand-in (a skeleton)."""
    doc = fill_skeleton(doc)
    errors = validate_doc(doc)
    if errors:
        raise Invalid("評価指標の体系に誤りがあります", errors=errors)
    existing = (
        await session.exec(
            select(Framework).where(
                Framework.grant == doc.grant,
                Framework.level == doc.level,
                Framework.grant_fy == doc.grant_fy,
            )
        )
    ).first()
    if existing is not None:
        raise Conflict(
            f"{doc.grant_fy}年度の同じ交付金・区分の評価指標の体系 (id {existing.id}) が"
            "既にあります"
        )
    fw = Framework(
        code=doc.code,
        name=doc.name,
        grant=doc.grant,
        level=doc.level,
        grant_fy=doc.grant_fy,
        evaluation_fy=doc.evaluation_fy,
        max_points=framework_max(doc),
    )
    _set_meta(fw, doc)
    stamp_created(fw, actor)
    session.add(fw)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("同じ交付金・区分・交付年度の評価指標の体系が既にあります") from exc
    position = 0

    async def add(cats: list[CategoryDoc], parent_id: int | None) -> None:
        nonlocal position
        for c in cats:
            position += 1
            row = Category(
                framework_id=fw.id,
                parent_id=parent_id,
                code=c.code,
                name=c.name,
                stated_max=c.max_points,
                max_points=category_max(c),
                position=position,
                national_average=c.national_average,
            )
            session.add(row)
            await session.flush()
            for it in c.items:
                position += 1
                session.add(
                    Item(
                        framework_id=fw.id,
                        category_id=row.id,
                        position=position,
                        **_item_fields(it),
                    )
                )
            await add(c.categories, row.id)

    await add(doc.categories, None)
    await session.flush()
    return fw


@dataclass(frozen=True, slots=True)
class ItemInfo:
    """Plain copy of an item's bounds: bulk validation reads these 174,100 times."""

    id: int
    code: str
    min_points: float
    max_points: float


@dataclass
class Tree:
    """A framework's categories and items, loaded once for computations."""

    framework: Framework
    categories: list[Category]
    items: list[Item]
    children: dict[int | None, list[Category]] = field(default_factory=dict)
    items_of: dict[int, list[Item]] = field(default_factory=dict)
    by_code: dict[str, Item] = field(default_factory=dict)
    top_of: dict[int, Category] = field(default_factory=dict)  # category id → top category
    info: dict[str, ItemInfo] = field(default_factory=dict)  # by item code

    def ancestors(self, category_id: int) -> list[Category]:
        """The category and every parent, innermost first."""
        by_id = {c.id: c for c in self.categories}
        out: list[Category] = []
        cur = by_id.get(category_id)
        while cur is not None:
            out.append(cur)
            cur = by_id.get(cur.parent_id) if cur.parent_id is not None else None
        return out

    def path_of(self, category: Category) -> list[Category]:
        return list(reversed(self.ancestors(category.id)))  # type: ignore[arg-type]


async def load_tree(session: AsyncSession, framework_id: int) -> Tree:
    fw = await get_framework(session, framework_id)
    cats = list(
        (
            await session.exec(
                select(Category).where(Category.framework_id == fw.id).order_by(Category.position)
            )
        ).all()
    )
    items = list(
        (
            await session.exec(
                select(Item).where(Item.framework_id == fw.id).order_by(Item.position)
            )
        ).all()
    )
    tree = Tree(fw, cats, items)
    for c in cats:
        tree.children.setdefault(c.parent_id, []).append(c)
    for it in items:
        tree.items_of.setdefault(it.category_id, []).append(it)
        tree.by_code[it.code] = it
        tree.info[it.code] = ItemInfo(it.id, it.code, float(it.min_points), float(it.max_points))  # type: ignore[arg-type]
    for c in cats:
        tree.top_of[c.id] = tree.ancestors(c.id)[-1]  # type: ignore[arg-type]
    return tree


def tree_to_doc(tree: Tree) -> FrameworkDoc:
    def cat_doc(c: Category) -> CategoryDoc:
        return CategoryDoc(
            code=c.code,
            name=c.name,
            max_points=c.stated_max,
            national_average=c.national_average,
            categories=[cat_doc(s) for s in tree.children.get(c.id, [])],
            items=[
                ItemDoc(
                    code=i.code,
                    text=i.text,
                    max_points=i.max_points,
                    min_points=i.min_points,
                    alternatives=i.alternatives,
                    shared=i.shared,
                    note=i.note,
                    kind=ItemKind(i.kind),
                    provisional=i.provisional,
                    national_average=i.national_average,
                    national_rate=i.national_rate,
                )
                for i in tree.items_of.get(c.id, [])  # type: ignore[arg-type]
            ],
        )

    fw = tree.framework
    return FrameworkDoc(
        code=fw.code,
        name=fw.name,
        grant=fw.grant,
        level=fw.level,
        grant_fy=fw.grant_fy,
        evaluation_fy=fw.evaluation_fy,
        max_points=fw.max_points,
        source=_source(fw.source_document, fw.source_date, fw.source_page),
        state=State(fw.state),
        state_note=fw.state_note,
        national_average=fw.national_average,
        averages_source=_source(fw.averages_document, fw.averages_date, fw.averages_page),
        categories=[cat_doc(c) for c in tree.children.get(None, [])],
    )


def tree_to_detail(tree: Tree) -> FrameworkDetail:
    def cat_out(c: Category) -> CategoryOut:
        return CategoryOut(
            code=c.code,
            name=c.name,
            max_points=c.max_points,
            national_average=c.national_average,
            categories=[cat_out(s) for s in tree.children.get(c.id, [])],
            items=[
                ItemOut.model_validate(i, from_attributes=True)
                for i in tree.items_of.get(c.id, [])  # type: ignore[arg-type]
            ],
        )

    flags = (
        any(i.provisional for i in tree.items),
        any(i.kind == ItemKind.category_total.value for i in tree.items),
    )
    return FrameworkDetail(
        **summary(tree.framework, flags).model_dump(),
        categories=[cat_out(c) for c in tree.children.get(None, [])],
    )


# --- files -----------------------------------------------------------------------------------

XLSX_HEADERS = [
    "区分コード (階層)",
    "区分名 (階層)",
    "区分の満点 (階層)",
    "指標コード",
    "評価指標",
    "満点",
    "最低点",
    "選択肢グループ",
    "両交付金共通",
    "備考",
    "種別",
    "配点暫定",
    "全国平均",
    "全国達成率",
    "区分の全国平均 (階層)",
]
KIND_LABELS = {ItemKind.indicator.value: "評価指標", ItemKind.category_total.value: "区分計"}
META_FIELDS = ["code", "name", "grant", "level", "grant_fy", "evaluation_fy", "max_points"]
# Flattened fields of the framework's sources, state and national average (sheet 「体系」).
META_EXTRA = [
    "state",
    "state_note",
    "source_document",
    "source_date",
    "source_page",
    "national_average",
    "averages_document",
    "averages_date",
    "averages_page",
]
SEP = " / "


def export_json(doc: FrameworkDoc) -> bytes:
    return json.dumps(doc.model_dump(mode="json"), ensure_ascii=False, indent=2).encode()


def export_yaml(doc: FrameworkDoc) -> bytes:
    return yaml.safe_dump(doc.model_dump(mode="json"), allow_unicode=True, sort_keys=False).encode()


def export_xlsx(doc: FrameworkDoc) -> bytes:
    """One row per item with its category path; the framework's own fields on a second sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = "評価指標"
    ws.append(XLSX_HEADERS)

    def walk(cats: list[CategoryDoc], path: list[CategoryDoc]) -> None:
        for c in cats:
            p = [*path, c]
            for it in c.items:
                ws.append(
                    export_row(
                        [
                            SEP.join(x.code for x in p),
                            SEP.join(x.name for x in p),
                            SEP.join(
                                "" if x.max_points is None else f"{x.max_points:g}" for x in p
                            ),
                            it.code,
                            it.text,
                            it.max_points,
                            it.min_points,
                            it.alternatives or "",
                            "○" if it.shared else "",
                            it.note,
                            KIND_LABELS[ItemKind(it.kind).value],
                            "○" if it.provisional else "",
                            it.national_average,
                            it.national_rate,
                            SEP.join(
                                "" if x.national_average is None else f"{x.national_average:g}"
                                for x in p
                            ),
                        ]
                    )
                )
            walk(c.categories, p)

    walk(doc.categories, [])
    meta = wb.create_sheet("体系")
    for f in META_FIELDS:
        v = getattr(doc, f)
        meta.append(export_row([f, v.value if hasattr(v, "value") else v]))
    extra = {
        "state": doc.state.value,
        "state_note": doc.state_note,
        "source_document": doc.source.document,
        "source_date": doc.source.date.isoformat() if doc.source.date else None,
        "source_page": doc.source.page,
        "national_average": doc.national_average,
        "averages_document": doc.averages_source.document,
        "averages_date": (
            doc.averages_source.date.isoformat() if doc.averages_source.date else None
        ),
        "averages_page": doc.averages_source.page,
    }
    for f in META_EXTRA:
        meta.append(export_row([f, extra[f]]))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(v: Any) -> str:
    return "" if v is None else str(v).strip()


def parse_xlsx(data: bytes) -> dict[str, Any]:
    """The framework document held by an XLSX made by export_xlsx (or by hand in its layout)."""
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a non-XLSX file
        raise Invalid(
            "XLSXファイルとして読み込めません", errors=[{"loc": ["file"], "msg": str(exc)}]
        ) from exc
    if "体系" not in wb.sheetnames or "評価指標" not in wb.sheetnames:
        raise Invalid("XLSXには「評価指標」と「体系」のシートが必要です")
    out: dict[str, Any] = {}
    for row in wb["体系"].iter_rows(values_only=True):
        if row and row[0]:
            out[str(row[0]).strip()] = row[1]
    if out.get("max_points") in ("", None):
        out["max_points"] = None
    for prefix, key in (("source_", "source"), ("averages_", "averages_source")):
        src = {}
        for part in ("document", "date", "page"):
            v = out.pop(f"{prefix}{part}", None)
            if v not in ("", None):
                src[part] = v.date().isoformat() if hasattr(v, "date") else str(v)
        out[key] = src
    for f in ("state_note",):
        if out.get(f) is None:
            out.pop(f, None)
    if out.get("national_average") in ("", None):
        out["national_average"] = None
    if out.get("state") in ("", None):
        out.pop("state", None)
    roots: list[dict[str, Any]] = []
    index: dict[tuple[str, ...], dict[str, Any]] = {}
    errors: list[dict[str, Any]] = []
    rows = wb["評価指標"].iter_rows(values_only=True)
    next(rows, None)
    for line, row in enumerate(rows, start=2):
        cells = [_cell(v) for v in (list(row) + [None] * 15)[:15]]
        if not any(cells):
            continue
        codes = cells[0].split(SEP.strip())
        codes = [c.strip() for c in codes]
        names = [c.strip() for c in cells[1].split(SEP.strip())]
        maxes = [c.strip() for c in cells[2].split(SEP.strip())] if cells[2] else []
        averages = [c.strip() for c in cells[14].split(SEP.strip())] if cells[14] else []
        if len(names) != len(codes):
            errors.append(
                {
                    "loc": ["line", line, "column", "B"],
                    "msg": "区分名の階層数が区分コードと一致しません",
                }
            )
            continue
        siblings = roots
        for depth in range(len(codes)):
            key = tuple(codes[: depth + 1])
            if key not in index:
                stated = maxes[depth] if depth < len(maxes) else ""
                avg = averages[depth] if depth < len(averages) else ""
                node = {
                    "code": codes[depth],
                    "name": names[depth],
                    "max_points": float(stated) if stated else None,
                    "national_average": float(avg) if avg else None,
                    "categories": [],
                    "items": [],
                }
                index[key] = node
                siblings.append(node)
            siblings = index[key]["categories"]
        try:
            item = {
                "code": cells[3],
                "text": cells[4],
                "max_points": float(cells[5]),
                "min_points": float(cells[6] or 0),
                "alternatives": cells[7] or None,
                "shared": cells[8] in ("○", "1", "true", "TRUE", "yes"),
                "note": cells[9],
                "kind": ItemKind.category_total.value
                if cells[10] in ("区分計", ItemKind.category_total.value)
                else ItemKind.indicator.value,
                "provisional": cells[11] in ("○", "1", "true", "TRUE", "yes"),
                "national_average": float(cells[12]) if cells[12] else None,
                "national_rate": float(cells[13]) if cells[13] else None,
            }
        except ValueError:
            errors.append(
                {
                    "loc": ["line", line, "column", "F"],
                    "msg": "満点・最低点は数値で入力してください",
                }
            )
            continue
        index[tuple(codes)]["items"].append(item)
    if errors:
        raise Invalid("XLSXの内容に誤りがあります", errors=errors)
    out["categories"] = roots
    return out


def parse_document(filename: str, data: bytes) -> FrameworkDoc:
    """A framework document from a JSON, YAML or XLSX upload (422 saying what is wrong)."""
    name = (filename or "").lower()
    try:
        if name.endswith(".xlsx") or data[:2] == b"PK":
            raw = parse_xlsx(data)
        elif name.endswith((".yaml", ".yml")):
            raw = yaml.safe_load(data.decode("utf-8-sig"))
        else:
            raw = json.loads(data.decode("utf-8-sig"))
    except (ValueError, yaml.YAMLError) as exc:
        raise Invalid(
            "ファイルを読み込めません (JSON・YAML・XLSXのいずれかにしてください)",
            errors=[{"loc": ["file"], "msg": str(exc)[:300]}],
        ) from exc
    if problems := find_problems(raw, ("file",)):  # the input policy, naming the field
        raise Invalid(
            "ファイルに使えない制御文字があります。何も取り込んでいません", errors=problems
        )
    try:
        return FrameworkDoc.model_validate(raw)
    except ValidationError as exc:
        raise Invalid(
            "評価指標の体系の形式に誤りがあります",
            errors=[{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()],
        ) from exc


# --- authoring: edit the tree, the framework's own fields, copy to another year ---------------


async def _score_stats(
    session: AsyncSession, framework_id: int
) -> dict[int, tuple[int, float, float]]:
    """Per item id: (number of scores, lowest, highest points)."""
    from services.indicators.scores.models import Score

    q = (
        select(Score.item_id, func.count(), func.min(Score.points), func.max(Score.points))
        .where(Score.framework_id == framework_id)
        .group_by(Score.item_id)
    )
    rows = (await (await session.connection()).execute(q)).all()
    return {i: (n, lo, hi) for i, n, lo, hi in rows}


async def replace_tree(
    session: AsyncSession,
    fw: Framework,
    categories: list[CategoryDoc],
    *,
    actor: Actor,
    stated_max: float | None = None,
    drop_scored: bool = False,
) -> Framework:
    """Replace a framework's categories and items, matched by code: kept codes are updated in
    place (their scores stay), new ones are added, missing ones removed. Refused (409, nothing
    changed) when a removed item has scores (unless ``drop_scored``) or a stored score would
    fall outside an item's new range; 422 for an unsound tree."""
    tree = await load_tree(session, fw.id)  # type: ignore[arg-type]
    doc = tree_to_doc(tree)
    doc.categories = categories
    doc.max_points = stated_max
    doc = fill_skeleton(doc)
    errors = validate_doc(doc)
    if errors:
        raise Invalid("評価指標の体系に誤りがあります", errors=errors)
    new_items = {it.code: it for it in iter_items(doc)}
    stats = await _score_stats(session, fw.id)  # type: ignore[arg-type]
    problems = []
    for it in tree.items:
        n, lo, hi = stats.get(it.id, (0, 0.0, 0.0))  # type: ignore[arg-type]
        if not n:
            continue
        new = new_items.get(it.code)
        if new is None:
            if not drop_scored:
                problems.append(
                    {"loc": ["items", it.code], "msg": f"指標 {it.code} には得点が {n}件あります"}
                )
        elif lo < new.min_points or hi > new.max_points:
            problems.append(
                {
                    "loc": ["items", it.code],
                    "msg": f"指標 {it.code} の得点 ({lo:g}〜{hi:g}) が新しい範囲 "
                    f"{new.min_points:g}〜{new.max_points:g} に収まりません",
                }
            )
    if problems:
        raise Conflict(
            "得点のある指標を削除・変更できません (drop_scored で得点ごと削除できます)。"
            "何も変更していません",
            errors=problems,
        )
    conn = await session.connection()
    removed = [it.id for it in tree.items if it.code not in new_items]
    if removed:
        await conn.execute(delete(Item).where(Item.id.in_(removed)))  # type: ignore[attr-defined]
        # the deleted rows' objects leave the session: SQLite reuses their ids for the new
        # items, and a stale object under the same identity would be replaced at the flush
        for it in tree.items:
            if it.id in removed and it in session:
                session.expunge(it)
    cats_by_code = {c.code: c for c in tree.categories}
    items_by_code = {i.code: i for i in tree.items if i.code in new_items}
    position = 0
    kept_cats: set[str] = set()

    async def walk(cats: list[CategoryDoc], parent_id: int | None) -> None:
        nonlocal position
        for c in cats:
            position += 1
            row = cats_by_code.get(c.code)
            if row is None:
                row = Category(framework_id=fw.id, code=c.code, name=c.name)
                session.add(row)
            row.parent_id = parent_id
            row.name = c.name
            row.stated_max = c.max_points
            row.max_points = category_max(c)
            row.position = position
            row.national_average = c.national_average
            await session.flush()
            kept_cats.add(c.code)
            for it in c.items:
                position += 1
                item = items_by_code.get(it.code)
                if item is None:
                    item = Item(framework_id=fw.id, category_id=row.id, code=it.code, text="")
                    session.add(item)
                for k, v in _item_fields(it).items():
                    setattr(item, k, v)
                item.category_id = row.id  # type: ignore[assignment]
                item.position = position
            await walk(c.categories, row.id)

    await walk(doc.categories, None)
    await session.flush()
    gone = [c.id for c in tree.categories if c.code not in kept_cats]
    if gone:
        await conn.execute(delete(Category).where(Category.id.in_(gone)))  # type: ignore[attr-defined]
    fw.max_points = framework_max(doc)
    stamp_updated(fw, actor)
    readmodels.mark(session, fw.id)  # results of the new tree, before the commit
    await session.flush()
    return fw


async def patch_framework(
    session: AsyncSession, framework_id: int, patch: FrameworkPatch, *, actor: Actor
) -> Framework:
    fw = await get_for_update(session, Framework, framework_id)
    if fw is None:
        raise NotFound(f"評価指標の体系 {framework_id} が見つかりません")
    check_version(fw, patch.version, what="評価指標の体系")
    data = patch.model_dump(exclude_unset=True, exclude={"version"})
    for key in ("code", "name", "evaluation_fy", "state_note", "national_average"):
        if key in data:
            setattr(fw, key, data[key])
    if "state" in data and data["state"] is not None:
        fw.state = State(data["state"]).value
    if patch.source is not None:
        fw.source_document, fw.source_date, fw.source_page = (
            patch.source.document,
            patch.source.date,
            patch.source.page,
        )
    if patch.averages_source is not None:
        fw.averages_document, fw.averages_date, fw.averages_page = (
            patch.averages_source.document,
            patch.averages_source.date,
            patch.averages_source.page,
        )
    stamp_updated(fw, actor)
    await session.flush()
    return fw


def copied_doc(doc: FrameworkDoc, body: FrameworkCopy) -> FrameworkDoc:
    """Next year's framework from this one: the same tree, provisional, without this year's
    published averages and achievement rates (they belong to the year they were published)."""
    out = doc.model_copy(deep=True)
    old_fy = doc.grant_fy
    out.grant_fy = body.grant_fy
    out.evaluation_fy = body.evaluation_fy or body.grant_fy - 1
    out.code = body.code or (
        doc.code.replace(str(old_fy), str(body.grant_fy))
        if str(old_fy) in doc.code
        else f"{doc.code}-{body.grant_fy}"
    )
    out.name = body.name or (
        doc.name.replace(f"{old_fy}年度", f"{body.grant_fy}年度")
        if f"{old_fy}年度" in doc.name
        else f"{body.grant_fy}年度 {doc.name}"
    )
    out.state = State.provisional
    out.state_note = (
        f"{old_fy}年度の体系 ({doc.code}) を複製。{body.grant_fy}年度の資料で区分・指標・配点を"
        "確認し、評価指標の一覧を取り込むか編集してください"
    )
    out.source = body.source or Source()
    out.national_average = None
    out.averages_source = Source()
    out.max_points = None
    for _, cat in iter_categories(out.categories):
        cat.national_average = None
        for it in cat.items:
            it.national_average = None
            it.national_rate = None
    return out


async def copy_framework(
    session: AsyncSession, framework_id: int, body: FrameworkCopy, *, actor: Actor
) -> Framework:
    doc = tree_to_doc(await load_tree(session, framework_id))
    return await create_framework(session, copied_doc(doc, body), actor=actor)


async def combined(session: AsyncSession, *, level: str, grant_fy: int) -> dict[str, Any]:
    """Both grants' frameworks of a level and year side by side: the combined maximum counts
    an item marked shared (same code in both) once."""
    rows = await list_frameworks(session, level=level, grant_fy=grant_fy)
    by_grant = {r.grant: r for r in rows}
    docs = {g: tree_to_doc(await load_tree(session, fw.id)) for g, fw in by_grant.items()}  # type: ignore[arg-type]
    out: dict[str, Any] = {
        "level": level,
        "grant_fy": grant_fy,
        "frameworks": [summary(fw).model_dump(mode="json") for fw in by_grant.values()],
        "missing": [g.value for g in Grant if g.value not in by_grant],
        "shared_items": [],
        "combined_max": None,
    }
    if len(docs) == 2:
        a, b = docs[Grant.suishin], docs[Grant.doryoku]
        shared_a = {it.code: it for it in iter_items(a) if it.shared}
        out["shared_items"] = [
            {"code": it.code, "text": it.text, "max_points": it.max_points}
            for it in iter_items(b)
            if it.shared and it.code in shared_a
        ]
        out["combined_max"] = combined_max(a, b)
        out["sum_of_maxima"] = framework_max(a) + framework_max(b)
    return out

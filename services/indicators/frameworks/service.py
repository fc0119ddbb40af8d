"""Framework work: create from a document, read the tree back, export and import files."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import yaml
from openpyxl import Workbook, load_workbook
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Conflict, Invalid, NotFound
from services.common.models import stamp_created
from services.indicators.frameworks.models import Category, Framework, Item
from services.indicators.frameworks.schemas import (
    CategoryDoc,
    CategoryOut,
    FrameworkDetail,
    FrameworkDoc,
    FrameworkSummary,
    ItemDoc,
    ItemOut,
    category_max,
    framework_max,
    validate_doc,
)


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


def summary(fw: Framework) -> FrameworkSummary:
    return FrameworkSummary.model_validate(fw, from_attributes=True)


async def create_framework(session: AsyncSession, doc: FrameworkDoc, *, actor: Actor) -> Framework:
    """Store a validated framework document (422 listing every problem; 409 if the grant,
    level and grant year already have one)."""
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
            )
            session.add(row)
            await session.flush()
            for it in c.items:
                position += 1
                session.add(
                    Item(
                        framework_id=fw.id,
                        category_id=row.id,
                        code=it.code,
                        text=it.text,
                        max_points=it.max_points,
                        min_points=it.min_points,
                        alternatives=it.alternatives,
                        shared=it.shared,
                        note=it.note,
                        position=position,
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
        categories=[cat_doc(c) for c in tree.children.get(None, [])],
    )


def tree_to_detail(tree: Tree) -> FrameworkDetail:
    def cat_out(c: Category) -> CategoryOut:
        return CategoryOut(
            code=c.code,
            name=c.name,
            max_points=c.max_points,
            categories=[cat_out(s) for s in tree.children.get(c.id, [])],
            items=[
                ItemOut.model_validate(i, from_attributes=True)
                for i in tree.items_of.get(c.id, [])  # type: ignore[arg-type]
            ],
        )

    return FrameworkDetail(
        **summary(tree.framework).model_dump(),
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
]
META_FIELDS = ["code", "name", "grant", "level", "grant_fy", "evaluation_fy", "max_points"]
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
                    [
                        SEP.join(x.code for x in p),
                        SEP.join(x.name for x in p),
                        SEP.join("" if x.max_points is None else f"{x.max_points:g}" for x in p),
                        it.code,
                        it.text,
                        it.max_points,
                        it.min_points,
                        it.alternatives or "",
                        "○" if it.shared else "",
                        it.note,
                    ]
                )
            walk(c.categories, p)

    walk(doc.categories, [])
    meta = wb.create_sheet("体系")
    for f in META_FIELDS:
        v = getattr(doc, f)
        meta.append([f, v.value if hasattr(v, "value") else v])
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
    roots: list[dict[str, Any]] = []
    index: dict[tuple[str, ...], dict[str, Any]] = {}
    errors: list[dict[str, Any]] = []
    rows = wb["評価指標"].iter_rows(values_only=True)
    next(rows, None)
    for line, row in enumerate(rows, start=2):
        cells = [_cell(v) for v in (list(row) + [None] * 10)[:10]]
        if not any(cells):
            continue
        codes = cells[0].split(SEP.strip())
        codes = [c.strip() for c in codes]
        names = [c.strip() for c in cells[1].split(SEP.strip())]
        maxes = [c.strip() for c in cells[2].split(SEP.strip())] if cells[2] else []
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
                node = {
                    "code": codes[depth],
                    "name": names[depth],
                    "max_points": float(stated) if stated else None,
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
    try:
        return FrameworkDoc.model_validate(raw)
    except ValidationError as exc:
        raise Invalid(
            "評価指標の体系の形式に誤りがあります",
            errors=[{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()],
        ) from exc

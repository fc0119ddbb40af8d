"""The evaluation catalogue: items for centres and municipalities by work area, per fiscal
year, with their source and state; written whole (JSON or an imported CSV/XLSX)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from sqlalchemy import delete, func, insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Conflict, Invalid, NotFound
from services.common.exports import export_row
from services.common.models import check_version, stamp_created, stamp_updated
from services.indicators.centres.models import EvalCatalogue, EvalItem, EvalSheet
from services.indicators.centres.schemas import (
    SUBJECT_LABELS,
    SUBJECTS,
    AreaIn,
    CatalogueIn,
    structure,
)
from services.indicators.pdca.vocabulary import training_kinds
from services.indicators.scores.service import read_table


@dataclass
class Catalogue:
    """A catalogue with its items, ready for lookups."""

    row: EvalCatalogue
    items: list[EvalItem]
    by_key: dict[tuple[str, str], EvalItem] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_key = {(i.subject, i.code): i for i in self.items}

    def of(self, subject: str) -> list[EvalItem]:
        return [i for i in self.items if i.subject == subject]

    @property
    def areas(self) -> list[dict[str, Any]]:
        return list(self.row.areas)

    def area_name(self, code: str) -> str:
        return next((a["name"] for a in self.row.areas if a["code"] == code), code)


def work_areas() -> dict[str, Any]:
    s = structure()
    return {
        "name": s["name"],
        "source": s["source"],
        "state": s["state"],
        "note": s["note"],
        "areas": s["areas"],
        "professions": s["professions"],
    }


async def load(session: AsyncSession, fiscal_year: int) -> Catalogue:
    row = (
        await session.exec(select(EvalCatalogue).where(EvalCatalogue.fiscal_year == fiscal_year))
    ).first()
    if row is None:
        raise NotFound(
            f"{fiscal_year}年度の評価項目がありません。先に評価項目を登録・取り込みしてください"
        )
    items = (
        await session.exec(
            select(EvalItem).where(EvalItem.catalogue_id == row.id).order_by(EvalItem.position)
        )
    ).all()
    return Catalogue(row, list(items))


async def load_or_none(session: AsyncSession, fiscal_year: int) -> Catalogue | None:
    try:
        return await load(session, fiscal_year)
    except NotFound:
        return None


def catalogue_out(cat: Catalogue) -> dict[str, Any]:
    r = cat.row
    return {
        "id": r.id,
        "fiscal_year": r.fiscal_year,
        "name": r.name,
        "source": {"document": r.source_document, "date": r.source_date, "page": r.source_page},
        "state": r.state,
        "sample": r.sample,
        "note": r.note,
        "areas": r.areas,
        "items": [
            {
                "subject": i.subject,
                "code": i.code,
                "area_code": i.area_code,
                "area_name": cat.area_name(i.area_code),
                "text": i.text,
                "note": i.note,
            }
            for i in cat.items
        ],
        "counts": {s: len(cat.of(s)) for s in SUBJECTS},
        "version": r.version,
        "updated_at": r.updated_at,
        "updated_by": r.updated_by,
    }


async def list_catalogues(session: AsyncSession) -> list[dict[str, Any]]:
    cats = (await session.exec(select(EvalCatalogue).order_by(EvalCatalogue.fiscal_year))).all()
    counts: dict[tuple[int, str], int] = {}
    for cid, subject, n in (
        await session.exec(
            select(EvalItem.catalogue_id, EvalItem.subject, func.count()).group_by(
                EvalItem.catalogue_id, EvalItem.subject
            )
        )
    ).all():
        counts[(cid, subject)] = n
    sheets: dict[tuple[int, str], int] = {}
    for fy, subject, n in (
        await session.exec(
            select(EvalSheet.fiscal_year, EvalSheet.subject, func.count()).group_by(
                EvalSheet.fiscal_year, EvalSheet.subject
            )
        )
    ).all():
        sheets[(fy, subject)] = n
    return [
        {
            "id": c.id,
            "fiscal_year": c.fiscal_year,
            "name": c.name,
            "source": {
                "document": c.source_document,
                "date": c.source_date,
                "page": c.source_page,
            },
            "state": c.state,
            "sample": c.sample,
            "items": {s: counts.get((c.id, s), 0) for s in SUBJECTS},  # type: ignore[arg-type]
            "answered": {s: sheets.get((c.fiscal_year, s), 0) for s in SUBJECTS},
            "version": c.version,
        }
        for c in cats
    ]


def _validate(body: CatalogueIn) -> tuple[list[AreaIn], list[dict[str, Any]]]:
    """The areas and the clean item rows, or 422 listing every problem."""
    areas = body.areas if body.areas is not None else [AreaIn(**a) for a in structure()["areas"]]
    errors: list[dict[str, Any]] = []
    kinds = set(training_kinds())
    seen_areas: set[str] = set()
    for n, a in enumerate(areas):
        if a.code in seen_areas:
            errors.append({"loc": ["areas", n, "code"], "msg": f"業務分野コード {a.code} が重複"})
        seen_areas.add(a.code)
        for k in a.training_kinds:
            if k not in kinds:
                errors.append(
                    {
                        "loc": ["areas", n, "training_kinds"],
                        "msg": f"研修の種類 {k!r} は研修サービスにありません "
                        f"({'、'.join(sorted(kinds))})",
                    }
                )
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for n, raw in enumerate(body.items):
        if not isinstance(raw, dict):
            errors.append({"loc": ["items", n], "msg": "行はオブジェクトで指定してください"})
            continue
        bad = False
        subject = str(raw.get("subject", "")).strip()
        subject = {"センター": "centre", "市町村": "municipality"}.get(subject, subject)
        if subject not in SUBJECTS:
            errors.append(
                {
                    "loc": ["items", n, "subject"],
                    "msg": "対象は centre (センター) または municipality (市町村) です",
                }
            )
            bad = True
        code = str(raw.get("code") or "").strip()
        if not code or len(code) > 32:
            errors.append({"loc": ["items", n, "code"], "msg": "項目コードは1〜32文字です"})
            bad = True
        area = str(raw.get("area_code") or "").strip()
        if area not in seen_areas:
            errors.append(
                {
                    "loc": ["items", n, "area_code"],
                    "msg": f"業務分野コード {area!r} は業務分野にありません "
                    f"({', '.join(a.code for a in areas)})",
                }
            )
            bad = True
        text = str(raw.get("text") or "").strip()
        if not text or len(text) > 1000:
            errors.append({"loc": ["items", n, "text"], "msg": "評価項目は1〜1000文字です"})
            bad = True
        note = str(raw.get("note") or "").strip()
        if len(note) > 1000:
            errors.append({"loc": ["items", n, "note"], "msg": "備考は1000文字までです"})
            bad = True
        if bad:
            continue
        if (subject, code) in seen:
            errors.append(
                {
                    "loc": ["items", n, "code"],
                    "msg": f"{SUBJECT_LABELS[subject]}の項目コード {code} が "
                    f"{seen[(subject, code)]} 番目と重複しています",
                }
            )
            continue
        seen[(subject, code)] = n
        rows.append(
            {"subject": subject, "code": code, "area_code": area, "text": text, "note": note}
        )
    if not body.items:
        errors.append({"loc": ["items"], "msg": "評価項目が1つもありません"})
    if errors:
        raise Invalid(f"{len(errors)}か所に誤りがあります。何も書き込んでいません", errors=errors)
    return areas, rows


async def put_catalogue(
    session: AsyncSession, fiscal_year: int, body: CatalogueIn, *, actor: Actor
) -> Catalogue:
    """Create or replace the year's catalogue. Once answers exist for the year, the items'
    codes and work areas are fixed (texts, source and state may still change): otherwise
    stored rates would no longer match their items."""
    areas, rows = _validate(body)
    row = (
        await session.exec(
            select(EvalCatalogue).where(EvalCatalogue.fiscal_year == fiscal_year).with_for_update()
        )
    ).first()
    if row is None:
        row = EvalCatalogue(fiscal_year=fiscal_year, name=body.name)
        stamp_created(row, actor)
    else:
        if body.version is None:
            raise Conflict(
                f"{fiscal_year}年度の評価項目は既にあります (版 {row.version})。"
                "置き換えるには version を指定してください",
                current_version=row.version,
            )
        check_version(row, body.version, what=f"{fiscal_year}年度の評価項目")
        answered = (
            await session.exec(
                select(func.count())
                .select_from(EvalSheet)
                .where(EvalSheet.fiscal_year == fiscal_year)
            )
        ).one()
        if answered:
            old = {
                (i.subject, i.code, i.area_code)
                for i in (
                    await session.exec(select(EvalItem).where(EvalItem.catalogue_id == row.id))
                ).all()
            }
            new = {(r["subject"], r["code"], r["area_code"]) for r in rows}
            old_areas = {a["code"] for a in row.areas}
            if old != new or old_areas != {a.code for a in areas}:
                changed = sorted(f"{SUBJECT_LABELS[s]} {c} ({a})" for s, c, a in old ^ new)
                raise Conflict(
                    f"{fiscal_year}年度は回答が {answered} 件あるため、項目コード・業務分野は"
                    "変えられません (文言・出典・状態は変更できます)"
                    + (f": {', '.join(changed[:20])}" if changed else ""),
                    changed=changed,
                )
        stamp_updated(row, actor)
    row.name = body.name
    row.source_document, row.source_date = body.source_document, body.source_date
    row.source_page, row.state = body.source_page, body.state
    row.sample, row.note = body.sample, body.note
    row.areas = [a.model_dump() for a in areas]
    session.add(row)
    await session.flush()
    conn = await session.connection()
    await conn.execute(delete(EvalItem).where(col(EvalItem.catalogue_id) == row.id))
    await conn.execute(
        insert(EvalItem),
        [{**r, "catalogue_id": row.id, "position": n} for n, r in enumerate(rows)],
    )
    return await load(session, fiscal_year)


# --- files ------------------------------------------------------------------------------------

SUBJECT_HEADERS = {"subject", "対象"}
AREA_CODE_HEADERS = {"area_code", "業務分野コード"}
AREA_NAME_HEADERS = {"area", "area_name", "業務分野"}
CODE_HEADERS = {"code", "item_code", "項目コード", "項目番号"}
TEXT_HEADERS = {"text", "評価項目", "項目", "評価指標"}
NOTE_HEADERS = {"note", "備考"}


def _s(v: Any) -> str:
    return "" if v is None else str(v).strip()


def _norm(name: str) -> str:
    return "".join(name.split()).replace("（", "(").replace("）", ")")


def parse_catalogue_table(
    table: list[list[Any]],
) -> tuple[list[AreaIn] | None, list[dict[str, Any]], list[int]]:
    """Areas (None: the standard structure) and item rows from a spreadsheet, with the line
    of each row; errors by line and column."""
    if not table:
        raise Invalid("ファイルが空です")
    header = [_s(h) for h in table[0]]
    lower = [h.lower() for h in header]

    def find(names: set[str]) -> int | None:
        return next((i for i, h in enumerate(lower) if h in names), None)

    c_subject, c_acode, c_aname = (
        find(SUBJECT_HEADERS),
        find(AREA_CODE_HEADERS),
        find(AREA_NAME_HEADERS),
    )
    c_code, c_text, c_note = find(CODE_HEADERS), find(TEXT_HEADERS), find(NOTE_HEADERS)
    missing = [
        label
        for c, label in ((c_subject, "対象"), (c_code, "項目コード"), (c_text, "評価項目"))
        if c is None
    ]
    if c_acode is None and c_aname is None:
        missing.append("業務分野 (または業務分野コード)")
    if missing:
        raise Invalid(
            f"1行目に {'、'.join(missing)} の列が必要です",
            errors=[{"loc": ["line", 1], "msg": f"{m} の列がありません"} for m in missing],
        )
    standard = structure()["areas"]
    by_name = {_norm(a["name"]): a for a in standard}
    by_code = {a["code"]: a for a in standard}
    errors: list[dict[str, Any]] = []
    areas: dict[str, AreaIn] = {}
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    for line, row in enumerate(table[1:], start=2):
        if not any(_s(v) for v in row):
            continue
        row = list(row) + [None] * (len(header) - len(row))
        if c_acode is not None:
            acode = _s(row[c_acode])
            aname = _s(row[c_aname]) if c_aname is not None else ""
            if not acode:
                errors.append(
                    {
                        "loc": ["line", line, "column", header[c_acode]],
                        "msg": "業務分野コードが空です",
                    }
                )
                continue
            if acode not in areas:
                std = by_code.get(acode)
                name = aname or (std["name"] if std else "")
                if not name:
                    errors.append(
                        {
                            "loc": ["line", line, "column", header[c_acode]],
                            "msg": f"業務分野コード {acode} の名称がありません (業務分野の列)",
                        }
                    )
                    continue
                areas[acode] = AreaIn(
                    code=acode,
                    name=name,
                    group=std["group"] if std else "",
                    training_kinds=std["training_kinds"] if std else [],
                )
        else:
            aname = _s(row[c_aname])  # type: ignore[index]
            std = by_name.get(_norm(aname))
            if std is None:
                errors.append(
                    {
                        "loc": ["line", line, "column", header[c_aname]],  # type: ignore[index]
                        "msg": f"業務分野 {aname!r} は標準の業務分野にありません "
                        f"({'、'.join(a['name'] for a in standard)})。"
                        "独自の区分なら 業務分野コード の列を加えてください",
                    }
                )
                continue
            acode = std["code"]
        rows.append(
            {
                "subject": _s(row[c_subject]),  # type: ignore[index]
                "code": _s(row[c_code]),  # type: ignore[index]
                "area_code": acode,
                "text": _s(row[c_text]),  # type: ignore[index]
                "note": _s(row[c_note]) if c_note is not None else "",
            }
        )
        lines.append(line)
    if errors:
        raise Invalid(
            f"{len({e['loc'][1] for e in errors})}行に誤りがあります。何も書き込んでいません",
            errors=errors,
        )
    return (list(areas.values()) if c_acode is not None else None), rows, lines


async def import_catalogue(
    session: AsyncSession,
    fiscal_year: int,
    filename: str,
    data: bytes,
    meta: dict[str, Any],
    *,
    actor: Actor,
) -> Catalogue:
    areas, rows, lines = parse_catalogue_table(read_table(filename, data))
    body = CatalogueIn(**meta, areas=areas, items=rows)
    try:
        return await put_catalogue(session, fiscal_year, body, actor=actor)
    except Invalid as exc:
        # Name the file's lines instead of the rows' indexes.
        if exc.errors:
            for e in exc.errors:
                loc = e.get("loc", [])
                if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
                    e["loc"] = ["line", lines[loc[1]], "column", FILE_COLUMNS.get(loc[-1], "")]
            named = sorted({e["loc"][1] for e in exc.errors if e["loc"][0] == "line"})
            if named:
                exc.detail = (
                    f"{len(named)}行に誤りがあります (行 {', '.join(map(str, named[:20]))})。"
                    "何も書き込んでいません"
                )
        raise


FILE_COLUMNS = {
    "subject": "対象",
    "code": "項目コード",
    "area_code": "業務分野コード",
    "text": "評価項目",
    "note": "備考",
}


def export_catalogue(cat: Catalogue, fmt: str) -> bytes:
    """The import's own layout (imports back unchanged): CSV in UTF-8 with BOM, or XLSX."""
    table: list[list[Any]] = [
        ["対象", "業務分野コード", "業務分野", "項目コード", "評価項目", "備考"]
    ]
    for i in cat.items:
        table.append(
            [
                SUBJECT_LABELS[i.subject],
                i.area_code,
                cat.area_name(i.area_code),
                i.code,
                i.text,
                i.note,
            ]
        )
    if fmt == "xlsx":
        wb = Workbook()
        ws = wb.active
        ws.title = "評価項目"
        for r in table:
            ws.append(export_row(r))
        meta = wb.create_sheet("出典")
        r = cat.row
        for k, v in (
            ("年度", r.fiscal_year),
            ("名称", r.name),
            ("出典", r.source_document),
            ("日付", r.source_date),
            ("頁", r.source_page),
            ("状態", r.state),
            ("サンプル", "はい" if r.sample else "いいえ"),
        ):
            meta.append(export_row([k, v]))
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(map(export_row, table))
    return out.getvalue().encode("utf-8-sig")

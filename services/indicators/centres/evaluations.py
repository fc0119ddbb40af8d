"""Yearly answers (met / not met, with notes) per centre and per municipality, the stored
rates they give (per sheet, per work area, and the prefecture's means), and the chart data
read from them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Float, and_, bindparam, case, cast, delete, func, insert, literal
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import is_staff
from services.common.actor import Actor, Role
from services.common.errors import Conflict, Forbidden, Invalid
from services.common.models import check_version, stamp_created, stamp_updated, utcnow
from services.common.registry import get_registry
from services.indicators.centres.catalogue import Catalogue, load
from services.indicators.centres.models import (
    Centre,
    EvalAnswer,
    EvalPrefectureArea,
    EvalPrefectureItem,
    EvalSheet,
    EvalSheetArea,
)
from services.indicators.centres.register import check_municipality, get_centre, operating
from services.indicators.centres.schemas import SUBJECT_LABELS, SUBJECTS
from services.indicators.scores.service import normalise_code, read_table

OVERALL = ""  # the area code of a whole sheet in EvalPrefectureArea


def ensure_answer_write(actor: Actor, municipality_code: str) -> None:
    """Staff write every answer; municipality staff their own centres' and their own."""
    if is_staff(actor):
        return
    if actor.role == Role.municipality:
        if actor.municipality_code == municipality_code:
            return
        raise Forbidden("他の区市町村のセンター・区市町村の回答は編集できません")
    raise Forbidden("評価の回答を編集する権限がありません")


def subject_key(subject: str, centre_id: int | None, municipality_code: str) -> str:
    return f"centre:{centre_id}" if subject == "centre" else f"municipality:{municipality_code}"


@dataclass
class SheetWrite:
    """One subject's complete answers, ready to store."""

    subject: str
    municipality_code: str
    centre_id: int | None
    answers: dict[str, tuple[bool, str]]  # item code → (met, note)
    expected_version: int | None = None
    check_version: bool = False
    sample: bool = False
    key: str = field(init=False)

    def __post_init__(self) -> None:
        self.key = subject_key(self.subject, self.centre_id, self.municipality_code)


def _chunks(seq: list[Any], n: int = 500) -> list[list[Any]]:
    return [seq[i : i + n] for i in range(0, len(seq), n)]


async def write_sheets(
    session: AsyncSession, cat: Catalogue, writes: list[SheetWrite], *, actor: Actor
) -> list[int]:
    """Store whole sheets (answers replaced), their counts and area rates, then refresh the
    prefecture's means once: the summary and charts read stored figures. One sheet goes
    through the ORM (audited row by row, version checked); many (an import) are written
    set-based and the caller records one audit event. Returns the sheets' ids in order."""
    fy = cat.row.fiscal_year
    if len(writes) == 1:
        ids = [await _write_one(session, fy, writes[0], actor)]
    else:
        ids = await _write_many(session, fy, writes, actor)
    conn = await session.connection()
    for chunk in _chunks(ids):
        await conn.execute(delete(EvalAnswer).where(col(EvalAnswer.sheet_id).in_(chunk)))
        await conn.execute(delete(EvalSheetArea).where(col(EvalSheetArea.sheet_id).in_(chunk)))
    answers: list[dict[str, Any]] = []
    areas: list[dict[str, Any]] = []
    for sheet_id, w in zip(ids, writes, strict=True):
        per_area: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for item in cat.of(w.subject):
            met_, note = w.answers[item.code]
            answers.append(
                {
                    "sheet_id": sheet_id,
                    "item_code": item.code,
                    "area_code": item.area_code,
                    "met": met_,
                    "note": note,
                }
            )
            per_area[item.area_code][0] += 1
            per_area[item.area_code][1] += int(met_)
        areas += [
            {"sheet_id": sheet_id, "area_code": a, "items": n, "met": m, "rate": m / n}
            for a, (n, m) in per_area.items()
        ]
    if answers:
        await conn.execute(insert(EvalAnswer), answers)
    if areas:
        await conn.execute(insert(EvalSheetArea), areas)
    for pref, subject in sorted({(w.municipality_code[:2], w.subject) for w in writes}):
        await refresh_prefecture(session, fy, pref, subject)
    return ids


def _counts(w: SheetWrite) -> tuple[int, int, float]:
    met = sum(1 for m, _ in w.answers.values() if m)
    total = len(w.answers)
    return total, met, met / total


async def _write_one(session: AsyncSession, fy: int, w: SheetWrite, actor: Actor) -> int:
    q = select(EvalSheet).where(EvalSheet.fiscal_year == fy, EvalSheet.subject_key == w.key)
    s = (await session.exec(q.with_for_update())).first()
    if s is None:
        s = EvalSheet(
            fiscal_year=fy,
            subject=w.subject,
            subject_key=w.key,
            municipality_code=w.municipality_code,
            prefecture=w.municipality_code[:2],
            centre_id=w.centre_id,
            sample=w.sample,
        )
        stamp_created(s, actor)
    else:
        if w.check_version:
            if w.expected_version is None:
                raise Conflict(
                    f"{fy}年度の回答は既にあります (版 {s.version})。"
                    "更新するには version を指定してください",
                    current_version=s.version,
                )
            check_version(s, w.expected_version, what=f"{fy}年度の回答")
        s.sample = w.sample
        stamp_updated(s, actor)
    s.item_count, s.met_count, s.rate = _counts(w)
    session.add(s)
    await session.flush()
    return s.id  # type: ignore[return-value]


async def _write_many(
    session: AsyncSession, fy: int, writes: list[SheetWrite], actor: Actor
) -> list[int]:
    conn = await session.connection()
    table = EvalSheet.__table__  # type: ignore[attr-defined]
    now, who = utcnow(), actor.label

    async def ids_of(keys: list[str]) -> dict[str, tuple[int, int]]:
        found: dict[str, tuple[int, int]] = {}
        for chunk in _chunks(keys):
            rows = await conn.execute(
                sa_select(table.c.subject_key, table.c.id, table.c.version).where(
                    table.c.fiscal_year == fy, table.c.subject_key.in_(chunk)
                )
            )
            found.update({k: (i, v) for k, i, v in rows.all()})
        return found

    existing = await ids_of([w.key for w in writes])
    new = [w for w in writes if w.key not in existing]
    old = [w for w in writes if w.key in existing]
    if old:
        await conn.execute(
            table.update()
            .where(table.c.id == bindparam("b_id"))
            .values(
                item_count=bindparam("b_items"),
                met_count=bindparam("b_met"),
                rate=bindparam("b_rate"),
                sample=bindparam("b_sample"),
                version=bindparam("b_version"),
                updated_at=now,
                updated_by=who,
            ),
            [
                {
                    "b_id": existing[w.key][0],
                    "b_version": existing[w.key][1] + 1,
                    "b_sample": w.sample,
                    **dict(zip(("b_items", "b_met", "b_rate"), _counts(w), strict=True)),
                }
                for w in old
            ],
        )
    if new:
        await conn.execute(
            insert(EvalSheet),
            [
                {
                    "fiscal_year": fy,
                    "subject": w.subject,
                    "subject_key": w.key,
                    "municipality_code": w.municipality_code,
                    "prefecture": w.municipality_code[:2],
                    "centre_id": w.centre_id,
                    "sample": w.sample,
                    **dict(zip(("item_count", "met_count", "rate"), _counts(w), strict=True)),
                    "created_at": now,
                    "created_by": who,
                    "updated_at": now,
                    "updated_by": who,
                    "version": 1,
                }
                for w in new
            ],
        )
        existing |= await ids_of([w.key for w in new])
    return [existing[w.key][0] for w in writes]


async def refresh_prefecture(
    session: AsyncSession, fiscal_year: int, prefecture: str, subject: str
) -> None:
    """The prefecture's read model, set-based: unweighted means of the sheets' rates (whole
    sheet and per work area) and each item's share of sheets that meet it."""
    conn = await session.connection()
    pa, pi = EvalPrefectureArea.__table__, EvalPrefectureItem.__table__  # type: ignore[attr-defined]
    s, sa_, a = EvalSheet.__table__, EvalSheetArea.__table__, EvalAnswer.__table__  # type: ignore[attr-defined]
    scope = and_(
        s.c.fiscal_year == fiscal_year, s.c.prefecture == prefecture, s.c.subject == subject
    )
    key = and_(
        pa.c.fiscal_year == fiscal_year, pa.c.prefecture == prefecture, pa.c.subject == subject
    )
    await conn.execute(pa.delete().where(key))
    head = (literal(fiscal_year), literal(prefecture), literal(subject))
    cols = ["fiscal_year", "prefecture", "subject", "area_code", "sheets", "mean_rate"]
    await conn.execute(
        pa.insert().from_select(
            cols,
            sa_select(*head, literal(OVERALL), func.count(), func.avg(s.c.rate)).where(scope),
        )
    )
    await conn.execute(
        pa.insert().from_select(
            cols,
            sa_select(*head, sa_.c.area_code, func.count(), func.avg(sa_.c.rate))
            .select_from(sa_.join(s, s.c.id == sa_.c.sheet_id))
            .where(scope)
            .group_by(sa_.c.area_code),
        )
    )
    # An empty scope leaves a row with count 0 and a null mean: drop it.
    await conn.execute(pa.delete().where(key, pa.c.sheets == 0))
    ikey = and_(
        pi.c.fiscal_year == fiscal_year, pi.c.prefecture == prefecture, pi.c.subject == subject
    )
    await conn.execute(pi.delete().where(ikey))
    await conn.execute(
        pi.insert().from_select(
            ["fiscal_year", "prefecture", "subject", "item_code", "sheets", "met_share"],
            sa_select(
                *head,
                a.c.item_code,
                func.count(),
                func.avg(cast(case((a.c.met, 1.0), else_=0.0), Float)),
            )
            .select_from(a.join(s, s.c.id == a.c.sheet_id))
            .where(scope)
            .group_by(a.c.item_code),
        )
    )


def parse_answers(cat: Catalogue, subject: str, rows: list[Any]) -> dict[str, tuple[bool, str]]:
    """JSON answers of one subject: every item exactly once; 422 naming every bad row."""
    items = {i.code: i for i in cat.of(subject)}
    if not items:
        raise Invalid(
            f"{cat.row.fiscal_year}年度の評価項目に{SUBJECT_LABELS[subject]}の項目がありません"
        )
    out: dict[str, tuple[bool, str]] = {}
    errors: list[dict[str, Any]] = []
    for n, row in enumerate(rows):
        if not isinstance(row, dict):
            errors.append({"loc": ["answers", n], "msg": "行はオブジェクトで指定してください"})
            continue
        code = str(row.get("item_code") or "").strip()
        if code not in items:
            errors.append(
                {
                    "loc": ["answers", n, "item_code"],
                    "msg": f"項目コード {code!r} は{cat.row.fiscal_year}年度の"
                    f"{SUBJECT_LABELS[subject]}の項目にありません",
                }
            )
            continue
        met = row.get("met")
        if not isinstance(met, bool):
            errors.append(
                {"loc": ["answers", n, "met"], "msg": "met は true (できている) か false です"}
            )
            continue
        note = row.get("note") or ""
        if not isinstance(note, str) or len(note) > 1000:
            errors.append({"loc": ["answers", n, "note"], "msg": "備考は1000文字までの文字列"})
            continue
        if code in out:
            errors.append({"loc": ["answers", n, "item_code"], "msg": f"項目 {code} が重複"})
            continue
        out[code] = (met, note.strip())
    missing = [c for c in items if c not in out]
    if missing and not errors:
        errors.append(
            {
                "loc": ["answers"],
                "msg": f"全項目に回答してください。未回答: {', '.join(missing)}",
            }
        )
    if errors:
        raise Invalid(f"{len(errors)}か所に誤りがあります。何も書き込んでいません", errors=errors)
    return out


async def put_centre_answers(
    session: AsyncSession,
    centre_id: int,
    fiscal_year: int,
    rows: list[Any],
    version: int | None,
    *,
    actor: Actor,
) -> None:
    centre = await get_centre(session, centre_id)
    ensure_answer_write(actor, centre.municipality_code)
    if not operating(centre, fiscal_year):
        raise Invalid(f"このセンターは{fiscal_year}年度に運営されていません (開設・廃止年度)")
    cat = await load(session, fiscal_year)
    answers = parse_answers(cat, "centre", rows)
    w = SheetWrite(
        "centre",
        centre.municipality_code,
        centre.id,
        answers,
        expected_version=version,
        check_version=True,
        sample=centre.sample,
    )
    await write_sheets(session, cat, [w], actor=actor)


async def put_municipality_answers(
    session: AsyncSession,
    municipality_code: str,
    fiscal_year: int,
    rows: list[Any],
    version: int | None,
    *,
    actor: Actor,
) -> None:
    check_municipality(municipality_code, ["path", "municipality_code"])
    ensure_answer_write(actor, municipality_code)
    cat = await load(session, fiscal_year)
    answers = parse_answers(cat, "municipality", rows)
    w = SheetWrite(
        "municipality",
        municipality_code,
        None,
        answers,
        expected_version=version,
        check_version=True,
    )
    await write_sheets(session, cat, [w], actor=actor)


# --- reading ----------------------------------------------------------------------------------


async def _sheet(session: AsyncSession, fiscal_year: int, key: str) -> EvalSheet | None:
    q = select(EvalSheet).where(EvalSheet.fiscal_year == fiscal_year, EvalSheet.subject_key == key)
    return (await session.exec(q)).first()


async def _answers(session: AsyncSession, sheet_id: int) -> dict[str, EvalAnswer]:
    rows = await session.exec(select(EvalAnswer).where(EvalAnswer.sheet_id == sheet_id))
    return {a.item_code: a for a in rows.all()}


async def _sheet_areas(session: AsyncSession, sheet_id: int) -> dict[str, EvalSheetArea]:
    rows = await session.exec(select(EvalSheetArea).where(EvalSheetArea.sheet_id == sheet_id))
    return {a.area_code: a for a in rows.all()}


async def _prefecture_areas(
    session: AsyncSession, fiscal_year: int, prefecture: str, subject: str
) -> dict[str, EvalPrefectureArea]:
    rows = await session.exec(
        select(EvalPrefectureArea).where(
            EvalPrefectureArea.fiscal_year == fiscal_year,
            EvalPrefectureArea.prefecture == prefecture,
            EvalPrefectureArea.subject == subject,
        )
    )
    return {r.area_code: r for r in rows.all()}


async def _prefecture_items(
    session: AsyncSession, fiscal_year: int, prefecture: str, subject: str
) -> dict[str, EvalPrefectureItem]:
    rows = await session.exec(
        select(EvalPrefectureItem).where(
            EvalPrefectureItem.fiscal_year == fiscal_year,
            EvalPrefectureItem.prefecture == prefecture,
            EvalPrefectureItem.subject == subject,
        )
    )
    return {r.item_code: r for r in rows.all()}


def _sheet_head(s: EvalSheet | None) -> dict[str, Any]:
    return {
        "answered": s is not None,
        "rate": s.rate if s else None,
        "met": s.met_count if s else None,
        "items": s.item_count if s else None,
        "sample": s.sample if s else False,
        "version": s.version if s else None,
        "updated_at": s.updated_at if s else None,
        "updated_by": s.updated_by if s else None,
    }


async def sheet_detail(
    session: AsyncSession,
    cat: Catalogue,
    subject: str,
    sheet: EvalSheet | None,
    prefecture: str,
) -> dict[str, Any]:
    """Items with this sheet's answers, its rate per work area, and the prefecture's means."""
    fy = cat.row.fiscal_year
    answers = await _answers(session, sheet.id) if sheet else {}  # type: ignore[arg-type]
    areas = await _sheet_areas(session, sheet.id) if sheet else {}  # type: ignore[arg-type]
    pref_areas = await _prefecture_areas(session, fy, prefecture, subject)
    pref_items = await _prefecture_items(session, fy, prefecture, subject)
    items = cat.of(subject)
    return {
        **_sheet_head(sheet),
        "prefecture_rate": pref_areas[OVERALL].mean_rate if OVERALL in pref_areas else None,
        "areas": [
            {
                "code": a["code"],
                "name": a["name"],
                "group": a.get("group", ""),
                "items": sum(1 for i in items if i.area_code == a["code"]),
                "met": areas[a["code"]].met if a["code"] in areas else None,
                "rate": areas[a["code"]].rate if a["code"] in areas else None,
                "prefecture_mean": pref_areas[a["code"]].mean_rate
                if a["code"] in pref_areas
                else None,
            }
            for a in cat.areas
            if any(i.area_code == a["code"] for i in items)
        ],
        "answers": [
            {
                "item_code": i.code,
                "area_code": i.area_code,
                "text": i.text,
                "met": answers[i.code].met if i.code in answers else None,
                "note": answers[i.code].note if i.code in answers else "",
                "prefecture_met_share": pref_items[i.code].met_share
                if i.code in pref_items
                else None,
            }
            for i in items
        ],
        "catalogue": _catalogue_ref(cat),
    }


def _catalogue_ref(cat: Catalogue) -> dict[str, Any]:
    r = cat.row
    return {
        "fiscal_year": r.fiscal_year,
        "name": r.name,
        "state": r.state,
        "sample": r.sample,
        "source": {"document": r.source_document, "date": r.source_date, "page": r.source_page},
        "version": r.version,
    }


async def centre_sheet(session: AsyncSession, centre_id: int, fiscal_year: int) -> dict[str, Any]:
    centre = await get_centre(session, centre_id)
    cat = await load(session, fiscal_year)
    sheet = await _sheet(session, fiscal_year, subject_key("centre", centre.id, ""))
    return {
        "centre": _centre_ref(centre),
        "fiscal_year": fiscal_year,
        "subject": "centre",
        **await sheet_detail(session, cat, "centre", sheet, centre.municipality_code[:2]),
    }


async def municipality_sheet(
    session: AsyncSession, municipality_code: str, fiscal_year: int
) -> dict[str, Any]:
    """The municipality's own items (市町村指標) with its answers, by work area, beside the
    prefecture's municipalities."""
    check_municipality(municipality_code, ["path", "municipality_code"])
    cat = await load(session, fiscal_year)
    sheet = await _sheet(session, fiscal_year, subject_key("municipality", None, municipality_code))
    m = get_registry().get(municipality_code)
    return {
        "municipality_code": municipality_code,
        "municipality_name": m.name if m else None,
        "fiscal_year": fiscal_year,
        "subject": "municipality",
        **await sheet_detail(session, cat, "municipality", sheet, municipality_code[:2]),
    }


def _centre_ref(c: Centre) -> dict[str, Any]:
    m = get_registry().get(c.municipality_code)
    return {
        "id": c.id,
        "name": c.name,
        "municipality_code": c.municipality_code,
        "municipality_name": m.name if m else None,
        "sample": c.sample,
    }


async def summary(
    session: AsyncSession, fiscal_year: int, municipality_code: str
) -> dict[str, Any]:
    """The fixed summary: the municipality's centres with their rates (null: not answered),
    its own rate, and the unweighted mean of every centre's rate in its prefecture."""
    check_municipality(municipality_code, ["query", "municipality_code"])
    centres = (
        await session.exec(
            select(Centre).where(Centre.municipality_code == municipality_code).order_by(Centre.id)
        )
    ).all()
    sheets = {
        s.centre_id: s
        for s in (
            await session.exec(
                select(EvalSheet).where(
                    EvalSheet.fiscal_year == fiscal_year,
                    EvalSheet.municipality_code == municipality_code,
                )
            )
        ).all()
    }
    own = next((s for s in sheets.values() if s.subject == "municipality"), None)
    pref = await session.get(
        EvalPrefectureArea, (fiscal_year, municipality_code[:2], "centre", OVERALL)
    )
    return {
        "municipality_code": municipality_code,
        "fiscal_year": fiscal_year,
        "centres": [
            {"id": c.id, "name": c.name, "rate": sheets[c.id].rate if c.id in sheets else None}
            for c in centres
            if operating(c, fiscal_year) or c.id in sheets
        ],
        "municipality_rate": own.rate if own else None,
        "prefecture_rate": pref.mean_rate if pref else None,
    }


async def _municipality_area_means(
    session: AsyncSession, fiscal_year: int, municipality_code: str
) -> tuple[dict[str, float], float | None, int]:
    """Means over the municipality's centres (a few dozen stored rows at most)."""
    s, sa_ = EvalSheet, EvalSheetArea
    rows = (
        await session.exec(
            select(sa_.area_code, func.avg(sa_.rate))
            .join(s, col(s.id) == sa_.sheet_id)
            .where(
                s.fiscal_year == fiscal_year,
                s.municipality_code == municipality_code,
                s.subject == "centre",
            )
            .group_by(sa_.area_code)
        )
    ).all()
    overall = (
        await session.exec(
            select(func.avg(s.rate), func.count()).where(
                s.fiscal_year == fiscal_year,
                s.municipality_code == municipality_code,
                s.subject == "centre",
            )
        )
    ).one()
    return {a: float(v) for a, v in rows}, overall[0], int(overall[1])


async def radar(session: AsyncSession, centre_id: int, fiscal_year: int) -> dict[str, Any]:
    """A centre's rate per work area against the mean of its municipality's centres and of
    every centre in the prefecture: the national scheme's radar chart."""
    centre = await get_centre(session, centre_id)
    cat = await load(session, fiscal_year)
    pref = centre.municipality_code[:2]
    sheet = await _sheet(session, fiscal_year, subject_key("centre", centre.id, ""))
    own = await _sheet_areas(session, sheet.id) if sheet else {}  # type: ignore[arg-type]
    muni, muni_rate, muni_n = await _municipality_area_means(
        session, fiscal_year, centre.municipality_code
    )
    pref_areas = await _prefecture_areas(session, fiscal_year, pref, "centre")
    items = cat.of("centre")
    return {
        "centre": _centre_ref(centre),
        "fiscal_year": fiscal_year,
        "answered": sheet is not None,
        "rate": sheet.rate if sheet else None,
        "municipality_mean_rate": muni_rate,
        "municipality_centres": muni_n,
        "prefecture": pref,
        "prefecture_rate": pref_areas[OVERALL].mean_rate if OVERALL in pref_areas else None,
        "prefecture_centres": pref_areas[OVERALL].sheets if OVERALL in pref_areas else 0,
        "areas": [
            {
                "code": a["code"],
                "name": a["name"],
                "group": a.get("group", ""),
                "items": sum(1 for i in items if i.area_code == a["code"]),
                "rate": own[a["code"]].rate if a["code"] in own else None,
                "municipality_mean": muni.get(a["code"]),
                "prefecture_mean": pref_areas[a["code"]].mean_rate
                if a["code"] in pref_areas
                else None,
            }
            for a in cat.areas
            if any(i.area_code == a["code"] for i in items)
        ],
        "catalogue": _catalogue_ref(cat),
    }


def area_reference(fiscal_year: int, subject: str, area_code: str) -> str:
    """What a training target stores to point at a weak work area."""
    return f"centre-eval-area:{fiscal_year}:{subject}:{area_code}"


async def weakest_areas(
    session: AsyncSession, fiscal_year: int, *, prefecture: str, subject: str
) -> dict[str, Any]:
    """The prefecture's work areas, weakest first (lowest mean rate over its centres, or its
    municipalities), each with its items weakest first, the training kinds that serve it and
    a reference a training target can keep."""
    if subject not in SUBJECTS:
        raise Invalid("subject は centre または municipality です")
    cat = await load(session, fiscal_year)
    pref_areas = await _prefecture_areas(session, fiscal_year, prefecture, subject)
    pref_items = await _prefecture_items(session, fiscal_year, prefecture, subject)
    items = cat.of(subject)
    out = []
    for a in cat.areas:
        mine = [i for i in items if i.area_code == a["code"]]
        if not mine:
            continue
        stored = pref_areas.get(a["code"])
        out.append(
            {
                "code": a["code"],
                "name": a["name"],
                "group": a.get("group", ""),
                "mean_rate": stored.mean_rate if stored else None,
                "sheets": stored.sheets if stored else 0,
                "training_kinds": a.get("training_kinds", []),
                "reference": area_reference(fiscal_year, subject, a["code"]),
                "items": sorted(
                    (
                        {
                            "code": i.code,
                            "text": i.text,
                            "met_share": pref_items[i.code].met_share
                            if i.code in pref_items
                            else None,
                        }
                        for i in mine
                    ),
                    key=lambda x: (x["met_share"] is None, x["met_share"] or 0.0, x["code"]),
                ),
            }
        )
    out.sort(key=lambda x: (x["mean_rate"] is None, x["mean_rate"] or 0.0, x["code"]))
    for n, a in enumerate(out, start=1):
        a["rank"] = n if a["mean_rate"] is not None else None
    return {
        "fiscal_year": fiscal_year,
        "prefecture": prefecture,
        "subject": subject,
        "sheets": pref_areas[OVERALL].sheets if OVERALL in pref_areas else 0,
        "prefecture_rate": pref_areas[OVERALL].mean_rate if OVERALL in pref_areas else None,
        "areas": out,
        "catalogue": _catalogue_ref(cat),
    }


# --- the survey's spreadsheet ------------------------------------------------------------------

MUNI_HEADERS = {"municipality_code", "区市町村コード", "市町村コード", "団体コード"}
CENTRE_ID_HEADERS = {"centre_id", "センターid", "センター番号"}
CENTRE_NAME_HEADERS = {"centre_name", "センター名", "センター名称"}
SUBJECT_HEADERS = {"subject", "対象"}
ITEM_HEADERS = {"item_code", "項目コード", "項目番号"}
MET_HEADERS = {"met", "結果", "評価", "回答"}
NOTE_HEADERS = {"note", "備考", "メモ"}
NAME_HEADERS = {"区市町村名", "市町村名", "名称"}
TRUE_VALUES = {"○", "◯", "〇", "●", "はい", "1", "true", "yes", "達成", "できている", "該当"}
FALSE_VALUES = {"×", "✕", "x", "いいえ", "0", "false", "no", "未達成", "できていない", "非該当"}


def _s(v: Any) -> str:
    return "" if v is None else str(v).strip()


def parse_met(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float) and v in (0, 1):
        return bool(v)
    t = _s(v).lower()
    if t in TRUE_VALUES:
        return True
    if t in FALSE_VALUES:
        return False
    return None


MET_HELP = "結果は ○ / × (1 / 0、はい / いいえ) で入力してください"


async def import_answers(
    session: AsyncSession, fiscal_year: int, filename: str, data: bytes, *, actor: Actor
) -> dict[str, int]:
    """The survey's spreadsheet: long (区市町村コード, センターID or センター名 — empty for the
    municipality's own answers —, 項目コード, 結果 ○/×, 備考) or wide (one row per centre or
    municipality, one column per item code). Every sheet in the file must answer every item.
    All or nothing: every bad row is named by line and column."""
    if not is_staff(actor) and actor.role != Role.municipality:
        raise Forbidden("評価の回答を取り込む権限がありません")
    cat = await load(session, fiscal_year)
    table = read_table(filename, data)
    if not table:
        raise Invalid("ファイルが空です")
    header = [_s(h) for h in table[0]]
    lower = [h.lower() for h in header]

    def find(names: set[str]) -> int | None:
        return next((i for i, h in enumerate(lower) if h in names), None)

    c_muni, c_cid, c_cname = find(MUNI_HEADERS), find(CENTRE_ID_HEADERS), find(CENTRE_NAME_HEADERS)
    c_subject, c_item, c_met, c_note = (
        find(SUBJECT_HEADERS),
        find(ITEM_HEADERS),
        find(MET_HEADERS),
        find(NOTE_HEADERS),
    )
    if c_muni is None:
        raise Invalid(
            "1行目に区市町村コードの列 (区市町村コード または municipality_code) が必要です",
            errors=[{"loc": ["line", 1], "msg": "区市町村コードの列がありません"}],
        )
    errors: list[dict[str, Any]] = []

    def err(line: int, i: int | None, msg: str) -> None:
        errors.append(
            {"loc": ["line", line, "column", header[i] if i is not None else ""], "msg": msg}
        )

    centres = (await session.exec(select(Centre))).all()
    by_id = {c.id: c for c in centres}
    by_name = {(c.municipality_code, c.name): c for c in centres}
    reg = get_registry()
    # subject key → (SheetWrite fields, answers, first line)
    found: dict[str, dict[str, Any]] = {}

    def subject_of(line: int, row: list[Any]) -> dict[str, Any] | None:
        code = normalise_code(_s(row[c_muni]))  # type: ignore[index]
        if reg.get(code) is None:
            err(line, c_muni, f"地方公共団体コード {code!r} の区市町村は登録されていません")
            return None
        if actor.role == Role.municipality and code != actor.municipality_code:
            err(line, c_muni, f"他の区市町村 ({code}) の回答は取り込めません")
            return None
        cid = _s(row[c_cid]) if c_cid is not None else ""
        cname = _s(row[c_cname]) if c_cname is not None else ""
        subject = _s(row[c_subject]) if c_subject is not None else ""
        subject = {"センター": "centre", "市町村": "municipality", "区市町村": "municipality"}.get(
            subject, subject
        )
        if not subject:
            subject = "centre" if (cid or cname) else "municipality"
        if subject not in SUBJECTS:
            err(line, c_subject, "対象は センター または 市町村 です")
            return None
        if subject == "municipality":
            return {"subject": subject, "code": code, "centre": None}
        centre = None
        if cid:
            try:
                centre = by_id.get(int(float(cid)))
            except ValueError:
                centre = None
            if centre is None or centre.municipality_code != code:
                err(line, c_cid, f"センターID {cid} は {code} のセンターにありません")
                return None
        elif cname:
            centre = by_name.get((code, cname))
            if centre is None:
                err(line, c_cname, f"センター {cname!r} は {code} の登録簿にありません")
                return None
        else:
            err(line, c_cname if c_cname is not None else c_cid, "センターを指定してください")
            return None
        if not operating(centre, fiscal_year):
            err(
                line,
                c_cname if c_cname is not None else c_cid,
                f"センター {centre.name} は{fiscal_year}年度に運営されていません",
            )
            return None
        return {"subject": subject, "code": code, "centre": centre}

    def add(
        line: int, col_i: int | None, who: dict[str, Any], item_code: str, raw_met: Any, note: str
    ) -> None:
        key = subject_key(who["subject"], who["centre"].id if who["centre"] else None, who["code"])
        entry = found.setdefault(key, {**who, "answers": {}, "seen": set(), "line": line})
        item = cat.by_key.get((who["subject"], item_code))
        if item is None:
            err(
                line,
                col_i,
                f"項目コード {item_code!r} は{fiscal_year}年度の"
                f"{SUBJECT_LABELS[who['subject']]}の項目にありません",
            )
            return
        if item_code in entry["seen"]:
            err(line, col_i, f"項目 {item_code} の回答が重複しています")
            return
        entry["seen"].add(item_code)
        met = parse_met(raw_met)
        if met is None:
            where = c_met if c_met is not None and c_item is not None else col_i
            shown = _s(raw_met)
            err(
                line,
                where,
                f"項目 {item_code} の結果が空です。○ / × で入力してください"
                if shown == ""
                else f"{MET_HELP} ({shown!r})",
            )
            return
        entry["answers"][item_code] = (met, note[:1000])

    if c_item is not None and c_met is not None:
        for line, row in enumerate(table[1:], start=2):
            if not any(_s(v) for v in row):
                continue
            row = list(row) + [None] * (len(header) - len(row))
            who = subject_of(line, row)
            if who is None:
                continue
            add(
                line,
                c_item,
                who,
                _s(row[c_item]),
                row[c_met],
                _s(row[c_note]) if c_note is not None else "",
            )
    else:
        fixed = {c for c in (c_muni, c_cid, c_cname, c_subject, c_note) if c is not None}
        columns = []
        codes = {code for _, code in cat.by_key}
        for i, h in enumerate(header):
            if i in fixed or not h or lower[i] in NAME_HEADERS:
                continue
            if h not in codes:
                err(1, i, f"列名 {h!r} は{fiscal_year}年度の評価項目コードではありません")
            else:
                columns.append((i, h))
        if not columns and not errors:
            raise Invalid(
                "評価項目コードの列がありません (縦持ちなら 項目コード と 結果 の列が必要です)"
            )
        if not errors:
            for line, row in enumerate(table[1:], start=2):
                if not any(_s(v) for v in row):
                    continue
                row = list(row) + [None] * (len(header) - len(row))
                who = subject_of(line, row)
                if who is None:
                    continue
                for i, code in columns:
                    if (who["subject"], code) not in cat.by_key:
                        if _s(row[i]):
                            err(
                                line,
                                i,
                                f"項目 {code} は{SUBJECT_LABELS[who['subject']]}の項目ではありません",
                            )
                        continue
                    add(line, i, who, code, row[i], "")
    for entry in found.values():
        want = [i.code for i in cat.of(entry["subject"])]
        # An item on a bad row was answered, wrongly: that row is named already.
        missing = [c for c in want if c not in entry["seen"]]
        if missing:
            label = entry["centre"].name if entry["centre"] else f"{entry['code']} (市町村)"
            err(entry["line"], c_item, f"{label} の回答に項目 {', '.join(missing)} がありません")
    if not found and not errors:
        raise Invalid("取り込む回答がありません")
    if errors:
        lines = sorted({e["loc"][1] for e in errors})
        raise Invalid(
            f"{len(lines)}行に誤りがあります (行 {', '.join(map(str, lines[:20]))}"
            f"{' …' if len(lines) > 20 else ''})。何も書き込んでいません",
            errors=errors,
        )
    writes = [
        SheetWrite(
            e["subject"],
            e["code"],
            e["centre"].id if e["centre"] else None,
            e["answers"],
            sample=bool(e["centre"].sample) if e["centre"] else False,
        )
        for e in found.values()
    ]
    await write_sheets(session, cat, writes, actor=actor)
    return {
        "centres": sum(1 for w in writes if w.subject == "centre"),
        "municipalities": sum(1 for w in writes if w.subject == "municipality"),
        "answers": sum(len(w.answers) for w in writes),
    }

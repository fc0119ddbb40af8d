"""The register of centres: centres per municipality with their facts per fiscal year."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import ValidationError
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Conflict, Invalid, NotFound
from services.common.models import check_version, get_for_update, stamp_created, stamp_updated
from services.common.registry import get_registry
from services.indicators.centres.models import Centre, CentreYear
from services.indicators.centres.schemas import (
    CentreFacts,
    CentreIn,
    CentreUpdate,
    CentreYearIn,
    professions,
    structure,
)
from services.indicators.scores.service import col_name, normalise_code, read_table


def check_municipality(code: str, loc: list[Any] | None = None) -> None:
    m = get_registry().get(code)
    if m is None:
        msg = f"地方公共団体コード {code} の区市町村は登録されていません"
        raise Invalid(msg, errors=[{"loc": loc or ["body", "municipality_code"], "msg": msg}])


def operating(c: Centre, fiscal_year: int) -> bool:
    return (c.opened_fy is None or c.opened_fy <= fiscal_year) and (
        c.closed_fy is None or fiscal_year <= c.closed_fy
    )


def _apply_facts(row: CentreYear, facts: CentreFacts) -> None:
    row.operation = facts.operation
    row.operator = facts.operator
    row.area_served = facts.area_served
    row.staff = dict(facts.staff)
    row.staff_total = float(sum(facts.staff.values()))
    row.note = facts.note


def year_out(y: CentreYear) -> dict[str, Any]:
    return {
        "fiscal_year": y.fiscal_year,
        "operation": y.operation,
        "operator": y.operator,
        "area_served": y.area_served,
        "staff": y.staff,
        "staff_total": y.staff_total,
        "note": y.note,
        "version": y.version,
        "updated_at": y.updated_at,
        "updated_by": y.updated_by,
    }


def centre_out(c: Centre, y: CentreYear | None) -> dict[str, Any]:
    m = get_registry().get(c.municipality_code)
    return {
        "id": c.id,
        "municipality_code": c.municipality_code,
        "municipality_name": m.name if m else None,
        "name": c.name,
        "operation": y.operation if y else None,
        "operator": y.operator if y else "",
        "area_served": y.area_served if y else "",
        "staff": y.staff if y else {},
        "staff_total": y.staff_total if y else None,
        "fiscal_year": y.fiscal_year if y else None,
        "opened_fy": c.opened_fy,
        "closed_fy": c.closed_fy,
        "sample": c.sample,
        "version": c.version,
    }


async def create_centre(session: AsyncSession, body: CentreIn, *, actor: Actor) -> Centre:
    check_municipality(body.municipality_code)
    dup = (
        await session.exec(
            select(Centre).where(
                Centre.municipality_code == body.municipality_code, Centre.name == body.name
            )
        )
    ).first()
    if dup is not None:
        raise Conflict(f"同じ名前のセンターが既にあります (id {dup.id})", centre_id=dup.id)
    c = Centre(
        municipality_code=body.municipality_code,
        name=body.name,
        opened_fy=body.opened_fy,
        closed_fy=body.closed_fy,
        sample=body.sample,
    )
    stamp_created(c, actor)
    session.add(c)
    await session.flush()
    y = CentreYear(centre_id=c.id, fiscal_year=body.fiscal_year, operation=body.operation)  # type: ignore[arg-type]
    _apply_facts(y, body)
    stamp_created(y, actor)
    session.add(y)
    await session.flush()
    return c


async def get_centre(session: AsyncSession, centre_id: int) -> Centre:
    c = await session.get(Centre, centre_id)
    if c is None:
        raise NotFound(f"地域包括支援センター (id {centre_id}) が見つかりません")
    return c


async def years_of(session: AsyncSession, centre_id: int) -> list[CentreYear]:
    q = select(CentreYear).where(CentreYear.centre_id == centre_id)
    return list((await session.exec(q.order_by(CentreYear.fiscal_year))).all())


async def update_centre(
    session: AsyncSession, centre_id: int, body: CentreUpdate, *, actor: Actor
) -> Centre:
    c = await get_for_update(session, Centre, centre_id)
    if c is None:
        raise NotFound(f"地域包括支援センター (id {centre_id}) が見つかりません")
    check_version(c, body.version, what="このセンター")
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    if "name" in changes and changes["name"] is None:
        raise Invalid(
            "名称は空にできません",
            errors=[{"loc": ["body", "name"], "msg": "名称は1〜200文字で入力してください"}],
        )
    opened = changes.get("opened_fy", c.opened_fy)
    closed = changes.get("closed_fy", c.closed_fy)
    if opened and closed and closed < opened:
        raise Invalid(
            "廃止年度が開設年度より前です",
            errors=[{"loc": ["body", "closed_fy"], "msg": "廃止年度が開設年度より前です"}],
        )
    if changes.get("name") and changes["name"] != c.name:
        dup = (
            await session.exec(
                select(Centre.id).where(
                    Centre.municipality_code == c.municipality_code, Centre.name == changes["name"]
                )
            )
        ).first()
        if dup is not None:
            raise Conflict(f"同じ名前のセンターが既にあります (id {dup})")
    c.sqlmodel_update(changes)
    stamp_updated(c, actor)
    session.add(c)
    await session.flush()
    return c


async def put_year(
    session: AsyncSession, centre_id: int, fiscal_year: int, body: CentreYearIn, *, actor: Actor
) -> CentreYear:
    await get_centre(session, centre_id)
    row = (
        await session.exec(
            select(CentreYear)
            .where(CentreYear.centre_id == centre_id, CentreYear.fiscal_year == fiscal_year)
            .with_for_update()
        )
    ).first()
    if row is None:
        row = CentreYear(centre_id=centre_id, fiscal_year=fiscal_year, operation=body.operation)
        _apply_facts(row, body)
        stamp_created(row, actor)
    else:
        if body.version is None:
            raise Conflict(
                f"{fiscal_year}年度の記録は既にあります (版 {row.version})。"
                "更新するには version を指定してください",
                current_version=row.version,
            )
        check_version(row, body.version, what=f"{fiscal_year}年度の記録")
        _apply_facts(row, body)
        stamp_updated(row, actor)
    session.add(row)
    await session.flush()
    return row


async def list_centres(
    session: AsyncSession,
    *,
    municipality_code: str | None = None,
    prefecture: str | None = None,
    fiscal_year: int | None = None,
) -> list[tuple[Centre, CentreYear]]:
    """Centres with their facts of ``fiscal_year`` (the latest record up to that year; a
    centre not operating that year or without a record by then is left out), or with their
    latest facts when no year is given."""
    q = select(Centre)
    if municipality_code:
        q = q.where(Centre.municipality_code == municipality_code)
    elif prefecture:
        q = q.where(col(Centre.municipality_code).startswith(prefecture))
    if fiscal_year is not None:
        q = q.where(
            or_(col(Centre.opened_fy).is_(None), col(Centre.opened_fy) <= fiscal_year),
            or_(col(Centre.closed_fy).is_(None), col(Centre.closed_fy) >= fiscal_year),
        )
    centres = list((await session.exec(q.order_by(Centre.municipality_code, Centre.id))).all())
    if not centres:
        return []
    yq = select(CentreYear).join(Centre, col(Centre.id) == CentreYear.centre_id)
    if municipality_code:
        yq = yq.where(Centre.municipality_code == municipality_code)
    elif prefecture:
        yq = yq.where(col(Centre.municipality_code).startswith(prefecture))
    if fiscal_year is not None:
        yq = yq.where(CentreYear.fiscal_year <= fiscal_year)
    latest: dict[int, CentreYear] = {}
    for y in (await session.exec(yq)).all():
        cur = latest.get(y.centre_id)
        if cur is None or y.fiscal_year > cur.fiscal_year:
            latest[y.centre_id] = y
    return [(c, latest[c.id]) for c in centres if c.id in latest]  # type: ignore[index]


async def stats(session: AsyncSession, *, prefecture: str, fiscal_year: int) -> dict[str, Any]:
    """Centres by area and form of operation, and staff per centre, in one prefecture and year
    (the seed's table), beside the published figures where they are for that year."""
    reg = get_registry()
    rows = await list_centres(session, prefecture=prefecture, fiscal_year=fiscal_year)
    by_area: dict[str, dict[str, int]] = defaultdict(lambda: {"total": 0, "直営": 0, "委託": 0})
    by_muni: dict[str, dict[str, int]] = defaultdict(lambda: {"total": 0, "直営": 0, "委託": 0})
    staff_by_prof: dict[str, float] = defaultdict(float)
    staff_total = 0.0
    for c, y in rows:
        m = reg.get(c.municipality_code)
        # Tokyo's own tables group cities, towns and villages together as 市町村部.
        area = "区部" if m and m.region_class == "区部" else "市町村部"
        for bucket in (by_area[area], by_muni[c.municipality_code]):
            bucket["total"] += 1
            bucket[y.operation] += 1
        staff_total += y.staff_total
        for k, v in y.staff.items():
            staff_by_prof[k] += v
    n = len(rows)
    consigned = sum(1 for _, y in rows if y.operation == "委託")
    pub = structure()["published_figures"]
    return {
        "fiscal_year": fiscal_year,
        "prefecture": prefecture,
        "total": n,
        "直営": n - consigned,
        "委託": consigned,
        "consigned_share": consigned / n if n else None,
        "staff_mean": staff_total / n if n else None,
        "staff_by_profession": {p: staff_by_prof.get(p, 0.0) for p in professions()},
        "by_area": [{"area": a, **by_area[a]} for a in ("区部", "市町村部") if a in by_area],
        "by_municipality": [
            {"code": code, "name": reg.get(code).name, **v}  # type: ignore[union-attr]
            for code, v in sorted(by_muni.items())
        ],
        "sample": any(c.sample for c, _ in rows),
        "published": pub
        if pub["fiscal_year"] == fiscal_year and prefecture == reg.home_prefecture
        else None,
    }


# --- register import --------------------------------------------------------------------------

MUNI_HEADERS = {"municipality_code", "区市町村コード", "市町村コード", "団体コード"}
NAME_HEADERS = {"name", "centre_name", "センター名", "名称"}
FY_HEADERS = {"fiscal_year", "年度"}
OPERATION_HEADERS = {"operation", "設置形態", "直営・委託"}
OPERATOR_HEADERS = {"operator", "運営法人", "委託先"}
AREA_HEADERS = {"area_served", "担当圏域", "担当地区"}
NOTE_HEADERS = {"note", "備考"}


def _s(v: Any) -> str:
    return "" if v is None else str(v).strip()


async def import_register(
    session: AsyncSession, filename: str, data: bytes, *, actor: Actor
) -> dict[str, int]:
    """One row per centre × fiscal year (区市町村コード, センター名, 年度, 設置形態, 運営法人,
    担当圏域, one column per profession, 備考): creates missing centres, replaces the year's
    facts. All or nothing; every bad row named by line and column."""
    table = read_table(filename, data)
    if not table:
        raise Invalid("ファイルが空です")
    header = [_s(h) for h in table[0]]
    lower = [h.lower() for h in header]

    def find(names: set[str]) -> int | None:
        return next((i for i, h in enumerate(lower) if h in names), None)

    cols = {
        "muni": find(MUNI_HEADERS),
        "name": find(NAME_HEADERS),
        "fy": find(FY_HEADERS),
        "operation": find(OPERATION_HEADERS),
        "operator": find(OPERATOR_HEADERS),
        "area": find(AREA_HEADERS),
        "note": find(NOTE_HEADERS),
    }
    missing = [
        label
        for key, label in (
            ("muni", "区市町村コード"),
            ("name", "センター名"),
            ("fy", "年度"),
            ("operation", "設置形態"),
        )
        if cols[key] is None
    ]
    if missing:
        raise Invalid(
            f"1行目に {'、'.join(missing)} の列が必要です",
            errors=[{"loc": ["line", 1], "msg": f"{m} の列がありません"} for m in missing],
        )
    prof_cols = [(i, h) for i, h in enumerate(header) if h in professions()]
    errors: list[dict[str, Any]] = []
    parsed: dict[tuple[str, str, int], tuple[int, CentreFacts]] = {}

    def err(line: int, i: int | None, msg: str) -> None:
        column = header[i] if i is not None else ""
        errors.append({"loc": ["line", line, "column", column or col_name(i or 0)], "msg": msg})

    for line, row in enumerate(table[1:], start=2):
        if not any(_s(v) for v in row):
            continue
        row = list(row) + [None] * (len(header) - len(row))
        code = normalise_code(_s(row[cols["muni"]]))  # type: ignore[index]
        if get_registry().get(code) is None:
            err(line, cols["muni"], f"地方公共団体コード {code!r} の区市町村は登録されていません")
        name = _s(row[cols["name"]])  # type: ignore[index]
        if not name or len(name) > 200:
            err(line, cols["name"], "センター名は1〜200文字で入力してください")
        try:
            fy = int(float(_s(row[cols["fy"]])))  # type: ignore[index]
            if not 2000 <= fy <= 2100:
                raise ValueError
        except ValueError:
            err(line, cols["fy"], "年度は西暦の4桁 (例: 2024) で入力してください")
            fy = 0
        staff: dict[str, float] = {}
        for i, h in prof_cols:
            raw = _s(row[i])
            if raw == "":
                continue
            try:
                staff[h] = float(raw.replace(",", ""))
            except ValueError:
                err(line, i, f"{h} の人数は数値で入力してください ({raw})")
        try:
            facts = CentreFacts(
                operation=_s(row[cols["operation"]]),  # type: ignore[arg-type,index]
                operator=_s(row[cols["operator"]]) if cols["operator"] is not None else "",
                area_served=_s(row[cols["area"]]) if cols["area"] is not None else "",
                note=_s(row[cols["note"]]) if cols["note"] is not None else "",
                staff=staff,
            )
        except ValidationError as exc:
            for e in exc.errors():
                field = str(e["loc"][0]) if e["loc"] else ""
                i = {"operation": cols["operation"], "operator": cols["operator"]}.get(field)
                msg = (
                    "設置形態は 直営 または 委託 で入力してください"
                    if field == "operation"
                    else str(e["msg"]).removeprefix("Value error, ")
                )
                err(line, i, msg)
            continue
        key = (code, name, fy)
        if key in parsed:
            err(line, cols["name"], f"{parsed[key][0]}行目と同じセンター・年度です")
            continue
        parsed[key] = (line, facts)
    if errors:
        lines = sorted({e["loc"][1] for e in errors})
        raise Invalid(
            f"{len(lines)}行に誤りがあります (行 {', '.join(map(str, lines[:20]))}"
            f"{' …' if len(lines) > 20 else ''})。何も書き込んでいません",
            errors=errors,
        )
    existing = {
        (c.municipality_code, c.name): c
        for c in (
            await session.exec(
                select(Centre).where(col(Centre.municipality_code).in_({k[0] for k in parsed}))
            )
        ).all()
    }
    created = 0
    for code, name, _fy in parsed:
        if (code, name) not in existing:
            c = Centre(municipality_code=code, name=name)
            stamp_created(c, actor)
            session.add(c)
            existing[(code, name)] = c
            created += 1
    await session.flush()
    years = {
        (y.centre_id, y.fiscal_year): y
        for y in (
            await session.exec(
                select(CentreYear).where(
                    col(CentreYear.centre_id).in_([c.id for c in existing.values()])
                )
            )
        ).all()
    }
    for (code, name, fy), (_, facts) in parsed.items():
        c = existing[(code, name)]
        y = years.get((c.id, fy))  # type: ignore[arg-type]
        if y is None:
            y = CentreYear(centre_id=c.id, fiscal_year=fy, operation=facts.operation)  # type: ignore[arg-type]
            _apply_facts(y, facts)
            stamp_created(y, actor)
        else:
            _apply_facts(y, facts)
            stamp_updated(y, actor)
        session.add(y)
    await session.flush()
    return {"centres_created": created, "years_written": len(parsed)}

"""Official figures of the allocation as data: budgets per grant × level × grant year (with a
person's override and its reason), the split rule of each year, published national
denominators, and 第1号被保険者数 per insurer and year loaded from a file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Invalid
from services.common.models import check_version, stamp_created, stamp_updated, utcnow
from services.indicators.allocation.models import (
    AllocationRule,
    Budget,
    FirstInsured,
    NationalBasis,
)
from services.indicators.frameworks.models import STATE_NAMES, Level, State
from services.indicators.frameworks.schemas import Source
from services.indicators.insurers.service import load_directory
from services.indicators.tabular import blank_row, number, read_table, text

DATA = Path(__file__).resolve().parent.parent / "data"
LEVEL_NAMES = {"municipality": "市町村分", "prefecture": "都道府県分", "all": "合計 (内訳なし)"}
WEIGHT_NAMES = {
    "score": "総合得点",
    "score_x_first_insured": "総合得点 × 第1号被保険者数",
}


def _src(document: str, day: date | None, page: str) -> dict[str, Any]:
    return {"document": document, "date": day.isoformat() if day else None, "page": page}


def _day(v: Any) -> date | None:
    return date.fromisoformat(v) if v else None


# --- budgets -----------------------------------------------------------------------------------


class BudgetIn(BaseModel):
    """A published budget (with its source), or a person's override with the reason."""

    published_amount: int | None = Field(None, ge=0, description="公表された予算額 (円)")
    state: State = State.provisional
    source: Source | None = None
    wording: str = Field("", max_length=500)
    note: str = Field("", max_length=500)
    override_amount: int | None = Field(None, ge=0, description="上書きする額 (円)")
    override_reason: str = Field("", max_length=500, description="上書きの理由 (必須)")
    version: int | None = None


def budget_out(b: Budget) -> dict[str, Any]:
    amount = b.override_amount if b.override_amount is not None else b.published_amount
    return {
        "grant": b.grant,
        "level": b.level,
        "level_label": LEVEL_NAMES[b.level],
        "grant_fy": b.grant_fy,
        "amount": amount,
        "basis": "override" if b.override_amount is not None else "published",
        "published_amount": b.published_amount,
        "state": b.state,
        "state_label": STATE_NAMES[State(b.state)],
        "source": _src(b.source_document, b.source_date, b.source_page),
        "wording": b.wording,
        "note": b.note,
        "override_amount": b.override_amount,
        "override_reason": b.override_reason,
        "updated_by": b.updated_by,
        "updated_at": b.updated_at,
        "version": b.version,
    }


async def list_budgets(session: AsyncSession, *, grant: str | None = None) -> list[Budget]:
    q = select(Budget)
    if grant:
        q = q.where(Budget.grant == grant)
    return list((await session.exec(q.order_by(Budget.grant_fy, Budget.grant, Budget.level))).all())


async def get_budget(session: AsyncSession, grant: str, level: str, grant_fy: int) -> Budget | None:
    return (
        await session.exec(
            select(Budget).where(
                Budget.grant == grant, Budget.level == level, Budget.grant_fy == grant_fy
            )
        )
    ).first()


async def put_budget(
    session: AsyncSession, grant: str, level: str, grant_fy: int, body: BudgetIn, *, actor: Actor
) -> Budget:
    """Set the published figure and/or the override of a grant × level × year (an override
    needs a reason; a published figure needs its source document)."""
    errors = []
    if body.override_amount is not None and not body.override_reason.strip():
        errors.append({"loc": ["override_reason"], "msg": "上書きする理由を入力してください"})
    if body.published_amount is not None and not (body.source and body.source.document.strip()):
        errors.append({"loc": ["source", "document"], "msg": "公表額には出典 (資料名) が必要です"})
    if body.published_amount is None and body.override_amount is None:
        errors.append(
            {"loc": ["published_amount"], "msg": "公表額か上書きする額のどちらかを入力してください"}
        )
    if errors:
        raise Invalid("予算の入力に誤りがあります", errors=errors)
    b = await get_budget(session, grant, level, grant_fy)
    if b is None:
        b = Budget(grant=grant, level=level, grant_fy=grant_fy)
        stamp_created(b, actor)
        session.add(b)
    else:
        check_version(b, body.version, what="予算")
        stamp_updated(b, actor)
    if body.published_amount is not None:
        src = body.source or Source()
        b.published_amount = body.published_amount
        b.state = State(body.state).value
        b.source_document, b.source_date, b.source_page = src.document, src.date, src.page
        b.wording, b.note = body.wording, body.note
    b.override_amount = body.override_amount
    b.override_reason = body.override_reason.strip() if body.override_amount is not None else ""
    await session.flush()
    return b


async def budget_for(
    session: AsyncSession, grant: str, level: str, grant_fy: int
) -> tuple[dict[str, Any] | None, str | None]:
    """(the budget in force for a grant × level × year, or None with what is missing)."""
    b = await get_budget(session, grant, level, grant_fy)
    if b is not None and (b.override_amount is not None or b.published_amount is not None):
        return budget_out(b), None
    total = await get_budget(session, grant, "all", grant_fy)
    if total is not None and total.published_amount is not None:
        return None, (
            f"{grant_fy}年度の予算は両区分の合計 {total.published_amount:,}円だけが公表されており、"
            f"{LEVEL_NAMES[level]}の額が分かりません。PUT /api/v1/budgets/{grant}/{level}/"
            f"{grant_fy} で額と理由 (override_amount, override_reason) を入力してください"
        )
    return None, (
        f"{grant_fy}年度の{LEVEL_NAMES[level]}の予算が登録されていません "
        f"(PUT /api/v1/budgets/{grant}/{level}/{grant_fy})"
    )


# --- rules -------------------------------------------------------------------------------------


async def rule_for(
    session: AsyncSession, grant: str, level: str, grant_fy: int
) -> AllocationRule | None:
    """The split rule in force for a grant year: the latest from_fy not after it."""
    return (
        await session.exec(
            select(AllocationRule)
            .where(
                AllocationRule.grant == grant,
                AllocationRule.level == level,
                AllocationRule.from_fy <= grant_fy,
            )
            .order_by(AllocationRule.from_fy.desc())  # type: ignore[attr-defined]
        )
    ).first()


def rule_out(r: AllocationRule) -> dict[str, Any]:
    return {
        "grant": r.grant,
        "level": r.level,
        "from_fy": r.from_fy,
        "weight": r.weight,
        "weight_label": WEIGHT_NAMES[r.weight],
        "wording": r.wording,
        "state": r.state,
        "state_label": STATE_NAMES[State(r.state)],
        "source": _src(r.source_document, r.source_date, r.source_page),
    }


# --- national basis ----------------------------------------------------------------------------


class NationalBasisIn(BaseModel):
    denominator: float = Field(gt=0, description="全国の Σ(総合得点 × 重み)")
    source: Source
    state: State = State.provisional
    note: str = Field("", max_length=500)
    version: int | None = None


def basis_out(b: NationalBasis) -> dict[str, Any]:
    return {
        "grant": b.grant,
        "level": b.level,
        "grant_fy": b.grant_fy,
        "denominator": b.denominator,
        "state": b.state,
        "state_label": STATE_NAMES[State(b.state)],
        "source": _src(b.source_document, b.source_date, b.source_page),
        "note": b.note,
        "version": b.version,
        "updated_by": b.updated_by,
    }


async def get_basis(
    session: AsyncSession, grant: str, level: str, grant_fy: int
) -> NationalBasis | None:
    return (
        await session.exec(
            select(NationalBasis).where(
                NationalBasis.grant == grant,
                NationalBasis.level == level,
                NationalBasis.grant_fy == grant_fy,
            )
        )
    ).first()


async def put_basis(
    session: AsyncSession,
    grant: str,
    level: str,
    grant_fy: int,
    body: NationalBasisIn,
    *,
    actor: Actor,
) -> NationalBasis:
    if not body.source.document.strip():
        raise Invalid(
            "全国の値には出典 (資料名) が必要です",
            errors=[{"loc": ["source", "document"], "msg": "資料名を入力してください"}],
        )
    b = await get_basis(session, grant, level, grant_fy)
    if b is None:
        b = NationalBasis(
            grant=grant, level=level, grant_fy=grant_fy, denominator=body.denominator,
            source_document=body.source.document,
        )  # fmt: skip
        stamp_created(b, actor)
        session.add(b)
    else:
        check_version(b, body.version, what="全国の値")
        stamp_updated(b, actor)
    b.denominator = body.denominator
    b.state = State(body.state).value
    b.source_document, b.source_date, b.source_page = (
        body.source.document,
        body.source.date,
        body.source.page,
    )
    b.note = body.note
    await session.flush()
    return b


# --- first-insured persons --------------------------------------------------------------------

CODE_H = (
    "保険者番号",
    "団体コード",
    "地方公共団体コード",
    "entity_code",
    "insurer_number",
    "コード",
)
PERSONS_H = ("第1号被保険者数", "第１号被保険者数", "first_insured", "persons", "被保険者数")


async def import_first_insured(
    session: AsyncSession,
    fiscal_year: int,
    filename: str,
    data: bytes,
    *,
    as_of: str,
    actor: Actor,
    dry_run: bool = False,
) -> dict[str, Any]:
    """第1号被保険者数 per insurer for a fiscal (grant) year from a file (insurer numbers or
    municipality codes), all or nothing; rows of the year not in the file are kept."""
    table = read_table(filename, data)
    if not table:
        raise Invalid("ファイルが空です")
    header = [text(h) for h in table[0]]
    low = [h.lower() for h in header]
    ci = next((low.index(n.lower()) for n in CODE_H if n.lower() in low), None)
    pi = next((low.index(n.lower()) for n in PERSONS_H if n.lower() in low), None)
    if ci is None or pi is None:
        raise Invalid(
            "1行目に「保険者番号」(または団体コード) と「第1号被保険者数」の列が必要です",
            errors=[{"loc": ["line", 1], "msg": f"列: {', '.join(header)}"}],
        )
    check = (await load_directory(session)).checker(Level.municipality)
    errors: list[dict[str, Any]] = []
    rows: dict[str, int] = {}
    for line, row in enumerate(table[1:], start=2):
        if blank_row(row):
            continue
        row = list(row) + [None] * len(header)
        resolved, msg = check(row[ci])
        if msg:
            errors.append({"loc": ["line", line, "column", header[ci]], "msg": msg})
        n = number(row[pi])
        if n is None or n < 0 or n != int(n):
            errors.append(
                {
                    "loc": ["line", line, "column", header[pi]],
                    "msg": "第1号被保険者数は0以上の整数で入力してください",
                }
            )
            continue
        if resolved is not None:
            rows[resolved.entity_code] = int(n)
    if errors:
        if dry_run:
            return {"dry_run": True, "written": 0, "rows": len(rows), "problems": errors}
        lines = sorted({e["loc"][1] for e in errors})
        raise Invalid(
            f"{len(lines)}行に誤りがあります (行 {', '.join(map(str, lines[:20]))}"
            f"{' …' if len(lines) > 20 else ''})。何も書き込んでいません",
            errors=errors,
        )
    out = {
        "dry_run": dry_run,
        "written": 0 if dry_run else len(rows),
        "rows": len(rows),
        "persons": sum(rows.values()),
        "problems": [],
    }
    if dry_run or not rows:
        return out
    now = utcnow()
    values = [
        {
            "entity_code": code,
            "fiscal_year": fiscal_year,
            "persons": n,
            "as_of": as_of,
            "source": filename or "",
            "updated_at": now,
            "updated_by": actor.label,
        }
        for code, n in rows.items()
    ]
    dialect = session.bind.dialect.name  # type: ignore[union-attr]
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(FirstInsured.__table__)  # type: ignore[attr-defined]
    stmt = stmt.on_conflict_do_update(
        index_elements=["entity_code", "fiscal_year"],
        set_={
            k: getattr(stmt.excluded, k)
            for k in ("persons", "as_of", "source", "updated_at", "updated_by")
        },
    )
    await (await session.connection()).execute(stmt, values)
    return out


async def first_insured_of(session: AsyncSession, fiscal_year: int) -> dict[str, FirstInsured]:
    rows = (
        await session.exec(select(FirstInsured).where(FirstInsured.fiscal_year == fiscal_year))
    ).all()
    return {r.entity_code: r for r in rows}


# --- shipped data ------------------------------------------------------------------------------


def _json(name: str) -> list[dict[str, Any]]:
    p = DATA / name
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else []


async def load_shipped(session: AsyncSession, *, actor: Actor) -> list[str]:
    """Create the shipped budgets and rules that are not there yet (idempotent: a row a
    person changed is never overwritten)."""
    created = []
    for r in _json("budgets.json"):
        if await get_budget(session, r["grant"], r["level"], r["grant_fy"]) is not None:
            continue
        src = r.get("source", {})
        b = Budget(
            grant=r["grant"],
            level=r["level"],
            grant_fy=r["grant_fy"],
            published_amount=r["amount"],
            state=r.get("state", "provisional"),
            source_document=src.get("document", ""),
            source_date=_day(src.get("date")),
            source_page=src.get("page", ""),
            wording=r.get("wording", ""),
            note=r.get("note", ""),
        )
        stamp_created(b, actor)
        session.add(b)
        created.append(f"budget {r['grant']}/{r['level']}/{r['grant_fy']}")
    for r in _json("allocation_rules.json"):
        exists = (
            await session.exec(
                select(AllocationRule.id).where(
                    AllocationRule.grant == r["grant"],
                    AllocationRule.level == r["level"],
                    AllocationRule.from_fy == r["from_fy"],
                )
            )
        ).first()
        if exists is not None:
            continue
        src = r.get("source", {})
        rule = AllocationRule(
            grant=r["grant"],
            level=r["level"],
            from_fy=r["from_fy"],
            weight=r["weight"],
            wording=r.get("wording", ""),
            state=r.get("state", "provisional"),
            source_document=src.get("document", ""),
            source_date=_day(src.get("date")),
            source_page=src.get("page", ""),
        )
        stamp_created(rule, actor)
        session.add(rule)
        created.append(f"rule {r['grant']}/{r['level']}/{r['from_fy']}")
    await session.flush()
    return created

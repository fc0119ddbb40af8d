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
from services.common.registry import CodeError, get_registry
from services.indicators.allocation import reference as ref
from services.indicators.allocation.models import AllocationInput
from services.indicators.frameworks.models import GRANT_NAMES, Grant, ItemKind, Level, State
from services.indicators.frameworks.service import load_tree
from services.indicators.insurers.service import Directory, load_directory
from services.indicators.results import readmodels
from services.indicators.results.computation import compute, item_cells, totals_of_cells
from services.indicators.scores.service import (
    _s,
    check_points,
    normalise_code,
    parse_points,
    read_table,
)

ROUNDING = "各団体の配分額は1円未満切り捨て (floor)。切り捨てで残った額は rounding_remainder に示す"

GRANT_LABEL = {g.value: n for g, n in GRANT_NAMES.items()}

CODE_H = {
    "entity_code",
    "保険者番号",
    "insurer_number",
    "団体コード",
    "保険者コード",
    "地方公共団体コード",
    "コード",
}
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
    readmodels.mark(session, every=True)  # first-insured persons set the size bands
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


def allocate(budget: int, rows: list[dict[str, Any]], denominator: Fraction) -> dict[str, Any]:
    """Each row's share of ``budget``: budget × weight ÷ the national denominator (exact
    fractions, floored to the yen); paid = min(share, requested) where a request is known."""
    out_rows = []
    for r in rows:
        w = r["_w"]
        share = int(Fraction(budget) * w / denominator) if denominator else 0  # floor (≥ 0)
        req = r.get("requested")
        paid = min(share, req) if req is not None else None
        row = {k: v for k, v in r.items() if k != "_w"}
        out_rows.append(
            {
                **row,
                "weight": float(w),
                "share": share,
                "paid": paid,
                "shortfall": req - paid if req is not None else None,  # type: ignore[operator]
                "surplus": share - paid if paid is not None else None,
                "label": "見込み",
            }
        )
    share_sum = sum(r["share"] for r in out_rows)
    paid_sum = sum(r["paid"] for r in out_rows if r["paid"] is not None)
    listed_w = sum((r["_w"] for r in rows), Fraction(0))
    covers_all = listed_w == denominator
    return {
        "entities": out_rows,
        "totals": {
            "budget": budget,
            "share": share_sum,
            "paid": paid_sum,
            "requested": sum(r["requested"] for r in out_rows if r.get("requested") is not None),
            "not_paid_out": budget - paid_sum if covers_all else None,
            "surplus": sum(r["surplus"] for r in out_rows if r["surplus"] is not None),
            # the yen left by flooring; only when the listed insurers are the whole country
            "rounding_remainder": budget - share_sum if covers_all else None,
            "outside_listed": None if covers_all else budget - share_sum,
        },
    }


def _weight(rule_weight: str, total: float, persons: int | None) -> Fraction | None:
    score = Fraction(str(max(total, 0.0)))  # a negative total counts as 0
    if rule_weight == "score":
        return score
    return None if persons is None else score * persons


def _item_provisional(fw: Any, item: Any) -> bool:
    """An item's points rest on something provisional: a 暫定 framework, points no document
    confirms, or a 「区分の得点」 stand-in (no indicator)."""
    return (
        fw.state == State.provisional.value
        or bool(item.provisional)
        or item.kind == ItemKind.category_total.value
    )


async def simulate(
    session: AsyncSession,
    framework_id: int,
    *,
    budget: int | None = None,
    what_if: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Amounts 見込み per insurer on a national basis: budget (the year's, or an explicit
    what-if budget) × weight ÷ Σ weight over every insurer in the country (computed when every
    insurer's score and first-insured count are loaded, else the published national figure,
    else 422 saying what is missing). With ``what_if`` ({entity_code, points}) also the amount
    after changing that insurer's points."""
    tree = await load_tree(session, framework_id)
    fw = tree.framework
    comp = await compute(session, tree)
    directory = await load_directory(session)
    level = Level(fw.level)
    rule = await ref.rule_for(session, fw.grant, level.value, fw.grant_fy)
    if rule is None:
        raise Invalid(
            f"{fw.grant_fy}年度の配分の規則 ({GRANT_LABEL[fw.grant]}・{ref.LEVEL_NAMES[level]}) "
            "が登録されていません"
        )
    budget_info: dict[str, Any]
    if budget is None:
        found, missing = await ref.budget_for(session, fw.grant, level.value, fw.grant_fy)
        if found is None:
            raise Invalid(f"配分の試算に必要な予算がありません: {missing}", missing=[missing])
        budget = int(found["amount"])
        budget_info = found
    else:
        budget_info = {"amount": budget, "basis": "what_if", "label": "指定額 (試算)"}
    inputs = {i.entity_code: i for i in await list_inputs(session, Grant(fw.grant), fw.grant_fy)}
    persons_table = await ref.first_insured_of(session, fw.grant_fy)
    persons: dict[str, tuple[int, str]] = {
        c: (i.first_insured, "配分の入力") for c, i in inputs.items()
    }
    persons.update(
        {c: (r.persons, r.source or "第1号被保険者数") for c, r in persons_table.items()}
    )
    country = (
        directory.insurers() if level == Level.municipality else sorted(get_registry().prefectures)
    )
    needs_persons = rule.weight == "score_x_first_insured"

    def weights(totals: dict[str, float]) -> dict[str, Fraction]:
        out = {}
        for c, t in totals.items():
            w = _weight(rule.weight, t, persons[c][0] if c in persons else None)
            if w is not None:
                out[c] = w
        return out

    base_w = weights(comp.totals)
    no_score = [c for c in country if c not in comp.totals]
    no_persons = [c for c in country if needs_persons and c not in persons]
    basis_row = await ref.get_basis(session, fw.grant, level.value, fw.grant_fy)
    if not no_score and not no_persons:
        denominator = sum((base_w[c] for c in country), Fraction(0))
        basis: dict[str, Any] = {
            "kind": "computed",
            "text": f"全国 {len(country):,} 保険者の得点と"
            + ("第1号被保険者数" if needs_persons else "総合得点")
            + "から計算",
            "insurers": len(country),
        }
    elif basis_row is not None:
        denominator = Fraction(str(basis_row.denominator))
        basis = {
            "kind": "published",
            "text": f"公表された全国の値 ({basis_row.source_document})",
            **ref.basis_out(basis_row),
        }
    else:
        parts = []
        if no_score:
            parts.append(
                f"得点のない保険者 {len(no_score):,} (例: "
                + "、".join(directory.name_of(c) for c in no_score[:3])
                + ")"
            )
        if no_persons:
            parts.append(
                f"第1号被保険者数のない保険者 {len(no_persons):,} (例: "
                + "、".join(directory.name_of(c) for c in no_persons[:3])
                + ")"
            )
        raise Invalid(
            "配分の分母 (全国の Σ"
            + ("(総合得点 × 第1号被保険者数)" if needs_persons else "(総合得点)")
            + ") がありません: "
            + "、".join(parts)
            + "。全国の得点と第1号被保険者数を読み込むか、"
            f"公表された全国の値を PUT /api/v1/allocation/{fw.grant}/{level.value}/{fw.grant_fy}/"
            "national で入力してください (読み込んだ団体だけで割ることはしません)",
            missing={
                "scores": len(no_score),
                "first_insured": len(no_persons),
                "national_basis": True,
            },
        )
    if denominator <= 0:
        raise Invalid("全国の分母が0です: 配分できません")
    codes = sorted(base_w)

    def rows_with(totals: dict[str, float], w: dict[str, Fraction]) -> list[dict[str, Any]]:
        return [
            {
                "entity_code": c,
                "insurer_number": directory.insurer_number_of_entity(c),
                "name": directory.name_of(c),
                "total": totals[c],
                "first_insured": persons[c][0] if c in persons else None,
                "first_insured_source": persons[c][1] if c in persons else None,
                "requested": inputs[c].requested if c in inputs else None,
                "_w": w[c],
            }
            for c in codes
        ]

    base = allocate(budget, rows_with(comp.totals, base_w), denominator)
    provisional = []
    if fw.state == State.provisional.value:
        provisional.append(
            f"体系が暫定です: {fw.state_note}" if fw.state_note else "体系が暫定です"
        )
    if any(i.provisional for i in tree.items):
        provisional.append("暫定の配点 (資料で確認できない配点) を含む体系の得点に基づきます")
    if budget_info.get("state") == State.provisional.value:
        provisional.append(f"予算額が暫定です ({budget_info.get('wording') or ''})")
    out: dict[str, Any] = {
        "framework_id": framework_id,
        "grant": fw.grant,
        "level": fw.level,
        "grant_fy": fw.grant_fy,
        "label": "見込み",
        "rounding": ROUNDING,
        "budget": budget_info,
        "rule": ref.rule_out(rule),
        "basis": {**basis, "denominator": float(denominator)},
        "basis_text": (
            f"配分額 (見込み) = 予算 {budget:,}円 × {ref.WEIGHT_NAMES[rule.weight]} ÷ "
            f"全国の Σ({ref.WEIGHT_NAMES[rule.weight]}) {float(denominator):,.2f} "
            f"({basis['text']})。交付額は配分額と所要見込額の低い方"
        ),
        "rests_on_provisional": bool(provisional),
        "provisional_reasons": provisional,
        **base,
        "without_inputs": sorted(c for c in comp.totals if c not in inputs),
        "without_first_insured": sorted(c for c in comp.totals if c not in base_w),
        "what_if": None,
    }
    if what_if:
        try:
            code = directory.resolve(what_if.get("entity_code", ""), level).entity_code
        except CodeError as exc:
            raise Invalid(
                str(exc), errors=[{"loc": ["what_if", "entity_code"], "msg": str(exc)}]
            ) from None
        if code not in base_w:
            raise NotFound(f"{code} の得点または第1号被保険者数がありません")
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
        after_w = dict(base_w)
        after_w[code] = _weight(
            rule.weight, new_total, persons[code][0] if code in persons else None
        )  # type: ignore[assignment]
        after_den = denominator - base_w[code] + after_w[code]  # the denominator moves too
        after = allocate(budget, rows_with(totals, after_w), after_den)
        before_row = next(r for r in base["entities"] if r["entity_code"] == code)
        after_row = next(r for r in after["entities"] if r["entity_code"] == code)
        changed = sorted(changes)
        out["what_if"] = {
            "entity_code": code,
            "name": directory.name_of(code),
            "changed_items": changed,
            "total_before": comp.totals[code],
            "total_after": new_total,
            "share_before": before_row["share"],
            "share_after": after_row["share"],
            "paid_before": before_row["paid"],
            "paid_after": after_row["paid"],
            "difference": (after_row["paid"] - before_row["paid"])
            if after_row["paid"] is not None and before_row["paid"] is not None
            else after_row["share"] - before_row["share"],
            "items": [
                {
                    "item_code": c,
                    "points": float(new_cells[tree.by_code[c].id]),  # type: ignore[index]
                    "provisional": _item_provisional(fw, tree.by_code[c]),
                }
                for c in changed
            ],
            "label": "見込み",
            "rests_on_provisional": bool(provisional)
            or any(_item_provisional(fw, tree.by_code[c]) for c in changed),
        }
    return out

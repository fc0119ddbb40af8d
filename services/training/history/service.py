"""Importing history from before the product and reading it beside the per-person records.

Rules (docs/training.md):
- A row is one kind × fiscal year, for the whole prefecture (no municipality) or for one
  municipality. Importing a row whose kind, year and municipality already exist replaces it.
- The prefecture's figure of a kind and year is the whole-prefecture row's where it has one,
  else the sum of the municipality rows. 開催回数 of the prefecture comes from the
  whole-prefecture row only (a municipality row's 開催回数 is the sessions its people attended).
- A municipality counts as reached (受講) in a year when a row of it has participants or
  completers above zero.
- Targets, coverage and the yearly stats add these figures to the per-person records and show
  both parts (from_records / from_history).
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from pydantic import ValidationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Invalid, NotFound
from services.common.fiscal import format_fy_full, parse_fy
from services.common.inputs import check_table, csv_rows
from services.common.models import check_version, get_for_update, stamp_created, stamp_updated
from services.training.figures.models import KindYearFigures
from services.training.history.models import (
    WHOLE,
    HistoryActual,
    HistoryPublic,
    HistoryRowIn,
    HistoryWritten,
)
from services.training.programs.models import Kind

KINDS = [k.value for k in Kind]
FIGURES = ("participants", "completers", "sessions")

# Column headings accepted in a file (Japanese as people write them, and the API's names).
COLUMNS: dict[str, tuple[str, ...]] = {
    "kind": ("研修の種類", "種類", "kind"),
    "fiscal_year": ("年度", "fiscal_year"),
    "municipality_code": ("区市町村コード", "団体コード", "municipality_code"),
    "participants": ("受講者数", "参加者数", "participants"),
    "completers": ("修了者数", "修了者", "completers"),
    "sessions": ("開催回数", "sessions"),
    "source": ("出典", "source"),
    "note": ("備考", "note"),
}
LABELS = {
    "kind": "研修の種類",
    "fiscal_year": "年度",
    "municipality_code": "区市町村コード",
    "participants": "受講者数",
    "completers": "修了者数",
    "sessions": "開催回数",
    "source": "出典",
    "note": "備考",
}


def to_public(row: HistoryActual) -> HistoryPublic:
    return HistoryPublic(
        id=row.id,  # type: ignore[arg-type]
        fiscal_year=row.fiscal_year,
        kind=row.kind,
        municipality_code=row.municipality_code or None,
        participants=row.participants,
        completers=row.completers,
        sessions=row.sessions,
        source=row.source,
        note=row.note,
        version=row.version,
        updated_by=row.updated_by,
    )


def _key(r: HistoryRowIn) -> tuple[int, str, str]:
    return (r.fiscal_year, r.kind.value, r.municipality_code or WHOLE)


def _where(fy: int, kind: str, code: str) -> str:
    place = code or "都全体"
    return f"{format_fy_full(fy)}「{kind}」{place}"


async def write(
    session: AsyncSession, *, rows: Sequence[HistoryRowIn], actor: Actor, locs: Sequence[Any]
) -> HistoryWritten:
    """Write validated rows, all or nothing: a kind × year × municipality given twice is
    refused naming both rows; an existing one is replaced."""
    seen: dict[tuple[int, str, str], int] = {}
    errors = []
    for i, r in enumerate(rows):
        k = _key(r)
        if k in seen:
            msg = f"{_where(*k)} が {locs[seen[k]][-1]} と重複しています"
            errors.append({"loc": list(locs[i]), "msg": msg})
        seen.setdefault(k, i)
    if errors:
        raise Invalid(f"{len(errors)}行に誤りがあります。何も登録していません", errors=errors)
    years = sorted({r.fiscal_year for r in rows})
    existing = {
        (h.fiscal_year, h.kind, h.municipality_code): h
        for h in (
            await session.exec(
                select(HistoryActual)
                .where(col(HistoryActual.fiscal_year).in_(years))
                .with_for_update()
            )
        ).all()
    }
    created = replaced = 0
    written: list[HistoryActual] = []
    for r in rows:
        k = _key(r)
        values = {
            "participants": r.participants,
            "completers": r.completers,
            "sessions": r.sessions,
            "source": r.source.strip(),
            "note": r.note.strip(),
        }
        row = existing.get(k)
        if row is None:
            row = HistoryActual(fiscal_year=k[0], kind=k[1], municipality_code=k[2], **values)
            stamp_created(row, actor)
            session.add(row)
            existing[k] = row
            created += 1
        else:
            row.sqlmodel_update(values)
            stamp_updated(row, actor)
            replaced += 1
        written.append(row)
    await session.flush()
    return HistoryWritten(
        created=created,
        replaced=replaced,
        rows=[to_public(r) for r in written],
        warnings=await _warnings(session, existing.values(), rows),
    )


async def _warnings(
    session: AsyncSession, stored: Iterable[HistoryActual], rows: Sequence[HistoryRowIn]
) -> list[str]:
    """Say when figures will be added to records of the same year, and when a whole-prefecture
    row stands beside municipality rows."""
    out: list[str] = []
    pairs = sorted({(r.fiscal_year, r.kind.value) for r in rows})
    recorded = {
        (fy, kind)
        for fy, kind in (
            await session.exec(
                select(KindYearFigures.fiscal_year, KindYearFigures.kind).where(
                    col(KindYearFigures.fiscal_year).in_(sorted({p[0] for p in pairs}))
                )
            )
        ).all()
    }
    by_pair: dict[tuple[int, str], set[str]] = defaultdict(set)
    for h in stored:
        by_pair[(h.fiscal_year, h.kind)].add(h.municipality_code)
    for fy, kind in pairs:
        if (fy, kind) in recorded:
            out.append(
                f"{format_fy_full(fy)}「{kind}」には研修の記録もあります。"
                "実績は記録と過去の実績の合計になります"
            )
        codes = by_pair[(fy, kind)]
        if WHOLE in codes and len(codes) > 1:
            out.append(
                f"{format_fy_full(fy)}「{kind}」は都全体の行があるため、都全体の数には都全体の行を"
                "使います (区市町村の行は区市町村ごとの数と到達状況に使います)"
            )
    return out


# ---- files ------------------------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid("CSVの文字コードを読めません。UTF-8 または Shift_JIS (cp932) で保存してください")


def read_table(filename: str, raw: bytes) -> tuple[list[list[Any]], str]:
    """Rows of a CSV (UTF-8 with or without BOM, or cp932) or an XLSX (first sheet), and the
    word for a line in that file (行 in both, kept apart for the message)."""
    if (filename or "").lower().endswith(".xlsx") or raw[:2] == b"PK":
        try:
            wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        except Exception as exc:
            raise Invalid("XLSXファイルとして読み込めません") from exc
        rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        check_table(rows)  # the input policy, naming row and column
        return rows, "row"
    rows = csv_rows(_decode(raw))  # the input policy, naming row and column
    return rows, "line"


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _number(v: Any, label: str) -> tuple[int | None, str | None]:
    s = _text(v).replace(",", "").replace("，", "")
    for unit in ("人", "回", "件"):
        s = s.removesuffix(unit)
    if not s:
        return None, None
    if not s.isdigit() or int(s) > 10_000_000:
        return None, f"{label}「{_text(v)}」は0以上の整数 (1000万以下) にしてください"
    return int(s), None


def parse_file(
    filename: str, raw: bytes, *, default_source: str = ""
) -> tuple[list[HistoryRowIn], list[list[Any]]]:
    """Rows from a file; every problem of every row raised at once (nothing is written)."""
    table, word = read_table(filename, raw)
    while table and not any(_text(v) for v in table[0]):
        table = table[1:]
    if not table:
        raise Invalid("ファイルが空です")
    header = [_text(h) for h in table[0]]
    index: dict[str, int] = {}
    for name, aliases in COLUMNS.items():
        for i, h in enumerate(header):
            if h in aliases:
                index[name] = i
                break
    missing = [LABELS[n] for n in ("kind", "fiscal_year") if n not in index]
    if not any(n in index for n in FIGURES):
        missing.append("受講者数・修了者数・開催回数のどれか")
    if "source" not in index and not default_source.strip():
        missing.append("出典 (列か、取り込み時の出典)")
    if missing:
        msg = f"1行目に列 {'、'.join(missing)} がありません"
        raise Invalid(msg, errors=[{"loc": ["file", f"{word} 1"], "msg": msg}])
    rows: list[HistoryRowIn] = []
    locs: list[list[Any]] = []
    errors: list[dict[str, Any]] = []
    for n, values in enumerate(table[1:], start=2):
        if not any(_text(v) for v in values):
            continue
        loc = ["file", f"{word} {n}"]

        def cell(name: str, values: list[Any] = values) -> Any:
            i = index.get(name)
            return values[i] if i is not None and i < len(values) else None

        problems: list[str] = []
        data: dict[str, Any] = {}
        kind = _text(cell("kind"))
        if kind not in KINDS:
            problems.append(
                f"研修の種類「{kind}」はありません ({'、'.join(KINDS)} のどれかにしてください)"
            )
        data["kind"] = kind
        try:
            data["fiscal_year"] = parse_fy(_text(cell("fiscal_year")))
        except ValueError:
            problems.append(
                f"年度「{_text(cell('fiscal_year'))}」を読めません (2018、平成30年度、R2 など)"
            )
        code = _text(cell("municipality_code"))
        if code:
            # Codes of prefectures 01–09 lose their leading zero in Excel.
            data["municipality_code"] = "0" + code if code.isdigit() and len(code) == 5 else code
        for name in FIGURES:
            value, problem = _number(cell(name), LABELS[name])
            if problem:
                problems.append(problem)
            data[name] = value
        data["source"] = _text(cell("source")) or default_source.strip()
        data["note"] = _text(cell("note"))
        if not data["source"]:
            problems.append("出典 (資料名・日付・ページ) を入れてください")
        elif len(data["source"]) > 500:
            problems.append("出典は500文字以内にしてください")
        if len(data["note"]) > 1000:
            problems.append("備考は1000文字以内にしてください")
        if not problems:
            try:
                rows.append(HistoryRowIn.model_validate(data))
                locs.append(loc)
                continue
            except ValidationError as exc:
                for e in exc.errors():
                    where = [str(x) for x in e["loc"] if str(x) in LABELS]
                    label = LABELS[where[0]] + ": " if where else ""
                    problems.append(label + str(e["msg"]).removeprefix("Value error, "))
        errors.extend({"loc": loc, "msg": p} for p in problems)
    if errors:
        bad = sorted({e["loc"][1] for e in errors}, key=lambda s: int(s.split()[-1]))
        raise Invalid(
            f"{len(bad)}行に誤りがあります。何も登録していません: {', '.join(bad[:10])}",
            errors=errors,
        )
    if not rows:
        raise Invalid("取り込む行がありません")
    return rows, locs


# ---- reading ----------------------------------------------------------------------------------


async def list_rows(
    session: AsyncSession, *, fiscal_year: int | None = None, kind: str | None = None
) -> list[HistoryActual]:
    query = select(HistoryActual).order_by(
        HistoryActual.fiscal_year, HistoryActual.kind, HistoryActual.municipality_code
    )
    if fiscal_year is not None:
        query = query.where(HistoryActual.fiscal_year == fiscal_year)
    if kind is not None:
        query = query.where(HistoryActual.kind == kind)
    return list((await session.exec(query)).all())


async def delete_row(session: AsyncSession, *, history_id: int, version: int) -> None:
    row = await get_for_update(session, HistoryActual, history_id)
    if row is None:
        raise NotFound(f"過去の実績 (id={history_id}) が見つかりません")
    check_version(row, version, what="この過去の実績")
    await session.delete(row)
    await session.flush()


@dataclass
class YearHistory:
    """One fiscal year's history: the prefecture's figures per kind and each municipality's."""

    fiscal_year: int
    # kind → participants / completers / sessions of the prefecture (absent: none imported)
    prefecture: dict[str, dict[str, int]] = field(default_factory=dict)
    # municipality → kind → participants / completers / sessions
    municipalities: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)

    def total(self, name: str, kind: str | None = None) -> int:
        kinds = [kind] if kind else list(self.prefecture)
        return sum(self.prefecture.get(k, {}).get(name, 0) for k in kinds)

    def reached(self, kind: str | None = None) -> set[str]:
        return {
            code
            for code, kinds in self.municipalities.items()
            for k, v in kinds.items()
            if (kind is None or k == kind)
            and (v.get("participants", 0) > 0 or v.get("completers", 0) > 0)
        }


async def years(
    session: AsyncSession, fiscal_years: Sequence[int], *, kind: str | None = None
) -> dict[int, YearHistory]:
    """The history of some years, shaped for the readers (one query)."""
    query = select(HistoryActual).where(col(HistoryActual.fiscal_year).in_(list(fiscal_years)))
    if kind is not None:
        query = query.where(HistoryActual.kind == kind)
    out = {fy: YearHistory(fy) for fy in fiscal_years}
    rows = (await session.exec(query.order_by(HistoryActual.id))).all()
    whole: dict[tuple[int, str], HistoryActual] = {}
    parts: dict[tuple[int, str], list[HistoryActual]] = defaultdict(list)
    for h in rows:
        y = out[h.fiscal_year]
        y.sources.append(
            {
                "kind": h.kind,
                "municipality_code": h.municipality_code or None,
                "source": h.source,
            }
        )
        if h.municipality_code == WHOLE:
            whole[(h.fiscal_year, h.kind)] = h
        else:
            parts[(h.fiscal_year, h.kind)].append(h)
            y.municipalities.setdefault(h.municipality_code, {})[h.kind] = {
                n: getattr(h, n) for n in FIGURES if getattr(h, n) is not None
            }
    for fy, kind in sorted(set(whole) | set(parts)):
        w = whole.get((fy, kind))
        figures: dict[str, int] = {}
        for name in FIGURES:
            value = getattr(w, name) if w is not None else None
            if value is None and name != "sessions":
                found = [
                    getattr(p, name) for p in parts[(fy, kind)] if getattr(p, name) is not None
                ]
                value = sum(found) if found else None
            if value is not None:
                figures[name] = value
        out[fy].prefecture[kind] = figures
    return out

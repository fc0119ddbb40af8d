"""Importing regional figures from files as the 見える化 system or the 介護保険事業状況報告 export
them (CSV in UTF-8 or cp932, XLSX): upload → preview (detected column mapping, every problem
listed) → adjust the mapping → commit (all or nothing)."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import insert, select
from sqlmodel import select as orm_select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.audit import record_event
from services.common.errors import AppError, Conflict, Invalid, NotFound
from services.common.inputs import check_table, csv_rows
from services.common.models import (
    check_version,
    get_for_update,
    stamp_created,
    stamp_updated,
    utcnow,
)
from services.common.registry import get_registry
from services.indicators.regional.catalogue import MeasureInfo, load_catalogue
from services.indicators.regional.entities import resolve_entity
from services.indicators.regional.models import RegionalImport, RegionalImportFile
from services.indicators.regional.schemas import (
    FY_MAX,
    FY_MIN,
    ColumnMap,
    ImportMapping,
    ImportUpdate,
)
from services.indicators.regional.service import (
    NO_FIGURE,
    Cell,
    check_value,
    parse_number,
    write_cells,
)

MAX_BYTES = 20 * 1024 * 1024
HEADER_SCAN = 30  # rows searched for the header line
SAMPLE_ROWS = 20


class TooLarge(AppError):
    status = 413


# --- headers ----------------------------------------------------------------------------------

_UNIT_SUFFIX = re.compile(r"\((%|％|円|人|千円|千人|月額|単位:[^)]*)\)$")


def norm(text: Any) -> str:
    """A header or name as compared: NFKC, no blanks, one spelling of common variants."""
    s = unicodedata.normalize("NFKC", "" if text is None else str(text))
    s = re.sub(r"\s+", "", s)
    for a, b in (
        ("〜", "~"),
        ("～", "~"),
        ("当たり", "あたり"),
        ("一人", "1人"),
        ("及び", "および"),
    ):
        s = s.replace(a, b)
    s = s.replace("第一号", "第1号")
    return s.lower()


def base_of(text: str) -> str:
    """A normalised header without a trailing unit in brackets: 認定率(%) → 認定率."""
    return _UNIT_SUFFIX.sub("", text)


ENTITY_HEADERS = {
    norm(h)
    for h in (
        "entity_code",
        "code",
        "保険者番号",
        "保険者コード",
        "保険者no",
        "団体コード",
        "地方公共団体コード",
        "全国地方公共団体コード",
        "市区町村コード",
        "市町村コード",
        "区市町村コード",
        "自治体コード",
        "地域コード",
        "コード",
    )
}
NAME_HEADERS = {
    norm(h)
    for h in (
        "name",
        "名称",
        "保険者名",
        "団体名",
        "市区町村名",
        "市町村名",
        "区市町村名",
        "自治体名",
        "地域名",
        "都道府県名",
        "都道府県",
    )
}
MEASURE_HEADERS = {
    norm(h) for h in ("measure_code", "measure", "指標", "指標名", "指標コード", "項目")
}
VALUE_HEADERS = {norm(h) for h in ("value", "値", "数値", "実績値")}
YEAR_HEADERS = {norm(h) for h in ("fiscal_year", "年度", "年", "年次")}
AGGREGATE_NAMES = {norm(h) for h in ("全国", "合計", "計", "総計", "都計", "全体")}

_YEAR_PATTERNS = (
    (re.compile(r"令和(元|\d{1,2})年度"), 2018),
    (re.compile(r"平成(元|\d{1,2})年度"), 1988),
    (re.compile(r"(?<![a-z])r(元|\d{1,2})(?:年度)?(?!\d)"), 2018),
    (re.compile(r"(?<![a-z])h(元|\d{1,2})(?:年度)?(?!\d)"), 1988),
    (re.compile(r"(?:fy)?(\d{4})年度"), 0),
    (re.compile(r"fy(\d{4})"), 0),
)


def split_year(h: str) -> tuple[str, int | None]:
    """A normalised header and the fiscal year written in it: 認定率r4 → (認定率, 2022)."""
    for pattern, offset in _YEAR_PATTERNS:
        m = pattern.search(h)
        if m:
            n = 1 if m.group(1) == "元" else int(m.group(1))
            rest = (h[: m.start()] + h[m.end() :]).strip("_-:()[]・/")
            rest = re.sub(r"\(\)|\[\]", "", rest)
            return rest, n + offset
    return h, None


def year_of_cell(raw: Any) -> int | None:
    """A fiscal year from a cell: 2022, "2022", "2022年度", "令和4年度", "R4"."""
    if isinstance(raw, int | float) and not isinstance(raw, bool) and float(raw).is_integer():
        y = int(raw)
        return y if FY_MIN <= y <= FY_MAX else None
    text = norm(raw)
    if text.isdigit() and FY_MIN <= int(text) <= FY_MAX:
        return int(text)
    rest, y = split_year(text)
    return y if y is not None and not rest and FY_MIN <= y <= FY_MAX else None


def col_letter(index: int) -> str:
    out, index = "", index + 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def alias_index(catalogue: dict[str, MeasureInfo]) -> dict[str, str]:
    """Normalised header → measure code: codes, names and the catalogue's aliases."""
    out: dict[str, str] = {}
    for m in catalogue.values():
        for text in (m.code, m.name, *m.aliases):
            key = norm(text)
            out.setdefault(key, m.code)
            out.setdefault(base_of(key), m.code)
    return out


# --- reading files -----------------------------------------------------------------------------


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), else cp932 (Shift_JIS)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp932")
        except UnicodeDecodeError as exc:
            raise Invalid(
                "文字コードを判別できません。UTF-8 または Shift_JIS (cp932) で保存してください"
            ) from exc


def is_xlsx(file_name: str, data: bytes) -> bool:
    return file_name.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK"


def read_file(
    file_name: str, data: bytes, sheet: str | None
) -> tuple[list[str], str | None, list[list[Any]]]:
    """(sheet names, the sheet read, its rows) of an upload."""
    if is_xlsx(file_name, data):
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise Invalid("XLSXファイルとして読み込めません") from exc
        try:
            names = list(wb.sheetnames)
            if sheet is not None and sheet not in names:
                raise Invalid(
                    f"シート {sheet!r} がありません ({', '.join(names)})",
                    errors=[{"loc": ["mapping", "sheet"], "msg": "シート名を確認してください"}],
                )
            ws = wb[sheet] if sheet is not None else wb.worksheets[0]
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
            check_table(rows)  # the input policy, naming row and column
            return names, ws.title, rows
        finally:
            wb.close()
    if file_name.lower().endswith(".xls"):
        raise Invalid("旧形式の .xls は読めません。XLSX または CSV で保存し直してください")
    rows = csv_rows(decode_csv(data))  # the input policy, naming row and column
    return [], None, rows


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


# --- the mapping ------------------------------------------------------------------------------


@dataclass
class Parsed:
    sheets: list[str]
    sheet: str | None
    header_row: int | None
    format: str | None
    headers: list[dict[str, Any]]
    mapping: dict[str, Any]
    rows: int = 0
    cells: list[Cell] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the line of each cell
    skipped: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)


def _find_col(ref: str | None, header: list[str], normed: list[str]) -> int | None:
    """A column named by its header (as written or normalised) or by its letter."""
    if ref is None:
        return None
    if ref in header:
        return header.index(ref)
    if norm(ref) in normed:
        return normed.index(norm(ref))
    if re.fullmatch(r"[A-Z]{1,3}", ref):
        n = 0
        for ch in ref:
            n = n * 26 + ord(ch) - 64
        return n - 1
    return None


def _detect_header(rows: list[list[Any]]) -> int | None:
    for i, row in enumerate(rows[:HEADER_SCAN]):
        if any(norm(c) in ENTITY_HEADERS for c in row if not _blank(c)):
            return i
    return None


def parse(
    data: bytes,
    file_name: str,
    mapping: ImportMapping,
    catalogue: dict[str, MeasureInfo],
    default_fy: int | None,
) -> Parsed:
    """Read an upload with a mapping (detecting what it leaves out): cells, skipped rows and
    every problem by line and column. Deterministic: commit parses again the same way."""
    sheets, sheet, rows = read_file(file_name, data, mapping.sheet)
    out = Parsed(sheets, sheet, None, None, [], {})
    if not rows:
        out.problems.append({"loc": ["file"], "msg": "ファイルが空です"})
        return out
    h = mapping.header_row - 1 if mapping.header_row else _detect_header(rows)
    if h is None or h >= len(rows):
        out.problems.append(
            {
                "loc": ["mapping", "header_row"],
                "msg": "見出し行が見つかりません。団体コード・保険者番号の列の見出し "
                "(保険者番号、団体コード など) がある行を header_row で指定してください",
            }
        )
        return out
    out.header_row = h + 1
    width = max(len(r) for r in rows[h:])
    header = [("" if _blank(c) else str(c).strip()) for c in rows[h]] + [""] * (
        width - len(rows[h])
    )
    normed = [norm(c) for c in header]
    aliases = alias_index(catalogue)
    ignore = {norm(x) for x in mapping.ignore}

    def where(i: int) -> str:
        return header[i] or col_letter(i)

    ent = _find_col(mapping.entity_column, header, normed)
    if mapping.entity_column and ent is None:
        out.problems.append(
            {
                "loc": ["mapping", "entity_column"],
                "msg": f"列 {mapping.entity_column!r} がありません",
            }
        )
        return out
    if ent is None:
        ent = next((i for i, n in enumerate(normed) if n in ENTITY_HEADERS), None)
    if ent is None:
        out.problems.append(
            {
                "loc": ["line", out.header_row],
                "msg": "団体コード・保険者番号の列がありません (entity_column で指定してください)",
            }
        )
        return out
    name_col = next((i for i, n in enumerate(normed) if n in NAME_HEADERS and i != ent), None)
    # Long format: a column of measure names and a column of values.
    meas_col = _find_col(mapping.measure_column, header, normed)
    val_col = _find_col(mapping.value_column, header, normed)
    year_col = _find_col(mapping.year_column, header, normed)
    fmt = mapping.format
    if fmt is None:
        if meas_col is None:
            meas_col = next((i for i, n in enumerate(normed) if n in MEASURE_HEADERS), None)
        if val_col is None:
            val_col = next((i for i, n in enumerate(normed) if n in VALUE_HEADERS), None)
        fmt = "long" if meas_col is not None and val_col is not None else "wide"
    elif fmt == "long":
        meas_col = (
            meas_col
            if meas_col is not None
            else next((i for i, n in enumerate(normed) if n in MEASURE_HEADERS), None)
        )
        val_col = (
            val_col
            if val_col is not None
            else next((i for i, n in enumerate(normed) if n in VALUE_HEADERS), None)
        )
    # A column of years (long format, or a wide file holding several years in rows).
    if year_col is None and mapping.year_column is None:
        year_col = next((i for i, n in enumerate(normed) if n in YEAR_HEADERS), None)
    if mapping.year_column and year_col is None:
        out.problems.append(
            {"loc": ["mapping", "year_column"], "msg": f"列 {mapping.year_column!r} がありません"}
        )
        return out
    out.format = fmt
    roles: dict[int, dict[str, Any]] = {ent: {"role": "entity"}}
    if name_col is not None:
        roles[name_col] = {"role": "name"}
    columns: dict[int, ColumnMap] = {}
    if fmt == "long":
        for ref, col, what in (
            (mapping.measure_column, meas_col, "measure_column"),
            (mapping.value_column, val_col, "value_column"),
        ):
            if col is None:
                out.problems.append(
                    {
                        "loc": ["mapping", what],
                        "msg": f"{'指標名' if what == 'measure_column' else '値'}の列"
                        f"{f' {ref!r}' if ref else ''}がありません",
                    }
                )
        if out.problems:
            return out
        roles[meas_col] = {"role": "measure_name"}  # type: ignore[index]
        roles[val_col] = {"role": "value"}  # type: ignore[index]
    if year_col is not None:
        roles[year_col] = {"role": "year"}
    if fmt == "wide":
        explicit: dict[int, ColumnMap] = {}
        for ref, target in mapping.columns.items():
            col = _find_col(ref, header, normed)
            cm = ColumnMap(measure_code=target) if isinstance(target, str) else target
            if col is None or col >= width:
                out.problems.append(
                    {"loc": ["mapping", "columns", ref], "msg": f"列 {ref!r} がありません"}
                )
                continue
            if cm.measure_code not in catalogue:
                out.problems.append(
                    {
                        "loc": ["mapping", "columns", ref],
                        "msg": f"指標コード {cm.measure_code!r} はカタログにありません",
                    }
                )
                continue
            explicit[col] = cm
        for i, n in enumerate(normed):
            if i in roles or not n:
                continue
            if i in explicit:
                columns[i] = explicit[i]
                continue
            if n in ignore or header[i] in mapping.ignore or col_letter(i) in mapping.ignore:
                continue
            rest, fy = split_year(n)
            code = aliases.get(rest) or aliases.get(base_of(rest))
            if code is not None:
                columns[i] = ColumnMap(measure_code=code, fiscal_year=fy)
        if not columns and not out.problems:
            out.problems.append(
                {
                    "loc": ["mapping", "columns"],
                    "msg": "指標の列が見つかりません。columns で列と指標コードを対応づけてください "
                    "(GET /api/v1/regional/measures の code)",
                }
            )
        for i, cm in columns.items():
            roles[i] = {
                "role": "measure",
                "measure_code": cm.measure_code,
                "fiscal_year": cm.fiscal_year,
                "scale": cm.scale,
            }
        # The same measure and year from two columns would write one cell twice.
        seen_targets: dict[tuple[str, int | None], int] = {}
        for i, cm in sorted(columns.items()):
            key = (cm.measure_code, cm.fiscal_year or default_fy)
            if key in seen_targets:
                out.problems.append(
                    {
                        "loc": ["line", out.header_row, "column", where(i)],
                        "msg": f"列 {where(seen_targets[key])!r} と同じ指標・年度 "
                        f"({cm.measure_code}, {key[1]}) です",
                    }
                )
            seen_targets[key] = i
        for i, cm in sorted(columns.items()):
            fy = cm.fiscal_year or default_fy
            if cm.fiscal_year is None and year_col is not None:
                continue  # each row's year: checked per cell
            if fy is None:
                out.problems.append(
                    {
                        "loc": ["line", out.header_row, "column", where(i)],
                        "msg": "年度がわかりません。fiscal_year を指定するか、列の mapping に "
                        "fiscal_year を書いてください",
                    }
                )
            elif not catalogue[cm.measure_code].in_force(fy):
                out.problems.append(
                    {
                        "loc": ["line", out.header_row, "column", where(i)],
                        "msg": f"指標 {cm.measure_code} は{fy}年度には定義されていません",
                    }
                )
    out.headers = [
        {
            "index": i,
            "letter": col_letter(i),
            "name": header[i],
            **roles.get(i, {"role": "ignored"}),
        }
        for i in range(width)
    ]
    out.mapping = {
        "sheet": sheet,
        "header_row": out.header_row,
        "entity_column": header[ent] or col_letter(ent),
        "format": fmt,
        "columns": {
            where(i): cm.model_dump(exclude_defaults=True) | {"measure_code": cm.measure_code}
            for i, cm in sorted(columns.items())
        },
        "ignore": list(mapping.ignore),
        "measure_column": where(meas_col) if fmt == "long" and meas_col is not None else None,
        "value_column": where(val_col) if fmt == "long" and val_col is not None else None,
        "year_column": where(year_col) if year_col is not None else None,
        "measure_names": dict(mapping.measure_names),
    }
    if out.problems:
        return out
    _read_rows(
        out,
        rows[h + 1 :],
        h + 2,
        header,
        ent,
        name_col,
        columns,
        fmt,
        catalogue,
        aliases,
        mapping,
        meas_col,
        val_col,
        year_col,
        default_fy,
        where,
    )
    return out


def _aggregate(code_cell: Any, name_cell: Any, msg: str | None) -> bool:
    """A total row (全国, 東京都, 合計, a prefecture code): not a municipality's figure."""
    reg = get_registry()
    names = {norm(code_cell), norm(name_cell)}
    prefs = {norm(p.name) for p in reg.prefectures.values()}
    return bool(names & (AGGREGATE_NAMES | prefs)) or (msg is not None and "都道府県" in msg)


def _read_rows(
    out: Parsed,
    rows: list[list[Any]],
    first_line: int,
    header: list[str],
    ent: int,
    name_col: int | None,
    columns: dict[int, ColumnMap],
    fmt: str,
    catalogue: dict[str, MeasureInfo],
    aliases: dict[str, str],
    mapping: ImportMapping,
    meas_col: int | None,
    val_col: int | None,
    year_col: int | None,
    default_fy: int | None,
    where: Any,
) -> None:
    names_map = {norm(k): v for k, v in mapping.measure_names.items()}
    ignore = {norm(x) for x in mapping.ignore}
    first_of: dict[tuple[int, str, str], int] = {}
    for line, row in enumerate(rows, start=first_line):
        if all(_blank(c) for c in row):
            continue
        row = list(row) + [None] * (len(header) - len(row))
        out.rows += 1
        muni, msg = resolve_entity(row[ent])
        value_cols = list(columns) if fmt == "wide" else [val_col]
        if muni is None:
            if all(_blank(row[i]) for i in value_cols):  # type: ignore[index]
                out.skipped.append({"line": line, "reason": "値のない行 (注記など)"})
                continue
            if _aggregate(row[ent], row[name_col] if name_col is not None else None, msg):
                out.skipped.append({"line": line, "reason": "集計行 (全国・都道府県・合計)"})
                continue
            out.problems.append({"loc": ["line", line, "column", where(ent)], "msg": msg})
            continue
        targets: list[tuple[int, str, int | None, float]] = []
        if fmt == "wide":
            row_fy = default_fy
            if year_col is not None and any(cm.fiscal_year is None for cm in columns.values()):
                row_fy = year_of_cell(row[year_col])
                if row_fy is None:
                    out.problems.append(
                        {
                            "loc": ["line", line, "column", where(year_col)],
                            "msg": f"年度が読めません: {row[year_col]!r} (例: 2023, 令和5年度, R5)",
                        }
                    )
                    continue
            for i, cm in columns.items():
                fy = cm.fiscal_year or row_fy
                if cm.fiscal_year is None and not catalogue[cm.measure_code].in_force(fy):  # type: ignore[arg-type]
                    out.problems.append(
                        {
                            "loc": ["line", line, "column", where(i)],
                            "msg": f"指標 {cm.measure_code} は{fy}年度には定義されていません",
                        }
                    )
                    continue
                targets.append((i, cm.measure_code, fy, cm.scale))
        else:
            label = row[meas_col]  # type: ignore[index]
            key = norm(label)
            if key in ignore:
                continue
            if key in names_map:
                code = names_map[key] or None
                if code is None:  # mapped to "": deliberately not read
                    continue
            else:
                rest, _fy = split_year(key)
                code = aliases.get(key) or aliases.get(base_of(key)) or aliases.get(rest)
            if code is None or code not in catalogue:
                out.problems.append(
                    {
                        "loc": ["line", line, "column", where(meas_col)],
                        "msg": f"指標名 {label!r} に対応する指標がありません "
                        "(measure_names で指標コードを対応づけるか、ignore に入れてください)",
                    }
                )
                continue
            fy = default_fy
            if year_col is not None:
                fy = year_of_cell(row[year_col])
                if fy is None:
                    out.problems.append(
                        {
                            "loc": ["line", line, "column", where(year_col)],
                            "msg": f"年度が読めません: {row[year_col]!r} (例: 2023, 令和5年度, R5)",
                        }
                    )
                    continue
            if fy is None:
                out.problems.append(
                    {
                        "loc": ["line", line],
                        "msg": "年度がわかりません (fiscal_year を指定してください)",
                    }
                )
                continue
            if not catalogue[code].in_force(fy):
                out.problems.append(
                    {
                        "loc": ["line", line, "column", where(meas_col)],
                        "msg": f"指標 {code} は{fy}年度には定義されていません",
                    }
                )
                continue
            targets.append((val_col, code, fy, 1.0))  # type: ignore[arg-type]
        for i, code, fy, scale in targets:
            raw = row[i]
            if _blank(raw):
                continue
            if isinstance(raw, str) and unicodedata.normalize("NFKC", raw).strip() in NO_FIGURE:
                out.skipped.append(
                    {
                        "line": line,
                        "reason": f"{where(i)}: 数値なし ({raw.strip()}) は書き込みません",
                    }
                )
                continue
            x = parse_number(raw)
            if x is None:
                out.problems.append(
                    {
                        "loc": ["line", line, "column", where(i)],
                        "msg": f"数値ではありません: {raw!r}",
                    }
                )
                continue
            x = x * scale
            if scale != 1.0:
                x = round(x, 10)  # 0.195 × 100 → 19.5, not 19.500000000000004
            vmsg = check_value(catalogue[code], x)
            if vmsg:
                out.problems.append({"loc": ["line", line, "column", where(i)], "msg": vmsg})
                continue
            key3 = (fy, muni.code, code)  # type: ignore[assignment]
            if key3 in first_of:
                out.problems.append(
                    {
                        "loc": ["line", line, "column", where(ent)],
                        "msg": f"{first_of[key3]}行目と同じ区市町村 ({muni.code} {muni.name}) ・"
                        f"指標 {code}・{fy}年度の値です",
                    }
                )
                continue
            first_of[key3] = line  # type: ignore[index]
            out.cells.append(Cell(fy, muni, code, x))  # type: ignore[arg-type]
            out.lines.append(line)


# --- the import records -------------------------------------------------------------------------


def _preview(imp: RegionalImport, p: Parsed) -> dict[str, Any]:
    return {
        "id": imp.id,
        "version": imp.version,
        "status": imp.status,
        "file_name": imp.file_name,
        "sha256": imp.sha256,
        "fiscal_year": imp.fiscal_year,
        "source": imp.source,
        "sheets": p.sheets,
        "sheet": p.sheet,
        "header_row": p.header_row,
        "format": p.format,
        "headers": p.headers,
        "mapping": p.mapping,
        "rows": p.rows,
        "values": len(p.cells),
        "fiscal_years": sorted({c.fiscal_year for c in p.cells}),
        "skipped": p.skipped,
        "problems": p.problems,
        "sample": [
            {
                "line": line,
                "entity_code": c.entity.code,
                "entity_name": c.entity.name,
                "measure_code": c.measure_code,
                "fiscal_year": c.fiscal_year,
                "value": c.value,
            }
            for c, line in list(zip(p.cells, p.lines, strict=True))[:SAMPLE_ROWS]
        ],
        "ready": imp.status == "preview" and not p.problems and bool(p.cells),
        "created_at": imp.created_at,
        "created_by": imp.created_by,
        "written": imp.written,
        "committed_at": imp.committed_at,
        "committed_by": imp.committed_by,
    }


async def _content(session: AsyncSession, import_id: int) -> bytes:
    conn = await session.connection()
    t = RegionalImportFile.__table__  # type: ignore[attr-defined]
    return (await conn.execute(select(t.c.content).where(t.c.import_id == import_id))).scalar_one()


async def _parse(session: AsyncSession, imp: RegionalImport) -> Parsed:
    catalogue = await load_catalogue(session)
    mapping = ImportMapping.model_validate(imp.mapping or {})
    data = await _content(session, imp.id)  # type: ignore[arg-type]
    return parse(data, imp.file_name, mapping, catalogue, imp.fiscal_year)


async def create_import(
    session: AsyncSession,
    *,
    file_name: str,
    data: bytes,
    fiscal_year: int | None,
    mapping: ImportMapping,
    source: str,
    actor: Actor,
) -> dict[str, Any]:
    """Keep the upload and answer its preview (nothing is written to the values)."""
    if len(data) > MAX_BYTES:
        raise TooLarge(f"ファイルが大きすぎます ({MAX_BYTES // (1024 * 1024)} MB まで)")
    if not data:
        raise Invalid("ファイルが空です", errors=[{"loc": ["body", "file"], "msg": "空のファイル"}])
    catalogue = await load_catalogue(session)
    # Parse first: an unreadable file (not XLSX, unknown encoding) is refused at once.
    parsed = parse(data, file_name, mapping, catalogue, fiscal_year)
    imp = RegionalImport(
        file_name=file_name[:300] or "upload",
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        fiscal_year=fiscal_year,
        source=source,
        mapping=mapping.model_dump(mode="json", exclude_defaults=True),
    )
    stamp_created(imp, actor)
    session.add(imp)
    await session.flush()
    conn = await session.connection()
    await conn.execute(
        insert(RegionalImportFile.__table__).values(import_id=imp.id, content=data)  # type: ignore[attr-defined]
    )
    return _preview(imp, parsed)


async def _get(session: AsyncSession, import_id: int, *, lock: bool = False) -> RegionalImport:
    imp = (
        await get_for_update(session, RegionalImport, import_id)
        if lock
        else await session.get(RegionalImport, import_id)
    )
    if imp is None:
        raise NotFound(f"取込 {import_id} が見つかりません")
    return imp


async def get_preview(session: AsyncSession, import_id: int) -> dict[str, Any]:
    imp = await _get(session, import_id)
    return _preview(imp, await _parse(session, imp))


async def update_import(
    session: AsyncSession, import_id: int, body: ImportUpdate, *, actor: Actor
) -> dict[str, Any]:
    """Change the mapping, the default year or the source; answer the new preview."""
    imp = await _get(session, import_id, lock=True)
    check_version(imp, body.version, what="この取込")
    if imp.status != "preview":
        raise Conflict("この取込は確定済みです。変更するには新しく取り込んでください")
    fields = body.model_dump(exclude_unset=True, exclude={"version"})
    if "mapping" in fields:
        imp.mapping = (body.mapping or ImportMapping()).model_dump(
            mode="json", exclude_defaults=True
        )
    if "fiscal_year" in fields:
        imp.fiscal_year = body.fiscal_year
    if "source" in fields:
        imp.source = body.source or ""
    stamp_updated(imp, actor)
    await session.flush()
    return _preview(imp, await _parse(session, imp))


async def commit_import(
    session: AsyncSession, import_id: int, version: int, *, actor: Actor, audit: Any
) -> dict[str, Any]:
    """Write the previewed values (all or nothing: 422 naming every problem, nothing written)."""
    imp = await _get(session, import_id, lock=True)
    check_version(imp, version, what="この取込")
    if imp.status != "preview":
        raise Conflict("この取込は確定済みです")
    p = await _parse(session, imp)
    if p.problems:
        lines = sorted({e["loc"][1] for e in p.problems if e["loc"][0] == "line"})
        shown = ", ".join(map(str, lines[:20])) + (" …" if len(lines) > 20 else "")
        raise Invalid(
            f"{len(p.problems)}件の誤りがあります"
            + (f" (行 {shown})" if lines else "")
            + "。何も書き込んでいません",
            errors=p.problems,
        )
    if not p.cells:
        raise Invalid("書き込む値がありません (すべて空欄か数値なしです)")
    written, _ = await write_cells(
        session,
        p.cells,
        actor=actor,
        source=imp.source or f"取込: {imp.file_name}",
        import_id=imp.id,
    )
    imp.status = "committed"
    imp.written = written
    imp.committed_at = utcnow()
    imp.committed_by = actor.label
    stamp_updated(imp, actor)
    await session.flush()
    await record_event(
        session,
        audit,
        entity_type="RegionalValues",
        entity_id=f"import:{imp.id}",
        action="import",
        file_name=imp.file_name,
        sha256=imp.sha256,
        rows=written,
        fiscal_years=sorted({c.fiscal_year for c in p.cells}),
    )
    return _preview(imp, p)


async def list_imports(session: AsyncSession, limit: int = 50) -> list[RegionalImport]:
    rows = await session.exec(
        orm_select(RegionalImport).order_by(RegionalImport.id.desc()).limit(limit)  # type: ignore[union-attr]
    )
    return list(rows.all())

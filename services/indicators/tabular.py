"""Reading uploaded tables (CSV in UTF-8 / UTF-8 BOM / cp932, or XLSX) the same way everywhere."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from services.common.errors import Invalid
from services.common.inputs import check_table, csv_rows


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


def is_xlsx(filename: str, data: bytes) -> bool:
    return (filename or "").lower().endswith(".xlsx") or data[:2] == b"PK"


def read_table(filename: str, data: bytes, *, sheet: str | None = None) -> list[list[Any]]:
    """Rows of a CSV or XLSX upload (the named sheet, else the first)."""
    if is_xlsx(filename, data):
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several kinds for a non-XLSX file
            raise Invalid("XLSXファイルとして読み込めません") from exc
        ws = wb[sheet] if sheet and sheet in wb.sheetnames else wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        check_table(rows)  # the input policy, naming row and column
        return rows
    return csv_rows(decode_csv(data))  # the same policy, and any line ending


def col_name(index: int) -> str:
    """Spreadsheet column letters: 0 → A, 26 → AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def text(v: Any) -> str:
    """A cell as stripped text ('' for empty)."""
    return "" if v is None else str(v).strip()


def number(value: Any) -> float | None:
    """A cell as a number: 12, "12", "1,234", " 12.5 "; None when it is not one."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)  # the common case (float() strips blanks)
    except (TypeError, ValueError):
        pass
    try:
        return float(str(value).strip().replace(",", ""))
    except ValueError:
        return None


def code_text(value: Any) -> str:
    """A code cell as text: a spreadsheet may have made 75221.0 of 075221 or dropped the
    leading zero (5 digits → a leading 0 is put back)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    code = text(value)
    return "0" + code if len(code) == 5 and code.isdigit() else code


def blank_row(row: list[Any]) -> bool:
    return not any(text(v) for v in row)

"""The input policy: one rule for every text a client sends, applied in one place.

Every write of every app (JSON bodies, form fields, query text, path values) goes through
:func:`input_policy`, a dependency the app factories install on every route. A text may hold
any character a person can type — tab, newline and carriage return included — and is stored
exactly as typed (no silent NFKC or other rewriting). Refused with 422, naming the field:

- C0 and C1 control characters (U+0000–U+001F, U+007F–U+009F) other than tab, LF and CR;
- lone UTF-16 surrogates (U+D800–U+DFFF, only reachable through JSON ``\\ud800`` escapes) and
  the non-characters U+FFFE / U+FFFF: no database, XML document or spreadsheet can hold them.

File imports (CSV/XLSX) check each cell with :func:`cell_problem` / :func:`check_cell` and
name the row and column. Exports never trust what is stored: services/common/exports.py removes
what an XML-based format (DOCX, XLSX) or a calendar line cannot carry, so a stored value (one
from before this policy, or written by another path) can never make an export fail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from fastapi import Request
from fastapi.exceptions import RequestValidationError

# Everything refused in a text: C0 (but \t \n \r), DEL and C1, surrogates, U+FFFE/U+FFFF.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

_MAX_ERRORS = 20


def describe(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def text_problem(value: str) -> str | None:
    """The message for a text that breaks the policy, or None when it is acceptable."""
    found = FORBIDDEN.search(value)
    if found is None:
        return None
    return (
        f"制御文字 ({describe(found.group())}, {found.start() + 1} 文字目) は使えません。"
        "タブと改行以外の制御文字を取り除いてください"
    )


def _walk(value: Any, loc: tuple[Any, ...]) -> Iterator[dict[str, Any]]:
    if isinstance(value, str):
        msg = text_problem(value)
        if msg is not None:
            yield {"loc": list(loc), "msg": msg, "type": "control_character"}
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and (msg := text_problem(key)) is not None:
                yield {"loc": [*loc, key], "msg": msg, "type": "control_character"}
            yield from _walk(item, (*loc, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, (*loc, i))


def find_problems(value: Any, loc: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Every text in a decoded JSON value (keys included) that breaks the policy."""
    out: list[dict[str, Any]] = []
    for err in _walk(value, loc):
        out.append(err)
        if len(out) >= _MAX_ERRORS:
            break
    return out


async def request_problems(request: Request) -> list[dict[str, Any]]:
    """The policy's findings in a request: path values, query text, and the body (JSON or form
    fields; uploaded files are the importers' to check, cell by cell)."""
    errors: list[dict[str, Any]] = []
    for name, value in request.path_params.items():
        if isinstance(value, str) and (msg := text_problem(value)) is not None:
            errors.append({"loc": ["path", name], "msg": msg, "type": "control_character"})
    for name, value in request.query_params.multi_items():
        for loc, text in ((["query", name], value), (["query"], name)):
            if (msg := text_problem(text)) is not None:
                errors.append({"loc": loc, "msg": msg, "type": "control_character"})
                break
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return errors
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json" or ctype.endswith("+json"):
        raw = await request.body()
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                return errors  # FastAPI answers the malformed JSON itself
            errors.extend(find_problems(body, ("body",)))
            if request.method in ("PATCH", "PUT") and isinstance(body, dict):
                errors.extend(null_problems(request, body))
    elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        for name, value in form.multi_items():
            if isinstance(value, str) and (msg := text_problem(value)) is not None:
                errors.append({"loc": ["body", name], "msg": msg, "type": "control_character"})
            elif not isinstance(value, str):
                filename = getattr(value, "filename", None)
                if filename and (msg := text_problem(filename)) is not None:
                    errors.append(
                        {"loc": ["body", name, "filename"], "msg": msg, "type": "control_character"}
                    )
    return errors[:_MAX_ERRORS]


def _nullable(annotation: Any) -> bool:
    if annotation is None or annotation is type(None) or annotation is Any:
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return _nullable(get_args(annotation)[0])
    if origin is Union or origin is UnionType:
        return any(_nullable(a) for a in get_args(annotation))
    return False


NULL_CLEARS = {"x-null-clears": True}  # json_schema_extra of a PATCH field where null = empty


def _null_clears(field: Any) -> bool:
    extra = getattr(field, "json_schema_extra", None)
    return isinstance(extra, dict) and bool(extra.get("x-null-clears"))


def null_problems(request: Request, body: dict[str, Any]) -> list[dict[str, Any]]:
    """PATCH semantics: an omitted field stays as it is; ``null`` is refused for a field the
    record cannot hold empty — one whose type in the operation's answer (the record as every
    reader gets it) does not allow null. Otherwise a stored NULL would make the record
    unreadable for everybody."""
    route = request.scope.get("route")
    model = getattr(route, "response_model", None)
    fields = getattr(model, "model_fields", None)
    if not isinstance(model, type) or not isinstance(fields, dict):
        return []
    body_field = getattr(route, "body_field", None)
    body_model = getattr(body_field, "type_", None) or getattr(
        getattr(body_field, "field_info", None), "annotation", None
    )
    body_fields = getattr(body_model, "model_fields", None) or {}
    out: list[dict[str, Any]] = []
    for key, value in body.items():
        field = fields.get(key)
        if value is None and key in body_fields and _null_clears(body_fields[key]):
            continue  # the write model says what null means (e.g. "clear the list")
        if value is None and field is not None and not _nullable(field.annotation):
            out.append(
                {
                    "loc": ["body", key],
                    "msg": "この項目は空 (null) にできません。変えないときは項目ごと省いてください",
                    "type": "null_not_allowed",
                }
            )
    return out


async def input_policy(request: Request) -> None:
    """The dependency every app installs on its routes (services/common/app.py, gateway)."""
    errors = await request_problems(request)
    if errors:
        raise RequestValidationError(errors)


def column_letter(index: int) -> str:
    """Spreadsheet column letters of a 0-based index: 0 → A, 26 → AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def table_problems(rows: Any, *, first_row: int = 1) -> list[dict[str, Any]]:
    """Every cell of an imported table (CSV or XLSX rows) that breaks the policy, naming the
    row (as the file counts it, from ``first_row``) and the column (letter, and its header
    when the first row has one)."""
    errors: list[dict[str, Any]] = []
    header: list[Any] = []
    for r, row in enumerate(rows):
        if r == 0:
            header = list(row)
        for c, value in enumerate(row):
            if not isinstance(value, str):
                continue
            msg = text_problem(value)
            if msg is None:
                continue
            letter = column_letter(c)
            name = header[c] if c < len(header) and isinstance(header[c], str) and r else None
            where = f"{first_row + r} 行目 {letter} 列" + (f"（{name}）" if name else "")
            errors.append(
                {
                    "loc": ["file", first_row + r, letter],
                    "msg": f"{where}: {msg}",
                    "row": first_row + r,
                    "column": letter,
                }
            )
            if len(errors) >= _MAX_ERRORS:
                return errors
    return errors


def check_table(rows: Any, *, first_row: int = 1) -> None:
    """Refuse an imported table holding a forbidden character (422, nothing imported)."""
    errors = table_problems(rows, first_row=first_row)
    if errors:
        from services.common.errors import Invalid

        raise Invalid(
            f"ファイルに使えない制御文字があります ({errors[0]['msg']})。何も取り込んでいません",
            errors=errors,
        )


def check_cell(value: Any, *, row: int, column: Any) -> str | None:
    """A file import's cell: the message naming row and column when it breaks the policy."""
    if not isinstance(value, str):
        return None
    msg = text_problem(value)
    if msg is None:
        return None
    return f"{row} 行目の列「{column}」: {msg}"


def cell_problem(value: Any, *, row: int, column: Any) -> dict[str, Any] | None:
    """The same as :func:`check_cell`, as an ``errors`` entry (``loc`` = file, row, column)."""
    msg = check_cell(value, row=row, column=column)
    if msg is None:
        return None
    return {"loc": ["file", row, column], "msg": msg, "row": row, "column": column}


def csv_rows(text: str) -> list[list[str]]:
    """The rows of a decoded CSV upload, checked by the input policy: any line ending (CR,
    LF, CRLF; a bare CR no longer breaks the reader), a malformed file a 422 naming the line,
    never a 500."""
    import csv
    import io

    from services.common.errors import Invalid

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        msg = f"{reader.line_num} 行目をCSVとして読めません ({exc})"
        raise Invalid(msg, errors=[{"loc": ["file", reader.line_num], "msg": msg}]) from exc
    check_table(rows)
    return rows

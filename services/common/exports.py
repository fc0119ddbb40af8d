"""Defensive exports: one helper every exporter (DOCX, XLSX, CSV, ICS) passes stored text
through, so that a stored value can never make an export fail.

The input policy (services/common/inputs.py) keeps control characters out of new writes, but a
row stored before it, imported by an older version or written straight into the database may
still hold one; python-docx and openpyxl refuse such strings ("All strings must be XML
compatible", IllegalCharacterError). Here each character XML 1.0 cannot carry (C0 controls but
tab/LF/CR, lone surrogates, U+FFFE/U+FFFF) is replaced by U+FFFD, so the reader sees that
something was there; nothing else is changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"


def export_text(value: Any) -> Any:
    """A stored value as an export may carry it (strings cleaned, other values unchanged)."""
    if isinstance(value, str) and _ILLEGAL.search(value):
        return _ILLEGAL.sub(REPLACEMENT, value)
    return value


def export_row(values: Iterable[Any]) -> list[Any]:
    """One row of a table export (CSV, XLSX), each cell through :func:`export_text`."""
    return [export_text(v) for v in values]


def export_rows(rows: Iterable[Iterable[Any]]) -> list[list[Any]]:
    return [export_row(r) for r in rows]


def export_data(value: Any) -> Any:
    """A whole document's data (dicts, lists, tuples of values) with every string cleaned."""
    if isinstance(value, str):
        return export_text(value)
    if isinstance(value, dict):
        return {k: export_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return (
            type(value)(export_data(v) for v in value)
            if isinstance(value, list)
            else tuple(export_data(v) for v in value)
        )
    return value


def attachment(filename: str) -> dict[str, str]:
    """The ``Content-Disposition`` header of a download whose name may hold stored text (a
    framework code): an ASCII fallback and the exact name as RFC 5987 ``filename*``, so that
    no stored value can make the header unencodable."""
    from urllib.parse import quote

    name = export_text(filename)
    ascii_name = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in name)
    return {
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''"
        + quote(name, safe="")
    }

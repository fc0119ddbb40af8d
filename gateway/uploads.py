"""Uploaded files kept between the steps of the import wizard (upload → column mapping →
preview → commit), in the gateway's own database.

Why the database: the gateway runs as several processes and replicas behind one address (and
its pods have a read-only root file system), so a file on local disk would be missing when the
next step lands on another process; PostgreSQL is already the one state every replica shares.
Why not the browser: a 20 MB file sent again with every step (or kept in a hidden field) is
slow on the prefecture's networks and lets the page change what was previewed. Each upload
belongs to the person who sent it (anybody else gets 404), carries the column mapping last
chosen, and expires two hours after the last step; expired uploads are removed whenever
someone uploads a file, and at once when the import is written.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from openpyxl import load_workbook
from sqlmodel import Field, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.auth.base import Base
from services.common import clock
from services.common.models import tz_field

MAX_UPLOAD = 20 * 1024 * 1024
LIFETIME = timedelta(hours=2)
SAMPLE_ROWS = 3


class ImportUpload(Base, table=True):
    """A file waiting in the import wizard. ``id`` is a random token (not guessable)."""

    __tablename__ = "import_upload"

    id: str = Field(primary_key=True, max_length=43)
    owner: str = Field(max_length=64, index=True)  # the actor id (login) who uploaded it
    kind: str = Field(max_length=40)
    target: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    file_name: str = Field(max_length=255)
    content_type: str = Field(default="", max_length=200)
    content: bytes = Field(sa_type=sa.LargeBinary)
    size: int = 0
    mapping: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    state: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = tz_field()
    expires_at: datetime = tz_field(index=True)


def now() -> datetime:
    return clock.now()


async def purge_expired(session: AsyncSession) -> int:
    """Remove every expired upload (whoever's); the number removed."""
    result = await session.exec(  # type: ignore[call-overload]
        sa.delete(ImportUpload).where(ImportUpload.expires_at < now())  # type: ignore[arg-type]
    )
    return int(result.rowcount or 0)


async def store(
    session: AsyncSession,
    *,
    owner: str,
    kind: str,
    target: dict[str, Any],
    file_name: str,
    content_type: str,
    content: bytes,
) -> ImportUpload:
    await purge_expired(session)
    at = now()
    row = ImportUpload(
        id=secrets.token_urlsafe(24),
        owner=owner,
        kind=kind,
        target=target,
        file_name=file_name[:255],
        content_type=content_type[:200],
        content=content,
        size=len(content),
        created_at=at,
        expires_at=at + LIFETIME,
    )
    session.add(row)
    await session.flush()
    return row


async def load(session: AsyncSession, upload_id: str, owner: str) -> ImportUpload | None:
    """The owner's upload, if it has not expired (None otherwise: the page's 404)."""
    row = (
        await session.exec(
            select(ImportUpload).where(
                ImportUpload.id == upload_id,
                ImportUpload.owner == owner,
                ImportUpload.expires_at >= now(),
            )
        )
    ).first()
    return row


async def remember(
    session: AsyncSession,
    row: ImportUpload,
    *,
    mapping: dict[str, Any] | None = None,
    state: dict[str, Any] | None = None,
) -> None:
    """Keep the mapping chosen (and the service's own state) and extend the upload's life."""
    if mapping is not None:
        row.mapping = mapping
    if state is not None:
        row.state = {**(row.state or {}), **state}
    row.expires_at = now() + LIFETIME
    session.add(row)
    await session.flush()


async def discard(session: AsyncSession, row: ImportUpload) -> None:
    await session.delete(row)
    await session.flush()


# --- reading the file's header and a few rows (the mapping step shows them) -------------------


class Unreadable(ValueError):
    """The file is not a CSV (UTF-8 / Shift_JIS) or XLSX the wizard can read."""


def is_xlsx(file_name: str, content: bytes) -> bool:
    return file_name.lower().endswith(".xlsx") or content[:2] == b"PK"


def decode_csv(content: bytes) -> str:
    """UTF-8 (with or without BOM), else Shift_JIS (cp932), as the services read it."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return content.decode("cp932")
        except UnicodeDecodeError as exc:
            raise Unreadable(
                "文字コードを判別できません。UTF-8 または Shift_JIS で保存してください。"
            ) from exc


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows(file_name: str, content: bytes) -> Iterator[list[str]]:
    """Every row of the file (the first sheet of an XLSX) as text, blank ones included."""
    if is_xlsx(file_name, content):
        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several kinds for a file that is not XLSX
            raise Unreadable("Excel (XLSX) ファイルとして読み込めません。") from exc
        try:
            for values in wb.worksheets[0].iter_rows(values_only=True):
                yield [cell_text(v) for v in values]
        finally:
            wb.close()
        return
    try:
        for values in csv.reader(io.StringIO(decode_csv(content), newline="")):
            yield [v.strip() for v in values]
    except csv.Error as exc:
        raise Unreadable(f"CSV として読み込めません ({exc})。") from exc


def head(
    file_name: str, content: bytes, rows: int = SAMPLE_ROWS, *, header_row: int = 1
) -> tuple[list[str], list[list[str]]]:
    """The header (row ``header_row``, 1-based) and the next ``rows`` non-empty rows, as text."""
    header: list[str] | None = None
    sample: list[list[str]] = []
    for number, texts in enumerate(_rows(file_name, content), start=1):
        if number < header_row:
            continue
        if header is None:
            header = texts
        elif any(texts):
            sample.append(texts)
        if len(sample) >= rows:
            break
    if not header or not any(header):
        raise Unreadable("1行目に列の見出しがありません。見出しの行を先頭にしてください。")
    width = len(header)
    return header, [(r + [""] * width)[:width] for r in sample]


def with_header(file_name: str, content: bytes, header: list[str]) -> bytes:
    """The same file with its first row replaced by ``header`` (every other cell as it was):
    for a service that finds its columns by their names, the names the user chose are put
    in. An XLSX stays an XLSX (numbers and codes keep their types); a CSV comes back as
    UTF-8 with a BOM."""
    if is_xlsx(file_name, content):
        wb = load_workbook(io.BytesIO(content))
        ws = wb.worksheets[0]
        for i, name in enumerate(header, start=1):
            ws.cell(row=1, column=i).value = name
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
    rows = list(csv.reader(io.StringIO(decode_csv(content), newline="")))
    rows[0] = header + rows[0][len(header) :]
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode("utf-8-sig")

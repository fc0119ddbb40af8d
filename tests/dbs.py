"""Throwaway databases for the suite: SQLite files, or PostgreSQL when DATABASE_URL says so.

With ``DATABASE_URL=postgresql+asyncpg://user@host:5432/NAME`` each service gets its own
database ``NAME_<service>``, dropped and created at the start and dropped at the end.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from sqlalchemy import MetaData, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

SERVICES = ("indicators", "support_cases", "training")
# Every database the suite builds: each service's, and the gateway's own (people, sessions).
DATABASES = (*SERVICES, "gateway")


def base_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return None
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise RuntimeError(
            f"DATABASE_URL must point at PostgreSQL, got {parsed.get_backend_name()}"
        )
    return str(parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False))


def using_postgres() -> bool:
    return base_url() is not None


async def _pg_admin(url: str, statements: list[str]) -> None:
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        user=u.username or "postgres",
        password=u.password,
        database="postgres",
    )
    try:
        for stmt in statements:
            await conn.execute(stmt)
    finally:
        await conn.close()


def service_urls(tmp: Path) -> dict[str, str]:
    base = base_url()
    if base is None:
        return {s: f"sqlite+aiosqlite:///{tmp / f'{s}.db'}" for s in DATABASES}
    u = make_url(base)
    return {
        s: u.set(database=f"{u.database}_{s}").render_as_string(hide_password=False)
        for s in DATABASES
    }


def _create_statements(urls: dict[str, str]) -> list[str]:
    stmts: list[str] = []
    for url in urls.values():
        name = make_url(url).database
        stmts += [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"']
    return stmts


def _drop_statements(urls: dict[str, str]) -> list[str]:
    return [f'DROP DATABASE IF EXISTS "{make_url(u).database}" WITH (FORCE)' for u in urls.values()]


def create_databases(urls: dict[str, str]) -> None:
    if using_postgres():
        asyncio.run(_pg_admin(next(iter(urls.values())), _create_statements(urls)))


def drop_databases(urls: dict[str, str]) -> None:
    if using_postgres():
        asyncio.run(_pg_admin(next(iter(urls.values())), _drop_statements(urls)))


async def acreate_databases(urls: dict[str, str]) -> None:
    """The same, from inside a running event loop."""
    if using_postgres():
        await _pg_admin(next(iter(urls.values())), _create_statements(urls))


async def adrop_databases(urls: dict[str, str]) -> None:
    if using_postgres():
        await _pg_admin(next(iter(urls.values())), _drop_statements(urls))


async def truncate_all(engine: AsyncEngine, metadata: MetaData) -> None:
    """Empty every table of a service (between tests)."""
    tables = [t.name for t in metadata.sorted_tables]
    if not tables:
        return
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t}"' for t in tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            # Append-only tables (the audit trail) refuse DELETE by trigger: lift and restore.
            triggers = (
                await conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type='trigger'"))
            ).all()
            for name, _ in triggers:
                await conn.execute(text(f'DROP TRIGGER "{name}"'))
            for t in reversed(tables):
                await conn.execute(text(f'DELETE FROM "{t}"'))
            for _, sql in triggers:
                await conn.execute(text(sql))
            has_seq = await conn.execute(
                text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")
            )
            if has_seq.first():
                await conn.execute(text("DELETE FROM sqlite_sequence"))

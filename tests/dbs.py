"""Throwaway databases for the suite: SQLite files, or PostgreSQL when DATABASE_URL says so.

With ``DATABASE_URL=postgresql+asyncpg://user@host:5432/NAME`` each service gets its own
database ``NAME_<service>``, dropped and created at the start and dropped at the end.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

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


# The counter behind the services' ETags (services/common/conditional.py) is never emptied or
# put back by a test's reset: it leaps forward instead, as a service does when it starts, so
# that a gateway kept across tests never takes an answer of an earlier test for current.
KEPT = frozenset({"data_version"})


async def _leap(engine: AsyncEngine, metadata: MetaData) -> None:
    if "data_version" in metadata.tables:
        from services.common.conditional import bump

        await bump(engine, leap=True)


async def truncate_all(engine: AsyncEngine, metadata: MetaData) -> None:
    """Empty every table of a service (between tests)."""
    await _truncate_all(engine, metadata)
    await _leap(engine, metadata)


async def _truncate_all(engine: AsyncEngine, metadata: MetaData) -> None:
    tables = [t.name for t in metadata.sorted_tables if t.name not in KEPT]
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


# --- snapshots: load demo data once, restore it before each test that wants it ---------------


async def _has_sequence(raw: Any) -> bool:
    cur = await raw.execute("SELECT 1 FROM main.sqlite_master WHERE name = 'sqlite_sequence'")
    return await cur.fetchone() is not None


async def snapshot(engine: AsyncEngine, metadata: MetaData, path: str) -> None:
    """Copy every table of a service aside (SQLite: an attached file; PostgreSQL: schema
    ``snap``), so that ``restore`` can put the same rows back quickly."""
    tables = [t.name for t in metadata.sorted_tables if t.name not in KEPT]
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS snap CASCADE"))
            await conn.execute(text("CREATE SCHEMA snap"))
            for t in tables:
                await conn.execute(text(f'CREATE TABLE snap."{t}" AS TABLE public."{t}"'))
        return
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        await raw.execute(f"ATTACH DATABASE '{path}' AS snap")
        try:
            for t in tables:
                await raw.execute(f'DROP TABLE IF EXISTS snap."{t}"')
                await raw.execute(f'CREATE TABLE snap."{t}" AS SELECT * FROM main."{t}"')
            await raw.execute("DROP TABLE IF EXISTS snap.seq")
            if await _has_sequence(raw):
                await raw.execute("CREATE TABLE snap.seq AS SELECT * FROM main.sqlite_sequence")
            await raw.commit()
        finally:
            await raw.execute("DETACH DATABASE snap")


async def restore(engine: AsyncEngine, metadata: MetaData, path: str) -> None:
    """Put back the rows of the last ``snapshot`` (and the id sequences)."""
    await _restore(engine, metadata, path)
    await _leap(engine, metadata)


async def _restore(engine: AsyncEngine, metadata: MetaData, path: str) -> None:
    tables = [t for t in metadata.sorted_tables if t.name not in KEPT]
    names = [t.name for t in tables]
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    f"TRUNCATE {', '.join(f'public.{chr(34)}{n}{chr(34)}' for n in names)} RESTART IDENTITY CASCADE"
                )
            )
            for t in tables:
                await conn.execute(
                    text(f'INSERT INTO public."{t.name}" SELECT * FROM snap."{t.name}"')
                )
                for col in t.primary_key.columns:
                    seq = (
                        await conn.execute(
                            text("SELECT pg_get_serial_sequence(:t, :c)"),
                            {"t": t.name, "c": col.name},
                        )
                    ).scalar()
                    if seq:
                        await conn.execute(
                            text(
                                f'SELECT setval(:s, COALESCE((SELECT MAX("{col.name}") FROM public."{t.name}"), 1), '
                                f'(SELECT MAX("{col.name}") FROM public."{t.name}") IS NOT NULL)'
                            ),
                            {"s": seq},
                        )
        return
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        await raw.execute(f"ATTACH DATABASE '{path}' AS snap")
        try:
            cur = await raw.execute("SELECT name, sql FROM main.sqlite_master WHERE type='trigger'")
            triggers = await cur.fetchall()
            await raw.execute("BEGIN IMMEDIATE")
            for name, _ in triggers:
                await raw.execute(f'DROP TRIGGER main."{name}"')
            for n in reversed(names):
                await raw.execute(f'DELETE FROM main."{n}"')
            for n in names:
                await raw.execute(f'INSERT INTO main."{n}" SELECT * FROM snap."{n}"')
            if await _has_sequence(raw):
                await raw.execute("DELETE FROM main.sqlite_sequence")
                cur = await raw.execute("SELECT 1 FROM snap.sqlite_master WHERE name = 'seq'")
                if await cur.fetchone():
                    await raw.execute("INSERT INTO main.sqlite_sequence SELECT * FROM snap.seq")
            for _, sql in triggers:
                await raw.execute(sql)
            await raw.commit()
        finally:
            await raw.execute("DETACH DATABASE snap")


# --- SQL straight into a database (migration and invariant tests) ------------------------------

Statement = str | tuple[str, dict[str, Any]]


async def run_sql(url: str, *statements: Statement) -> list[list[tuple]]:
    """Run ``statements`` (SQL, or SQL with parameters) in one transaction; each one's rows."""
    engine = create_async_engine(url)
    out = []
    try:
        async with engine.begin() as conn:
            for s in statements:
                sql, params = (s, {}) if isinstance(s, str) else s
                result = await conn.execute(text(sql), params)
                out.append(list(result.all()) if result.returns_rows else [])
    finally:
        await engine.dispose()
    return out


@asynccontextmanager
async def throwaway_database(tmp_path: Path, app: str, name: str) -> AsyncIterator[str]:
    """An empty database of this pass's kind for ``app``: a SQLite file in ``tmp_path``, or
    (PostgreSQL pass) ``<base>_<name>``, created here and dropped afterwards."""
    base = base_url()
    if base is None:
        yield f"sqlite+aiosqlite:///{tmp_path / f'{app}.db'}"
        return
    u = make_url(base)
    url = u.set(database=f"{u.database}_{name}").render_as_string(hide_password=False)
    await asyncio.to_thread(create_databases, {app: url})
    try:
        yield url
    finally:
        await asyncio.to_thread(drop_databases, {app: url})

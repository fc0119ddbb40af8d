"""Alembic, one history per service under migrations/<service>/, driven from Python.

Each service keeps its own version table (alembic_version_<service>), so services can share
a database in tests and still be migrated and deployed alone.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.common.settings import ROOT

MIGRATIONS = ROOT / "migrations"


def version_table(service: str) -> str:
    return f"alembic_version_{service}"


def alembic_config(service: str, url: str | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"), ini_section=service)
    cfg.set_main_option("script_location", str(MIGRATIONS / service))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["service"] = service
    return cfg


def head_revisions(service: str) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(service)).get_heads())


def upgrade(service: str, url: str, revision: str = "head") -> None:
    """Upgrade a service's database (blocking; call through asyncio.to_thread from async code)."""
    command.upgrade(alembic_config(service, url), revision)


def downgrade(service: str, url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(service, url), revision)


async def current_revisions(conn_engine: AsyncEngine, service: str) -> set[str]:
    async with conn_engine.connect() as conn:
        return await conn.run_sync(
            lambda c: set(
                MigrationContext.configure(
                    c, opts={"version_table": version_table(service)}
                ).get_current_heads()
            )
        )


def run_env(service: str, metadata: MetaData) -> None:
    """Body of migrations/<service>/env.py."""
    from alembic import context

    from services.common.settings import sqlite_url

    config = context.config
    url = (
        config.get_main_option("sqlalchemy.url")
        or _service_url_from_env(service)
        or sqlite_url(service)
    )
    render_batch = url.startswith("sqlite")
    opts = dict(
        target_metadata=metadata,
        version_table=version_table(service),
        render_as_batch=render_batch,
        compare_type=True,
    )

    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **opts)
        with context.begin_transaction():
            context.run_migrations()
        return

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, **opts)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
            await connection.commit()
        await engine.dispose()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(run_async())
    else:  # called from inside an event loop: run in a fresh thread with its own loop
        import threading

        errors: list[BaseException] = []

        def target() -> None:
            try:
                asyncio.run(run_async())
            except BaseException as exc:
                errors.append(exc)

        t = threading.Thread(target=target)
        t.start()
        t.join()
        if errors:
            raise errors[0]


def _service_url_from_env(service: str) -> str | None:
    import os

    return os.environ.get(f"{service.upper()}_DATABASE_URL")


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))

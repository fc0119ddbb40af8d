"""Models and migrations agree (an `alembic check` per service), and histories go down and up."""

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from services.common import migrate
from tests.conftest import metadata_of
from tests.dbs import DATABASES


@pytest.mark.parametrize("service", DATABASES)
async def test_models_match_migrations(service: str, db_urls: dict[str, str]) -> None:
    metadata = metadata_of(service)
    engine = create_async_engine(db_urls[service])

    def diff(conn):  # type: ignore[no-untyped-def]
        ctx = MigrationContext.configure(
            conn,
            opts={"compare_type": True, "version_table": migrate.version_table(service)},
        )
        return compare_metadata(ctx, metadata)

    async with engine.connect() as conn:
        changes = await conn.run_sync(diff)
    await engine.dispose()
    assert changes == [], f"{service}: models and migrations differ: {changes}"


@pytest.mark.parametrize("service", DATABASES)
async def test_down_and_up_again(service: str, tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / f'{service}.db'}"
    await asyncio.to_thread(migrate.upgrade, service, url)
    await asyncio.to_thread(migrate.downgrade, service, url, "base")
    await asyncio.to_thread(migrate.upgrade, service, url)
    engine = create_async_engine(url)
    assert await migrate.current_revisions(engine, service) == migrate.head_revisions(service)
    await engine.dispose()

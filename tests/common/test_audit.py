"""The audit trail records every write with its actor and refuses to be altered."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Field

from services.common import audit
from services.common.actor import current_actor
from services.common.db import Database
from services.common.models import Tracked, make_base
from tests import dbs
from tests.helpers import actor

Base = make_base("audittest")


class Thing(Tracked, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "thing"
    id: int | None = Field(default=None, primary_key=True)
    name: str
    size: int = 0


AUDIT = audit.audit_table(Base.metadata)


@pytest.fixture
async def db(tmp_path):
    if dbs.using_postgres():
        url = dbs.service_urls(tmp_path)["indicators"].rsplit("_", 1)[0] + "_audittest"
        await dbs.acreate_databases({"audittest": url})
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    database = Database(url, audit=AUDIT)
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        for stmt in audit.append_only_ddl(database.engine.dialect.name):
            await conn.execute(text(stmt))
    yield database
    await database.dispose()
    if dbs.using_postgres():
        await dbs.adrop_databases({"audittest": url})


async def rows(db: Database) -> list[dict]:
    async with db.engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(select(AUDIT).order_by(AUDIT.c.id))]


class TestAuditTrail:
    async def test_create_update_delete_are_recorded_with_the_actor(self, db: Database) -> None:
        token = current_actor.set(actor("coordinator"))
        try:
            async with db.session(write=True) as s:
                t = Thing(name="研修", size=3)
                s.add(t)
                await s.commit()
                t.size = 5
                await s.commit()
                await s.delete(t)
                await s.commit()
        finally:
            current_actor.reset(token)
        log = await rows(db)
        assert [r["action"] for r in log] == ["create", "update", "delete"]
        assert {r["entity_type"] for r in log} == {"Thing"}
        assert {r["entity_id"] for r in log} == {"1"}
        assert all(
            r["actor_id"] == "u-coordinator" and r["actor_role"] == "coordinator" for r in log
        )
        assert log[0]["changes"]["name"] == [None, "研修"]
        assert log[1]["changes"] == {"size": [3, 5]}
        assert log[2]["changes"]["size"] == [5, None]

    async def test_writes_outside_a_request_are_by_system(self, db: Database) -> None:
        async with db.session(write=True) as s:
            s.add(Thing(name="x"))
            await s.commit()
        assert (await rows(db))[0]["actor_id"] == "system"

    async def test_notes_and_explicit_events(self, db: Database) -> None:
        async with db.session(write=True) as s:
            await audit.record_event(
                s,
                AUDIT,
                entity_type="ScoreImport",
                entity_id="7",
                action="import",
                file_name="scores.csv",
                sha256="ab" * 32,
                rows=174_100,
            )
            await s.commit()
        row = (await rows(db))[0]
        assert row["action"] == "import"
        assert row["note"] == {"file_name": "scores.csv", "sha256": "ab" * 32, "rows": 174100}

    @pytest.mark.parametrize(
        "statement", ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"]
    )
    async def test_the_database_refuses_to_alter_it(self, db: Database, statement: str) -> None:
        async with db.session(write=True) as s:
            s.add(Thing(name="x"))
            await s.commit()
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.engine.begin() as conn:
                await conn.execute(text(statement))
        assert len(await rows(db)) == 1

"""The database keeps the invariants: the invariants migrations repair rows stored in
violation, then CHECK constraints refuse a bad row from any path (here: SQL straight into the
database)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from services.common import migrate
from tests import dbs
from tests.training.factories import program, session

TRACKED = "created_at, created_by, updated_at, updated_by, version"
NOW = "'2025-01-01 00:00:00', 'x', '2025-01-01 00:00:00', 'x', 1"


async def test_training_repair_then_constraints(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'training.db'}"
    await asyncio.to_thread(migrate.upgrade, "training", url, "da236f58d5f0")
    await dbs.run_sql(
        url,
        f"INSERT INTO training_session (id, program_id, title, format, venue, meeting_url,"
        f" recording_url, capacity, municipality_quota, first_date, last_date, {TRACKED})"
        f" VALUES (1, 1, '', '会場', '', '', '', 0, 0, '2025-07-10', '2025-07-01', {NOW})",
        'INSERT INTO session_day (id, session_id, day_no, date, start, "end")'
        " VALUES (1, 1, 1, '2025-07-10', '13:30:00.000000', '00:00:00.000000')",
        f"INSERT INTO target (id, name, metric, fy_from, fy_to, value, {TRACKED})"
        f" VALUES (1, 't', 'completers', 2090, 2024, 0, {NOW})",
    )
    await asyncio.to_thread(migrate.upgrade, "training", url)
    rows = await dbs.run_sql(
        url,
        "SELECT capacity, municipality_quota, first_date, last_date FROM training_session",
        'SELECT start, "end" FROM session_day',
        "SELECT fy_from, fy_to, value FROM target",
    )
    assert rows[0] == [(1, None, "2025-07-01", "2025-07-10")]
    assert rows[1] == [("13:30:00.000000", "23:59:59.000000")]
    assert rows[2] == [(2024, 2090, 1)]
    for bad in (
        "UPDATE training_session SET capacity = 0",
        "UPDATE session_day SET \"end\" = '01:00:00.000000'",
        "UPDATE target SET fy_from = 2095, fy_to = 2091",
        "UPDATE target SET fy_to = 2190",
    ):
        with pytest.raises(IntegrityError):
            await dbs.run_sql(url, bad)


async def test_support_cases_repair_then_constraints(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'support_cases.db'}"
    await asyncio.to_thread(migrate.upgrade, "support_cases", url, "5c1e0a7b2f16")
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        cols = await conn.run_sync(
            lambda c: {
                t: [col["name"] for col in __import__("sqlalchemy").inspect(c).get_columns(t)]
                for t in ("roadmap_item", "visit", "application")
            }
        )
    await engine.dispose()
    assert "issues_found" in cols["visit"] and "wished_themes" in cols["application"]
    # Rows straight into the tables, as an older version could have stored them: foreign keys
    # are not enforced by SQLite here, so only the columns under test need real values.
    await dbs.run_sql(
        url,
        "PRAGMA foreign_keys = OFF",
        f"INSERT INTO roadmap_item (id, case_id, initiative_id, owner, start_month, end_month,"
        f" milestones, kpi_custom, kpi_unit, verification_method, status, progress_notes,"
        f" {TRACKED}) VALUES (1, 1, 1, '', '0000-01', '2025-03', '[]', '', '', '', '未着手', '[]',"
        f" {NOW})",
    )
    await asyncio.to_thread(migrate.upgrade, "support_cases", url)
    [rows] = await dbs.run_sql(url, "SELECT start_month, end_month FROM roadmap_item")
    assert rows == [("2025-03", "2025-03")]
    with pytest.raises(IntegrityError):
        await dbs.run_sql(url, "UPDATE roadmap_item SET start_month = '0000-01'")
    with pytest.raises(IntegrityError):
        await dbs.run_sql(url, "UPDATE roadmap_item SET start_month = '2026-01'")  # after the end


async def test_constraint_holds_on_this_database(training) -> None:
    """On the suite's database (SQLite, or PostgreSQL in the PostgreSQL pass): a bad value
    written past the models is refused and nothing changes; the error handler reads the
    refusal as a rule violation (answered 422, not 409 or 500)."""
    from services.common.errors import _is_rule_violation

    async with training.client() as c:
        p = await program(c)
        s = await session(c, p["id"], capacity=5)
    with pytest.raises(IntegrityError) as refused:
        async with training.db.engine.begin() as conn:
            await conn.execute(text("UPDATE training_session SET capacity = 0"))
    assert _is_rule_violation(refused.value)
    async with training.client() as c:
        assert (await c.get(f"/api/v1/sessions/{s['id']}")).json()["capacity"] == 5

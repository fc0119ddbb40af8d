"""The indicators database keeps the invariants (migration 8c4f2a6e1d30): rows stored in
violation by an older version are repaired, then CHECK constraints refuse a bad row from any
path (SQL straight into the database here), on SQLite and, in the PostgreSQL pass, on
PostgreSQL; the kernel reads such a refusal as a rule violation (422, nothing written)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request

from services.common import migrate
from services.common.errors import _db_unavailable, _is_rule_violation
from tests import dbs

BEFORE = "5b7e2c9d1a40"  # the indicators head before the invariants
TRACKED = "created_at, created_by, updated_at, updated_by, version"
NOW = "'2025-01-01 00:00:00+00', 'x', '2025-01-01 00:00:00+00', 'x', 1"


@pytest.fixture
async def fresh_url(tmp_path) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """An empty database of this pass's kind (SQLite file, or a throwaway PostgreSQL one)."""
    async with dbs.throwaway_database(tmp_path, "indicators", "indicators_invariants") as url:
        yield url


BAD_ROWS = [
    f'INSERT INTO framework (id, code, name, "grant", level, grant_fy, evaluation_fy, max_points,'
    f" {TRACKED}) VALUES (1, 'f', 'f', 'suishin', 'municipality', 2024, 2023, 10, {NOW})",
    "INSERT INTO category (id, framework_id, code, name, max_points, position)"
    " VALUES (1, 1, 'c', 'c', 10, 0)",
    "INSERT INTO item (id, framework_id, category_id, code, text, max_points, min_points, shared,"
    " note, position) VALUES (1, 1, 1, 'i', 'i', -10, 5, false, '', 0)",
    f"INSERT INTO pdca_sheet (id, entity_code, title, start_fy, end_fy, items, {TRACKED})"
    f" VALUES (1, '132012', 't', 2026, 2024, '[]', {NOW})",
    f"INSERT INTO centre (id, municipality_code, name, opened_fy, closed_fy, sample, {TRACKED})"
    f" VALUES (1, '132012', 'c', 2030, 1900, false, {NOW})",
    f"INSERT INTO centre_year (id, centre_id, fiscal_year, operation, operator, area_served,"
    f" staff, staff_total, note, {TRACKED})"
    f" VALUES (1, 1, 2024, '外注', '', '', '{{}}', -2, '', {NOW})",
    f"INSERT INTO regional_measure (code, name, unit, category, favourable_direction, decimals,"
    f" integer, min_value, max_value, aliases, sort_order, origin, {TRACKED})"
    f" VALUES ('m', 'm', '%', '', 'up', -1, false, 100, 0, '[]', 0, 'x', {NOW})",
    f'INSERT INTO allocation_input (id, "grant", grant_fy, entity_code, first_insured, requested,'
    f" {TRACKED}) VALUES (1, 'suishin', 2024, '132012', -5, -1, {NOW})",
]


async def test_repair_then_constraints(fresh_url: str) -> None:
    url = fresh_url
    await asyncio.to_thread(migrate.upgrade, "indicators", url, BEFORE)
    await dbs.run_sql(url, *BAD_ROWS)
    await asyncio.to_thread(migrate.upgrade, "indicators", url)
    rows = await dbs.run_sql(
        url,
        "SELECT min_points, max_points FROM item",
        "SELECT start_fy, end_fy FROM pdca_sheet",
        "SELECT opened_fy, closed_fy FROM centre",
        "SELECT operation, staff_total FROM centre_year",
        "SELECT favourable_direction, decimals, min_value, max_value, origin FROM regional_measure",
        "SELECT first_insured, requested FROM allocation_input",
    )
    assert rows[0] == [(-10, 5)]  # swapped
    assert rows[1] == [(2024, 2026)]  # swapped
    assert rows[2] == [(None, 2030)]  # swapped, then the year out of range dropped
    assert rows[3] == [("直営", 0)]
    assert rows[4] == [(None, 0, 0, 100, "user")]
    assert rows[5] == [(0, 0)]
    for bad in (
        "UPDATE item SET min_points = 20",
        "UPDATE pdca_sheet SET end_fy = 2020",
        "UPDATE centre SET opened_fy = 2031",
        "UPDATE centre_year SET operation = '外注'",
        "UPDATE centre_year SET staff_total = -1",
        "UPDATE regional_measure SET favourable_direction = 'up'",
        "UPDATE regional_measure SET max_value = -1",
        "UPDATE allocation_input SET first_insured = -1",
        "UPDATE framework SET grant_fy = 2017",
        "UPDATE framework SET evaluation_fy = 2101",
    ):
        with pytest.raises(IntegrityError) as refused:
            await dbs.run_sql(url, bad)
        assert _is_rule_violation(refused.value), bad
    # nothing of the refused statements was written
    assert (await dbs.run_sql(url, "SELECT min_points, max_points FROM item"))[0] == [(-10, 5)]
    # and down again (the constraints dropped), then up
    await asyncio.to_thread(migrate.downgrade, "indicators", url, BEFORE)
    await dbs.run_sql(url, "UPDATE pdca_sheet SET end_fy = 2020")
    await dbs.run_sql(url, "UPDATE pdca_sheet SET end_fy = 2026")
    await asyncio.to_thread(migrate.upgrade, "indicators", url)


async def test_refusal_answers_422(demo) -> None:  # type: ignore[no-untyped-def]
    """On the suite's database with the demo: a bad value written past the models is refused by
    the database, the kernel answers 422 and the record reads as before."""
    indicators = demo["indicators"]
    async with indicators.client("admin") as c:
        sheets = (await c.get("/api/v1/pdca/sheets")).json()
        sheet = sheets[0]
    with pytest.raises(IntegrityError) as refused:
        async with indicators.db.engine.begin() as conn:
            await conn.execute(
                text("UPDATE pdca_sheet SET start_fy = end_fy + 1 WHERE id = :id"),
                {"id": sheet["id"]},
            )
    assert _is_rule_violation(refused.value)
    answer = await _db_unavailable(
        Request({"type": "http", "method": "PUT", "path": "/x", "headers": []}), refused.value
    )
    assert answer.status_code == 422, answer.body
    async with indicators.client("admin") as c:
        after = (await c.get(f"/api/v1/pdca/sheets/{sheet['id']}")).json()
    assert (after["start_fy"], after["end_fy"]) == (sheet["start_fy"], sheet["end_fy"])

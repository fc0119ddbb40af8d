"""The prefecture's deduction rule per grant × year keeps concurrent edits (issue #15): it carries
a ``version`` like every other editable record; a write made against an older version (or none,
when the year's rule exists) is refused with 409 and changes nothing — neither the rule nor the
deduction derived from it. On SQLite and, in the PostgreSQL pass, on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.common import migrate
from tests import dbs
from tests.indicators.factories import CHIYODA, make_framework, put_scores, tiny_framework

SRC = {"document": "試験用資料", "date": "2026-04-01", "page": "12"}
URL = "/api/v1/deduction-rules/suishin/2021"
BEFORE = "8c4f2a6e1d30"  # the indicators head before the deduction rule had a version


def rule(**kw):  # type: ignore[no-untyped-def]
    body = {
        "item_code": "d",
        "threshold": 0.3,
        "points": -5,
        "wording": "得点率が3割以下の市町村がある場合 -5",
        "source": SRC,
    }
    return body | kw


async def rules(c) -> list[dict]:  # type: ignore[no-untyped-def]
    r = await c.get("/api/v1/deduction-rules")
    assert r.status_code == 200, r.text
    return r.json()


async def tokyo(c, pref: int) -> dict:  # type: ignore[no-untyped-def]
    view = (await c.get(f"/api/v1/frameworks/{pref}/deduction")).json()
    return next(p for p in view["prefectures"] if p["prefecture_code"] == "130001")


async def scored_pair(c) -> int:  # type: ignore[no-untyped-def]
    """FY2021 municipal and prefecture frameworks; 千代田区 at 5/30 (≈ 0.17)."""
    muni = await make_framework(c, 2021)
    r = await c.post(
        "/api/v1/frameworks", json=tiny_framework(2021, code="test-pref-2021", level="prefecture")
    )
    assert r.status_code == 201, r.text
    await put_scores(c, muni, {CHIYODA: {"a": 5}})
    return r.json()["id"]


class TestVersion:
    async def test_create_without_version_then_update_with_it(self, indicators) -> None:
        async with indicators.client() as c:
            created = await c.put(URL, json=rule())
            assert created.status_code == 200, created.text
            assert created.json()["version"] == 1
            updated = await c.put(URL, json=rule(points=-7, version=1))
            assert updated.status_code == 200, updated.text
            listed = await rules(c)
        assert (updated.json()["version"], updated.json()["points"]) == (2, -7)
        assert [(x["grant_fy"], x["points"], x["version"]) for x in listed] == [(2021, -7, 2)]

    async def test_null_version_creates_too(self, indicators) -> None:
        async with indicators.client() as c:
            r = await c.put(URL, json=rule(version=None))
            assert r.status_code == 200, r.text
            assert [x["version"] for x in await rules(c)] == [1]

    async def test_a_stale_version_is_refused_and_nothing_changes(self, indicators) -> None:
        async with indicators.client() as c:
            pref = await scored_pair(c)
            assert (await c.put(URL, json=rule())).status_code == 200
            assert (
                await c.put(URL, json=rule(wording="二人目の保存", version=1))
            ).status_code == 200
            before, derived = await rules(c), await tokyo(c, pref)
            # written against version 1 (another person saved version 2 meanwhile): a threshold
            # under 千代田区's rate would take the deduction away if it were written
            stale = await c.put(URL, json=rule(threshold=0.1, points=-9, version=1))
            after, derived_after = await rules(c), await tokyo(c, pref)
        assert stale.status_code == 409, stale.text
        assert stale.headers["content-type"].startswith("application/problem+json")
        problem = stale.json()
        assert "2021年度の減点の規則" in problem["detail"]
        assert "読み込み直" in problem["detail"]
        assert problem.get("current_version") == 2
        assert after == before and before[0]["version"] == 2
        assert before[0]["wording"] == "二人目の保存" and before[0]["threshold"] == 0.3
        assert derived_after == derived
        assert (derived["points"], [t["entity_code"] for t in derived["triggered_by"]]) == (
            -5,
            [CHIYODA],
        )

    async def test_an_existing_rule_needs_a_version(self, indicators) -> None:
        async with indicators.client() as c:
            assert (await c.put(URL, json=rule())).status_code == 200
            before = await rules(c)
            r = await c.put(URL, json=rule(points=-9))
            after = await rules(c)
        assert r.status_code == 409, r.text
        assert "既にあります" in r.json()["detail"] and "読み込み直" in r.json()["detail"]
        assert after == before and before[0]["points"] == -5

    async def test_a_version_below_one_is_invalid(self, indicators) -> None:
        async with indicators.client() as c:
            assert (await c.put(URL, json=rule())).status_code == 200
            before = await rules(c)
            r = await c.put(URL, json=rule(points=-9, version=0))
            assert r.status_code == 422, r.text
            assert await rules(c) == before

    async def test_two_saves_of_the_same_version_at_once_keep_one(self, indicators) -> None:
        """Two people save the rule they both read at version 1 (PostgreSQL: really at once,
        the row lock orders them): one is written, the other gets 409."""
        async with indicators.client() as c:
            assert (await c.put(URL, json=rule())).status_code == 200
            first, second = await asyncio.gather(
                c.put(URL, json=rule(points=-6, version=1)),
                c.put(URL, json=rule(points=-8, version=1)),
            )
            (stored,) = await rules(c)
        assert sorted([first.status_code, second.status_code]) == [200, 409]
        winner = first if first.status_code == 200 else second
        assert stored["version"] == 2 and stored["points"] == winner.json()["points"]


@pytest.fixture
async def fresh_url(tmp_path) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """An empty database of this pass's kind (SQLite file, or a throwaway PostgreSQL one)."""
    async with dbs.throwaway_database(tmp_path, "indicators", "indicators_rule_version") as url:
        yield url


async def test_the_migration_gives_stored_rules_version_1(fresh_url: str) -> None:
    """Rules stored before the migration start at version 1, and the table keeps its CHECK
    constraints through the way down (SQLite copies the table there)."""
    await asyncio.to_thread(migrate.upgrade, "indicators", fresh_url, BEFORE)
    insert = text(
        'INSERT INTO deduction_rule (id, "grant", grant_fy, item_code, threshold, points, wording,'
        " state, source_document, source_page)"
        " VALUES (1, 'suishin', 2019, 'Ⅲ-②', 0.3, -10, 'w', 'provisional', 'd', '')"
    )
    engine = create_async_engine(fresh_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert)
        await asyncio.to_thread(migrate.upgrade, "indicators", fresh_url)
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT id, version FROM deduction_rule"))).all()
        assert [tuple(r) for r in rows] == [(1, 1)]
        await asyncio.to_thread(migrate.downgrade, "indicators", fresh_url, BEFORE)
        async with engine.begin() as conn:
            bad = text(
                'INSERT INTO deduction_rule (id, "grant", grant_fy, item_code, threshold, points,'
                " wording, state, source_document, source_page)"
                " VALUES (2, 'suishin', 2020, 'x', 0.3, 5, 'w', 'provisional', 'd', '')"
            )
            with pytest.raises(Exception, match="(?i)check|constraint"):
                await conn.execute(bad)
    finally:
        await engine.dispose()

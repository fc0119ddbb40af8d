"""Conditional reads (services/common/conditional.py): the data version counts committed writes
only, a 200 GET carries an ETag, If-None-Match answers 304 until something it covers changes —
a write, another actor, another query — and the gateway's client reuses the kept answer only
on a 304."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from services.common.conditional import bump
from tests.conftest import auth


async def _version(h) -> int:  # type: ignore[no-untyped-def]
    from services.training.tables import data_version

    async with h.db.engine.connect() as conn:
        return (await conn.execute(select(data_version.c.n))).scalar_one()


PROGRAM = {
    "name": "条件付き読み取りの研修",
    "kind": "地域ケア会議 司会者・助言者養成",
    "fiscal_year": 2026,
}


async def test_version_counts_committed_writes_only(training) -> None:  # type: ignore[no-untyped-def]
    async with training.client("coordinator") as c:
        v0 = await _version(training)
        assert (await c.get("/api/v1/programs")).status_code == 200
        assert await _version(training) == v0, "a read does not count"
        bad = await c.post("/api/v1/programs", json={**PROGRAM, "fiscal_year": 1900})
        assert bad.status_code == 422
        assert await _version(training) == v0, "a refused write does not count"
        ok = await c.post("/api/v1/programs", json=PROGRAM)
        assert ok.status_code == 201, ok.text
        assert await _version(training) == v0 + 1
    await bump(training.db.engine)
    assert await _version(training) == v0 + 2


async def test_etag_and_304_until_a_write(training) -> None:  # type: ignore[no-untyped-def]
    async with training.client("coordinator") as c:
        first = await c.get("/api/v1/programs")
        assert first.status_code == 200
        tag = first.headers["etag"]
        assert tag.startswith('W/"')
        again = await c.get("/api/v1/programs", headers={"If-None-Match": tag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == tag
        # another query, another answer
        other = await c.get("/api/v1/programs?fiscal_year=2026", headers={"If-None-Match": tag})
        assert other.status_code == 200
        # a write: the kept answer no longer holds, and the new one shows the write
        assert (await c.post("/api/v1/programs", json=PROGRAM)).status_code == 201
        after = await c.get("/api/v1/programs", headers={"If-None-Match": tag})
        assert after.status_code == 200
        assert after.headers["etag"] != tag
        assert any(p["name"] == PROGRAM["name"] for p in after.json())
    # another actor never gets a 304 for this actor's ETag
    async with training.client("viewer") as v:
        theirs = await v.get("/api/v1/programs", headers={"If-None-Match": after.headers["etag"]})
        assert theirs.status_code == 200
    # no valid token: the route's own 401, never a 304
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=training.app), base_url="http://training"
    ) as anon:
        r = await anon.get("/api/v1/programs", headers={"If-None-Match": after.headers["etag"]})
        assert r.status_code == 401
        bad = {**auth("coordinator"), "If-None-Match": after.headers["etag"]}
        bad["Authorization"] += "x"
        assert (await anon.get("/api/v1/programs", headers=bad)).status_code == 401


async def test_refused_answers_carry_no_etag(training) -> None:  # type: ignore[no-untyped-def]
    async with training.client("coordinator") as c:
        r = await c.get("/api/v1/programs/999999")
        assert r.status_code == 404
        assert "etag" not in r.headers

"""Every service keeps an append-only audit trail of its writes, readable by admins only."""

import hashlib

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.indicators.shipped import load_shipped
from tests.conftest import ServiceHarness


async def audit(h: ServiceHarness, **params):  # type: ignore[no-untyped-def]
    async with h.client("admin") as c:
        r = await c.get("/api/v1/audit", params=params)
    assert r.status_code == 200, r.text
    return r.json()


class TestWritesAreRecorded:
    async def test_create_and_update_with_actor_and_changed_fields(
        self, training: ServiceHarness
    ) -> None:
        async with training.client() as c:
            p = await c.post(
                "/api/v1/programs",
                json={
                    "name": "全体研修",
                    "kind": "全体研修・情報交換会",
                    "fiscal_year": 2025,
                    "region": "全域",
                },
            )
            assert p.status_code == 201, p.text
            pid = p.json()["id"]
            r = await c.patch(
                f"/api/v1/programs/{pid}", json={"version": 1, "name": "全体研修 (第2回)"}
            )
            assert r.status_code == 200, r.text
        rows = await audit(training, entity_type="Program", entity_id=str(pid))
        assert [r["action"] for r in rows] == ["update", "create"]
        assert all(
            r["actor_id"] == "u-coordinator" and r["actor_role"] == "coordinator" for r in rows
        )
        assert rows[0]["changes"]["name"] == ["全体研修", "全体研修 (第2回)"]
        assert rows[1]["changes"]["kind"] == [None, "全体研修・情報交換会"]
        assert rows[0]["request_id"]

    async def test_score_import_records_file_hash_and_rows(
        self, indicators: ServiceHarness
    ) -> None:
        async with indicators.db.session(write=True) as s:
            await load_shipped(s)
            await s.commit()
        async with indicators.client() as c:
            fw = next(
                f for f in (await c.get("/api/v1/frameworks")).json() if f["level"] == "prefecture"
            )
            detail = (await c.get(f"/api/v1/frameworks/{fw['id']}")).json()
            first_item = (
                detail["categories"][0]["items"][0]["code"]
                if detail["categories"][0]["items"]
                else None
            )
            if first_item is None:
                first_item = detail["categories"][0]["categories"][0]["items"][0]["code"]
            content = f"団体コード,指標コード,得点\n130001,{first_item},0\n".encode()
            r = await c.post(
                f"/api/v1/frameworks/{fw['id']}/scores/import",
                files={"file": ("scores.csv", content, "text/csv")},
            )
            assert r.status_code == 200, r.text
        rows = await audit(indicators, entity_type="Scores", entity_id=str(fw["id"]))
        assert rows[0]["action"] == "import"
        assert rows[0]["note"]["file_name"] == "scores.csv"
        assert rows[0]["note"]["sha256"] == hashlib.sha256(content).hexdigest()
        assert rows[0]["note"]["rows"] == 1


class TestOnlyAdminsRead:
    @pytest.mark.parametrize("role", ["coordinator", "advisor", "viewer", "api_client"])
    async def test_others_are_refused(self, support_cases: ServiceHarness, role: str) -> None:
        async with support_cases.client(role) as c:
            assert (await c.get("/api/v1/audit")).status_code == 403

    async def test_municipality_is_refused(self, support_cases: ServiceHarness) -> None:
        async with support_cases.client("municipality", "131016") as c:
            assert (await c.get("/api/v1/audit")).status_code == 403


class TestCannotBeAltered:
    @pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "POST"])
    async def test_no_write_path_in_the_api(self, training: ServiceHarness, method: str) -> None:
        async with training.client("admin") as c:
            r = await c.request(method, "/api/v1/audit", json={})
            assert r.status_code == 405
            r = await c.request(method, "/api/v1/audit/1", json={})
            assert r.status_code in (404, 405)

    @pytest.mark.parametrize(
        "statement", ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"]
    )
    async def test_the_database_refuses(self, training: ServiceHarness, statement: str) -> None:
        async with training.client() as c:
            await c.post(
                "/api/v1/programs",
                json={
                    "name": "研修",
                    "kind": "全体研修・情報交換会",
                    "fiscal_year": 2025,
                    "region": "全域",
                },
            )
        with pytest.raises(DBAPIError, match="append-only"):
            async with training.db.engine.begin() as conn:
                await conn.execute(text(statement))
        assert len(await audit(training)) == 1

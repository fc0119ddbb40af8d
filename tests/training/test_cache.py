"""The read cache in front of the stored figures: an answer is served again only while no write
happened (the database's write generation), for the same actor scope and the same Tokyo day."""

from __future__ import annotations

from datetime import date, datetime

from services.common import clock
from tests.training.factories import CHIYODA, CHUO, program, register, session


class TestReadCache:
    async def test_a_write_of_any_kind_is_seen_by_the_next_read(self, training):
        async with training.client() as c:
            p = await program(c)
            s = await session(c, p["id"], days=[date(2025, 6, 10)], capacity=5)
            first = (await c.get("/api/v1/views/programs", params={"fiscal_year": 2025})).json()
            again = (await c.get("/api/v1/views/programs", params={"fiscal_year": 2025})).json()
            assert again == first and first["targets"] == []
            await c.post(
                "/api/v1/targets",
                json={
                    "name": "年1回",
                    "kind": p["kind"],
                    "metric": "sessions_per_year",
                    "fy_from": 2025,
                    "fy_to": 2025,
                    "value": 1,
                },
            )
            after_target = (
                await c.get("/api/v1/views/programs", params={"fiscal_year": 2025})
            ).json()
            assert [t["name"] for t in after_target["targets"]] == ["年1回"]
            await register(c, s["id"], 1)
            after_reg = (await c.get("/api/v1/views/programs", params={"fiscal_year": 2025})).json()
            assert after_reg["sessions"][0]["confirmed"] == 1
            assert after_reg["demand"]["sessions"][0]["applicants"] == 1

    async def test_answers_are_kept_apart_by_actor_scope(self, training):
        async with training.client() as c:
            p = await program(c)
            s = await session(c, p["id"], days=[date(2025, 6, 10)], capacity=5)
            await register(c, s["id"], 1, code=CHIYODA)
            await register(c, s["id"], 2, code=CHUO)
            everyone = (await c.get("/api/v1/participation", params={"fiscal_year": 2025})).json()
        async with training.client("municipality", CHUO) as m:
            own = (await m.get("/api/v1/participation", params={"fiscal_year": 2025})).json()
        assert len(everyone["municipalities"]) == 62
        assert [(r["municipality_code"], r["registrations"]) for r in own["municipalities"]] == [
            (CHUO, 1)
        ]

    async def test_a_new_day_changes_what_was_held_without_any_write(self, training):
        async with training.client() as c:
            p = await program(c)
            await session(c, p["id"], days=[date(2025, 6, 10)], capacity=5)
            with clock.frozen_at(datetime(2025, 6, 9, 23, 0)):
                before = (await c.get("/api/v1/stats", params={"fiscal_year": 2025})).json()
            with clock.frozen_at(datetime(2025, 6, 10, 0, 30)):
                on_the_day = (await c.get("/api/v1/stats", params={"fiscal_year": 2025})).json()
        assert before["sessions_held_by_kind"][p["kind"]] == 0
        assert on_the_day["sessions_held_by_kind"][p["kind"]] == 1

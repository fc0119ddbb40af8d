"""The demo data loads once and shows what the issue asks for."""

from __future__ import annotations

from services.training import demo


class TestDemo:
    async def test_loads_once_with_waitlists_targets_and_an_overdue_step(self, training):
        async with training.db.session(write=True) as s:
            assert (await demo.load(s)).startswith("研修 9件")
            await s.commit()
        async with training.db.session(write=True) as s:
            assert await demo.load(s) is None
        async with training.client() as c:
            sessions = (await c.get("/api/v1/sessions")).json()
            assert any(x["waitlisted"] > 0 and x["confirmed"] == x["capacity"] for x in sessions)
            kinds = {p["kind"] for p in (await c.get("/api/v1/programs")).json()}
            assert len(kinds) == 8
            targets = (await c.get("/api/v1/targets")).json()
            completers = next(t for t in targets if t["metric"] == "completers")
            assert 0 < completers["actual"] < completers["value"]
            overdue = (await c.get("/api/v1/kotei-hyo/overdue")).json()
            assert [o["municipality_code"] for o in overdue] == ["133078"]
            status = (await c.get("/api/v1/kotei-hyo/status")).json()
            assert [(x["municipality_code"], x["status"]) for x in status] == [
                ("133078", "遅れ"),
                ("133086", "予定通り"),
            ]

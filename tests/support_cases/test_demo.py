"""The demo data loads once and shows what the issue promises."""

from datetime import date

from services.common.fiscal import fiscal_year_of
from services.support_cases import demo
from tests.support_cases.factories import ok


async def test_demo_loads_once_with_three_cases_at_different_stages(support_cases):
    async with support_cases.db.session(write=True) as s:
        assert await demo.load(s) is not None
        await s.commit()
    async with support_cases.db.session(write=True) as s:
        assert await demo.load(s) is None
    fy = fiscal_year_of(date.today())
    async with support_cases.client() as c:
        rows = await ok(await c.get("/api/v1/cases", params={"fiscal_year": fy}))
        summary = await ok(await c.get(f"/api/v1/rounds/{fy}/summary"))
        city = next(r for r in rows if r["municipality_code"] == "132012")
        tree = await ok(await c.get(f"/api/v1/cases/{city['id']}/tree"))
        visits = await ok(await c.get(f"/api/v1/cases/{city['id']}/visits"))
        snaps = await ok(await c.get(f"/api/v1/cases/{city['id']}/tree/snapshots"))
        report = await c.get(f"/api/v1/cases/{city['id']}/report.docx")
    assert {r["region_class"]: r["status"] for r in rows} == {
        "区部": "ヒアリング",
        "市部": "実施・検証",
        "町村部": "選定",
    }
    assert summary["applications"] == 6
    assert summary["selected_by_region_class"] == {"区部": 1, "市部": 1, "町村部": 1}
    assert summary["advisor_dispatches"] == 3
    assert summary["advisor_hours"] == 8.0
    assert tree["max_depth"] == 2  # three levels: problem, causes, sub-causes
    assert len(visits) == 2 and all(v["notes"] for v in visits)
    assert [s["node_count"] for s in snaps] == [5]  # the second hearing froze the built tree
    assert city["roadmap_items"] == 1
    assert report.status_code == 200

"""Results are cached per framework until its scores change: a write is seen at once."""

from services.indicators.shipped import load_shipped
from tests.conftest import ServiceHarness


async def _first_leaf(c, fid: int) -> str:  # type: ignore[no-untyped-def]
    detail = (await c.get(f"/api/v1/frameworks/{fid}")).json()
    stack = list(detail["categories"])
    while stack:
        cat = stack.pop(0)
        for item in cat["items"]:
            if item["max_points"] >= 5:
                return item["code"]
        stack = cat["categories"] + stack
    raise AssertionError("no item")


async def test_a_score_write_is_seen_by_the_next_results(indicators: ServiceHarness) -> None:
    async with indicators.db.session(write=True) as s:
        await load_shipped(s)
        await s.commit()
    async with indicators.client() as c:
        fw = next(
            f for f in (await c.get("/api/v1/frameworks")).json() if f["level"] == "prefecture"
        )
        item = await _first_leaf(c, fw["id"])
        totals = []
        for points in (5, 3, 4):
            r = await c.put(
                f"/api/v1/frameworks/{fw['id']}/scores",
                json={"scores": [{"entity_code": "130001", "item_code": item, "points": points}]},
            )
            assert r.status_code == 200, r.text
            res = (
                await c.get(
                    f"/api/v1/frameworks/{fw['id']}/results", params={"entity_code": "130001"}
                )
            ).json()
            totals.append(res["entities"][0]["total"])
            # and a second read (from the cache) agrees
            again = (
                await c.get(
                    f"/api/v1/frameworks/{fw['id']}/results", params={"entity_code": "130001"}
                )
            ).json()
            assert again["entities"][0]["total"] == totals[-1]
        assert totals == [5, 3, 4]

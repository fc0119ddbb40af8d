"""Results integration (#15): insurer numbers on every result entity, the national mean said
for what it is beside the published 全国平均, the prefecture's deduction from the stored rule,
provisional points in 取り戻す指標 and the what-if."""

from __future__ import annotations

import pytest

from services.common.registry import get_registry
from tests.indicators.factories import (
    CHIYODA,
    CHUO,
    MINATO,
    SHINJUKU,
    make_framework,
    put_scores,
    tiny_framework,
)
from tests.indicators.test_insurers import UNION, load_list

SRC = {"document": "テスト公表資料 (全国集計)", "date": "2020-03-31", "page": "12"}


class TestInsurerNumbers:
    async def test_every_result_entity_carries_its_insurer_number(self, indicators):
        async with indicators.client() as c:
            old = await make_framework(c, 2020)
            fid = await make_framework(c, 2021)
            await put_scores(c, old, {CHIYODA: {"a": 10}, CHUO: {"a": 10, "c": 10}})
            await put_scores(c, fid, {CHIYODA: {"a": 5}, CHUO: {"a": 10, "c": 10}})
            res = (await c.get(f"/api/v1/frameworks/{fid}/results?prefecture=13")).json()
            latest = (await c.get("/api/v1/results/latest?prefecture=13")).json()
            compare = (await c.get(f"/api/v1/frameworks/{fid}/compare?prefecture=13")).json()
            dash = (await c.get("/api/v1/views/dashboard?prefecture=13")).json()
            profile = (await c.get(f"/api/v1/views/municipalities/{CHIYODA}")).json()
            recover = (
                await c.get(f"/api/v1/frameworks/{fid}/recover?entity_code={CHIYODA}")
            ).json()
        want = {CHIYODA: "131011", CHUO: "131029"}
        assert {e["entity_code"]: e["insurer_number"] for e in res["entities"]} == want
        assert {e["entity_code"]: e["insurer_number"] for e in latest[0]["entities"]} == want
        assert {e["entity_code"]: e["insurer_number"] for e in compare["entities"]} == want
        assert {r["entity_code"]: r["insurer_number"] for r in dash["grants"][0]["rows"]} == want
        assert (profile["entity_code"], profile["insurer_number"]) == (CHIYODA, "131011")
        assert profile["grants"][0]["entity"]["insurer_number"] == "131011"
        assert (recover["entity_code"], recover["insurer_number"]) == (CHIYODA, "131011")

    async def test_a_union_is_an_entity_with_its_own_number_and_members_leave_the_scope(
        self, indicators
    ):
        hokkaido = sum(1 for code in get_registry().municipalities if code[:2] == "01")
        async with indicators.client() as c:
            fid = await make_framework(c, 2020)
            await put_scores(c, fid, {"011002": {"a": 10}})  # 札幌市
            before = (await c.get(f"/api/v1/frameworks/{fid}/results?prefecture=01")).json()
            r = await load_list(c)
            assert r.status_code == 200, r.text
            # the cached answer does not outlive the list: members leave, the union comes in
            between = (await c.get(f"/api/v1/frameworks/{fid}/results?prefecture=01")).json()
            await put_scores(c, fid, {UNION: {"a": 10, "c": 10}})
            after = (await c.get(f"/api/v1/frameworks/{fid}/results?prefecture=01")).json()
        assert before["summary"]["missing"] == hokkaido - 1
        assert between["summary"]["missing"] == hokkaido - 3 + 1 - 1
        union = next(e for e in after["entities"] if e["entity_code"] == UNION)
        assert union["insurer_number"] == UNION
        assert "テスト介護広域連合" in union["name"] and union["total"] == 20
        assert after["summary"]["missing"] == hokkaido - 3 + 1 - 2


class TestAverages:
    async def test_the_mean_of_the_loaded_set_is_not_called_national(self, indicators):
        doc = tiny_framework(2020, national_average=18.5, averages_source=SRC)
        doc["categories"][0]["national_average"] = 11.0
        doc["categories"][0]["items"][0].update(national_average=6.0, national_rate=0.45)
        async with indicators.client() as c:
            r = await c.post("/api/v1/frameworks", json=doc)
            assert r.status_code == 201, r.text
            fid = r.json()["id"]
            await put_scores(c, fid, {CHIYODA: {"a": 10}, CHUO: {"a": 10, "c": 10}})
            avg = (await c.get(f"/api/v1/frameworks/{fid}/averages?prefecture=13")).json()
            prof = (await c.get(f"/api/v1/views/municipalities/{CHIYODA}")).json()
        nation = avg["nation"]
        assert (nation["kind"], nation["count"], nation["mean_total"]) == ("loaded", 2, 15.0)
        assert nation["insurers_in_country"] == 1741
        assert (
            "読み込んだ2団体の平均" in nation["label"]
            and "全国平均ではありません" in nation["label"]
        )
        pub = avg["published"]
        assert (pub["kind"], pub["label"], pub["mean_total"]) == (
            "published",
            "全国平均 (公表値)",
            18.5,
        )
        assert pub["mean_score_rate"] == pytest.approx(18.5 / 30)
        assert pub["source"] == SRC
        assert pub["categories"] == [{"code": "A", "mean_points": 11.0, "mean_score_rate": 11 / 20}]
        assert pub["items"] == [{"code": "a", "mean_points": 6.0, "national_rate": 0.45}]
        assert prof["grants"][0]["averages"]["nation"]["kind"] == "loaded"
        assert prof["grants"][0]["averages"]["published"]["mean_total"] == 18.5

    async def test_every_insurer_scored_makes_it_the_national_mean_and_none_published(
        self, indicators
    ):
        prefs = sorted(get_registry().prefectures)
        async with indicators.client() as c:
            fid = await make_framework(c, 2020, code="test-pref", level="prefecture")
            await put_scores(c, fid, {p: {"a": 10} for p in prefs[:-1]})
            part = (await c.get(f"/api/v1/frameworks/{fid}/averages")).json()
            await put_scores(c, fid, {prefs[-1]: {"a": 4}})
            full = (await c.get(f"/api/v1/frameworks/{fid}/averages")).json()
        assert part["nation"]["kind"] == "loaded" and part["published"] is None
        assert "46団体" in part["nation"]["label"]
        assert full["nation"]["kind"] == "all_insurers"
        assert full["nation"]["label"] == "全国平均 (全47都道府県の得点から計算)"
        assert full["nation"]["mean_total"] == pytest.approx((46 * 10 + 4) / 47)


def provisional_framework() -> dict:
    """Confirmed, with one provisional item (a) and a skeleton category S (「区分の得点」)."""
    return {
        "code": "test-prov-2020",
        "name": "暫定を含む体系",
        "grant": "suishin",
        "level": "municipality",
        "grant_fy": 2020,
        "evaluation_fy": 2019,
        "state": "confirmed",
        "source": SRC,
        "categories": [
            {
                "code": "A",
                "name": "区分A",
                "items": [
                    {"code": "a", "text": "指標a", "max_points": 10, "provisional": True},
                    {"code": "a2", "text": "指標a2", "max_points": 10},
                ],
            },
            {"code": "S", "name": "区分S (指標表なし)", "max_points": 10},
        ],
    }


class TestProvisionalPoints:
    @pytest.fixture
    async def fid(self, indicators) -> int:
        async with indicators.client() as c:
            r = await c.post("/api/v1/frameworks", json=provisional_framework())
            assert r.status_code == 201, r.text
            fid = r.json()["id"]
            full = {"a": 10, "a2": 10, "S-区分計": 10}
            await put_scores(
                c,
                fid,
                {
                    CHIYODA: {"a": 0, "a2": 0, "S-区分計": 0},
                    CHUO: full,
                    MINATO: full,
                    SHINJUKU: full,
                },
            )
        return fid

    async def test_recover_marks_provisional_items_and_leaves_out_the_stand_in(
        self, indicators, fid
    ):
        async with indicators.client() as c:
            body = (await c.get(f"/api/v1/frameworks/{fid}/recover?entity_code={CHIYODA}")).json()
            await put_scores(c, fid, {CHIYODA: {"a": 10}})
            later = (await c.get(f"/api/v1/frameworks/{fid}/recover?entity_code={CHIYODA}")).json()
        assert [(i["item_code"], i["provisional"]) for i in body["items"]] == [
            ("a", True),
            ("a2", False),
        ]
        assert body["recoverable_points"] == 20  # S-区分計 (10 points) is no indicator
        assert body["rests_on_provisional"] is True
        assert any("暫定の配点" in r for r in body["provisional_reasons"])
        assert any("区分の得点" in r for r in body["provisional_reasons"])
        assert [(i["item_code"], i["provisional"]) for i in later["items"]] == [("a2", False)]
        assert later["rests_on_provisional"] is False

    async def test_what_if_items_say_what_rests_on_provisional_points(self, indicators, fid):
        async with indicators.client() as c:
            assert (await c.post("/api/v1/frameworks/shipped")).status_code == 200
            rows = [
                {"entity_code": e, "first_insured": 1000, "requested": 0}
                for e in (CHIYODA, CHUO, MINATO, SHINJUKU)
            ]
            r = await c.put("/api/v1/allocation/suishin/2020/inputs", json={"rows": rows})
            assert r.status_code == 200, r.text
            r = await c.put(
                "/api/v1/allocation/suishin/municipality/2020/national",
                json={"denominator": 90_000, "source": SRC},
            )
            assert r.status_code == 200, r.text

            async def what_if(points: dict) -> dict:
                r = await c.post(
                    f"/api/v1/frameworks/{fid}/allocation",
                    json={"budget": 900_000, "what_if": {"entity_code": CHIYODA, "points": points}},
                )
                assert r.status_code == 200, r.text
                return r.json()["what_if"]

            stand_in = await what_if({"S-区分計": 10})
            both = await what_if({"a2": 10, "a": 5})
            scores = (await c.get(f"/api/v1/frameworks/{fid}/scores?entity_code={CHIYODA}")).json()
        assert stand_in["items"] == [{"item_code": "S-区分計", "points": 10.0, "provisional": True}]
        assert stand_in["rests_on_provisional"] is True
        assert [(i["item_code"], i["provisional"]) for i in both["items"]] == [
            ("a", True),
            ("a2", False),
        ]
        assert (both["total_before"], both["total_after"]) == (0, 15)
        assert {s["item_code"]: s["points"] for s in scores} == {"a": 0, "a2": 0, "S-区分計": 0}

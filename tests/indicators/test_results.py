"""Results: totals by the rules, competition ranks, peers, averages, 取り戻す指標, flags, YoY."""

from __future__ import annotations

import pytest

from tests.indicators.factories import (
    CHIYODA,
    CHUO,
    HACHIOJI,
    MINATO,
    SHINJUKU,
    TACHIKAWA,
    make_framework,
    put_scores,
    tiny_framework,
)

# Totals under the rules (b1/b2 alternatives: the higher counts): 30, 26, 26, 0, 30, 5.
SCORES = {
    CHIYODA: {"a": 10, "b1": 10, "b2": 6, "c": 10},
    CHUO: {"a": 10, "b2": 6, "c": 10},
    MINATO: {"a": 10, "b1": 10, "c": 6},
    SHINJUKU: {"a": 0, "c": 5, "d": -5},
    HACHIOJI: {"a": 10, "b1": 10, "c": 10},
    TACHIKAWA: {"a": 5},
}


@pytest.fixture
async def scored(indicators) -> int:
    async with indicators.client() as c:
        fid = await make_framework(c, 2020)
        await put_scores(c, fid, SCORES)
    return fid


def by_code(entities: list[dict]) -> dict[str, dict]:
    return {e["entity_code"]: e for e in entities}


class TestResults:
    async def test_fixed_shape_with_ranks_rates_and_missing(self, indicators, scored):
        async with indicators.client("viewer") as c:
            r = await c.get(
                f"/api/v1/frameworks/{scored}/results",
                params={"prefecture": "13", "group": "region_class:区部"},
            )
        assert r.status_code == 200
        body = r.json()
        es = by_code(body["entities"])
        assert list(es) == [CHIYODA, CHUO, MINATO, SHINJUKU]
        assert [(e["total"], e["rank"], e["rank_of"]) for e in es.values()] == [
            (30, 1, 4),
            (26, 2, 4),
            (26, 2, 4),
            (0, 4, 4),
        ]
        chuo = es[CHUO]
        assert chuo["score_rate"] == pytest.approx(26 / 30)
        assert chuo["name"] == "東京都中央区"
        assert chuo["max_points"] == 30
        assert [(k["code"], k["points"], k["max_points"]) for k in chuo["categories"]] == [
            ("A", 16, 20),
            ("B", 10, 10),
        ]
        assert chuo["categories"][0]["score_rate"] == pytest.approx(0.8)
        assert {"entity_code", "name", "total", "max_points", "score_rate", "rank", "rank_of",
                "categories", "flags"} <= set(chuo)  # fmt: skip
        s = body["summary"]
        assert (s["count"], s["missing"]) == (4, 19)
        assert s["mean_total"] == pytest.approx(20.5)
        assert s["mean_score_rate"] == pytest.approx(20.5 / 30)
        assert s["categories"][0] == {
            "code": "A",
            "parent": None,
            "mean_points": pytest.approx((20 + 16 + 20 + 0) / 4),
            "mean_score_rate": pytest.approx(14 / 20),
        }

    async def test_national_prefecture_and_peer_ranks_share_ties(self, indicators, scored):
        async with indicators.client("municipality", CHUO) as c:
            body = (await c.get(f"/api/v1/frameworks/{scored}/results")).json()
        es = by_code(body["entities"])
        assert [(e["national_rank"], e["national_rank_of"]) for e in es.values()] == [
            (1, 6),
            (1, 6),
            (3, 6),
            (3, 6),
            (5, 6),
            (6, 6),
        ]
        assert (es[HACHIOJI]["peer_group"], es[HACHIOJI]["peer_rank"]) == ("市部", 1)
        assert (es[TACHIKAWA]["peer_rank"], es[TACHIKAWA]["peer_rank_of"]) == (2, 2)
        assert (es[SHINJUKU]["peer_rank"], es[SHINJUKU]["peer_rank_of"]) == (4, 4)
        assert es[MINATO]["prefecture_rank"] == 3
        assert body["summary"]["missing"] == 1741 - 6

    async def test_entity_filter_keeps_the_ranks_of_the_whole_set(self, indicators, scored):
        async with indicators.client() as c:
            body = (await c.get(f"/api/v1/frameworks/{scored}/results?entity_code={MINATO}")).json()
        assert [(e["entity_code"], e["rank"], e["national_rank"]) for e in body["entities"]] == [
            (MINATO, 3, 3)
        ]

    async def test_low_score_rate_flags_without_a_rule_carry_no_deduction(self, indicators, scored):
        async with indicators.client() as c:
            body = (await c.get(f"/api/v1/frameworks/{scored}/results?prefecture=13")).json()
            strict = (await c.get(f"/api/v1/frameworks/{scored}/results?low_threshold=0.1")).json()
        flagged = {e["entity_code"]: e["flags"] for e in body["entities"] if e["flags"]}
        assert set(flagged) == {SHINJUKU, TACHIKAWA}
        assert flagged[TACHIKAWA][0]["code"] == "low_score_rate"
        assert "deduction" not in flagged[TACHIKAWA][0]  # FY2020 has no stored deduction rule
        assert body["summary"]["low_count"] == 2
        assert body["summary"]["prefecture_deduction"] is None
        basis = body["summary"]["prefecture_deduction_basis"]
        assert basis["rule"] is None and "/api/v1/deduction-rules/suishin/2020" in basis["text"]
        strict_flags = {e["entity_code"]: e["flags"] for e in strict["entities"] if e["flags"]}
        assert list(strict_flags) == [SHINJUKU]

    async def test_the_deduction_comes_from_the_stored_rule(self, indicators, scored):
        async with indicators.client() as c:
            rule = await c.put(
                "/api/v1/deduction-rules/suishin/2020",
                json={
                    "item_code": "d",
                    "threshold": 0.2,
                    "points": -7,
                    "wording": "得点率が2割以下の市町村がある場合 -7",
                    "source": {"document": "テスト資料", "date": "2020-01-01", "page": "1"},
                },
            )
            assert rule.status_code == 200, rule.text
            body = (await c.get(f"/api/v1/frameworks/{scored}/results?prefecture=13")).json()
            dash = (await c.get("/api/v1/views/dashboard?prefecture=13")).json()
        es = by_code(body["entities"])
        # Tachikawa (5/30 ≈ 0.17) is under the rule's 0.2; Shinjuku (0) too; both flagged low.
        assert es[TACHIKAWA]["flags"][0]["deduction"] == -7
        assert es[SHINJUKU]["flags"][0]["deduction"] == -7
        assert body["summary"]["prefecture_deduction"] == -7
        basis = body["summary"]["prefecture_deduction_basis"]
        assert basis["rule"]["threshold"] == 0.2 and basis["endpoint"].endswith(
            f"/frameworks/{scored}/deduction"
        )
        assert [(t["entity_code"], t["insurer_number"]) for t in basis["triggered_by"]] == [
            (SHINJUKU, "131045"),
            (TACHIKAWA, "132027"),
        ]
        (grant,) = dash["grants"]
        assert grant["summary"]["prefecture_deduction"] == -7

    async def test_a_deduction_in_the_query_is_refused_naming_the_rule(self, indicators, scored):
        async with indicators.client() as c:
            r = await c.get(f"/api/v1/frameworks/{scored}/results?prefecture=13&deduction=-5")
            after = (await c.get(f"/api/v1/frameworks/{scored}/results?prefecture=13")).json()
        assert r.status_code == 422
        body = r.json()
        assert "/api/v1/frameworks/{id}/deduction" in body["detail"]
        assert body["errors"][0]["loc"] == ["query", "deduction"]
        assert after["summary"]["prefecture_deduction"] is None  # the refused -5 is nowhere

    async def test_drop_from_last_year_is_flagged(self, indicators, scored):
        async with indicators.client() as c:
            fid = await make_framework(c, 2021)
            await put_scores(c, fid, {CHIYODA: {"a": 5}, CHUO: {"a": 10, "b1": 10, "c": 0}})
            body = (await c.get(f"/api/v1/frameworks/{fid}/results")).json()
        es = by_code(body["entities"])
        assert es[CHIYODA]["previous_total"] == 30
        drop = [f for f in es[CHIYODA]["flags"] if f["code"] == "drop"]
        assert drop[0]["drop"] == 25
        assert not [f for f in es[CHUO]["flags"] if f["code"] == "drop"]  # 26 → 20: 6 points
        assert body["summary"]["previous_framework_id"] == scored

    async def test_export_as_csv_with_bom_for_excel(self, indicators, scored):
        async with indicators.client("viewer") as c:
            r = await c.get(f"/api/v1/frameworks/{scored}/results/export?prefecture=13")
        assert r.content.startswith(b"\xef\xbb\xbf")
        lines = r.content.decode("utf-8-sig").splitlines()
        assert lines[0].startswith("団体コード,名称,総合得点,満点,得点率,順位")
        assert lines[1].startswith("131016,東京都千代田区,30.0,30.0,1.0,1,6,1,1,区部,1,,20.0,10.0,")
        assert lines[0].endswith(",注意,保険者番号") and lines[1].endswith(",131011")
        assert len(lines) == 7

    async def test_no_scores_yet_counts_everyone_missing(self, indicators):
        async with indicators.client() as c:
            fid = await make_framework(c, 2022)
            body = (await c.get(f"/api/v1/frameworks/{fid}/results?prefecture=13")).json()
            avg = await c.get(f"/api/v1/frameworks/{fid}/averages")
            missing = await c.get("/api/v1/frameworks/99999/results")
        assert body["entities"] == []
        assert (body["summary"]["count"], body["summary"]["missing"]) == (0, 62)
        assert body["summary"]["mean_total"] is None
        assert avg.status_code == 200
        assert missing.status_code == 404

    async def test_unknown_group_set_is_404_and_bad_group_syntax_422(self, indicators, scored):
        async with indicators.client() as c:
            r1 = await c.get(f"/api/v1/frameworks/{scored}/results?group=nope:x")
            r2 = await c.get(f"/api/v1/frameworks/{scored}/results?group=region_class")
        assert (r1.status_code, r2.status_code) == (404, 422)


class TestPeerGroups:
    async def test_size_band_uses_first_insured_persons(self, indicators, scored):
        async with indicators.client() as c:
            await c.put(
                "/api/v1/allocation/suishin/2020/inputs",
                json={
                    "rows": [
                        {"entity_code": CHIYODA, "first_insured": 12_000, "requested": 1},
                        {"entity_code": HACHIOJI, "first_insured": 150_000, "requested": 1},
                        {"entity_code": TACHIKAWA, "first_insured": 40_000, "requested": 1},
                    ]
                },
            )
            body = (
                await c.get(
                    f"/api/v1/frameworks/{scored}/results",
                    params={"group": "size_band:10,000〜50,000人", "peer_set": "size_band"},
                )
            ).json()
        assert [(e["entity_code"], e["rank"]) for e in body["entities"]] == [
            (CHIYODA, 1),
            (TACHIKAWA, 2),
        ]

    async def test_user_defined_set_groups_entities(self, indicators, scored):
        async with indicators.client() as c:
            r = await c.post(
                "/api/v1/peer-sets",
                json={"name": "支援対象", "members": {CHUO: "支援", TACHIKAWA: "支援"}},
            )
            body = (await c.get(f"/api/v1/frameworks/{scored}/results?group=支援対象:支援")).json()
            bad = await c.post(
                "/api/v1/peer-sets", json={"name": "誤り", "members": {"131017": "x"}}
            )
        assert r.status_code == 201
        assert [(e["entity_code"], e["rank"], e["rank_of"]) for e in body["entities"]] == [
            (CHUO, 1, 2),
            (TACHIKAWA, 2, 2),
        ]
        assert bad.status_code == 422


class TestAverages:
    async def test_nation_prefecture_and_each_group(self, indicators, scored):
        async with indicators.client("viewer") as c:
            body = (await c.get(f"/api/v1/frameworks/{scored}/averages?prefecture=13")).json()
        assert body["nation"]["count"] == 6
        item_a = next(i for i in body["nation"]["items"] if i["code"] == "a")
        assert item_a["mean_points"] == pytest.approx(45 / 6)
        assert item_a["full_share"] == pytest.approx(4 / 6)
        groups = {g["group"]: g for g in body["groups"]}
        assert (groups["区部"]["count"], groups["市部"]["count"]) == (4, 2)
        assert groups["市部"]["mean_total"] == pytest.approx(17.5)
        cat_b = next(k for k in groups["区部"]["categories"] if k["code"] == "B")
        assert cat_b["mean_points"] == pytest.approx((10 + 10 + 6 + 0) / 4)


class TestRecover:
    async def test_items_peers_score_in_full_ordered_by_points(self, indicators, scored):
        async with indicators.client("municipality", SHINJUKU) as c:
            body = (
                await c.get(f"/api/v1/frameworks/{scored}/recover?entity_code={SHINJUKU}")
            ).json()
        assert (body["group"], body["peer_count"]) == ("区部", 3)
        assert [(i["item_code"], i["gap"]) for i in body["items"]] == [
            ("a", 10),
            ("b1", 10),
            ("b2", 6),
            ("c", 5),
        ]
        assert body["items"][0]["full_share"] == pytest.approx(1.0)
        assert body["recoverable_points"] == 31

    async def test_alternative_already_won_and_share_threshold(self, indicators, scored):
        async with indicators.client() as c:
            low = (await c.get(f"/api/v1/frameworks/{scored}/recover?entity_code={MINATO}")).json()
            high = (
                await c.get(f"/api/v1/frameworks/{scored}/recover?entity_code={MINATO}&share=0.7")
            ).json()
        # b2 is an alternative to b1, which MINATO already scores in full.
        assert [(i["item_code"], i["gap"]) for i in low["items"]] == [("c", 4)]
        assert high["items"] == []  # only 2 of 3 peers score c in full


class TestYearOverYear:
    async def test_matches_by_code_and_lists_the_rest(self, indicators, scored):
        doc = tiny_framework(2021)
        doc["categories"][1]["items"][0]["code"] = "c2"
        async with indicators.client() as c:
            r = await c.post("/api/v1/frameworks", json=doc)
            fid = r.json()["id"]
            await put_scores(c, fid, {CHUO: {"a": 10, "b1": 10, "c2": 10}})
            body = (await c.get(f"/api/v1/frameworks/{fid}/compare?entity_code={CHUO}")).json()
        assert body["previous_framework_id"] == scored
        assert body["items"]["only_current"] == ["c2"]
        assert body["items"]["only_previous"] == ["c"]
        assert body["categories"]["matched"] == ["A", "B"]
        [e] = body["entities"]
        assert (e["total"], e["previous_total"], e["diff"]) == (30, 26, 4)
        assert e["categories"][0] == {"code": "A", "points": 20, "previous_points": 16, "diff": 4}
        assert {i["code"]: i["diff"] for i in e["items"]} == {
            "a": 0,
            "b1": None,
            "b2": None,
            "d": None,
        }


class TestLatest:
    async def test_latest_framework_with_scores_per_grant(self, indicators, scored):
        async with indicators.client("api_client") as c:
            body = (await c.get(f"/api/v1/results/latest?prefecture=13&entity_code={CHUO}")).json()
        assert [(x["grant"], x["framework"]["id"]) for x in body] == [("suishin", scored)]
        assert [e["entity_code"] for e in body[0]["entities"]] == [CHUO]


class TestPrefectureFramework:
    async def test_full_marks_with_the_deduction_roll_up_the_nested_categories(self, indicators):
        from services.indicators.shipped import load_shipped

        async with indicators.db.session(write=True) as s:
            await load_shipped(s)
            await s.commit()
        async with indicators.client() as c:
            fw = next(f for f in (await c.get("/api/v1/frameworks?level=prefecture")).json())
            detail = (await c.get(f"/api/v1/frameworks/{fw['id']}")).json()

            def items(cats):
                for k in cats:
                    yield from k["items"]
                    yield from items(k["categories"])

            rows = [
                {"entity_code": "130001", "item_code": i["code"], "points": i["max_points"]}
                for i in items(detail["categories"])
            ]
            rows.append({"entity_code": "130001", "item_code": "Ⅲ-②", "points": -10})
            rows.append({"entity_code": "270008", "item_code": "Ⅰ-①", "points": 36})
            r = await c.put(f"/api/v1/frameworks/{fw['id']}/scores", json={"scores": rows})
            bad = await c.put(
                f"/api/v1/frameworks/{fw['id']}/scores",
                json={"scores": [{"entity_code": CHIYODA, "item_code": "Ⅰ-①", "points": 1}]},
            )
            body = (await c.get(f"/api/v1/frameworks/{fw['id']}/results")).json()
        assert r.status_code == 200
        assert bad.status_code == 422  # a municipality is not scored in a prefecture framework
        tokyo, osaka = body["entities"]
        assert (tokyo["entity_code"], tokyo["total"], tokyo["name"]) == ("130001", 731, "東京都")
        cats = {k["code"]: k["points"] for k in tokyo["categories"]}
        parents = {k["code"]: k["parent"] for k in tokyo["categories"]}
        assert (parents["Ⅱ"], parents["Ⅱ(2)"], parents["Ⅱ(2)介護予防"]) == (None, "Ⅱ", "Ⅱ(2)")
        assert (cats["Ⅱ"], cats["Ⅱ(2)"], cats["Ⅱ(2)介護予防"], cats["Ⅲ"]) == (555, 125, 45, 70)
        assert tokyo["score_rate"] == pytest.approx(731 / 741)
        assert (osaka["total"], osaka["rank"]) == (36, 2)
        assert body["summary"]["missing"] == 45

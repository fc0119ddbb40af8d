"""Regional analysis (地域分析): catalogue, values all-or-nothing, insurer numbers, the fixed
compare answer (unweighted means, national mean rule, tie ranks), the prefecture view, trends,
evidence lookups, national figures and roles."""

from __future__ import annotations

from typing import Any

import pytest

from services.common.registry import get_registry
from services.indicators.regional.catalogue import load_shipped_catalogue
from services.indicators.regional.entities import insurer_number
from tests.helpers import COORDINATOR

FY = 2023
# 区部 (大都市型)
CHIYODA, CHUO, MINATO = "131016", "131024", "131032"
# 市部 (都市型)
HACHIOJI, TACHIKAWA = "132012", "132021"
# 町村部 (離島・中山間型)
MIZUHO, HINOHARA = "133035", "133078"
SAPPORO = "011002"

FIXED_CODES = [
    "certification_rate",
    "adjusted_certification_rate",
    "first_insured",
    "aging_rate",
    "benefit_per_first_insured",
    "premium_base",
    "kayoinoba_rate",
]


@pytest.fixture
async def regional(indicators):
    """The indicators service with the shipped measure catalogue (tests truncate tables)."""
    async with indicators.db.session(write=True) as s:
        await load_shipped_catalogue(s, actor=COORDINATOR)
        await s.commit()
    return indicators


async def put(c, fy: int, rows: list[dict[str, Any]], **kw: Any):
    return await c.put(f"/api/v1/regional/{fy}/values", json={"values": rows, **kw})


def rows_of(measure: str, values: dict[str, float]) -> list[dict[str, Any]]:
    return [{"entity_code": e, "measure_code": measure, "value": v} for e, v in values.items()]


async def compare(c, code: str, fy: int = FY) -> dict[str, Any]:
    r = await c.get(f"/api/v1/regional/{fy}/compare", params={"entity_code": code})
    assert r.status_code == 200, r.text
    return r.json()


def measure(body: dict[str, Any], code: str) -> dict[str, Any]:
    return next(m for m in body["measures"] if m["code"] == code)


class TestCatalogue:
    async def test_fixed_codes_with_names_units_definitions_and_sources(self, regional):
        async with regional.client("viewer") as c:
            r = await c.get("/api/v1/regional/measures")
        assert r.status_code == 200
        by = {m["code"]: m for m in r.json()}
        assert set(FIXED_CODES) <= set(by)
        assert {k: (by[k]["name"], by[k]["unit"]) for k in FIXED_CODES} == {
            "certification_rate": ("認定率", "%"),
            "adjusted_certification_rate": ("調整済み認定率", "%"),
            "first_insured": ("第1号被保険者数", "人"),
            "aging_rate": ("高齢化率", "%"),
            "benefit_per_first_insured": ("第1号被保険者1人あたり給付月額", "円"),
            "premium_base": ("第1号保険料基準額 (月額)", "円"),
            "kayoinoba_rate": ("通いの場への参加率", "%"),
        }
        # service mix
        assert {"receipt_rate_facility", "receipt_rate_residential", "receipt_rate_home"} <= set(by)
        for m in by.values():
            assert m["definition"] and m["sources"], m["code"]
            assert all(s["publisher"] and s["document"] for s in m["sources"])
        assert by["kayoinoba_rate"]["favourable_direction"] == "higher"
        assert by["certification_rate"]["favourable_direction"] is None

    async def test_per_year_filter_and_staff_measures(self, regional):
        doc = {
            "measures": [
                {
                    "code": "care_plan_check_rate",
                    "name": "ケアプラン点検の実施割合",
                    "unit": "%",
                    "min_value": 0,
                    "max_value": 100,
                    "definitions": [
                        {
                            "from_fy": 2024,
                            "definition": "点検した事業所の割合",
                            "sources": [{"publisher": "東京都", "document": "独自調査"}],
                        }
                    ],
                }
            ]
        }
        async with regional.client() as c:
            r = await c.put("/api/v1/regional/measures", json=doc)
            assert r.status_code == 200, r.text
            in_2023 = {
                m["code"]
                for m in (await c.get("/api/v1/regional/measures?fiscal_year=2023")).json()
            }
            in_2024 = {
                m["code"]
                for m in (await c.get("/api/v1/regional/measures?fiscal_year=2024")).json()
            }
            # a value before the measure's first year is a bad row
            bad = await put(c, 2023, rows_of("care_plan_check_rate", {CHIYODA: 50}))
            good = await put(c, 2024, rows_of("care_plan_check_rate", {CHIYODA: 50}))
        assert "care_plan_check_rate" not in in_2023 and "care_plan_check_rate" in in_2024
        assert bad.status_code == 422
        assert "2023年度には定義されていません" in bad.json()["errors"][0]["msg"]
        assert good.json()["written"] == 1

    async def test_shipped_codes_cannot_be_overwritten(self, regional):
        doc = {
            "measures": [
                {
                    "code": "certification_rate",
                    "name": "別の定義",
                    "unit": "%",
                    "definitions": [
                        {
                            "from_fy": 2015,
                            "definition": "x",
                            "sources": [{"publisher": "x", "document": "x"}],
                        }
                    ],
                }
            ]
        }
        async with regional.client() as c:
            r = await c.put("/api/v1/regional/measures", json=doc)
            after = {m["code"]: m for m in (await c.get("/api/v1/regional/measures")).json()}
        assert r.status_code == 409
        assert after["certification_rate"]["name"] == "認定率"


class TestCompare:
    async def test_answers_exactly_with_unweighted_means_and_tie_ranks(self, regional):
        values = {
            CHIYODA: 20.0,
            CHUO: 22.0,  # ties with MINATO for 1st
            MINATO: 22.0,
            HACHIOJI: 18.0,
            TACHIKAWA: 17.5,
            MIZUHO: 15.0,
            SAPPORO: 30.0,  # another prefecture: in no Tokyo mean or rank
        }
        async with regional.client() as c:
            r = await put(c, FY, rows_of("certification_rate", values))
            assert r.status_code == 200, r.text
            assert r.json()["written"] == 7
            body = await compare(c, CHIYODA)
            chuo = await compare(c, CHUO)
            hino = await compare(c, HINOHARA)
        assert set(body) == {"entity_code", "fiscal_year", "peer_group", "measures"}
        assert body["entity_code"] == CHIYODA
        assert body["fiscal_year"] == FY
        assert body["peer_group"] == "大都市型"
        assert measure(body, "certification_rate") == {
            "code": "certification_rate",
            "name": "認定率",
            "unit": "%",
            "value": 20.0,
            "peer_mean": round((20.0 + 22.0 + 22.0) / 3, 6),
            "prefecture_mean": round((20 + 22 + 22 + 18 + 17.5 + 15) / 6, 6),
            "national_mean": None,  # 7 of 1,741 municipalities, no published figure
            "rank_in_prefecture": 3,
        }
        assert measure(chuo, "certification_rate")["rank_in_prefecture"] == 1
        # a measure without values: every figure null
        assert measure(body, "aging_rate") == {
            "code": "aging_rate",
            "name": "高齢化率",
            "unit": "%",
            "value": None,
            "peer_mean": None,
            "prefecture_mean": None,
            "national_mean": None,
            "rank_in_prefecture": None,
        }
        # a municipality without a value still sees its peers' and prefecture's means
        h = measure(hino, "certification_rate")
        assert hino["peer_group"] == "離島・中山間型"
        assert (h["value"], h["peer_mean"], h["rank_in_prefecture"]) == (None, 15.0, None)
        assert h["prefecture_mean"] == measure(body, "certification_rate")["prefecture_mean"]
        # every measure of the year's catalogue, in catalogue order
        assert [m["code"] for m in body["measures"]][:3] == [
            "first_insured",
            "aging_rate",
            "late_elderly_share",
        ]

    async def test_ties_share_a_rank_and_the_next_rank_skips(self, regional):
        vals = {CHIYODA: 5.0, CHUO: 7.0, MINATO: 7.0, HACHIOJI: 7.0, TACHIKAWA: 1.0}
        async with regional.client() as c:
            await put(c, FY, rows_of("kayoinoba_rate", vals))
            ranks = {
                code: measure(await compare(c, code), "kayoinoba_rate")["rank_in_prefecture"]
                for code in vals
            }
        assert ranks == {CHUO: 1, MINATO: 1, HACHIOJI: 1, CHIYODA: 4, TACHIKAWA: 5}

    async def test_national_mean_from_every_municipality_of_the_country(self, regional):
        reg = get_registry()
        codes = sorted(reg.municipalities)
        assert len(codes) == 1741
        vals = {code: float(i % 50) for i, code in enumerate(codes)}
        async with regional.client() as c:
            r = await put(c, FY, rows_of("aging_rate", dict(list(vals.items())[:-1])))
            assert r.status_code == 200, r.text
            partial = measure(await compare(c, CHIYODA), "aging_rate")["national_mean"]
            await put(c, FY, rows_of("aging_rate", dict(list(vals.items())[-1:])))
            full = measure(await compare(c, CHIYODA), "aging_rate")
        assert partial is None
        assert full["national_mean"] == round(sum(vals.values()) / len(vals), 6)
        tokyo = [v for code, v in vals.items() if code.startswith("13")]
        assert full["prefecture_mean"] == round(sum(tokyo) / len(tokyo), 6)

    async def test_national_mean_from_a_published_figure(self, regional):
        fig = {
            "measure_code": "certification_rate",
            "value": 19.4,
            "state": "確定",
            "source": {
                "publisher": "厚生労働省",
                "document": "介護保険事業状況報告 (年報)",
                "date": "2025-08-01",
                "page": "表1",
            },
        }
        async with regional.client() as c:
            await put(c, FY, rows_of("certification_rate", {CHIYODA: 20.0}))
            r = await c.put(f"/api/v1/regional/{FY}/national", json={"figures": [fig]})
            assert r.status_code == 200, r.text
            with_fig = measure(await compare(c, CHIYODA), "certification_rate")
            listed = (await c.get(f"/api/v1/regional/{FY}/national")).json()
            other_year = measure(await compare(c, CHIYODA, FY - 1), "certification_rate")
            # removing it: null again
            await c.put(
                f"/api/v1/regional/{FY}/national",
                json={"figures": [{"measure_code": "certification_rate", "value": None}]},
            )
            removed = measure(await compare(c, CHIYODA), "certification_rate")
        assert with_fig["national_mean"] == 19.4
        assert other_year["national_mean"] is None
        assert listed[0]["source"]["document"] == "介護保険事業状況報告 (年報)"
        assert listed[0]["state"] == "確定"
        assert removed["national_mean"] is None

    async def test_national_figure_needs_a_source_and_a_state(self, regional):
        async with regional.client() as c:
            r = await c.put(
                f"/api/v1/regional/{FY}/national",
                json={
                    "figures": [
                        {"measure_code": "certification_rate", "value": 19.4, "state": "確定"},
                        {
                            "measure_code": "aging_rate",
                            "value": 29.0,
                            "state": "公表",
                            "source": {"publisher": "総務省", "document": "住基"},
                        },
                        {
                            "measure_code": "nope",
                            "value": 1,
                            "state": "確定",
                            "source": {"publisher": "a", "document": "b"},
                        },
                    ]
                },
            )
            listed = (await c.get(f"/api/v1/regional/{FY}/national")).json()
        assert r.status_code == 422
        assert {tuple(e["loc"]) for e in r.json()["errors"]} == {
            ("figures", 0, "source"),
            ("figures", 1, "state"),
            ("figures", 2, "measure_code"),
        }
        assert listed == []

    async def test_insurer_numbers_and_five_digit_codes_are_accepted(self, regional):
        assert insurer_number(CHIYODA) == "131011"
        async with regional.client() as c:
            r = await put(
                c,
                FY,
                [
                    {"entity_code": "131011", "measure_code": "premium_base", "value": 6200},
                    {"entity_code": "13102", "measure_code": "premium_base", "value": 6000},
                    {"entity_code": 132012, "measure_code": "premium_base", "value": "5,900"},
                ],
            )
            assert r.status_code == 200, r.text
            body = await compare(c, "131011")  # the insurer number in the query too
            across = (await c.get(f"/api/v1/regional/{FY}/measures/premium_base")).json()
        assert body["entity_code"] == CHIYODA
        assert measure(body, "premium_base")["value"] == 6200
        values = {
            m["entity_code"]: m["value"]
            for g in across["groups"]
            for m in g["municipalities"]
            if m["value"] is not None
        }
        assert values == {CHIYODA: 6200, CHUO: 6000, HACHIOJI: 5900}

    async def test_bad_entity_codes_in_the_query(self, regional):
        async with regional.client() as c:
            wrong = await c.get(f"/api/v1/regional/{FY}/compare", params={"entity_code": "131012"})
            unknown = await c.get(
                f"/api/v1/regional/{FY}/compare", params={"entity_code": "139998"}
            )
        assert wrong.status_code == 422
        assert "131016" in wrong.json()["detail"] and "131011" in wrong.json()["detail"]
        assert unknown.status_code in (404, 422)


class TestWrites:
    async def test_every_bad_row_is_named_and_nothing_is_written(self, regional):
        rows = [
            {"entity_code": CHIYODA, "measure_code": "certification_rate", "value": 20.1},  # ok
            {"entity_code": "131012", "measure_code": "certification_rate", "value": 1},  # check
            {"entity_code": CHUO, "measure_code": "no_such_measure", "value": 1},
            {"entity_code": MINATO, "measure_code": "certification_rate", "value": 120},  # > 100
            {"entity_code": HACHIOJI, "measure_code": "certification_rate", "value": "abc"},
            {"entity_code": TACHIKAWA, "measure_code": "first_insured", "value": 10.5},  # integer
            {"entity_code": "130001", "measure_code": "certification_rate", "value": 1},  # pref
            {"entity_code": CHIYODA, "measure_code": "certification_rate", "value": 20.2},  # dup
            {"entity_code": MIZUHO, "measure_code": "certification_rate"},  # no value key
            "not an object",
            {"entity_code": "999999", "measure_code": "certification_rate", "value": 1},
        ]
        async with regional.client() as c:
            r = await put(c, FY, rows)
            after = measure(await compare(c, CHIYODA), "certification_rate")
        assert r.status_code == 422
        body = r.json()
        assert r.headers["content-type"].startswith("application/problem+json")
        assert sorted({e["loc"][1] for e in body["errors"]}) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        locs = {tuple(e["loc"]) for e in body["errors"]}
        assert ("values", 1, "entity_code") in locs
        assert ("values", 2, "measure_code") in locs
        assert ("values", 3, "value") in locs
        assert ("values", 5, "value") in locs
        assert ("values", 7) in locs
        assert "10行に誤りがあります" in body["detail"]
        # nothing written, not even the good row
        assert after["value"] is None and after["prefecture_mean"] is None

    async def test_rewrite_and_null_remove_refresh_means_and_ranks(self, regional):
        async with regional.client() as c:
            await put(c, FY, rows_of("aging_rate", {CHIYODA: 20.0, CHUO: 30.0, HACHIOJI: 25.0}))
            r = await put(c, FY, rows_of("aging_rate", {CHUO: None, CHIYODA: 21.0}))
            assert r.json() == {"written": 1, "deleted": 1, "fiscal_years": [FY]}
            body = measure(await compare(c, CHIYODA), "aging_rate")
            chuo = measure(await compare(c, CHUO), "aging_rate")
        assert body["value"] == 21.0
        assert body["prefecture_mean"] == 23.0
        assert body["peer_mean"] == 21.0
        assert body["rank_in_prefecture"] == 2
        assert chuo["value"] is None and chuo["rank_in_prefecture"] is None

    async def test_fiscal_year_out_of_range_is_422(self, regional):
        async with regional.client() as c:
            r = await put(c, 1999, rows_of("aging_rate", {CHIYODA: 20.0}))
        assert r.status_code == 422

    @pytest.mark.parametrize("role", ["viewer", "advisor", "municipality", "api_client"])
    async def test_only_staff_write_and_everybody_reads(self, regional, role):
        async with regional.client() as c:
            await put(c, FY, rows_of("aging_rate", {CHIYODA: 20.0}))
        async with regional.client(role, HACHIOJI if role == "municipality" else None) as c:
            r = await put(c, FY, rows_of("aging_rate", {HACHIOJI: 99.0}))
            # a municipality reads another municipality's comparison: published statistics
            seen = measure(await compare(c, CHIYODA), "aging_rate")
            own = measure(await compare(c, HACHIOJI), "aging_rate")
        assert r.status_code == 403
        assert seen["value"] == 20.0
        assert own["value"] is None


class TestPrefectureView:
    async def test_a_measure_across_the_62_grouped_with_ranks(self, regional):
        vals = {CHIYODA: 20.0, CHUO: 22.0, HACHIOJI: 18.0, TACHIKAWA: 18.0, MIZUHO: 15.0}
        async with regional.client("municipality", CHIYODA) as c:
            async with regional.client() as w:
                await put(w, FY, rows_of("certification_rate", vals), source="テスト資料")
            r = await c.get(f"/api/v1/regional/{FY}/measures/certification_rate")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["prefecture"] == "13" and body["prefecture_name"] == "東京都"
        assert body["measure"]["code"] == "certification_rate"
        assert (body["count"], body["of"]) == (5, 62)
        assert [(g["region_class"], len(g["municipalities"])) for g in body["groups"]] == [
            ("区部", 23),
            ("市部", 26),
            ("町村部", 13),
        ]
        means = {g["region_class"]: (g["mean"], g["count"]) for g in body["groups"]}
        assert means == {"区部": (21.0, 2), "市部": (18.0, 2), "町村部": (15.0, 1)}
        assert body["prefecture_mean"] == round(93 / 5, 6)
        assert body["peer_means"] == {"大都市型": 21.0, "都市型": 18.0, "離島・中山間型": 15.0}
        rows = {m["entity_code"]: m for g in body["groups"] for m in g["municipalities"]}
        assert rows[CHUO]["rank_in_prefecture"] == 1
        assert rows[HACHIOJI]["rank_in_prefecture"] == rows[TACHIKAWA]["rank_in_prefecture"] == 3
        assert rows[MIZUHO]["rank_in_prefecture"] == 5
        assert rows[HINOHARA]["value"] is None
        assert rows[CHUO]["source"] == "テスト資料" and rows[CHUO]["sample"] is False
        assert body["sample"] is False

    async def test_unknown_measure_is_404(self, regional):
        async with regional.client() as c:
            r = await c.get(f"/api/v1/regional/{FY}/measures/nope")
        assert r.status_code == 404


class TestTrendAndEvidence:
    async def test_trend_over_years_in_one_call(self, regional):
        async with regional.client() as c:
            for fy, (a, b) in {2021: (18.0, 20.0), 2022: (19.0, 21.0), 2023: (20.0, 20.0)}.items():
                await put(c, fy, rows_of("certification_rate", {CHIYODA: a, CHUO: b}))
            await put(c, 2022, rows_of("aging_rate", {CHIYODA: 23.0}))
            r = await c.get(
                "/api/v1/regional/trend",
                params={"entity_code": CHIYODA, "measures": "certification_rate,aging_rate"},
            )
            later = await c.get(
                "/api/v1/regional/trend",
                params={"entity_code": CHIYODA, "measures": "certification_rate", "from_fy": 2022},
            )
            bad = await c.get(
                "/api/v1/regional/trend", params={"entity_code": CHIYODA, "measures": "nope"}
            )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["fiscal_years"] == [2021, 2022, 2023]
        assert body["peer_group"] == "大都市型" and body["region_class"] == "区部"
        cert, aging = body["measures"]
        assert [
            (p["fiscal_year"], p["value"], p["prefecture_mean"], p["rank_in_prefecture"])
            for p in cert["points"]
        ] == [
            (2021, 18.0, 19.0, 2),
            (2022, 19.0, 20.0, 2),
            (2023, 20.0, 20.0, 1),
        ]
        assert [p["value"] for p in aging["points"]] == [None, 23.0, None]
        assert [p["fiscal_year"] for p in later.json()["measures"][0]["points"]] == [2022, 2023]
        assert bad.status_code == 422

    async def test_evidence_for_cited_measures_and_years(self, regional):
        async with regional.client() as c:
            await put(c, 2022, rows_of("kayoinoba_rate", {CHIYODA: 4.0, CHUO: 6.0}))
            r = await c.get(
                "/api/v1/regional/evidence",
                params=[
                    ("entity_code", CHIYODA),
                    ("cite", "kayoinoba_rate:2022"),
                    ("cite", "aging_rate:2022"),
                    ("cite", "gone_measure:2022"),
                ],
            )
            bad = await c.get(
                "/api/v1/regional/evidence", params={"entity_code": CHIYODA, "cite": "x"}
            )
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert [(i["measure_code"], i["known"], i["value"]) for i in items] == [
            ("kayoinoba_rate", True, 4.0),
            ("aging_rate", True, None),
            ("gone_measure", False, None),
        ]
        assert items[0]["prefecture_mean"] == 5.0 and items[0]["rank_in_prefecture"] == 2
        assert items[0]["rank_of"] == 2
        assert bad.status_code == 422

    async def test_years_list_the_years_with_values(self, regional):
        async with regional.client() as c:
            await put(c, 2021, rows_of("aging_rate", {CHIYODA: 20.0, CHUO: 21.0}))
            await put(c, 2022, rows_of("aging_rate", {CHIYODA: 20.0}))
            years = (await c.get("/api/v1/regional/years")).json()
        assert years == [
            {
                "fiscal_year": 2022,
                "measures": 1,
                "values": 1,
                "sample": False,
                "national_figures": 0,
            },
            {
                "fiscal_year": 2021,
                "measures": 1,
                "values": 2,
                "sample": False,
                "national_figures": 0,
            },
        ]


class TestDemo:
    async def test_sample_values_for_the_62_marked_sample(self, indicators):
        from services.indicators import demo

        async with indicators.db.session(write=True) as s:
            first = await demo.load(s)
            await s.commit()
        async with indicators.db.session(write=True) as s:
            second = await demo.load(s)
        async with indicators.client("municipality", CHIYODA) as c:
            years = (await c.get("/api/v1/regional/years")).json()
            across = (await c.get("/api/v1/regional/2023/measures/certification_rate")).json()
            body = await compare(c, CHIYODA)
            premium = (
                await c.get(
                    "/api/v1/regional/trend",
                    params={"entity_code": CHIYODA, "measures": "premium_base"},
                )
            ).json()
        assert "地域分析のサンプル値" in first and second is None
        assert [(y["fiscal_year"], y["sample"], y["national_figures"]) for y in years] == [
            (2023, True, 0),
            (2022, True, 0),
            (2021, True, 0),
        ]
        assert across["count"] == 62 and across["sample"] is True
        rows = [m for g in across["groups"] for m in g["municipalities"]]
        assert all(m["sample"] and "サンプル" in m["source"] for m in rows)
        assert sorted(m["rank_in_prefecture"] for m in rows)[0] == 1
        cert = measure(body, "certification_rate")
        assert cert["value"] is not None and cert["prefecture_mean"] is not None
        assert cert["national_mean"] is None  # no invented national figure
        # one premium for the three years of the 8th plan period
        assert len({p["value"] for p in premium["measures"][0]["points"]}) == 1

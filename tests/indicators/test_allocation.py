"""Allocation: budget × weight ÷ a national denominator (computed from every insurer, or a
published figure, else 422), budgets as data with overrides, first-insured counts from a file,
floor to the yen, what-if."""

from __future__ import annotations

import pytest

from services.common.registry import get_registry, insurer_number_of
from tests.indicators.factories import (
    CHIYODA,
    CHUO,
    HACHIOJI,
    make_framework,
    put_scores,
    tiny_framework,
)

INPUTS = [
    {"entity_code": CHIYODA, "first_insured": 1000, "requested": 1_000_000},
    {"entity_code": CHUO, "first_insured": 2000, "requested": 300_000},
    {"entity_code": HACHIOJI, "first_insured": 1000, "requested": 10_000_000},
]
SAMPLE_SOURCE = {"document": "試験用の全国集計", "date": "2021-03-31", "page": "3"}


async def shipped(c) -> None:
    r = await c.post("/api/v1/frameworks/shipped")
    assert r.status_code == 200, r.text


@pytest.fixture
async def fid(indicators) -> int:
    async with indicators.client() as c:
        await shipped(c)  # the allocation rules (and budgets) are data
        fid = await make_framework(c, 2020)
        # totals 30, 26, 30 → weights 30,000, 52,000, 30,000 (Σ 112,000)
        await put_scores(
            c,
            fid,
            {
                CHIYODA: {"a": 10, "b1": 10, "c": 10},
                CHUO: {"a": 10, "b2": 6, "c": 10},
                HACHIOJI: {"a": 10, "b1": 10, "c": 10},
            },
        )
        r = await c.put("/api/v1/allocation/suishin/2020/inputs", json={"rows": INPUTS})
        assert r.json() == {"written": 3}
    return fid


async def put_national(c, denominator: float, grant_fy: int = 2020):
    return await c.put(
        f"/api/v1/allocation/suishin/municipality/{grant_fy}/national",
        json={"denominator": denominator, "source": SAMPLE_SOURCE, "note": "試験"},
    )


class TestNationalBasis:
    async def test_the_loaded_subset_is_never_the_denominator(self, indicators, fid):
        async with indicators.client("viewer") as c:
            r = await c.post(f"/api/v1/frameworks/{fid}/allocation", json={"budget": 1_000_000})
        assert r.status_code == 422
        body = r.json()
        assert "得点のない保険者 1,738" in body["detail"]
        assert "/api/v1/allocation/suishin/municipality/2020/national" in body["detail"]
        assert body["missing"] == {"scores": 1738, "first_insured": 1738, "national_basis": True}

    async def test_a_published_national_figure_is_the_denominator(self, indicators, fid):
        async with indicators.client() as c:
            r = await put_national(c, 224_000)  # twice the three insurers' Σ 112,000
            body = (
                await c.post(f"/api/v1/frameworks/{fid}/allocation", json={"budget": 1_000_000})
            ).json()
        assert r.status_code == 200, r.text
        es = {e["entity_code"]: e for e in body["entities"]}
        # 1,000,000 × 30,000 / 224,000 = 133,928.57… → 133,928 (floor)
        assert [(es[k]["share"], es[k]["paid"]) for k in (CHIYODA, CHUO, HACHIOJI)] == [
            (133_928, 133_928),
            (232_142, 232_142),
            (133_928, 133_928),
        ]
        assert body["basis"]["kind"] == "published"
        assert body["basis"]["source"]["document"] == "試験用の全国集計"
        assert body["totals"]["outside_listed"] == 1_000_000 - 499_998
        assert body["totals"]["rounding_remainder"] is None
        assert all(e["label"] == "見込み" for e in body["entities"])
        assert es[CHIYODA]["insurer_number"] == "131011"
        assert "÷ 全国の Σ(総合得点 × 第1号被保険者数)" in body["basis_text"]

    async def test_computed_from_every_insurer_matches_a_hand_computation(self, indicators):
        reg = get_registry()
        others = sorted(set(reg.municipalities) - {CHIYODA, CHUO})
        async with indicators.client() as c:
            await shipped(c)
            fid = await make_framework(c, 2020)
            table = {code: {"a": 10} for code in others}
            table[CHIYODA] = {"a": 10, "b1": 10, "c": 10}  # 30
            table[CHUO] = {"a": 10, "b2": 6, "c": 10}  # 26
            await put_scores(c, fid, table)
            # first-insured persons keyed by insurer numbers, as the ministry's figures are
            persons = {code: 100 for code in others} | {CHIYODA: 1000, CHUO: 2000}
            csv = "保険者番号,第1号被保険者数\n" + "".join(
                f"{insurer_number_of(code)},{n}\n" for code, n in persons.items()
            )
            imp = await c.post(
                "/api/v1/first-insured/2020/import",
                params={"as_of": "令和元年9月末"},
                files={"file": ("fi.csv", csv.encode("cp932"))},
            )
            body = (
                await c.post(f"/api/v1/frameworks/{fid}/allocation", json={"budget": 1_000_000})
            ).json()
        assert imp.json()["written"] == 1741 and imp.json()["persons"] == 1739 * 100 + 3000
        # Σ = 1,739 × 10 × 100 + 30 × 1,000 + 26 × 2,000 = 1,739,000 + 30,000 + 52,000
        assert body["basis"]["kind"] == "computed" and body["basis"]["insurers"] == 1741
        assert body["basis"]["denominator"] == 1_821_000
        es = {e["entity_code"]: e for e in body["entities"]}
        assert es[CHIYODA]["share"] == 16_474  # 1e6 × 30,000 / 1,821,000 = 16,474.46…
        assert es[CHUO]["share"] == 28_555  # 52,000 / 1,821,000 → 28,555.74…
        assert es[HACHIOJI]["share"] == 549  # 1,000 / 1,821,000 → 549.15…
        assert es[CHIYODA]["paid"] is None  # no requested amount: the share is the estimate
        total = 16_474 + 28_555 + 1739 * 549
        assert body["totals"]["share"] == total
        assert body["totals"]["rounding_remainder"] == 1_000_000 - total
        assert es[CHIYODA]["first_insured_source"] == "fi.csv"

    async def test_what_if_moves_the_denominator_too(self, indicators, fid):
        async with indicators.client() as c:
            await put_national(c, 112_000)  # exactly the three: a closed what-if
            body = (
                await c.post(
                    f"/api/v1/frameworks/{fid}/allocation",
                    json={
                        "budget": 1_000_000,
                        "what_if": {"entity_code": "131011", "points": {"c": 0}},
                    },
                )
            ).json()
            scores = (await c.get(f"/api/v1/frameworks/{fid}/scores?entity_code={CHIYODA}")).json()
        w = body["what_if"]
        assert (w["total_before"], w["total_after"]) == (30, 20)
        assert (w["paid_before"], w["paid_after"]) == (267_857, 196_078)  # 1e6 × 20,000 / 102,000
        assert w["difference"] == -71_779
        assert {s["item_code"]: s["points"] for s in scores}["c"] == 10  # nothing written

    async def test_what_if_points_outside_the_range_are_refused(self, indicators, fid):
        async with indicators.client() as c:
            await put_national(c, 112_000)
            r = await c.post(
                f"/api/v1/frameworks/{fid}/allocation",
                json={"budget": 1, "what_if": {"entity_code": CHIYODA, "points": {"c": 99}}},
            )
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"] == ["what_if", "points", "c"]


class TestBudgets:
    async def test_the_seeds_budgets_are_data_with_their_wording(self, indicators):
        async with indicators.client() as c:
            await shipped(c)
            rows = (await c.get("/api/v1/budgets")).json()
        by = {(r["grant"], r["level"], r["grant_fy"]): r for r in rows}
        muni19 = by[("suishin", "municipality", 2019)]
        assert muni19["amount"] == 19_000_000_000 and "190億円程度" in muni19["wording"]
        assert muni19["source"]["date"] == "2019-09-27" and muni19["state_label"] == "暫定"
        assert by[("suishin", "prefecture", 2019)]["amount"] == 1_000_000_000
        assert by[("suishin", "all", 2025)]["amount"] == 10_100_000_000
        assert "一般財源" in by[("suishin", "all", 2025)]["wording"]
        assert by[("doryoku", "all", 2025)]["amount"] == 20_000_000_000
        assert "消費税財源" in by[("doryoku", "all", 2025)]["wording"]

    async def test_no_budget_for_the_year_is_a_422_saying_so(self, indicators, fid):
        async with indicators.client() as c:
            await put_national(c, 112_000)
            r = await c.post(f"/api/v1/frameworks/{fid}/allocation", json={})
        assert r.status_code == 422
        assert "2020年度の市町村分の予算が登録されていません" in r.json()["detail"]

    async def test_an_override_needs_a_reason_and_then_is_used(self, indicators, fid):
        async with indicators.client() as c:
            await put_national(c, 112_000)
            bad = await c.put(
                "/api/v1/budgets/suishin/municipality/2020", json={"override_amount": 1_000_000}
            )
            unchanged = (await c.get("/api/v1/budgets")).json()
            good = await c.put(
                "/api/v1/budgets/suishin/municipality/2020",
                json={"override_amount": 1_000_000, "override_reason": "当初予算の内示額"},
            )
            body = (await c.post(f"/api/v1/frameworks/{fid}/allocation")).json()
        assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["override_reason"]
        assert not [b for b in unchanged if b["grant_fy"] == 2020]
        assert good.json()["basis"] == "override" and good.json()["amount"] == 1_000_000
        assert body["budget"]["override_reason"] == "当初予算の内示額"
        assert body["totals"]["budget"] == 1_000_000
        es = {e["entity_code"]: e for e in body["entities"]}
        assert es[CHIYODA]["share"] == 267_857  # 1e6 × 30,000 / 112,000

    async def test_a_total_only_budget_says_the_split_is_missing(self, indicators):
        async with indicators.client() as c:
            await shipped(c)
            fid = await make_framework(c, 2025)
            await put_scores(c, fid, {CHIYODA: {"a": 10}})
            await put_national(c, 1_000, grant_fy=2025)
            await c.put(
                "/api/v1/allocation/suishin/2025/inputs",
                json={"rows": [{"entity_code": CHIYODA, "first_insured": 1, "requested": 1}]},
            )
            r = await c.post(f"/api/v1/frameworks/{fid}/allocation")
        assert r.status_code == 422
        assert "合計 10,100,000,000円だけが公表" in r.json()["detail"]


class TestPrefectureRule:
    async def test_prefectures_share_by_score_only(self, indicators):
        reg = get_registry()
        doc = tiny_framework(2020, code="test-pref-2020", level="prefecture")
        async with indicators.client() as c:
            await shipped(c)
            r = await c.post("/api/v1/frameworks", json=doc)
            fid = r.json()["id"]
            table = {code: {"a": 10} for code in reg.prefectures}
            table["130001"] = {"a": 10, "c": 10}  # 20
            await put_scores(c, fid, table)
            body = (
                await c.post(f"/api/v1/frameworks/{fid}/allocation", json={"budget": 1_000_000})
            ).json()
        assert (
            body["rule"]["weight"] == "score" and "重み付けの記載はない" in body["rule"]["wording"]
        )
        assert body["basis"]["kind"] == "computed" and body["basis"]["denominator"] == 480
        es = {e["entity_code"]: e for e in body["entities"]}
        assert es["130001"]["share"] == 41_666  # 1e6 × 20 / 480
        assert es["010006"]["share"] == 20_833


class TestInputs:
    async def test_csv_import_all_or_nothing_by_line_and_column(self, indicators):
        bad = "団体コード,第1号被保険者数,所要見込額\n131016,1000,5000\n131024,-3,5000\n"
        good = "団体コード,第1号被保険者数,所要見込額\n131016,1000,5000\n131024,3,5000\n"
        async with indicators.client() as c:
            r1 = await c.post(
                "/api/v1/allocation/suishin/2021/inputs/import",
                files={"file": ("in.csv", bad.encode("cp932"))},
            )
            empty = (await c.get("/api/v1/allocation/suishin/2021/inputs")).json()
            r2 = await c.post(
                "/api/v1/allocation/suishin/2021/inputs/import",
                files={"file": ("in.csv", good.encode("utf-8-sig"))},
            )
            rows = (await c.get("/api/v1/allocation/suishin/2021/inputs")).json()
        assert r1.status_code == 422
        assert r1.json()["errors"][0]["loc"] == ["line", 3, "column", "第1号被保険者数"]
        assert empty == []
        assert r2.json() == {"written": 2, "rows": 2}
        assert [(r["entity_code"], r["first_insured"]) for r in rows] == [
            (CHIYODA, 1000),
            (CHUO, 3),
        ]

    async def test_first_insured_file_errors_by_line_and_nothing_written(self, indicators):
        body = "保険者番号,第1号被保険者数\n131011,100\n131012,5\n131024,-1\n"
        async with indicators.client() as c:
            r = await c.post(
                "/api/v1/first-insured/2024/import", files={"file": ("f.csv", body.encode())}
            )
            after = (await c.get("/api/v1/first-insured/2024")).json()
        assert r.status_code == 422
        assert [e["loc"][1] for e in r.json()["errors"]] == [3, 4]
        assert after["count"] == 0

    async def test_only_staff_write_inputs(self, indicators):
        async with indicators.client("municipality", CHIYODA) as c:
            r = await c.put("/api/v1/allocation/suishin/2020/inputs", json={"rows": INPUTS})
        assert r.status_code == 403


class TestInputsDryRun:
    async def test_dry_run_counts_and_keeps_nothing(self, indicators):
        good = "団体コード,第1号被保険者数,所要見込額\n131016,1000,5000\n131024,3,5000\n"
        async with indicators.client() as c:
            r = await c.post(
                "/api/v1/allocation/suishin/2021/inputs/import",
                params={"dry_run": "true"},
                files={"file": ("in.csv", good.encode("cp932"))},
            )
            rows = (await c.get("/api/v1/allocation/suishin/2021/inputs")).json()
        assert r.status_code == 200 and r.json() == {"written": 0, "rows": 2}
        assert rows == []

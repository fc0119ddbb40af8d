"""Allocation simulator: shares by score × first-insured, paid = min(share, requested), what-if."""

from __future__ import annotations

import pytest

from tests.indicators.factories import CHIYODA, CHUO, HACHIOJI, make_framework, put_scores

INPUTS = [
    {"entity_code": CHIYODA, "first_insured": 1000, "requested": 1_000_000},
    {"entity_code": CHUO, "first_insured": 2000, "requested": 300_000},
    {"entity_code": HACHIOJI, "first_insured": 1000, "requested": 10_000_000},
]


@pytest.fixture
async def fid(indicators) -> int:
    async with indicators.client() as c:
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


class TestSimulate:
    async def test_shares_are_floored_and_paid_up_to_the_request(self, indicators, fid):
        async with indicators.client("viewer") as c:
            body = (
                await c.post(f"/api/v1/frameworks/{fid}/allocation", json={"budget": 1_000_000})
            ).json()
        es = {e["entity_code"]: e for e in body["entities"]}
        assert [(es[k]["share"], es[k]["paid"]) for k in (CHIYODA, CHUO, HACHIOJI)] == [
            (267_857, 267_857),
            (464_285, 300_000),
            (267_857, 267_857),
        ]
        assert es[CHUO]["surplus"] == 164_285
        assert body["totals"] == {
            "budget": 1_000_000,
            "share": 999_999,
            "paid": 835_714,
            "requested": 11_300_000,
            "not_paid_out": 164_286,
            "surplus": 164_285,
            "rounding_remainder": 1,
        }
        assert "切り捨て" in body["rounding"]

    async def test_what_if_returns_the_new_amount_and_the_difference(self, indicators, fid):
        async with indicators.client() as c:
            body = (
                await c.post(
                    f"/api/v1/frameworks/{fid}/allocation",
                    json={
                        "budget": 1_000_000,
                        "what_if": {"entity_code": CHIYODA, "points": {"c": 0}},
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
            r = await c.post(
                f"/api/v1/frameworks/{fid}/allocation",
                json={"budget": 1, "what_if": {"entity_code": CHIYODA, "points": {"c": 99}}},
            )
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"] == ["what_if", "points", "c"]


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
        assert r2.json() == {"written": 2}
        assert [(r["entity_code"], r["first_insured"]) for r in rows] == [
            (CHIYODA, 1000),
            (CHUO, 3),
        ]

    async def test_only_staff_write_inputs(self, indicators):
        async with indicators.client("municipality", CHIYODA) as c:
            r = await c.put("/api/v1/allocation/suishin/2020/inputs", json={"rows": INPUTS})
        assert r.status_code == 403

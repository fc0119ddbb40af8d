"""Writing scores: PUT replaces cells, imports are all or nothing, errors name rows and columns."""

from __future__ import annotations

from tests.indicators.factories import CHIYODA, CHUO, MINATO, make_framework, put_scores


async def cells(c, fid: int) -> list[tuple[str, str, float]]:
    rows = (await c.get(f"/api/v1/frameworks/{fid}/scores")).json()
    return [(r["entity_code"], r["item_code"], r["points"]) for r in rows]


class TestPutScores:
    async def test_replaces_cells_and_records_the_years(self, indicators):
        async with indicators.client() as c:
            fid = await make_framework(c, 2020)
            await put_scores(c, fid, {CHIYODA: {"a": 5, "c": 10}})
            r = await c.put(
                f"/api/v1/frameworks/{fid}/scores",
                json={"scores": [{"entity_code": CHIYODA, "item_code": "a", "points": 8}]},
            )
            rows = (await c.get(f"/api/v1/frameworks/{fid}/scores?entity_code={CHIYODA}")).json()
        assert r.json() == {"written": 1}
        assert [(x["item_code"], x["points"]) for x in rows] == [("a", 8), ("c", 10)]
        assert {(x["evaluation_fy"], x["grant_fy"]) for x in rows} == {(2019, 2020)}
        assert rows[0]["updated_by"] == "u-coordinator:テスト coordinator"

    async def test_every_bad_row_is_listed_by_index_and_nothing_is_written(self, indicators):
        async with indicators.client() as c:
            fid = await make_framework(c)
            r = await c.put(
                f"/api/v1/frameworks/{fid}/scores",
                json={
                    "scores": [
                        {"entity_code": CHIYODA, "item_code": "a", "points": 5},
                        {"entity_code": "131017", "item_code": "a", "points": 5},
                        {"entity_code": CHUO, "item_code": "zz", "points": 5},
                        {"entity_code": MINATO, "item_code": "a", "points": 11},
                        {"entity_code": MINATO, "item_code": "d", "points": "abc"},
                        {"entity_code": "130001", "item_code": "a", "points": 1},
                    ]
                },
            )
            written = await cells(c, fid)
        assert r.status_code == 422
        assert r.headers["content-type"].startswith("application/problem+json")
        locs = [tuple(e["loc"]) for e in r.json()["errors"]]
        assert locs == [
            ("scores", 1, "entity_code"),
            ("scores", 2, "item_code"),
            ("scores", 3, "points"),
            ("scores", 4, "points"),
            ("scores", 5, "entity_code"),
        ]
        assert "検査数字" in r.json()["errors"][0]["msg"]
        assert "0〜10" in r.json()["errors"][2]["msg"]
        assert written == []

    async def test_deduction_item_accepts_negative_points(self, indicators):
        async with indicators.client() as c:
            fid = await make_framework(c)
            await put_scores(c, fid, {CHIYODA: {"d": -5}})
            assert await cells(c, fid) == [(CHIYODA, "d", -5)]

    async def test_viewer_and_municipality_cannot_write(self, indicators):
        async with indicators.client() as c:
            fid = await make_framework(c)
        body = {"scores": [{"entity_code": CHIYODA, "item_code": "a", "points": 5}]}
        for role, muni in (("viewer", None), ("municipality", CHIYODA), ("api_client", None)):
            async with indicators.client(role, muni) as c:
                r = await c.put(f"/api/v1/frameworks/{fid}/scores", json=body)
            assert r.status_code == 403


class TestImport:
    async def test_long_csv_in_shift_jis_with_one_bad_row_writes_nothing_and_names_it(
        self, indicators
    ):
        csv_text = "団体コード,指標コード,得点\n131016,a,5\n131024,a,12\n131032,c,3\n"
        async with indicators.client() as c:
            fid = await make_framework(c)
            r = await c.post(
                f"/api/v1/frameworks/{fid}/scores/import",
                files={"file": ("scores.csv", csv_text.encode("cp932"))},
            )
            written = await cells(c, fid)
        assert r.status_code == 422
        assert r.json()["errors"] == [
            {
                "loc": ["line", 3, "column", "得点"],
                "msg": "指標 a の得点は 0〜10 の範囲で入力してください (12)",
            }
        ]
        assert "行 3" in r.json()["detail"]
        assert written == []

    async def test_wide_csv_with_bom_writes_every_filled_cell(self, indicators):
        csv_text = "entity_code,名称,a,b1,c\n131016,千代田区,5,10,\n131024,中央区,0,,7\n"
        async with indicators.client() as c:
            fid = await make_framework(c)
            r = await c.post(
                f"/api/v1/frameworks/{fid}/scores/import",
                files={"file": ("wide.csv", b"\xef\xbb\xbf" + csv_text.encode())},
            )
            written = await cells(c, fid)
        assert r.json() == {"written": 4}
        assert sorted(written) == [
            (CHIYODA, "a", 5),
            (CHIYODA, "b1", 10),
            (CHUO, "a", 0),
            (CHUO, "c", 7),
        ]

    async def test_wide_xlsx_unknown_item_column_is_named(self, indicators):
        import io

        from openpyxl import Workbook

        wb = Workbook()
        wb.active.append(["entity_code", "a", "x9"])
        wb.active.append([131016, 5, 5])
        buf = io.BytesIO()
        wb.save(buf)
        async with indicators.client() as c:
            fid = await make_framework(c)
            r = await c.post(
                f"/api/v1/frameworks/{fid}/scores/import",
                files={"file": ("wide.xlsx", buf.getvalue())},
            )
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"] == ["line", 1, "column", "x9"]


class TestLag:
    async def test_action_in_fy_n_is_scored_by_the_grant_year_n_plus_1_framework(self, indicators):
        async with indicators.client() as c:
            await make_framework(c, 2020)
            fid21 = await make_framework(c, 2021)
            found = (await c.get("/api/v1/frameworks?evaluation_fy=2020")).json()
        assert [(f["id"], f["grant_fy"], f["evaluation_fy"]) for f in found] == [
            (fid21, 2021, 2020)
        ]


class TestExport:
    async def test_wide_csv_with_bom_imports_back_unchanged(self, indicators):
        async with indicators.client() as c:
            fid = await make_framework(c)
            await put_scores(c, fid, {CHIYODA: {"a": 5, "d": -5}, CHUO: {"c": 7.5}})
            r = await c.get(f"/api/v1/frameworks/{fid}/scores/export")
            before = await cells(c, fid)
            await put_scores(c, fid, {CHIYODA: {"a": 0}})
            back = await c.post(
                f"/api/v1/frameworks/{fid}/scores/import",
                files={"file": ("scores.csv", r.content)},
            )
            after = await cells(c, fid)
        assert r.content.startswith(b"\xef\xbb\xbf")
        assert r.content.decode("utf-8-sig").splitlines()[:2] == [
            "団体コード,名称,a,b1,b2,c,d",
            "131016,東京都千代田区,5,,,,-5",
        ]
        assert back.json() == {"written": 3}
        assert after == before


class TestNationalImport:
    async def test_an_import_of_more_cells_than_one_batch_writes_every_cell(self, indicators):
        """Every municipality × 12 items (20,892 cells): more than one batch of the SQLite
        upsert (20,000 rows, built one batch at a time), all written with their points."""
        from services.common.registry import get_registry

        codes = sorted(get_registry().municipalities)
        items = [f"i{n:02d}" for n in range(12)]
        doc = {
            "code": "test-nation",
            "name": "全国テスト体系",
            "grant": "suishin",
            "level": "municipality",
            "grant_fy": 2020,
            "evaluation_fy": 2019,
            "max_points": 120,
            "categories": [
                {
                    "code": "A",
                    "name": "区分A",
                    "max_points": 120,
                    "items": [{"code": i, "text": f"指標{i}", "max_points": 10} for i in items],
                }
            ],
        }
        lines = ["entity_code," + ",".join(items)]
        expected = {}
        for k, code in enumerate(codes):
            points = [(k + n) % 11 for n in range(len(items))]
            lines.append(code + "," + ",".join(map(str, points)))
            expected.update({(code, i): p for i, p in zip(items, points, strict=True)})
        async with indicators.client() as c:
            r = await c.post("/api/v1/frameworks", json=doc)
            assert r.status_code == 201, r.text
            fid = r.json()["id"]
            r = await c.post(
                f"/api/v1/frameworks/{fid}/scores/import",
                files={"file": ("nation.csv", "\n".join(lines).encode())},
            )
            written = await cells(c, fid)
        assert r.status_code == 200, r.text
        assert r.json() == {"written": len(codes) * 12} and len(codes) * 12 > 20_000
        assert {(e, i): p for e, i, p in written} == expected

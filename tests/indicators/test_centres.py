"""地域包括支援センター: the register, the evaluation catalogue, answers, the fixed summary, the
chart data, imports that name every bad row, and who may write what."""

from __future__ import annotations

import io
from typing import Any

import httpx
from openpyxl import Workbook, load_workbook

from tests.indicators.factories import CHIYODA, CHUO, HACHIOJI

FY = 2024


def catalogue(**kw: Any) -> dict[str, Any]:
    """Two work areas; centres: a1, a2 (A) and b1 (B); municipalities: m1 (A), m2 (B)."""
    doc = {
        "name": "テスト項目",
        "source_document": "テスト用の出典",
        "source_date": "2024-04-01",
        "source_page": "1",
        "state": "暫定",
        "areas": [
            {"code": "A", "name": "分野A", "group": "個別業務", "training_kinds": []},
            {
                "code": "B",
                "name": "分野B",
                "group": "個別業務",
                "training_kinds": ["地域ケア会議 司会者・助言者養成"],
            },
        ],
        "items": [
            {"subject": "centre", "code": "a1", "area_code": "A", "text": "項目a1"},
            {"subject": "centre", "code": "a2", "area_code": "A", "text": "項目a2"},
            {"subject": "centre", "code": "b1", "area_code": "B", "text": "項目b1"},
            {"subject": "municipality", "code": "m1", "area_code": "A", "text": "項目m1"},
            {"subject": "municipality", "code": "m2", "area_code": "B", "text": "項目m2"},
        ],
    }
    doc.update(kw)
    return doc


async def make_catalogue(c: httpx.AsyncClient, fy: int = FY) -> dict[str, Any]:
    r = await c.put(f"/api/v1/centres/catalogues/{fy}", json=catalogue())
    assert r.status_code == 200, r.text
    return r.json()


async def make_centre(
    c: httpx.AsyncClient, code: str, name: str, operation: str = "委託", **kw: Any
) -> int:
    body = {
        "municipality_code": code,
        "name": name,
        "fiscal_year": FY,
        "operation": operation,
        "staff": {"保健師等": 2, "社会福祉士等": 2, "主任介護支援専門員等": 1},
        **kw,
    }
    r = await c.post("/api/v1/centres", json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def answers(**met: bool) -> list[dict[str, Any]]:
    return [{"item_code": k, "met": v, "note": "" if v else "未対応"} for k, v in met.items()]


async def put_centre(
    c: httpx.AsyncClient, cid: int, version: int | None = None, **met: bool
) -> httpx.Response:
    return await c.put(
        f"/api/v1/centres/{cid}/evaluations/{FY}",
        json={"answers": answers(**met), "version": version},
    )


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8-sig") -> bytes:
    return "\r\n".join(",".join(str(v) for v in r) for r in rows).encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class TestRegister:
    async def test_list_answers_the_fixed_shape_with_the_years_facts(self, indicators):
        async with indicators.client() as c:
            a = await make_centre(c, CHIYODA, "千代田 第1", "直営")
            b = await make_centre(c, CHIYODA, "千代田 第2")
            await make_centre(c, CHUO, "中央 第1")
            listed = (await c.get(f"/api/v1/centres?municipality_code={CHIYODA}")).json()
        assert [(x["id"], x["municipality_code"], x["name"], x["operation"]) for x in listed] == [
            (a, CHIYODA, "千代田 第1", "直営"),
            (b, CHIYODA, "千代田 第2", "委託"),
        ]
        assert listed[0]["staff_total"] == 5
        assert listed[0]["fiscal_year"] == FY

    async def test_history_per_year_and_a_stale_version_changes_nothing(self, indicators):
        async with indicators.client() as c:
            cid = await make_centre(c, CHIYODA, "千代田 第1")
            y25 = await c.put(
                f"/api/v1/centres/{cid}/years/2025",
                json={"operation": "直営", "staff": {"保健師等": 3}},
            )
            again = await c.put(
                f"/api/v1/centres/{cid}/years/2025", json={"operation": "委託", "staff": {}}
            )
            stale = await c.put(
                f"/api/v1/centres/{cid}/years/2025",
                json={"operation": "委託", "staff": {}, "version": 9},
            )
            detail = (await c.get(f"/api/v1/centres/{cid}")).json()
            in_2024 = (
                await c.get(f"/api/v1/centres?municipality_code={CHIYODA}&fiscal_year=2024")
            ).json()
            in_2026 = (
                await c.get(f"/api/v1/centres?municipality_code={CHIYODA}&fiscal_year=2026")
            ).json()
        assert y25.status_code == 200
        assert again.status_code == 409 and stale.status_code == 409
        assert [(y["fiscal_year"], y["operation"]) for y in detail["years"]] == [
            (2024, "委託"),
            (2025, "直営"),
        ]
        assert in_2024[0]["operation"] == "委託"
        assert in_2026[0]["operation"] == "直営"  # the latest record up to that year

    async def test_unknown_profession_and_operation_are_refused(self, indicators):
        async with indicators.client() as c:
            r = await c.post(
                "/api/v1/centres",
                json={
                    "municipality_code": CHIYODA,
                    "name": "x",
                    "fiscal_year": FY,
                    "operation": "民営",
                    "staff": {"看護師": 1},
                },
            )
            listed = (await c.get(f"/api/v1/centres?municipality_code={CHIYODA}")).json()
        assert r.status_code == 422
        locs = {tuple(e["loc"][-1:]) for e in r.json()["errors"]}
        assert ("operation",) in locs and ("staff",) in locs
        assert listed == []

    async def test_only_staff_write_the_register(self, indicators):
        async with indicators.client() as c:
            cid = await make_centre(c, HACHIOJI, "八王子 第1")
        body = {"municipality_code": HACHIOJI, "name": "y", "fiscal_year": FY, "operation": "委託"}
        for role in ("municipality", "viewer", "advisor", "api_client"):
            async with indicators.client(role, HACHIOJI if role == "municipality" else None) as c:
                assert (await c.post("/api/v1/centres", json=body)).status_code == 403
                r = await c.patch(f"/api/v1/centres/{cid}", json={"name": "z", "version": 1})
                assert r.status_code == 403
                assert (await c.get(f"/api/v1/centres/{cid}")).json()["name"] == "八王子 第1"

    async def test_import_names_every_bad_row_and_writes_nothing(self, indicators):
        header = ["区市町村コード", "センター名", "年度", "設置形態", "運営法人", "保健師等"]
        bad = csv_bytes(
            [
                header,
                [CHIYODA, "千代田 第1", FY, "委託", "法人A", 2],
                [CHIYODA, "千代田 第2", FY, "民営", "法人B", 2],
                ["131017", "どこか", FY, "委託", "", 1],
                [CHUO, "中央 第1", "R6", "直営", "", "二"],
            ],
            "cp932",
        )
        good = csv_bytes(
            [
                header,
                [CHIYODA, "千代田 第1", FY, "委託", "法人A", 2],
                [CHUO, "中央 第1", FY, "直営", "", 1],
            ]
        )
        async with indicators.client() as c:
            r = await c.post("/api/v1/centres/import", files={"file": ("c.csv", bad)})
            none = (await c.get(f"/api/v1/centres?municipality_code={CHIYODA}")).json()
            ok = await c.post("/api/v1/centres/import", files={"file": ("c.csv", good)})
            after = (await c.get("/api/v1/centres?prefecture=13")).json()
        assert r.status_code == 422
        assert sorted({e["loc"][1] for e in r.json()["errors"]}) == [3, 4, 5]
        assert {(e["loc"][1], e["loc"][3]) for e in r.json()["errors"]} >= {
            (3, "設置形態"),
            (4, "区市町村コード"),
            (5, "年度"),
            (5, "保健師等"),
        }
        assert none == []
        assert ok.json() == {"centres_created": 2, "years_written": 2}
        assert [(x["name"], x["operation"]) for x in after] == [
            ("千代田 第1", "委託"),
            ("中央 第1", "直営"),
        ]


class TestCatalogue:
    async def test_every_bad_item_is_named_and_nothing_is_written(self, indicators):
        doc = catalogue(
            items=[
                {"subject": "centre", "code": "a1", "area_code": "A", "text": "ok"},
                {"subject": "centre", "code": "a1", "area_code": "A", "text": "重複"},
                {"subject": "other", "code": "x", "area_code": "A", "text": "t"},
                {"subject": "centre", "code": "y", "area_code": "Z", "text": "t"},
                {"subject": "centre", "code": "z", "area_code": "A", "text": ""},
            ]
        )
        async with indicators.client() as c:
            r = await c.put(f"/api/v1/centres/catalogues/{FY}", json=doc)
            after = await c.get(f"/api/v1/centres/catalogues/{FY}")
        assert r.status_code == 422
        assert sorted({e["loc"][1] for e in r.json()["errors"]}) == [1, 2, 3, 4]
        assert after.status_code == 404

    async def test_default_structure_and_unknown_training_kind(self, indicators):
        items = [{"subject": "centre", "code": "c", "area_code": "2-4", "text": "t"}]
        bad_areas = [{"code": "A", "name": "分野A", "training_kinds": ["地域ケア会議推進事業"]}]
        async with indicators.client() as c:
            std = await c.put(
                f"/api/v1/centres/catalogues/{FY}", json={"name": "n", "items": items}
            )
            bad = await c.put(
                f"/api/v1/centres/catalogues/{FY + 1}",
                json={"name": "n", "items": items, "areas": bad_areas},
            )
            work = (await c.get("/api/v1/centres/work-areas")).json()
        assert std.status_code == 200
        assert [a["code"] for a in std.json()["areas"]] == [a["code"] for a in work["areas"]]
        assert std.json()["areas"][4]["name"] == "地域ケア会議"
        assert work["state"] == "暫定" and "老振発0704第1号" in work["source"]["document"]
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["loc"] == ["areas", 0, "training_kinds"]

    async def test_import_by_line_and_export_imports_back(self, indicators):
        rows = [
            ["対象", "業務分野", "項目コード", "評価項目"],
            ["センター", "組織・運営体制等", "c1", "計画を作成"],
            ["センター", "地域ケア会議", "c2", "会議を開催"],
            ["市町村", "組織 ・運営体制等", "m1", "方針を伝達"],
        ]
        bad = rows + [["センター", "何かの分野", "c3", "t"], ["国", "地域ケア会議", "c4", "t"]]
        async with indicators.client() as c:
            r = await c.post(
                f"/api/v1/centres/catalogues/{FY}/import",
                data={"name": "取込", "source_document": "通知", "state": "確定"},
                files={"file": ("i.xlsx", xlsx_bytes(bad))},
            )
            missing = await c.get(f"/api/v1/centres/catalogues/{FY}")
            ok = await c.post(
                f"/api/v1/centres/catalogues/{FY}/import",
                data={"name": "取込", "source_document": "通知", "state": "確定"},
                files={"file": ("i.csv", csv_bytes(rows, "cp932"))},
            )
            exported = await c.get(f"/api/v1/centres/catalogues/{FY}/export?format=xlsx")
            again = await c.post(
                f"/api/v1/centres/catalogues/{FY + 1}/import",
                data={"name": "再取込"},
                files={"file": ("e.xlsx", exported.content)},
            )
        assert r.status_code == 422
        assert [e["loc"][1] for e in r.json()["errors"]] == [5]  # the unknown area first
        assert missing.status_code == 404
        assert ok.status_code == 200, ok.text
        body = ok.json()
        assert body["state"] == "確定" and body["source"]["document"] == "通知"
        assert [(i["subject"], i["code"], i["area_code"]) for i in body["items"]] == [
            ("centre", "c1", "1"),
            ("centre", "c2", "2-4"),
            ("municipality", "m1", "1"),
        ]
        ws = load_workbook(io.BytesIO(exported.content)).active
        assert [c.value for c in ws[1]] == [
            "対象",
            "業務分野コード",
            "業務分野",
            "項目コード",
            "評価項目",
            "備考",
        ]
        assert again.status_code == 200
        assert [i["code"] for i in again.json()["items"]] == ["c1", "c2", "m1"]

    async def test_import_names_a_bad_subject_by_line(self, indicators):
        rows = [
            ["対象", "業務分野", "項目コード", "評価項目"],
            ["センター", "地域ケア会議", "c1", "t"],
            ["国", "地域ケア会議", "c2", "t"],
        ]
        async with indicators.client() as c:
            r = await c.post(
                f"/api/v1/centres/catalogues/{FY}/import",
                data={"name": "取込"},
                files={"file": ("i.csv", csv_bytes(rows))},
            )
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"] == ["line", 3, "column", "対象"]
        assert "行 3" in r.json()["detail"]

    async def test_codes_are_fixed_once_answered_but_texts_may_change(self, indicators):
        async with indicators.client() as c:
            cat = await make_catalogue(c)
            cid = await make_centre(c, CHIYODA, "千代田 第1")
            assert (await put_centre(c, cid, a1=True, a2=True, b1=False)).status_code == 200
            doc = catalogue(version=cat["version"])
            doc["items"] = doc["items"][:-1]
            removed = await c.put(f"/api/v1/centres/catalogues/{FY}", json=doc)
            doc = catalogue(version=cat["version"], state="確定")
            doc["items"][0]["text"] = "項目a1 (改)"
            reworded = await c.put(f"/api/v1/centres/catalogues/{FY}", json=doc)
            no_version = await c.put(f"/api/v1/centres/catalogues/{FY}", json=catalogue())
        assert removed.status_code == 409
        assert "市町村 m2 (B)" in removed.json()["detail"]
        assert reworded.status_code == 200
        assert reworded.json()["items"][0]["text"] == "項目a1 (改)"
        assert no_version.status_code == 409


class TestAnswersAndSummary:
    async def test_summary_answers_the_fixed_shape_with_rates_by_hand(self, indicators):
        async with indicators.client() as c:
            await make_catalogue(c)
            a = await make_centre(c, CHIYODA, "千代田 第1")
            b = await make_centre(c, CHIYODA, "千代田 第2")
            idle = await make_centre(c, CHIYODA, "千代田 第3")
            h = await make_centre(c, HACHIOJI, "八王子 第1")
            await put_centre(c, a, a1=True, a2=True, b1=True)  # 3/3
            await put_centre(c, b, a1=True, a2=False, b1=False)  # 1/3
            await put_centre(c, h, a1=False, a2=False, b1=True)  # 1/3
            own = await c.put(
                f"/api/v1/centres/evaluations/{FY}/municipalities/{CHIYODA}",
                json={"answers": answers(m1=True, m2=False)},
            )
            r = await c.get(f"/api/v1/centres/evaluations/{FY}/summary?municipality_code={CHIYODA}")
        assert own.status_code == 200
        assert r.json() == {
            "municipality_code": CHIYODA,
            "fiscal_year": FY,
            "centres": [
                {"id": a, "name": "千代田 第1", "rate": 1.0},
                {"id": b, "name": "千代田 第2", "rate": 1 / 3},
                {"id": idle, "name": "千代田 第3", "rate": None},
            ],
            "municipality_rate": 0.5,
            "prefecture_rate": (1 + 1 / 3 + 1 / 3) / 3,
        }

    async def test_stale_version_gets_409_and_changes_nothing(self, indicators):
        async with indicators.client() as c:
            await make_catalogue(c)
            cid = await make_centre(c, CHIYODA, "千代田 第1")
            first = await put_centre(c, cid, a1=True, a2=True, b1=True)
            second = await put_centre(c, cid, version=1, a1=False, a2=False, b1=False)
            stale = await put_centre(c, cid, version=1, a1=True, a2=False, b1=False)
            unversioned = await put_centre(c, cid, a1=True, a2=False, b1=False)
            now = (await c.get(f"/api/v1/centres/{cid}/evaluations/{FY}")).json()
            s = (
                await c.get(f"/api/v1/centres/evaluations/{FY}/summary?municipality_code={CHIYODA}")
            ).json()
        assert first.status_code == 200 and first.json()["version"] == 1
        assert second.status_code == 200 and second.json()["version"] == 2
        assert stale.status_code == 409 and stale.json()["current_version"] == 2
        assert unversioned.status_code == 409
        assert now["rate"] == 0.0 and [x["met"] for x in now["answers"]] == [False] * 3
        assert s["prefecture_rate"] == 0.0

    async def test_every_bad_answer_is_named_and_all_items_are_required(self, indicators):
        async with indicators.client() as c:
            await make_catalogue(c)
            cid = await make_centre(c, CHIYODA, "千代田 第1")
            bad = await c.put(
                f"/api/v1/centres/{cid}/evaluations/{FY}",
                json={
                    "answers": [
                        {"item_code": "a1", "met": True},
                        {"item_code": "m1", "met": True},
                        {"item_code": "a2", "met": "yes"},
                        {"item_code": "a1", "met": False},
                    ]
                },
            )
            partial = await put_centre(c, cid, a1=True)
            after = (await c.get(f"/api/v1/centres/{cid}/evaluations/{FY}")).json()
        assert bad.status_code == 422
        assert [e["loc"][1] for e in bad.json()["errors"]] == [1, 2, 3]
        assert partial.status_code == 422
        assert "a2, b1" in partial.json()["errors"][0]["msg"]
        assert after["answered"] is False and after["rate"] is None

    async def test_a_municipality_writes_its_own_centres_and_own_answers_only(self, indicators):
        async with indicators.client() as c:
            await make_catalogue(c)
            own = await make_centre(c, HACHIOJI, "八王子 第1")
            other = await make_centre(c, CHIYODA, "千代田 第1")
        async with indicators.client("municipality", HACHIOJI) as c:
            mine = await put_centre(c, own, a1=True, a2=True, b1=False)
            theirs = await put_centre(c, other, a1=True, a2=True, b1=True)
            mine_m = await c.put(
                f"/api/v1/centres/evaluations/{FY}/municipalities/{HACHIOJI}",
                json={"answers": answers(m1=True, m2=True)},
            )
            theirs_m = await c.put(
                f"/api/v1/centres/evaluations/{FY}/municipalities/{CHIYODA}",
                json={"answers": answers(m1=True, m2=True)},
            )
            read_other = await c.get(f"/api/v1/centres/{other}/evaluations/{FY}")
        for role in ("viewer", "advisor", "api_client"):
            async with indicators.client(role) as c:
                assert (
                    await put_centre(c, own, version=1, a1=False, a2=False, b1=False)
                ).status_code == 403
        async with indicators.client() as c:
            chiyoda = (
                await c.get(f"/api/v1/centres/evaluations/{FY}/summary?municipality_code={CHIYODA}")
            ).json()
            hachioji = (
                await c.get(
                    f"/api/v1/centres/evaluations/{FY}/summary?municipality_code={HACHIOJI}"
                )
            ).json()
        assert mine.status_code == 200 and mine_m.status_code == 200
        assert theirs.status_code == 403 and theirs_m.status_code == 403
        assert read_other.status_code == 200  # others read
        assert chiyoda["centres"][0]["rate"] is None and chiyoda["municipality_rate"] is None
        assert hachioji["centres"][0]["rate"] == 2 / 3 and hachioji["municipality_rate"] == 1.0


class TestImportAnswers:
    async def test_long_cp932_file_names_every_bad_row_and_writes_nothing(self, indicators):
        async with indicators.client() as c:
            await make_catalogue(c)
            a = await make_centre(c, CHIYODA, "千代田 第1")
            head = ["区市町村コード", "センター名", "項目コード", "結果", "備考"]
            rows = [
                head,
                [CHIYODA, "千代田 第1", "a1", "○", ""],
                [CHIYODA, "千代田 第1", "a2", "×", "研修未実施"],
                [CHIYODA, "千代田 第1", "b1", "△", ""],
                [CHIYODA, "千代田 第9", "a1", "○", ""],
                [CHIYODA, "", "m1", "はい", ""],
                [CHIYODA, "", "m9", "はい", ""],
            ]
            bad = await c.post(
                f"/api/v1/centres/evaluations/{FY}/import",
                files={"file": ("a.csv", csv_bytes(rows, "cp932"))},
            )
            nothing = (await c.get(f"/api/v1/centres/{a}/evaluations/{FY}")).json()
            good_rows = (
                rows[:3]
                + [[CHIYODA, "千代田 第1", "b1", "1", ""]]
                + [
                    [CHIYODA, "", "m1", "はい", ""],
                    [CHIYODA, "", "m2", "いいえ", "検討中"],
                ]
            )
            ok = await c.post(
                f"/api/v1/centres/evaluations/{FY}/import",
                files={"file": ("a.csv", csv_bytes(good_rows, "cp932"))},
            )
            sheet = (await c.get(f"/api/v1/centres/{a}/evaluations/{FY}")).json()
            s = (
                await c.get(f"/api/v1/centres/evaluations/{FY}/summary?municipality_code={CHIYODA}")
            ).json()
        assert bad.status_code == 422
        named = {(e["loc"][1], e["loc"][3]) for e in bad.json()["errors"]}
        # line 6: the municipality's own answers lack m2 (m9 on line 7 is no item)
        assert named == {(4, "結果"), (5, "センター名"), (6, "項目コード"), (7, "項目コード")}
        assert "行 4, 5, 6, 7" in bad.json()["detail"]
        assert nothing["answered"] is False
        assert ok.json() == {"centres": 1, "municipalities": 1, "answers": 5}
        assert [(x["item_code"], x["met"], x["note"]) for x in sheet["answers"]] == [
            ("a1", True, ""),
            ("a2", False, "研修未実施"),
            ("b1", True, ""),
        ]
        assert s["centres"][0]["rate"] == 2 / 3 and s["municipality_rate"] == 0.5

    async def test_a_second_import_replaces_the_answers_and_the_stored_rates(self, indicators):
        head = ["区市町村コード", "センター名", "項目コード", "結果"]
        async with indicators.client() as c:
            await make_catalogue(c)
            a = await make_centre(c, CHIYODA, "千代田 第1")
            b = await make_centre(c, CHIYODA, "千代田 第2")

            def rows(b_a2: str) -> bytes:
                return csv_bytes(
                    [head]
                    + [[CHIYODA, "千代田 第1", i, "○"] for i in ("a1", "a2", "b1")]
                    + [[CHIYODA, "千代田 第2", "a1", "×"], [CHIYODA, "千代田 第2", "a2", b_a2]]
                    + [[CHIYODA, "千代田 第2", "b1", "×"]]
                )

            first = await c.post(
                f"/api/v1/centres/evaluations/{FY}/import", files={"file": ("a.csv", rows("×"))}
            )
            before = (await c.get(f"/api/v1/centres/evaluations/{FY}/areas")).json()
            second = await c.post(
                f"/api/v1/centres/evaluations/{FY}/import", files={"file": ("a.csv", rows("○"))}
            )
            sheet_b = (await c.get(f"/api/v1/centres/{b}/evaluations/{FY}")).json()
            s = (
                await c.get(f"/api/v1/centres/evaluations/{FY}/summary?municipality_code={CHIYODA}")
            ).json()
            after = (await c.get(f"/api/v1/centres/evaluations/{FY}/areas")).json()
            radar = (await c.get(f"/api/v1/centres/{a}/evaluations/{FY}/radar")).json()
        assert first.status_code == 200 and second.status_code == 200
        assert before["prefecture_rate"] == 0.5
        assert sheet_b["version"] == 2 and sheet_b["rate"] == 1 / 3
        assert [x["rate"] for x in s["centres"]] == [1.0, 1 / 3]
        assert s["prefecture_rate"] == (1 + 1 / 3) / 2 == after["prefecture_rate"]
        assert {x["code"]: x["mean_rate"] for x in after["areas"]} == {"A": 0.75, "B": 0.5}
        assert radar["municipality_mean_rate"] == (1 + 1 / 3) / 2

    async def test_wide_xlsx_and_a_missing_item_is_named(self, indicators):
        async with indicators.client() as c:
            await make_catalogue(c)
            a = await make_centre(c, CHIYODA, "千代田 第1")
            b = await make_centre(c, CHUO, "中央 第1")
            head = ["区市町村コード", "センターID", "a1", "a2", "b1"]
            missing = [head, [CHIYODA, a, "○", "○", "○"], [CHUO, b, "×", "", "○"]]
            r1 = await c.post(
                f"/api/v1/centres/evaluations/{FY}/import",
                files={"file": ("w.xlsx", xlsx_bytes(missing))},
            )
            wrong_centre = [head, [CHUO, a, "○", "○", "○"]]
            r2 = await c.post(
                f"/api/v1/centres/evaluations/{FY}/import",
                files={"file": ("w.xlsx", xlsx_bytes(wrong_centre))},
            )
            good = [head, [CHIYODA, a, "○", "○", "○"], [CHUO, b, "×", "×", "○"]]
            r3 = await c.post(
                f"/api/v1/centres/evaluations/{FY}/import",
                files={"file": ("w.xlsx", xlsx_bytes(good))},
            )
            s = (
                await c.get(f"/api/v1/centres/evaluations/{FY}/summary?municipality_code={CHUO}")
            ).json()
        assert r1.status_code == 422
        assert r1.json()["errors"] == [
            {
                "loc": ["line", 3, "column", "a2"],
                "msg": "項目 a2 の結果が空です。○ / × で入力してください",
            }
        ]
        assert r2.status_code == 422 and r2.json()["errors"][0]["loc"] == [
            "line",
            2,
            "column",
            "センターID",
        ]
        assert r3.json() == {"centres": 2, "municipalities": 0, "answers": 6}
        assert s["centres"][0]["rate"] == 1 / 3
        assert s["prefecture_rate"] == (1 + 1 / 3) / 2

    async def test_a_municipality_imports_its_own_rows_only(self, indicators):
        async with indicators.client() as c:
            await make_catalogue(c)
            await make_centre(c, HACHIOJI, "八王子 第1")
        head = ["区市町村コード", "センター名", "項目コード", "結果"]
        rows = [
            head,
            [HACHIOJI, "", "m1", "○"],
            [HACHIOJI, "", "m2", "○"],
            [CHIYODA, "", "m1", "○"],
        ]
        async with indicators.client("municipality", HACHIOJI) as c:
            r = await c.post(
                f"/api/v1/centres/evaluations/{FY}/import",
                files={"file": ("a.csv", csv_bytes(rows))},
            )
            own = await c.post(
                f"/api/v1/centres/evaluations/{FY}/import",
                files={"file": ("a.csv", csv_bytes(rows[:3]))},
            )
        async with indicators.client("viewer") as c:
            viewer = await c.post(
                f"/api/v1/centres/evaluations/{FY}/import",
                files={"file": ("a.csv", csv_bytes(rows[:3]))},
            )
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"] == ["line", 4, "column", "区市町村コード"]
        assert own.json() == {"centres": 0, "municipalities": 1, "answers": 2}
        assert viewer.status_code == 403
        async with indicators.client() as c:
            s = (
                await c.get(
                    f"/api/v1/centres/evaluations/{FY}/summary?municipality_code={HACHIOJI}"
                )
            ).json()
        assert s["municipality_rate"] == 1.0 and s["centres"][0]["rate"] is None


class TestCharts:
    async def test_radar_compares_with_the_municipality_and_the_prefecture(self, indicators):
        async with indicators.client() as c:
            await make_catalogue(c)
            a = await make_centre(c, CHIYODA, "千代田 第1")
            b = await make_centre(c, CHIYODA, "千代田 第2")
            h = await make_centre(c, HACHIOJI, "八王子 第1")
            await put_centre(c, a, a1=True, a2=False, b1=True)  # A 1/2, B 1
            await put_centre(c, b, a1=True, a2=True, b1=False)  # A 1, B 0
            await put_centre(c, h, a1=False, a2=False, b1=False)  # A 0, B 0
            r = (await c.get(f"/api/v1/centres/{a}/evaluations/{FY}/radar")).json()
        assert r["rate"] == 2 / 3
        assert r["municipality_mean_rate"] == (2 / 3 + 2 / 3) / 2
        assert r["prefecture_rate"] == (2 / 3 + 2 / 3 + 0) / 3
        assert [
            (x["code"], x["rate"], x["municipality_mean"], x["prefecture_mean"]) for x in r["areas"]
        ] == [("A", 0.5, 0.75, 0.5), ("B", 1.0, 0.5, 1 / 3)]

    async def test_weakest_areas_first_with_items_training_kinds_and_a_reference(self, indicators):
        async with indicators.client() as c:
            await make_catalogue(c)
            a = await make_centre(c, CHIYODA, "千代田 第1")
            b = await make_centre(c, CHUO, "中央 第1")
            await put_centre(c, a, a1=True, a2=False, b1=False)
            await put_centre(c, b, a1=True, a2=True, b1=False)
            r = (await c.get(f"/api/v1/centres/evaluations/{FY}/areas")).json()
        assert r["sheets"] == 2 and r["prefecture_rate"] == 0.5
        assert [(x["code"], x["rank"], x["mean_rate"]) for x in r["areas"]] == [
            ("B", 1, 0.0),
            ("A", 2, 0.75),
        ]
        assert r["areas"][0]["training_kinds"] == ["地域ケア会議 司会者・助言者養成"]
        assert r["areas"][0]["reference"] == f"centre-eval-area:{FY}:centre:B"
        assert [(i["code"], i["met_share"]) for i in r["areas"][1]["items"]] == [
            ("a2", 0.5),
            ("a1", 1.0),
        ]

    async def test_the_municipalitys_own_items_beside_the_prefecture(self, indicators):
        async with indicators.client() as c:
            await make_catalogue(c)
            for code, m1, m2 in ((CHIYODA, True, False), (CHUO, True, True)):
                await c.put(
                    f"/api/v1/centres/evaluations/{FY}/municipalities/{code}",
                    json={"answers": answers(m1=m1, m2=m2)},
                )
            r = (await c.get(f"/api/v1/centres/evaluations/{FY}/municipalities/{CHIYODA}")).json()
        assert r["rate"] == 0.5 and r["prefecture_rate"] == 0.75
        assert [(x["code"], x["rate"], x["prefecture_mean"]) for x in r["areas"]] == [
            ("A", 1.0, 1.0),
            ("B", 0.0, 0.5),
        ]
        assert [
            (x["item_code"], x["met"], x["note"], x["prefecture_met_share"]) for x in r["answers"]
        ] == [
            ("m1", True, "", 1.0),
            ("m2", False, "未対応", 0.5),
        ]


class TestDemo:
    async def test_tokyos_457_centres_with_the_seeds_split_and_staff(self, demo):
        async with demo["indicators"].client() as c:
            stats = (await c.get("/api/v1/centres/stats?fiscal_year=2020")).json()
            listed = (await c.get("/api/v1/centres?municipality_code=132012")).json()
            cats = (await c.get("/api/v1/centres/catalogues")).json()
            s = (
                await c.get("/api/v1/centres/evaluations/2020/summary?municipality_code=132012")
            ).json()
            areas = (await c.get("/api/v1/centres/evaluations/2020/areas")).json()
            radar = (
                await c.get(f"/api/v1/centres/{listed[0]['id']}/evaluations/2020/radar")
            ).json()
        assert stats["total"] == 457
        assert stats["by_area"] == [
            {"area": "区部", "total": 288, "直営": 4, "委託": 284},
            {"area": "市町村部", "total": 169, "直営": 13, "委託": 156},
        ]
        assert round(stats["staff_mean"], 1) == 8.4
        assert stats["published"]["staff_mean"] == {"東京都": 8.4, "全国": 8.1}
        assert len(stats["by_municipality"]) == 62
        assert all("サンプル" in x["name"] for x in listed) and all(x["sample"] for x in listed)
        assert cats[0]["sample"] and cats[0]["state"] == "暫定"
        assert "サンプル" in cats[0]["name"]
        assert cats[0]["answered"] == {"centre": 457, "municipality": 62}
        assert len(s["centres"]) == len(listed) and all(0 <= x["rate"] <= 1 for x in s["centres"])
        assert 0 < s["prefecture_rate"] < 1
        assert areas["sheets"] == 457 and areas["areas"][0]["code"] in ("2-4", "3")
        assert len(radar["areas"]) == 7 and radar["municipality_centres"] == len(listed)


class TestDryRun:
    """dry_run=true (the gateway's import wizard previews with it): checked and counted, or the
    422 naming every bad row, and nothing kept."""

    async def test_register_answers_and_items_previewed_without_writing(self, indicators):
        register = csv_bytes(
            [
                ["区市町村コード", "センター名", "年度", "設置形態"],
                [CHIYODA, "千代田 第1", FY, "委託"],
            ]
        )
        items = csv_bytes(
            [
                ["対象", "業務分野", "項目コード", "評価項目"],
                ["センター", "地域ケア会議", "c1", "会議"],
            ]
        )
        async with indicators.client() as c:
            r = await c.post(
                "/api/v1/centres/import",
                params={"dry_run": "true"},
                files={"file": ("c.csv", register)},
            )
            centres = (await c.get("/api/v1/centres", params={"prefecture": "13"})).json()
            cat = await c.post(
                f"/api/v1/centres/catalogues/{FY}/import",
                params={"dry_run": "true"},
                data={"name": "試験"},
                files={"file": ("i.csv", items)},
            )
            missing = await c.get(f"/api/v1/centres/catalogues/{FY}")
            await make_catalogue(c)
            cid = await make_centre(c, CHIYODA, "千代田 第1")
            answers_csv = csv_bytes(
                [["区市町村コード", "センター名", "項目コード", "結果"]]
                + [[CHIYODA, "千代田 第1", i, "○"] for i in ("a1", "a2", "b1")]
            )
            a = await c.post(
                f"/api/v1/centres/evaluations/{FY}/import",
                params={"dry_run": "true"},
                files={"file": ("a.csv", answers_csv)},
            )
            sheet = (await c.get(f"/api/v1/centres/{cid}/evaluations/{FY}")).json()
        assert r.status_code == 200 and r.json() == {"centres_created": 1, "years_written": 1}
        assert centres == []
        assert cat.status_code == 200 and [i["code"] for i in cat.json()["items"]] == ["c1"]
        assert missing.status_code == 404
        assert a.status_code == 200 and a.json()["answers"] == 3
        assert sheet["answered"] is False

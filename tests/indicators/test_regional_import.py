"""Importing regional figures: CSV (cp932, UTF-8 with BOM) and XLSX as the 見える化 system and the
介護保険事業状況報告 export them, detected column mapping, preview with every problem named,
mapping fixes, commit all or nothing."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from openpyxl import Workbook

from services.indicators.regional.catalogue import load_shipped_catalogue
from services.indicators.regional.entities import insurer_number
from tests.helpers import COORDINATOR
from tests.indicators.test_regional import CHIYODA, CHUO, FY, HACHIOJI, MINATO, compare, measure


@pytest.fixture
async def regional(indicators):
    """The indicators service with the shipped measure catalogue (tests truncate tables)."""
    async with indicators.db.session(write=True) as s:
        await load_shipped_catalogue(s, actor=COORDINATOR)
        await s.commit()
    return indicators


async def upload(c, name: str, data: bytes, **form: Any):
    fields = {
        k: (json.dumps(v, ensure_ascii=False) if k == "mapping" else str(v))
        for k, v in form.items()
    }
    return await c.post("/api/v1/regional/imports", files={"file": (name, data)}, data=fields)


def mieruka_csv() -> bytes:
    """A 見える化-style export: title lines, insurer numbers, totals, a '-' cell, thousands."""
    lines = [
        "地域包括ケア「見える化」システム 指標一覧",
        "出力日,2024/03/15",
        "",
        "保険者番号,保険者名,認定率(%),調整済み認定率(%),第1号被保険者数(人)",
        '000000,全国,19.0,19.0,"35,850,000"',
        '130001,東京都,20.3,20.5,"3,100,000"',
        f'{insurer_number(CHIYODA)},千代田区,20.1,19.5,"11,234"',
        f'{insurer_number(CHUO)},中央区,17.8,18.9,"25,120"',
        f'{HACHIOJI},八王子市,18.2,-,"150,000"',
        "注: 数値はテスト用",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def xlsx(rows: list[list[Any]], title: str = "指標") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class TestPreviewAndCommit:
    async def test_cp932_export_detected_previewed_and_committed(self, regional):
        async with regional.client() as c:
            r = await upload(
                c, "mieruka.csv", mieruka_csv(), fiscal_year=FY, source="見える化 2024-03-15 取得"
            )
            assert r.status_code == 201, r.text
            p = r.json()
            # nothing written before commit
            before = measure(await compare(c, CHIYODA), "certification_rate")
            done = await c.post(
                f"/api/v1/regional/imports/{p['id']}/commit", json={"version": p["version"]}
            )
            assert done.status_code == 200, done.text
            body = await compare(c, CHIYODA)
            across = (await c.get(f"/api/v1/regional/{FY}/measures/first_insured")).json()
        assert p["header_row"] == 4 and p["format"] == "wide"
        assert p["mapping"]["entity_column"] == "保険者番号"
        assert p["mapping"]["columns"] == {
            "認定率(%)": {"measure_code": "certification_rate"},
            "調整済み認定率(%)": {"measure_code": "adjusted_certification_rate"},
            "第1号被保険者数(人)": {"measure_code": "first_insured"},
        }
        assert [h["role"] for h in p["headers"]] == [
            "entity",
            "name",
            "measure",
            "measure",
            "measure",
        ]
        assert p["problems"] == [] and p["ready"] is True
        assert p["rows"] == 6  # title lines above the header are not data
        assert p["values"] == 8  # 3 × 3 minus the '-' cell
        assert {s["line"] for s in p["skipped"]} == {5, 6, 9, 10}
        assert p["sample"][0] == {
            "line": 7,
            "entity_code": CHIYODA,
            "entity_name": "千代田区",
            "measure_code": "certification_rate",
            "fiscal_year": FY,
            "value": 20.1,
        }
        assert before["value"] is None
        assert done.json()["status"] == "committed" and done.json()["written"] == 8
        assert measure(body, "certification_rate")["value"] == 20.1
        assert measure(body, "adjusted_certification_rate")["value"] == 19.5
        rows = {m["entity_code"]: m for g in across["groups"] for m in g["municipalities"]}
        assert rows[HACHIOJI]["value"] == 150000
        assert rows[CHIYODA]["source"] == "見える化 2024-03-15 取得"

    async def test_xlsx_with_years_in_the_headers(self, regional):
        data = xlsx(
            [
                ["団体コード", "名称", "認定率 令和4年度", "認定率 令和5年度", "高齢化率(R5)"],
                [int(CHIYODA), "千代田区", 19.8, 20.1, 17.5],
                [13102, "中央区", 17.0, 17.8, 16.0],  # five digits, no check digit
            ]
        )
        async with regional.client() as c:
            p = (await upload(c, "multi.xlsx", data)).json()
            assert p["ready"] is True, p["problems"]
            await c.post(
                f"/api/v1/regional/imports/{p['id']}/commit", json={"version": p["version"]}
            )
            trend = (
                await c.get(
                    "/api/v1/regional/trend",
                    params={"entity_code": CHUO, "measures": "certification_rate,aging_rate"},
                )
            ).json()
        assert p["sheets"] == ["指標"] and p["sheet"] == "指標"
        assert p["fiscal_years"] == [2022, 2023]
        assert p["mapping"]["columns"]["認定率 令和4年度"] == {
            "measure_code": "certification_rate",
            "fiscal_year": 2022,
        }
        cert, aging = trend["measures"]
        assert [(x["fiscal_year"], x["value"]) for x in cert["points"]] == [
            (2022, 17.0),
            (2023, 17.8),
        ]
        assert [x["value"] for x in aging["points"]] == [None, 16.0]

    async def test_wide_rows_of_several_years_with_a_year_column(self, regional):
        text = (
            "保険者番号,年度,認定率,通いの場参加率\n"
            f"{CHIYODA},令和4年度,19.9,4.1\n"
            f"{CHIYODA},2023,20.1,4.4\n"
            f"{CHUO},R5,17.8,\n"
            f"{CHUO},来年,17.9,1\n"  # line 5: no year
        )
        async with regional.client() as c:
            p = (await upload(c, "years.csv", text.encode("cp932"), fiscal_year=2020)).json()
        assert p["mapping"]["year_column"] == "年度"
        assert [h["role"] for h in p["headers"]] == ["entity", "year", "measure", "measure"]
        assert p["problems"] == [
            {
                "loc": ["line", 5, "column", "年度"],
                "msg": "年度が読めません: '来年' (例: 2023, 令和5年度, R5)",
            }
        ]
        assert [(s["fiscal_year"], s["measure_code"], s["value"]) for s in p["sample"]] == [
            (2022, "certification_rate", 19.9),
            (2022, "kayoinoba_rate", 4.1),
            (2023, "certification_rate", 20.1),
            (2023, "kayoinoba_rate", 4.4),
            (2023, "certification_rate", 17.8),
        ]

    async def test_long_format_utf8_bom_with_a_year_column(self, regional):
        text = (
            "団体コード,年度,指標名,値\n"
            f"{CHIYODA},令和5年度,要介護認定率,20.1\n"
            f"{CHIYODA},2022,通いの場の参加率,5.5%\n"
            f"{CHUO},R5,受給率（施設サービス）,1.25\n"
        )
        async with regional.client() as c:
            p = (await upload(c, "long.csv", text.encode("utf-8-sig"))).json()
            await c.post(
                f"/api/v1/regional/imports/{p['id']}/commit", json={"version": p["version"]}
            )
            body = await compare(c, CHUO)
        assert p["format"] == "long" and p["problems"] == []
        assert [(s["measure_code"], s["fiscal_year"], s["value"]) for s in p["sample"]] == [
            ("certification_rate", 2023, 20.1),
            ("kayoinoba_rate", 2022, 5.5),
            ("receipt_rate_facility", 2023, 1.25),
        ]
        assert measure(body, "receipt_rate_facility")["value"] == 1.25

    async def test_mapping_by_column_letter_with_a_scale(self, regional):
        text = f"コード,比率A,メモ\n{CHIYODA},0.195,x\n{MINATO},0.2,y\n"
        async with regional.client() as c:
            first = (await upload(c, "ratio.csv", text.encode())).json()
            p = (
                await upload(
                    c,
                    "ratio.csv",
                    text.encode(),
                    fiscal_year=FY,
                    mapping={
                        "columns": {"B": {"measure_code": "certification_rate", "scale": 100}}
                    },
                )
            ).json()
            await c.post(
                f"/api/v1/regional/imports/{p['id']}/commit", json={"version": p["version"]}
            )
            body = await compare(c, CHIYODA)
        assert first["ready"] is False
        assert first["problems"][0]["loc"] == ["mapping", "columns"]
        assert [s["value"] for s in p["sample"]] == [19.5, 20.0]
        assert measure(body, "certification_rate")["value"] == 19.5


class TestProblems:
    async def test_every_bad_row_named_and_commit_refused_with_nothing_written(self, regional):
        text = (
            "保険者番号,保険者名,認定率(%),第1号被保険者数\n"
            f"{CHIYODA},千代田区,20.1,11000\n"  # good
            "131012,誤り,19.0,100\n"  # line 3: check digit
            f"{CHUO},中央区,abc,100\n"  # line 4: not a number
            f"{MINATO},港区,130,100\n"  # line 5: above 100 %
            f"{HACHIOJI},八王子市,18.0,100.5\n"  # line 6: people are whole
            f"{insurer_number(CHIYODA)},千代田区,20.3,11000\n"  # line 7: same as line 2
        )
        async with regional.client() as c:
            p = (await upload(c, "bad.csv", text.encode("cp932"), fiscal_year=FY)).json()
            r = await c.post(
                f"/api/v1/regional/imports/{p['id']}/commit", json={"version": p["version"]}
            )
            after = measure(await compare(c, CHIYODA), "certification_rate")
            again = (await c.get(f"/api/v1/regional/imports/{p['id']}")).json()
        assert p["ready"] is False
        assert sorted({e["loc"][1] for e in p["problems"]}) == [3, 4, 5, 6, 7]
        cols = {(e["loc"][1], e["loc"][3]) for e in p["problems"]}
        assert cols == {
            (3, "保険者番号"),
            (4, "認定率(%)"),
            (5, "認定率(%)"),
            (6, "第1号被保険者数"),
            (7, "保険者番号"),
        }
        assert r.status_code == 422
        assert r.json()["errors"] == p["problems"]
        assert "行 3, 4, 5, 6, 7" in r.json()["detail"]
        assert after["value"] is None  # not even line 2
        assert again["status"] == "preview"

    async def test_missing_year_fixed_in_the_mapping_step(self, regional):
        text = f"団体コード,高齢化率\n{CHIYODA},17.5\n"
        async with regional.client() as c:
            p = (await upload(c, "noyear.csv", text.encode())).json()
            fixed = await c.put(
                f"/api/v1/regional/imports/{p['id']}",
                json={"version": p["version"], "fiscal_year": FY},
            )
            stale = await c.post(
                f"/api/v1/regional/imports/{p['id']}/commit", json={"version": p["version"]}
            )
            f = fixed.json()
            ok = await c.post(
                f"/api/v1/regional/imports/{p['id']}/commit", json={"version": f["version"]}
            )
            twice = await c.post(
                f"/api/v1/regional/imports/{p['id']}/commit", json={"version": ok.json()["version"]}
            )
            listed = (await c.get("/api/v1/regional/imports")).json()
        assert p["ready"] is False and "年度" in p["problems"][0]["msg"]
        assert fixed.status_code == 200 and f["ready"] is True
        assert stale.status_code == 409
        assert ok.status_code == 200 and ok.json()["written"] == 1
        assert twice.status_code == 409
        assert listed[0]["id"] == p["id"] and listed[0]["status"] == "committed"

    async def test_unreadable_files_and_bad_mapping_are_422(self, regional):
        async with regional.client() as c:
            fake = await upload(c, "x.xlsx", b"PK\x03\x04 not really a workbook")
            sjis_broken = await upload(c, "x.csv", b"\x85\x40\x85\x41,1\n")
            bad_map = await upload(c, "x.csv", b"a,b\n", mapping={"header_row": 0})
            no_header = await upload(c, "x.csv", "名前,値\nあ,1\n".encode())
            listed = (await c.get("/api/v1/regional/imports")).json()
        assert fake.status_code == 422 and "XLSX" in fake.json()["detail"]
        assert sjis_broken.status_code == 422
        assert bad_map.status_code == 422
        # an unrecognised table is kept as a preview that says what to map
        assert no_header.status_code == 201
        assert no_header.json()["problems"][0]["loc"] == ["mapping", "header_row"]
        assert [i["file_name"] for i in listed] == ["x.csv"]

    async def test_only_staff_import(self, regional):
        async with regional.client("municipality", CHIYODA) as c:
            r = await upload(c, "m.csv", mieruka_csv(), fiscal_year=FY)
        assert r.status_code == 403

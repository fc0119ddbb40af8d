"""PDCA sheets (取組と目標): targets, progress, metric sources, versions, who may edit, XLSX."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.indicators.factories import CHIYODA, CHUO

COMPLETERS = "training.completers:地域ケア会議 司会者・助言者養成:2018-2020"


def sheet(entity: str = "130001") -> dict:
    return {
        "entity_code": entity,
        "title": "区市町村への支援の取組と目標",
        "start_fy": 2018,
        "end_fy": 2020,
        "items": [
            {
                "code": "2-(1)-事項1",
                "section": "2 地域ケア会議及び介護予防の効果的な実施に向けた支援",
                "title": "地域ケア会議の司会者・助言者の養成",
                "target": {
                    "kind": "cumulative",
                    "value": 1350,
                    "unit": "人",
                    "start_fy": 2018,
                    "end_fy": 2020,
                    "text": "1,350人",
                },  # fmt: skip
                "current_issues": "司会者や助言者の養成が必要",
                "vision": "各区市町村で司会者・助言者が確保されている",
                "metric_source": COMPLETERS,
                "years": [
                    {
                        "fiscal_year": 2018,
                        "actions": "修了者352人",
                        "actual_value": 352,
                        "self_evaluation": "達成",
                        "next_steps": "規模を拡大",
                    },  # fmt: skip
                    {"fiscal_year": 2019, "actions": "修了者428人", "actual_value": 428},
                ],
            },
            {
                "code": "1-事項1",
                "title": "見える化システム活用研修",
                "target": {"kind": "qualitative", "text": "年1回以上"},
                "years": [{"fiscal_year": 2019, "self_evaluation": "一部達成"}],
            },
        ],
    }


class TestSheets:
    async def test_progress_from_entered_values_and_from_a_metric_source(self, indicators):
        async with indicators.client() as c:
            r = await c.post("/api/v1/pdca/sheets", json=sheet())
            sid = r.json()["id"]
            linked = (
                await c.post(
                    f"/api/v1/pdca/sheets/{sid}/progress", json={"metrics": {COMPLETERS: 1199}}
                )
            ).json()
        assert r.status_code == 201
        p = r.json()["progress"][0]
        assert (p["actual"], p["actual_from"]) == (780, "entered")
        assert p["progress"] == 780 / 1350
        assert p["achieved"] is False
        assert r.json()["progress"][1]["latest_self_evaluation"] == "一部達成"
        assert r.json()["progress"][1]["progress"] is None
        assert r.json()["metric_sources"] == [COMPLETERS]
        lp = linked["progress"][0]
        assert (lp["actual"], lp["actual_from"]) == (1199, "metric")

    async def test_stale_version_gets_409_and_changes_nothing(self, indicators):
        async with indicators.client() as c:
            created = (await c.post("/api/v1/pdca/sheets", json=sheet())).json()
            sid = created["id"]
            first = await c.put(
                f"/api/v1/pdca/sheets/{sid}", json={**sheet(), "title": "第一版", "version": 1}
            )
            stale = await c.put(
                f"/api/v1/pdca/sheets/{sid}", json={**sheet(), "title": "古い版", "version": 1}
            )
            now = (await c.get(f"/api/v1/pdca/sheets/{sid}")).json()
        assert first.status_code == 200
        assert first.json()["version"] == 2
        assert stale.status_code == 409
        assert stale.json()["current_version"] == 2
        assert now["title"] == "第一版"

    async def test_municipality_edits_its_own_sheet_only(self, indicators):
        async with indicators.client("municipality", CHIYODA) as c:
            own = await c.post("/api/v1/pdca/sheets", json=sheet(CHIYODA))
            other = await c.post("/api/v1/pdca/sheets", json=sheet(CHUO))
        async with indicators.client() as c:
            chuo = (await c.post("/api/v1/pdca/sheets", json=sheet(CHUO))).json()
        async with indicators.client("municipality", CHIYODA) as c:
            read_other = await c.get(f"/api/v1/pdca/sheets/{chuo['id']}")
            listed = (await c.get("/api/v1/pdca/sheets")).json()
            edit = await c.put(
                f"/api/v1/pdca/sheets/{own.json()['id']}",
                json={**sheet(CHIYODA), "title": "千代田区の取組", "version": 1},
            )
        async with indicators.client("viewer") as c:
            viewer = await c.put(
                f"/api/v1/pdca/sheets/{chuo['id']}", json={**sheet(CHUO), "version": 1}
            )
        assert own.status_code == 201
        assert other.status_code == 404
        assert read_other.status_code == 404
        assert [s["entity_code"] for s in listed] == [CHIYODA]
        assert edit.json()["updated_by"] == "u-municipality:テスト municipality"
        assert viewer.status_code == 403

    async def test_xlsx_has_item_rows_and_year_columns(self, indicators):
        async with indicators.client() as c:
            sid = (await c.post("/api/v1/pdca/sheets", json=sheet())).json()["id"]
            r = await c.get(f"/api/v1/pdca/sheets/{sid}/export.xlsx")
        ws = load_workbook(io.BytesIO(r.content)).active
        assert ws.cell(2, 1).value == "事項"
        assert ws.cell(2, 5).value == "平成30年度 (2018年度)"
        assert ws.cell(3, 5).value == "取組の実施内容・実績"
        assert ws.cell(3, 6).value == "自己評価と今後の課題・対応策"
        assert ws.cell(4, 1).value.startswith("2 地域ケア会議")
        assert ws.cell(5, 2).value == "1,350人"
        assert "修了者352人" in ws.cell(5, 5).value
        assert ws.cell(5, 6).value.startswith("【達成】")

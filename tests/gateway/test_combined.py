"""Contract tests of the combined JSON: the gateway's real clients against the real service
apps and their databases, loaded with each service's demo data."""

import asyncio
import csv
import io
from datetime import date

import httpx
from openpyxl import load_workbook

from services.common.fiscal import fiscal_year_of
from tests.conftest import GatewayFactory, ServiceHarness
from tests.gateway.test_shell import RecordingTransport, RefusingTransport

FY = fiscal_year_of(date.today())
HACHIOJI = "132012"  # the demo's case at 実施・検証


async def direct(h: ServiceHarness, path: str, **params):  # type: ignore[no-untyped-def]
    async with h.client() as c:
        r = await c.get(path, params=params)
        assert r.status_code == 200, r.text
        return r.json()


class HangingTransport(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        await asyncio.sleep(5)
        return httpx.Response(200, json={})


class TestOverview:
    async def test_combines_every_service(self, demo, gateway: httpx.AsyncClient) -> None:
        r = await gateway.get(
            f"/api/v1/municipalities/{HACHIOJI}/overview", params={"fiscal_year": FY}
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["unavailable"] == []
        assert (
            body["municipality"]["name"] == "八王子市"
            and body["municipality"]["region_class"] == "市部"
        )

        latest = await direct(
            demo["indicators"], "/api/v1/results/latest", prefecture="13", entity_code=HACHIOJI
        )
        expected = {
            b["grant"]: next(e for e in b["entities"] if e["entity_code"] == HACHIOJI)
            for b in latest
        }
        grants = {g["grant"]: g for g in body["indicators"]["grants"]}
        assert set(grants) == set(expected) and grants
        for grant, e in expected.items():
            assert grants[grant]["total"] == e["total"]
            assert grants[grant]["score_rate"] == e["score_rate"]
            assert grants[grant]["peer_rank"] == e["peer_rank"]
            assert "items" in grants[grant]["recover"]

        cases = await direct(demo["support_cases"], "/api/v1/cases", municipality_code=HACHIOJI)
        assert [c["status"] for c in body["support"]["cases"]] == [c["status"] for c in cases]
        assert body["support"]["cases"][0]["status"] == "実施・検証"
        assert body["support"]["cases"][0]["advisors"], "advisor names"

        part = await direct(
            demo["training"], "/api/v1/participation", fiscal_year=FY, municipality_code=HACHIOJI
        )
        row = part["municipalities"][0]
        assert body["training"]["completers"] == row["completers"]
        assert body["training"]["sessions_attended"] == row["sessions_attended"]

    async def test_degraded_when_training_is_down(
        self, demo, gateway_factory: GatewayFactory
    ) -> None:
        gw = await gateway_factory({"training": RefusingTransport()})
        r = await gw.get(f"/api/v1/municipalities/{HACHIOJI}/overview")
        assert r.status_code == 200
        assert r.json()["unavailable"] == ["training"]
        assert r.json()["training"] is None
        assert r.json()["indicators"]["grants"], "the other parts are there"

        r = await gw.get(f"/api/v1/municipalities/{HACHIOJI}/overview", params={"complete": "true"})
        assert r.status_code == 503
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["unavailable"] == ["training"]
        assert "training" in r.json()["detail"]

    async def test_slow_service_is_cut_at_the_timeout(
        self, demo, gateway_factory: GatewayFactory
    ) -> None:
        hang = HangingTransport()
        gw = await gateway_factory({"support_cases": hang}, service_timeout_seconds=1.5)
        t0 = asyncio.get_running_loop().time()
        r = await gw.get(f"/api/v1/municipalities/{HACHIOJI}/overview")
        assert r.status_code == 200 and r.json()["unavailable"] == ["support_cases"]
        assert asyncio.get_running_loop().time() - t0 < 4, "cut at the deadline, not the 5 s hang"

    async def test_a_dead_service_is_skipped_after_repeated_failures(
        self, demo, gateway_factory: GatewayFactory
    ) -> None:
        hang = HangingTransport()
        gw = await gateway_factory(
            {"support_cases": hang}, service_timeout_seconds=1.5, circuit_failure_threshold=2
        )
        for _ in range(2):
            await gw.get(f"/api/v1/municipalities/{HACHIOJI}/overview")
        sent = hang.calls
        r = await gw.get(f"/api/v1/municipalities/{HACHIOJI}/overview")
        assert r.json()["unavailable"] == ["support_cases"]
        assert hang.calls == sent, "an open circuit costs no waiting"

    async def test_another_municipality_is_hidden_from_municipality_staff(
        self, demo, gateway_factory: GatewayFactory
    ) -> None:
        gw = await gateway_factory(role="municipality", municipality="131016")
        assert (await gw.get("/api/v1/municipalities/131016/overview")).status_code == 200
        assert (await gw.get(f"/api/v1/municipalities/{HACHIOJI}/overview")).status_code == 404

    async def test_bad_code_is_422(self, gateway: httpx.AsyncClient) -> None:
        assert (await gateway.get("/api/v1/municipalities/131017/overview")).status_code == 422

    async def test_fixed_number_of_service_calls(
        self, demo, gateway_factory: GatewayFactory
    ) -> None:
        rec = {n: RecordingTransport(httpx.ASGITransport(app=h.app)) for n, h in demo.items()}
        gw = await gateway_factory(rec)
        for code in ("131016", HACHIOJI):
            before = sum(len(t.requests) for t in rec.values())
            assert (await gw.get(f"/api/v1/municipalities/{code}/overview")).status_code == 200
            assert sum(len(t.requests) for t in rec.values()) - before <= 8


class TestGrantReport:
    async def test_evidence_matches_the_services(self, demo, gateway: httpx.AsyncClient) -> None:
        r = await gateway.get(f"/api/v1/grant-report/{FY}")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["unavailable"] == []
        assert len(body["municipalities"]) == 62
        ev = {e["key"]: e for e in body["prefecture"]["evidence"]}

        stats = await direct(demo["training"], "/api/v1/stats", fiscal_year=FY)
        assert ev["trainings_held_by_kind"]["value"] == stats["sessions_held_by_kind"]
        assert ev["municipalities_reached"]["value"] == len(stats["municipalities_reached"])
        assert ev["trainings_held_by_kind"]["source"] == {
            "service": "training",
            "query": f"GET /api/v1/stats?fiscal_year={FY}",
            "field": "sessions_held_by_kind",
        }

        summary = await direct(demo["support_cases"], f"/api/v1/rounds/{FY}/summary")
        assert ev["advisor_dispatches"]["value"] == summary["advisor_dispatches"] > 0
        assert ev["advisor_hours"]["value"] == summary["advisor_hours"]
        cases = await direct(demo["support_cases"], "/api/v1/cases", fiscal_year=FY)
        assert (
            ev["model_projects"]["value"] == len([c for c in cases if c["status"] != "中止"]) == 3
        )

        for key in [k for k in ev if k.startswith("low_score_municipalities:")]:
            fid = ev[key]["source"]["query"].split("/frameworks/")[1].split("/")[0]
            res = await direct(
                demo["indicators"], f"/api/v1/frameworks/{fid}/results", prefecture="13"
            )
            assert ev[key]["value"] == res["summary"]["low_count"] >= 1
            flagged = {
                e["entity_code"]
                for e in res["entities"]
                if any(f["code"] == "low_score_rate" for f in e["flags"])
            }
            assert {m["code"] for m in body["municipalities"] if m["flagged"]} >= flagged

        hachioji = next(m for m in body["municipalities"] if m["code"] == HACHIOJI)
        assert hachioji["support_case_status"] == "実施・検証"
        assert hachioji["grants"] and hachioji["grants"][0]["allocation_estimate"] is not None
        assert body["prefecture"]["results"], "Tokyo's own results"

    async def test_csv_has_a_bom_and_every_municipality(
        self, demo, gateway: httpx.AsyncClient
    ) -> None:
        r = await gateway.get(f"/api/v1/grant-report/{FY}", params={"format": "csv"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert r.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        codes = {row[0] for row in rows if row and row[0].isdigit() and len(row[0]) == 6}
        assert len(codes) == 62
        assert any(row and row[0] == "団体コード" for row in rows)

    async def test_xlsx_has_a_sheet_per_section(self, demo, gateway: httpx.AsyncClient) -> None:
        r = await gateway.get(f"/api/v1/grant-report/{FY}", params={"format": "xlsx"})
        wb = load_workbook(io.BytesIO(r.content))
        assert wb.sheetnames == ["区市町村", "配分見込額の根拠", "都道府県の根拠", "都道府県の得点"]
        assert wb["区市町村"]["A1"].value == "団体コード"
        assert wb["区市町村"].max_row >= 63

    async def test_degraded_and_complete(self, demo, gateway_factory: GatewayFactory) -> None:
        gw = await gateway_factory({"indicators": RefusingTransport()})
        r = await gw.get(f"/api/v1/grant-report/{FY}")
        assert r.status_code == 200 and r.json()["unavailable"] == ["indicators"]
        assert (
            await gw.get(f"/api/v1/grant-report/{FY}", params={"complete": "true"})
        ).status_code == 503

    async def test_fixed_number_of_service_calls(
        self, demo, gateway_factory: GatewayFactory
    ) -> None:
        rec = {n: RecordingTransport(httpx.ASGITransport(app=h.app)) for n, h in demo.items()}
        gw = await gateway_factory(rec)
        assert (await gw.get(f"/api/v1/grant-report/{FY}")).status_code == 200
        assert sum(len(t.requests) for t in rec.values()) <= 12

    async def test_not_for_municipality_staff(self, gateway_factory: GatewayFactory) -> None:
        gw = await gateway_factory(role="municipality", municipality="131016")
        assert (await gw.get(f"/api/v1/grant-report/{FY}")).status_code == 403


class TestSupportCandidates:
    async def test_applicants_first_with_reasons_and_a_balanced_selection(
        self, demo, gateway: httpx.AsyncClient
    ) -> None:
        r = await gateway.get("/api/v1/support-candidates", params={"fiscal_year": FY})
        assert r.status_code == 200, r.text
        body = r.json()
        apps = await direct(demo["support_cases"], "/api/v1/applications", fiscal_year=FY)
        applied = {a["municipality_code"] for a in apps}
        rows = body["candidates"]
        assert len(rows) == 62
        assert {c["code"] for c in rows[: len(applied)]} == applied
        assert all(
            c["reasons"] and c["reasons"][0].startswith("支援を希望") for c in rows[: len(applied)]
        )
        weak = [c["weakness"] for c in rows[len(applied) :] if c["weakness"] is not None]
        assert weak == sorted(weak, reverse=True)
        from services.common.registry import get_registry

        classes = [get_registry().get(c).region_class for c in body["suggested"]]
        assert len(classes) == len(set(classes)), "at most one per region class by default"
        assert set(body["suggested"]) <= applied


class TestImpactAndPdca:
    async def test_impact_says_plainly_when_there_is_no_result_after_support(
        self, demo, gateway: httpx.AsyncClient
    ) -> None:
        r = await gateway.get("/api/v1/impact")
        assert r.status_code == 200, r.text
        assert r.json()["items"] == [] and not r.json()["enough_data"]
        assert "比較できません" in r.json()["note"]

    async def test_impact_compares_supported_with_unsupported_peers(
        self, demo, gateway: httpx.AsyncClient
    ) -> None:
        from services.common.registry import get_registry
        from tests.support_cases import factories as f

        async with demo["support_cases"].client() as c:
            await f.make_round(c, 2019)
            adv = await f.make_advisor(c)
            await f.make_application(c, HACHIOJI, 2019)
            body = {
                "fiscal_year": 2019,
                "municipality_code": HACHIOJI,
                "theme": "介護予防",
                "advisor_ids": [adv["id"]],
                "indicator_item_codes": ["Ⅱ-地域ケア会議"],
            }
            assert (await c.post("/api/v1/cases", json=body)).status_code == 201
        r = await gateway.get("/api/v1/impact", params={"theme": "介護予防"})
        assert r.status_code == 200, r.text
        items = [i for i in r.json()["items"] if i["item_code"] == "Ⅱ-地域ケア会議"]
        assert items, r.json()
        item = items[0]
        fws = await direct(
            demo["indicators"], "/api/v1/frameworks", level="municipality", grant="suishin"
        )
        latest = max(fws, key=lambda x: x["grant_fy"])
        comp = await direct(
            demo["indicators"],
            f"/api/v1/frameworks/{latest['id']}/compare",
            prefecture="13",
            item_codes="Ⅱ-地域ケア会議",
        )
        diffs = {
            e["entity_code"]: next(i["diff"] for i in e["items"] if i["code"] == "Ⅱ-地域ケア会議")
            for e in comp["entities"]
        }
        assert item["supported"] == {"count": 1, "mean_change": round(diffs[HACHIOJI], 2)}
        reg = get_registry()
        peers = [
            d
            for code, d in diffs.items()
            if code != HACHIOJI and reg.get(code).peer_type == "都市型"
        ]
        assert item["unsupported_peers"]["count"] == len(peers) >= 3
        assert item["unsupported_peers"]["mean_change"] == round(sum(peers) / len(peers), 2)
        assert item["enough_data"] is True

    async def test_prefecture_pdca_metrics_say_where_they_came_from(
        self, demo, gateway: httpx.AsyncClient
    ) -> None:
        r = await gateway.get("/api/v1/pdca/prefecture")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["sheet"]["items"]
        for m in body["metrics"]:
            assert m["metric_source"]
            assert m["value"] is not None or m["note"]
            assert all(q.startswith(("training:", "support_cases:")) for q in m.get("queries", []))

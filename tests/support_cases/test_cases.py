"""Cases: creation, the fixed list contract, and the status machine with its refusals."""

import pytest

from tests.support_cases.factories import (
    CITY,
    FY,
    NEIGHBOUR,
    TODAY,
    WARD,
    add_chain,
    add_initiative,
    add_item,
    add_visit,
    advance,
    make_advisor,
    make_application,
    make_case,
    make_round,
    ok,
)


@pytest.fixture
async def setup(support_cases):
    async with support_cases.client() as c:
        await make_round(c)
        adv = await make_advisor(c, actor_id="u-advisor")
        case = await make_case(c, CITY, advisor_ids=[adv["id"]], observers=[NEIGHBOUR])
    return {"advisor": adv, "case": case}


class TestCreateCase:
    async def test_creating_a_case_selects_the_application(self, support_cases, setup):
        case = setup["case"]
        assert case["status"] == "選定"
        assert case["observers"] == [NEIGHBOUR]
        assert [a["name"] for a in case["advisors"]] == ["山田 花子"]
        assert case["transitions"][0]["to_status"] == "選定"
        async with support_cases.client() as c:
            app = await ok(await c.get(f"/api/v1/applications/{case['application_id']}"))
        assert app["status"] == "選定"

    async def test_case_without_application_gets_422(self, support_cases, setup):
        async with support_cases.client() as c:
            r = await c.post(
                "/api/v1/cases",
                json={
                    "fiscal_year": FY,
                    "municipality_code": WARD,
                    "theme": "認知症",
                    "advisor_ids": [setup["advisor"]["id"]],
                },
            )
        assert r.status_code == 422
        assert "希望がありません" in r.json()["detail"]

    async def test_unknown_advisor_gets_422(self, support_cases, setup):
        async with support_cases.client() as c:
            await make_application(c, WARD)
            r = await c.post(
                "/api/v1/cases",
                json={
                    "fiscal_year": FY,
                    "municipality_code": WARD,
                    "theme": "認知症",
                    "advisor_ids": [999],
                },
            )
        assert r.status_code == 422


class TestCaseList:
    async def test_fixed_contract_fields_and_filters(self, support_cases, setup):
        adv = setup["advisor"]
        async with support_cases.client() as c:
            other = await make_advisor(c, "佐藤 一郎")
            await make_case(c, WARD, advisor_ids=[other["id"]], theme="認知症")
            await add_visit(c, setup["case"]["id"], adv["id"])
            rows = await ok(await c.get("/api/v1/cases", params={"fiscal_year": FY}))
            by_advisor = await ok(await c.get("/api/v1/cases", params={"advisor": other["id"]}))
            by_code = await ok(await c.get("/api/v1/cases", params={"municipality_code": CITY}))
            by_status = await ok(await c.get("/api/v1/cases", params={"status": "ヒアリング"}))
            none = await ok(await c.get("/api/v1/cases", params={"fiscal_year": 2030}))
        assert len(rows) == 2
        city = next(r for r in rows if r["municipality_code"] == CITY)
        for key in ("id", "municipality_code", "theme", "status", "advisors", "visits_count"):
            assert key in city
        assert city["version"] == 1
        assert city["visits_count"] == 1
        assert city["advisors"] == [{"id": adv["id"], "name": "山田 花子", "affiliation": "○○大学"}]
        assert city["last_visit_date"] == TODAY.isoformat()
        assert city["roadmap_progress"] is None
        assert [r["municipality_code"] for r in by_advisor] == [WARD]
        assert [r["municipality_code"] for r in by_code] == [CITY]
        assert by_status == []
        assert none == []


class TestTransitions:
    async def test_skipping_a_step_gets_409_naming_the_next_step(self, support_cases, setup):
        async with support_cases.client() as c:
            r = await advance(c, setup["case"]["id"], "課題分析")
        assert r.status_code == 409
        assert "次の段階は「ヒアリング」" in r.json()["detail"]

    async def test_analysis_needs_a_hearing(self, support_cases, setup):
        cid = setup["case"]["id"]
        async with support_cases.client() as c:
            await ok(await advance(c, cid, "ヒアリング"))
            r = await advance(c, cid, "課題分析")
            assert r.status_code == 409
            assert "ヒアリング・訪問を1回以上" in r.json()["detail"]
            await add_visit(c, cid, setup["advisor"]["id"])
            await ok(await advance(c, cid, "課題分析"))

    async def test_initiative_selection_needs_root_and_a_cause(self, support_cases, setup):
        cid = setup["case"]["id"]
        async with support_cases.client() as c:
            await ok(await advance(c, cid, "ヒアリング"))
            await add_visit(c, cid, setup["advisor"]["id"])
            await ok(await advance(c, cid, "課題分析"))
            r = await advance(c, cid, "取組選定")
            assert r.status_code == 409
            assert "根" in r.json()["detail"]
            await add_chain(c, cid, 0)
            r = await advance(c, cid, "取組選定")
            assert r.status_code == 409
            assert "原因を1つ以上" in r.json()["detail"]

    async def test_full_path_to_completion_with_timestamps(self, support_cases, setup):
        cid = setup["case"]["id"]
        async with support_cases.client() as c:
            await ok(await advance(c, cid, "ヒアリング"))
            await add_visit(c, cid, setup["advisor"]["id"])
            await ok(await advance(c, cid, "課題分析"))
            nodes = await add_chain(c, cid, 2)
            await ok(await advance(c, cid, "取組選定"))
            r = await advance(c, cid, "ロードマップ作成")
            assert r.status_code == 409 and "取組を1つ以上選定" in r.json()["detail"]
            ini = await add_initiative(c, cid, nodes[-1]["id"])
            await ok(await advance(c, cid, "ロードマップ作成"))
            r = await advance(c, cid, "実施・検証")
            assert r.status_code == 409 and "ロードマップの項目" in r.json()["detail"]
            item = await add_item(c, cid, ini["id"], verification_method="")
            r = await advance(c, cid, "実施・検証")
            assert r.status_code == 409 and "検証方法" in r.json()["detail"]
            item = await ok(
                await c.patch(
                    f"/api/v1/cases/{cid}/roadmap/{item['id']}",
                    json={"verification_method": "名簿で比較", "version": item["version"]},
                )
            )
            await ok(await advance(c, cid, "実施・検証"))
            r = await advance(c, cid, "報告")
            assert r.status_code == 409 and "実施中" in r.json()["detail"]
            await ok(
                await c.patch(
                    f"/api/v1/cases/{cid}/roadmap/{item['id']}",
                    json={"status": "完了", "version": item["version"], "progress_note": "実施"},
                )
            )
            await ok(await advance(c, cid, "報告"))
            r = await advance(c, cid, "完了")
            assert r.status_code == 409 and "示唆" in r.json()["detail"]
            await ok(
                await c.put(
                    f"/api/v1/cases/{cid}/report/lessons",
                    json={"lessons": "データは打合せで持ってきてもらう", "version": 0},
                )
            )
            done = await ok(await advance(c, cid, "完了"))
            listed = await ok(await c.get("/api/v1/cases"))
        assert done["status"] == "完了"
        assert done["next_status"] is None
        steps = [(t["from_status"], t["to_status"]) for t in done["transitions"]]
        assert steps == [
            (None, "選定"),
            ("選定", "ヒアリング"),
            ("ヒアリング", "課題分析"),
            ("課題分析", "取組選定"),
            ("取組選定", "ロードマップ作成"),
            ("ロードマップ作成", "実施・検証"),
            ("実施・検証", "報告"),
            ("報告", "完了"),
        ]
        assert all(t["at"] and t["by"] for t in done["transitions"])
        assert listed[0]["roadmap_progress"] == 1.0

    async def test_cancel_from_any_state_needs_a_reason(self, support_cases, setup):
        cid = setup["case"]["id"]
        async with support_cases.client() as c:
            await ok(await advance(c, cid, "ヒアリング"))
            r = await advance(c, cid, "中止")
            assert r.status_code == 422
            cancelled = await ok(await advance(c, cid, "中止", "担当者の異動で継続が困難"))
            assert cancelled["status"] == "中止"
            assert cancelled["cancel_reason"] == "担当者の異動で継続が困難"
            r = await advance(c, cid, "課題分析")
            frozen = await c.post(f"/api/v1/cases/{cid}/tree/nodes", json={"statement": "問題"})
        assert r.status_code == 409
        assert "中止" in r.json()["detail"]
        assert frozen.status_code == 409

    async def test_stale_case_version_gets_409_and_changes_nothing(self, support_cases, setup):
        cid = setup["case"]["id"]
        async with support_cases.client() as c:
            await ok(await c.patch(f"/api/v1/cases/{cid}", json={"theme": "認知症", "version": 1}))
            r = await c.post(
                f"/api/v1/cases/{cid}/transitions", json={"to_status": "ヒアリング", "version": 1}
            )
            case = await ok(await c.get(f"/api/v1/cases/{cid}"))
        assert r.status_code == 409
        assert r.json()["current_version"] == 2
        assert case["status"] == "選定"
        assert case["theme"] == "認知症"


class TestNoNPlusOne:
    async def test_case_list_query_count_does_not_grow_with_cases(self, support_cases, setup):
        from contextlib import contextmanager

        from sqlalchemy import event

        engine = support_cases.db.engine.sync_engine

        @contextmanager
        def counting():
            seen: list[str] = []

            def before(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
                seen.append(statement)

            event.listen(engine, "before_cursor_execute", before)
            try:
                yield seen
            finally:
                event.remove(engine, "before_cursor_execute", before)

        async with support_cases.client() as c:
            with counting() as one:
                assert len(await ok(await c.get("/api/v1/cases"))) == 1
            for code in ("131121", "133035", "131032"):
                await make_case(c, code, advisor_ids=[setup["advisor"]["id"]])
                await add_visit(
                    c, (await ok(await c.get("/api/v1/cases")))[-1]["id"], setup["advisor"]["id"]
                )
            with counting() as four:
                assert len(await ok(await c.get("/api/v1/cases"))) == 4
        assert len(four) == len(one)


class TestOpenApi:
    async def test_main_write_endpoints_carry_examples(self, support_cases):
        async with support_cases.client() as c:
            spec = await ok(await c.get("/openapi.json"))
        schemas = spec["components"]["schemas"]
        for name in (
            "RoundCreate",
            "ApplicationCreate",
            "ApplicationDecision",
            "AdvisorCreate",
            "CaseCreate",
            "TransitionRequest",
            "VisitCreate",
            "NodeCreate",
            "InitiativeCreate",
            "RoadmapItemCreate",
            "LessonsUpdate",
        ):
            assert schemas[name].get("examples"), name

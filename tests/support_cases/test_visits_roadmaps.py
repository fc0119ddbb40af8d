"""Visits and hearings, data requests, initiatives and the roadmap."""

from datetime import timedelta

import pytest

from tests.support_cases.factories import (
    CITY,
    FY,
    NEIGHBOUR,
    TODAY,
    add_chain,
    add_initiative,
    add_item,
    add_visit,
    make_advisor,
    make_case,
    make_round,
    ok,
)


@pytest.fixture
async def case(support_cases):
    async with support_cases.client() as c:
        await make_round(c)
        a1 = await make_advisor(c, "山田 花子")
        a2 = await make_advisor(c, "佐藤 一郎")
        case = await make_case(c, CITY, advisor_ids=[a1["id"], a2["id"]], observers=[NEIGHBOUR])
    return {**case, "a1": a1["id"], "a2": a2["id"]}


class TestVisits:
    async def test_visit_records_people_notes_requests_and_hours(self, support_cases, case):
        cid = case["id"]
        async with support_cases.client() as c:
            visit = await ok(
                await c.post(
                    f"/api/v1/cases/{cid}/visits",
                    json={
                        "visit_date": "2025-07-10",
                        "kind": "ヒアリング",
                        "place": "八王子市役所",
                        "advisors": [
                            {"advisor_id": case["a1"], "hours": 3},
                            {"advisor_id": case["a2"], "hours": 2.5},
                        ],
                        "attendees": [
                            {"name": "八王子 太郎", "organization": "高齢者いきいき課"},
                            {"name": "日野 次郎", "municipality_code": NEIGHBOUR},
                        ],
                        "observer_codes": [NEIGHBOUR],
                        "agenda": "現状の共有",
                        "notes": "参加者の固定化",
                        "issues_found": ["男性が少ない", "会場が偏在"],
                        "data_requests": [
                            {"description": "参加者名簿", "due_date": "2025-08-01"},
                            {"description": "会場一覧"},
                        ],
                        "follow_ups": ["参加率の推移を整理"],
                    },
                ),
                201,
            )
            reqs = await ok(await c.get(f"/api/v1/cases/{cid}/data-requests"))
            received = await ok(
                await c.patch(
                    f"/api/v1/cases/{cid}/data-requests/{reqs[0]['id']}",
                    json={"received": True, "version": reqs[0]["version"]},
                )
            )
            open_reqs = await ok(
                await c.get(f"/api/v1/cases/{cid}/data-requests", params={"received": False})
            )
            listed = await ok(await c.get("/api/v1/visits", params={"fiscal_year": FY}))
            by_advisor = await ok(await c.get("/api/v1/visits", params={"advisor": case["a2"]}))
        assert visit["advisor_hours"] == 5.5
        assert [a["name"] for a in visit["advisors"]] == ["山田 花子", "佐藤 一郎"]
        assert visit["attendees"][1]["municipality_code"] == NEIGHBOUR
        assert visit["issues_found"] == ["男性が少ない", "会場が偏在"]
        assert [r["description"] for r in visit["data_requests"]] == ["参加者名簿", "会場一覧"]
        assert reqs[0]["overdue"] is (TODAY > TODAY.replace(2025, 8, 1))
        assert received["received"] is True and received["received_on"] == TODAY.isoformat()
        assert [r["description"] for r in open_reqs] == ["会場一覧"]
        assert len(listed) == 1 and len(by_advisor) == 1

    async def test_advisor_not_on_the_case_gets_422(self, support_cases, case):
        async with support_cases.client() as c:
            stranger = await make_advisor(c, "部外 者")
            r = await c.post(
                f"/api/v1/cases/{case['id']}/visits",
                json={
                    "visit_date": TODAY.isoformat(),
                    "advisors": [{"advisor_id": stranger["id"], "hours": 2}],
                },
            )
        assert r.status_code == 422
        assert "担当ではありません" in r.json()["detail"]

    async def test_observer_not_invited_gets_422(self, support_cases, case):
        async with support_cases.client() as c:
            r = await c.post(
                f"/api/v1/cases/{case['id']}/visits",
                json={
                    "visit_date": TODAY.isoformat(),
                    "advisors": [{"advisor_id": case["a1"], "hours": 2}],
                    "observer_codes": ["133078"],
                },
            )
        assert r.status_code == 422

    async def test_next_visit_date_shows_in_the_case_list(self, support_cases, case):
        async with support_cases.client() as c:
            await add_visit(c, case["id"], case["a1"], visit_date=str(TODAY - timedelta(days=7)))
            await add_visit(c, case["id"], case["a1"], visit_date=str(TODAY + timedelta(days=14)))
            await add_visit(c, case["id"], case["a1"], visit_date=str(TODAY + timedelta(days=40)))
            [row] = await ok(await c.get("/api/v1/cases", params={"municipality_code": CITY}))
        assert row["visits_count"] == 3
        assert row["next_visit_date"] == str(TODAY + timedelta(days=14))
        assert row["last_visit_date"] == str(TODAY - timedelta(days=7))
        assert row["advisor_hours"] == 9.0

    async def test_visit_edit_with_stale_version_gets_409(self, support_cases, case):
        async with support_cases.client() as c:
            v = await add_visit(c, case["id"], case["a1"])
            url = f"/api/v1/cases/{case['id']}/visits/{v['id']}"
            await ok(await c.patch(url, json={"notes": "追記", "version": 1}))
            r = await c.patch(url, json={"notes": "古い", "version": 1})
        assert r.status_code == 409


class TestRoadmap:
    async def test_roadmap_item_computes_first_grant_year(self, support_cases, case):
        cid = case["id"]
        async with support_cases.client() as c:
            nodes = await add_chain(c, cid, 1)
            ini = await add_initiative(c, cid, nodes[1]["id"])
            autumn = await add_item(c, cid, ini["id"], start_month="2025-10")
            march = await add_item(c, cid, ini["id"], start_month="2026-03", end_month="2026-06")
            april = await add_item(c, cid, ini["id"], start_month="2026-04", end_month="2026-09")
            roadmap = await ok(await c.get(f"/api/v1/cases/{cid}/roadmap"))
        assert (autumn["action_fiscal_year"], autumn["first_grant_year"]) == (2025, 2026)
        assert (march["action_fiscal_year"], march["first_grant_year"]) == (2025, 2026)
        assert (april["action_fiscal_year"], april["first_grant_year"]) == (2026, 2027)
        assert [r["start_month"] for r in roadmap] == ["2025-10", "2026-03", "2026-04"]
        assert roadmap[0]["initiative_title"] == "男性向け教室の試行"

    async def test_only_chosen_initiatives_go_on_the_roadmap(self, support_cases, case):
        cid = case["id"]
        async with support_cases.client() as c:
            nodes = await add_chain(c, cid, 1)
            ini = await add_initiative(c, cid, nodes[1]["id"], chosen=False, title="見送った案")
            r = await c.post(
                f"/api/v1/cases/{cid}/roadmap",
                json={
                    "initiative_id": ini["id"],
                    "start_month": "2025-10",
                    "end_month": "2026-03",
                    "kpi_custom": "x",
                },
            )
            chosen = await c.post(
                f"/api/v1/cases/{cid}/initiatives",
                json={"node_id": nodes[1]["id"], "title": "理由なし", "chosen": True},
            )
        assert r.status_code == 422
        assert "選定されていません" in r.json()["detail"]
        assert chosen.status_code == 422

    async def test_item_needs_a_kpi_and_ordered_months(self, support_cases, case):
        cid = case["id"]
        async with support_cases.client() as c:
            nodes = await add_chain(c, cid, 1)
            ini = await add_initiative(c, cid, nodes[1]["id"])
            no_kpi = await c.post(
                f"/api/v1/cases/{cid}/roadmap",
                json={"initiative_id": ini["id"], "start_month": "2025-10", "end_month": "2026-03"},
            )
            backwards = await c.post(
                f"/api/v1/cases/{cid}/roadmap",
                json={
                    "initiative_id": ini["id"],
                    "start_month": "2026-03",
                    "end_month": "2025-10",
                    "kpi_item_code": "Ⅱ(3)①",
                },
            )
            bad_month = await c.post(
                f"/api/v1/cases/{cid}/roadmap",
                json={
                    "initiative_id": ini["id"],
                    "start_month": "2025-13",
                    "end_month": "2026-03",
                    "kpi_item_code": "Ⅱ(3)①",
                },
            )
        assert (no_kpi.status_code, backwards.status_code, bad_month.status_code) == (
            422,
            422,
            422,
        )

    async def test_progress_notes_accumulate_and_stale_edits_get_409(self, support_cases, case):
        cid = case["id"]
        async with support_cases.client() as c:
            nodes = await add_chain(c, cid, 1)
            ini = await add_initiative(c, cid, nodes[1]["id"])
            item = await add_item(c, cid, ini["id"])
            url = f"/api/v1/cases/{cid}/roadmap/{item['id']}"
            item = await ok(
                await c.patch(url, json={"status": "実施中", "progress_note": "開始", "version": 1})
            )
            item = await ok(await c.patch(url, json={"progress_note": "10人参加", "version": 2}))
            stale = await c.patch(url, json={"status": "中止", "version": 2})
        assert item["status"] == "実施中"
        assert [n["text"] for n in item["progress_notes"]] == ["開始", "10人参加"]
        assert stale.status_code == 409

    async def test_unchoosing_an_initiative_on_the_roadmap_gets_409(self, support_cases, case):
        cid = case["id"]
        async with support_cases.client() as c:
            nodes = await add_chain(c, cid, 1)
            ini = await add_initiative(c, cid, nodes[1]["id"])
            await add_item(c, cid, ini["id"])
            r = await c.patch(
                f"/api/v1/cases/{cid}/initiatives/{ini['id']}",
                json={"chosen": False, "version": ini["version"]},
            )
        assert r.status_code == 409


class TestDeletes:
    async def test_deleting_a_visit_removes_its_dispatches_and_keeps_snapshots(
        self, support_cases, case
    ):
        cid = case["id"]
        async with support_cases.client() as c:
            await add_chain(c, cid, 1)
            v = await add_visit(
                c, cid, case["a1"], data_requests=[{"description": "名簿"}], hours=4
            )
            stale = await c.delete(f"/api/v1/cases/{cid}/visits/{v['id']}", params={"version": 9})
            r = await c.delete(f"/api/v1/cases/{cid}/visits/{v['id']}", params={"version": 1})
            summary = await ok(await c.get(f"/api/v1/rounds/{FY}/summary"))
            snaps = await ok(await c.get(f"/api/v1/cases/{cid}/tree/snapshots"))
            reqs = await ok(await c.get(f"/api/v1/cases/{cid}/data-requests"))
        assert stale.status_code == 409
        assert r.status_code == 204
        assert (summary["advisor_dispatches"], summary["advisor_hours"]) == (0, 0)
        assert len(snaps) == 1 and snaps[0]["visit_id"] is None
        assert reqs == []

    async def test_initiative_on_the_roadmap_cannot_be_deleted(self, support_cases, case):
        cid = case["id"]
        async with support_cases.client() as c:
            nodes = await add_chain(c, cid, 1)
            used = await add_initiative(c, cid, nodes[1]["id"])
            spare = await add_initiative(c, cid, nodes[1]["id"], chosen=False, title="案B")
            await add_item(c, cid, used["id"])
            refused = await c.delete(
                f"/api/v1/cases/{cid}/initiatives/{used['id']}", params={"version": 1}
            )
            deleted = await c.delete(
                f"/api/v1/cases/{cid}/initiatives/{spare['id']}", params={"version": 1}
            )
            left = await ok(await c.get(f"/api/v1/cases/{cid}/initiatives"))
        assert refused.status_code == 409
        assert deleted.status_code == 204
        assert [i["title"] for i in left] == ["男性向け教室の試行"]

"""工程表 of パワーアップセミナー municipalities: steps, check-ins, overdue, versions, scoping."""

from __future__ import annotations

from datetime import timedelta

from services.common import clock
from tests.training.factories import CHIYODA, CHUO, program

# Tokyo's today, as the service counts (the server's date is a day behind from 15:00 UTC).
PAST = (clock.today() - timedelta(days=20)).isoformat()
LATER = (clock.today() + timedelta(days=60)).isoformat()


async def _power_up(c):
    return await program(
        c, name="パワーアップセミナー", kind="パワーアップセミナー", region="町村部"
    )


def _body(pid, code=CHIYODA):
    return {
        "program_id": pid,
        "municipality_code": code,
        "title": "介護予防の推進",
        "steps": [
            {"title": "現状分析", "due_date": PAST, "owner": "計画係"},
            {"title": "地域ケア会議で共有", "due_date": LATER, "owner": "包括"},
        ],
    }


class TestKoteiHyo:
    async def test_overdue_step_is_listed_until_checked_in_as_done(self, training):
        async with training.client() as c:
            p = await _power_up(c)
            r = await c.post("/api/v1/kotei-hyo", json=_body(p["id"]))
            assert r.status_code == 201, r.text
            kh = r.json()
            first = kh["steps"][0]
            assert (first["overdue"], kh["steps"][1]["overdue"]) == (True, False)
            overdue = (
                await c.get("/api/v1/kotei-hyo/overdue", params={"fiscal_year": 2025})
            ).json()
            assert [(o["municipality_code"], o["title"], o["days_overdue"]) for o in overdue] == [
                (CHIYODA, "現状分析", 20)
            ]
            late = await c.post(
                f"/api/v1/kotei-hyo/{kh['id']}/check-ins",
                json={
                    "step_id": first["id"],
                    "checked_on": PAST,
                    "status": "遅れ",
                    "note": "抽出待ち",
                },
            )
            assert late.status_code == 201
            status = (await c.get("/api/v1/kotei-hyo/status", params={"fiscal_year": 2025})).json()
            assert [
                (s["municipality_code"], s["status"], s["overdue"], s["delayed"]) for s in status
            ] == [(CHIYODA, "遅れ", 1, 1)]
            await c.post(
                f"/api/v1/kotei-hyo/{kh['id']}/check-ins",
                json={
                    "step_id": first["id"],
                    "checked_on": clock.today().isoformat(),
                    "status": "完了",
                },
            )
            assert (await c.get("/api/v1/kotei-hyo/overdue")).json() == []
            got = (await c.get(f"/api/v1/kotei-hyo/{kh['id']}")).json()
            assert [ci["status"] for ci in got["check_ins"]] == ["遅れ", "完了"]

    async def test_only_for_power_up_seminar_and_once_per_municipality(self, training):
        async with training.client() as c:
            other = await program(c)
            r = await c.post("/api/v1/kotei-hyo", json=_body(other["id"]))
            assert r.status_code == 422
            p = await _power_up(c)
            assert (await c.post("/api/v1/kotei-hyo", json=_body(p["id"]))).status_code == 201
            assert (await c.post("/api/v1/kotei-hyo", json=_body(p["id"]))).status_code == 409

    async def test_municipality_edits_its_own_and_stale_version_is_409(self, training):
        async with training.client() as c:
            p = await _power_up(c)
            mine = (await c.post("/api/v1/kotei-hyo", json=_body(p["id"], CHIYODA))).json()
            theirs = (await c.post("/api/v1/kotei-hyo", json=_body(p["id"], CHUO))).json()
        async with training.client("municipality", CHIYODA) as m:
            steps = [
                {
                    "id": mine["steps"][0]["id"],
                    "title": "現状分析 (見える化)",
                    "due_date": LATER,
                    "owner": "計画係",
                }
            ]
            r = await m.put(f"/api/v1/kotei-hyo/{mine['id']}", json={"version": 1, "steps": steps})
            assert r.status_code == 200, r.text
            assert (
                r.json()["version"],
                len(r.json()["steps"]),
                r.json()["steps"][0]["overdue"],
            ) == (2, 1, False)
            assert r.json()["updated_by"] == "u-municipality:テスト municipality"
            stale = await m.put(
                f"/api/v1/kotei-hyo/{mine['id']}", json={"version": 1, "title": "x"}
            )
            assert stale.status_code == 409
            assert (await m.get(f"/api/v1/kotei-hyo/{theirs['id']}")).status_code == 404
            assert (
                await m.put(f"/api/v1/kotei-hyo/{theirs['id']}", json={"version": 1})
            ).status_code == 404
            listed = (await m.get("/api/v1/kotei-hyo")).json()
            assert [k["municipality_code"] for k in listed] == [CHIYODA]
        async with training.client("viewer") as v:
            r = await v.post(
                f"/api/v1/kotei-hyo/{mine['id']}/check-ins",
                json={"checked_on": LATER, "status": "予定通り"},
            )
            assert r.status_code == 403

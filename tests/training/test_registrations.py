"""Registration: seats, waitlist in arrival order, promotion, duplicates, window, quota."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from tests.helpers import auth
from tests.training.factories import CHIYODA, CHUO, MINATO, program, register, session


class TestRegister:
    async def test_full_session_puts_person_on_waitlist(self, training):
        async with training.client() as c:
            p = await program(c)
            s = await session(c, p["id"], capacity=2)
            answers = [(await register(c, s["id"], i)).json() for i in range(4)]
            assert [a["status"] for a in answers] == [
                "confirmed",
                "confirmed",
                "waitlisted",
                "waitlisted",
            ]
            assert [a["waitlist_position"] for a in answers] == [None, None, 1, 2]
            got = (await c.get(f"/api/v1/sessions/{s['id']}")).json()
            assert (got["capacity"], got["confirmed"], got["waitlisted"]) == (2, 2, 2)
            assert got["days"][0]["date"] == "2025-06-10"

    async def test_cancelling_a_confirmed_seat_promotes_first_waitlisted(self, training):
        async with training.client() as c:
            p = await program(c)
            s = await session(c, p["id"], capacity=1)
            first = (await register(c, s["id"], 1)).json()
            second = (await register(c, s["id"], 2)).json()
            third = (await register(c, s["id"], 3)).json()
            r = await c.delete(f"/api/v1/registrations/{first['id']}")
            assert r.status_code == 204
            assert (await c.get(f"/api/v1/registrations/{second['id']}")).json()["status"] == (
                "confirmed"
            )
            now_third = (await c.get(f"/api/v1/registrations/{third['id']}")).json()
            assert (now_third["status"], now_third["waitlist_position"]) == ("waitlisted", 1)
            assert (await c.delete(f"/api/v1/registrations/{first['id']}")).status_code == 404

    async def test_cancel_answers_who_was_promoted(self, training):
        async with training.client() as c:
            p = await program(c)
            s = await session(c, p["id"], capacity=1)
            first = (await register(c, s["id"], 1)).json()
            second = (await register(c, s["id"], 2)).json()
            third = (await register(c, s["id"], 3)).json()
            r = await c.post(f"/api/v1/registrations/{first['id']}/cancel")
            assert r.status_code == 200, r.text
            body = r.json()
            assert (body["cancelled"]["id"], body["cancelled"]["status"]) == (
                first["id"],
                "cancelled",
            )
            assert [(x["id"], x["status"]) for x in body["promoted"]] == [
                (second["id"], "confirmed")
            ]
            again = (await c.get(f"/api/v1/registrations/{third['id']}")).json()
            assert (again["status"], again["waitlist_position"]) == ("waitlisted", 1)
            r = await c.post(f"/api/v1/registrations/{third['id']}/cancel")
            assert r.json()["promoted"] == [], "a waitlisted person frees no seat"
            refused = await c.post(f"/api/v1/registrations/{first['id']}/cancel")
            assert refused.status_code == 404
            got = (await c.get(f"/api/v1/registrations/{second['id']}")).json()
            assert got["status"] == "confirmed", "the refused cancel changed nothing"

    async def test_a_cancelled_registration_answers_404_at_its_address_but_stays_listed(
        self, training
    ):
        # Found by the fuzzing (use_after_free): after DELETE its address still answered 200.
        async with training.client() as c:
            p = await program(c)
            s = await session(c, p["id"], capacity=1)
            first = (await register(c, s["id"], 1)).json()
            second = (await register(c, s["id"], 2)).json()
            assert (await c.get(f"/api/v1/registrations/{first['id']}")).status_code == 200
            assert (await c.delete(f"/api/v1/registrations/{first['id']}")).status_code == 204
            gone = await c.get(f"/api/v1/registrations/{first['id']}")
            assert gone.status_code == 404
            assert "取り消し済み" in gone.json()["detail"]
            r = await c.post(f"/api/v1/registrations/{second['id']}/cancel")
            assert r.json()["cancelled"]["status"] == "cancelled"
            assert (await c.get(f"/api/v1/registrations/{second['id']}")).status_code == 404
            roster = (
                await c.get(f"/api/v1/sessions/{s['id']}/registrations?status=cancelled")
            ).json()
            listed = {x["id"]: x["status"] for x in roster}
            assert listed == {first["id"]: "cancelled", second["id"]: "cancelled"}

    async def test_cancelling_a_waitlisted_person_promotes_nobody(self, training):
        async with training.client() as c:
            p = await program(c)
            s = await session(c, p["id"], capacity=1)
            await register(c, s["id"], 1)
            second = (await register(c, s["id"], 2)).json()
            third = (await register(c, s["id"], 3)).json()
            assert (await c.delete(f"/api/v1/registrations/{second['id']}")).status_code == 204
            got = (await c.get(f"/api/v1/registrations/{third['id']}")).json()
            assert (got["status"], got["waitlist_position"]) == ("waitlisted", 1)

    async def test_same_email_twice_is_409_but_allowed_after_cancelling(self, training):
        async with training.client() as c:
            p = await program(c)
            s = await session(c, p["id"])
            first = await register(c, s["id"], 1)
            again = await register(c, s["id"], 1, email="STAFF1@131016.example.jp")
            assert again.status_code == 409
            assert "既に申し込まれています" in again.json()["detail"]
            await c.delete(f"/api/v1/registrations/{first.json()['id']}")
            assert (await register(c, s["id"], 1)).status_code == 201

    async def test_outside_the_window_is_422(self, training):
        now = datetime.now(UTC)
        async with training.client() as c:
            p = await program(c)
            closed = await session(
                c,
                p["id"],
                registration_opens=(now - timedelta(days=10)).isoformat(),
                registration_closes=(now - timedelta(days=1)).isoformat(),
            )
            not_yet = await session(
                c, p["id"], registration_opens=(now + timedelta(days=1)).isoformat()
            )
            r1 = await register(c, closed["id"], 1)
            r2 = await register(c, not_yet["id"], 1)
            assert (r1.status_code, r2.status_code) == (422, 422)
            assert "締め切りました" in r1.json()["detail"]
            assert "からです" in r2.json()["detail"]

    async def test_window_given_in_tokyo_time_closes_at_that_moment(self, training):
        from zoneinfo import ZoneInfo

        tokyo = datetime.now(ZoneInfo("Asia/Tokyo"))
        async with training.client() as c:
            p = await program(c)
            closed = await session(
                c,
                p["id"],
                registration_closes=(tokyo - timedelta(hours=1)).replace(tzinfo=None).isoformat(),
            )
            open_ = await session(
                c, p["id"], registration_closes=(tokyo + timedelta(hours=1)).isoformat()
            )
            assert (await register(c, closed["id"], 1)).status_code == 422
            assert (await register(c, open_["id"], 1)).status_code == 201
            got = (await c.get(f"/api/v1/sessions/{open_['id']}")).json()
            back = datetime.fromisoformat(got["registration_closes"])
            assert abs((back - (tokyo + timedelta(hours=1))).total_seconds()) < 1

    async def test_bad_municipality_code_is_422(self, training):
        async with training.client() as c:
            p = await program(c)
            s = await session(c, p["id"])
            r = await register(c, s["id"], 1, code="131017")
            assert r.status_code == 422
            assert r.json()["errors"][0]["loc"] == ["body", "municipality_code"]

    async def test_quota_waitlists_a_municipality_over_its_share(self, training):
        async with training.client() as c:
            p = await program(c)
            s = await session(c, p["id"], capacity=5, municipality_quota=2)
            chiyoda = [(await register(c, s["id"], i, code=CHIYODA)).json() for i in range(3)]
            chuo = (await register(c, s["id"], 9, code=CHUO)).json()
            assert [r["status"] for r in chiyoda] == ["confirmed", "confirmed", "waitlisted"]
            assert chuo["status"] == "confirmed"
            # Chiyoda's waiting person is passed over; a Minato person gets the seat.
            minato_wait = (await register(c, s["id"], 7, code=MINATO)).json()
            assert minato_wait["status"] == "confirmed"
            r = await c.patch(
                f"/api/v1/sessions/{s['id']}", json={"version": 1, "municipality_quota": 3}
            )
            assert r.status_code == 200
            assert (await c.get(f"/api/v1/registrations/{chiyoda[2]['id']}")).json()[
                "status"
            ] == "confirmed"


class TestConcurrency:
    """Requests at once, every answer asserted as well as the stored counts afterwards.
    On SQLite writers are serialised by the database file lock; the PostgreSQL pass
    (DATABASE_URL, run by .ci/run) is where the row lock on the session (SELECT … FOR UPDATE)
    is proven to hold the capacity, the quota and the duplicate check."""

    async def test_concurrent_registrations_never_exceed_capacity(self, training):
        async with training.client() as c:
            p = await program(c)
            s = await session(c, p["id"], capacity=10)

        async def one(i: int) -> httpx.Response:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=training.app),
                base_url="http://training",
                headers=auth(),
            ) as client:
                return await register(client, s["id"], i)

        answers = await asyncio.gather(*(one(i) for i in range(40)))
        assert all(a.status_code == 201 for a in answers), [a.text for a in answers][:3]
        statuses = [a.json()["status"] for a in answers]
        assert statuses.count("confirmed") == 10
        positions = sorted(
            a.json()["waitlist_position"] for a in answers if a.json()["status"] == "waitlisted"
        )
        async with training.client() as c:
            got = (await c.get(f"/api/v1/sessions/{s['id']}")).json()
            listed = (await c.get(f"/api/v1/sessions/{s['id']}/registrations")).json()
        assert (got["confirmed"], got["waitlisted"]) == (10, 30)
        assert positions == list(range(1, 31))
        waiting = [r["waitlist_position"] for r in listed if r["status"] == "waitlisted"]
        assert waiting == list(range(1, 31))

    async def test_concurrent_quota_holds(self, training):
        async with training.client() as c:
            p = await program(c)
            s = await session(c, p["id"], capacity=50, municipality_quota=3)

        async def one(i: int) -> httpx.Response:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=training.app),
                base_url="http://training",
                headers=auth(),
            ) as client:
                return await register(client, s["id"], i, code=CHIYODA)

        answers = await asyncio.gather(*(one(i) for i in range(15)))
        assert [a.status_code for a in answers] == [201] * 15, [a.text for a in answers][:3]
        statuses = [a.json()["status"] for a in answers]
        assert sorted(statuses) == ["confirmed"] * 3 + ["waitlisted"] * 12
        async with training.client() as c:
            got = (await c.get(f"/api/v1/sessions/{s['id']}")).json()
        assert (got["confirmed"], got["waitlisted"]) == (3, 12)

    async def test_concurrent_duplicates_get_one_seat_and_409s(self, training):
        async with training.client() as c:
            p = await program(c)
            s = await session(c, p["id"], capacity=5)

        async def one() -> httpx.Response:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=training.app),
                base_url="http://training",
                headers=auth(),
            ) as client:
                return await register(client, s["id"], 1)

        answers = await asyncio.gather(*(one() for _ in range(8)))
        assert sorted(a.status_code for a in answers) == [201] + [409] * 7
        winner = next(a.json() for a in answers if a.status_code == 201)
        assert winner["status"] == "confirmed"
        assert all(
            "申し込まれています" in a.json()["detail"] for a in answers if a.status_code == 409
        )
        async with training.client() as c:
            listed = (await c.get(f"/api/v1/sessions/{s['id']}/registrations")).json()
        assert [r["id"] for r in listed] == [winner["id"]]


class TestScoping:
    async def test_municipality_registers_only_its_own_staff_and_sees_only_its_own(self, training):
        async with training.client() as c:
            p = await program(c)
            s = await session(c, p["id"])
            await register(c, s["id"], 1, code=CHUO)
        async with training.client("municipality", CHIYODA) as m:
            own = await register(m, s["id"], 2, code=CHIYODA)
            other = await register(m, s["id"], 3, code=CHUO)
            assert (own.status_code, other.status_code) == (201, 404)
            listed = (await m.get(f"/api/v1/sessions/{s['id']}/registrations")).json()
            assert [r["municipality_code"] for r in listed] == [CHIYODA]
            chuo_id = 1
            assert (await m.get(f"/api/v1/registrations/{chuo_id}")).status_code == 404
            assert (await m.delete(f"/api/v1/registrations/{chuo_id}")).status_code == 404
        async with training.client("viewer") as v:
            assert (await register(v, s["id"], 4)).status_code == 403

    async def test_municipality_cancels_its_own_and_the_seat_is_passed_on(self, training):
        async with training.client() as c:
            p = await program(c)
            s = await session(c, p["id"], capacity=1)
        async with training.client("municipality", CHIYODA) as m:
            mine = (await register(m, s["id"], 1)).json()
            waiting = (await register(m, s["id"], 2)).json()
            assert (await m.delete(f"/api/v1/registrations/{mine['id']}")).status_code == 204
            got = (await m.get(f"/api/v1/registrations/{waiting['id']}")).json()
            assert (got["status"], got["waitlist_position"]) == ("confirmed", None)

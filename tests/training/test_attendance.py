"""Attendance: marks per day, CSV import (UTF-8, BOM, cp932; all-or-nothing), completion."""

from __future__ import annotations

from datetime import date

from tests.training.factories import CHIYODA, CHUO, program, register, session

DAYS = [date(2025, 6, 10), date(2025, 6, 17), date(2025, 6, 24)]


async def _three_people(c, **program_kw):
    p = await program(c, **program_kw)
    s = await session(c, p["id"], days=DAYS[:2], capacity=3)
    regs = [
        (await register(c, s["id"], i, code=CHIYODA if i < 2 else CHUO)).json() for i in range(4)
    ]
    return p, s, regs


class TestCompletion:
    async def test_all_days_rule_counts_on_demand_viewing_as_attending(self, training):
        async with training.client() as c:
            _p, s, regs = await _three_people(c)
            entries = [
                {"registration_id": regs[0]["id"], "day_no": 1, "status": "present"},
                {"registration_id": regs[0]["id"], "day_no": 2, "status": "present"},
                {"registration_id": regs[1]["id"], "day_no": 1, "status": "present"},
                {"registration_id": regs[1]["id"], "day_no": 2, "status": "on_demand"},
                {"registration_id": regs[2]["id"], "day_no": 1, "status": "present"},
                {"registration_id": regs[2]["id"], "day_no": 2, "status": "absent"},
            ]
            r = await c.put(f"/api/v1/sessions/{s['id']}/attendance", json={"entries": entries})
            assert r.status_code == 200, r.text
            body = r.json()
            assert [row["completed"] for row in body["rows"]] == [True, True, False]
            assert (
                body["required_days"],
                body["persons"],
                body["attendances"],
                body["completers"],
            ) == (2, 3, 5, 2)

    async def test_n_of_m_rule_completes_with_n_days(self, training):
        async with training.client() as c:
            p = await program(c, completion_rule="n_of_m", completion_min_days=2)
            s = await session(c, p["id"], days=DAYS, capacity=5)
            a = (await register(c, s["id"], 1)).json()
            b = (await register(c, s["id"], 2)).json()
            entries = [
                {"registration_id": a["id"], "day_no": 1, "status": "present"},
                {"registration_id": a["id"], "day_no": 3, "status": "on_demand"},
                {"registration_id": b["id"], "day_no": 2, "status": "present"},
            ]
            body = (
                await c.put(f"/api/v1/sessions/{s['id']}/attendance", json={"entries": entries})
            ).json()
            assert [(row["attended_days"], row["completed"]) for row in body["rows"]] == [
                (2, True),
                (1, False),
            ]

    async def test_waitlisted_person_and_missing_day_are_refused_together(self, training):
        async with training.client() as c:
            _p, s, regs = await _three_people(c)
            entries = [
                {"registration_id": regs[0]["id"], "day_no": 1, "status": "present"},
                {"registration_id": regs[3]["id"], "day_no": 1, "status": "present"},
                {"registration_id": regs[1]["id"], "day_no": 5, "status": "present"},
            ]
            r = await c.put(f"/api/v1/sessions/{s['id']}/attendance", json={"entries": entries})
            assert r.status_code == 422
            assert [e["loc"] for e in r.json()["errors"]] == [
                ["body", "entries", 1, "registration_id"],
                ["body", "entries", 2, "day_no"],
            ]
            got = (await c.get(f"/api/v1/sessions/{s['id']}/attendance")).json()
            assert got["attendances"] == 0


class TestCsvImport:
    async def _upload(self, c, sid, data: bytes):
        return await c.post(
            f"/api/v1/sessions/{sid}/attendance/import",
            files={"file": ("出欠.csv", data, "text/csv")},
        )

    async def test_utf8_with_bom_by_email_and_day(self, training):
        async with training.client() as c:
            _p, s, regs = await _three_people(c)
            text = (
                "メールアドレス,日目,出欠\n"
                f"{regs[0]['email']},1,出席\n{regs[0]['email']},2日目,オンデマンド視聴\n"
                f"{regs[1]['email']},1,欠席\n"
            )
            r = await self._upload(c, s["id"], text.encode("utf-8-sig"))
            assert r.status_code == 200, r.text
            assert (r.json()["persons"], r.json()["attendances"], r.json()["completers"]) == (
                1,
                2,
                1,
            )

    async def test_cp932_by_registration_id_and_date(self, training):
        async with training.client() as c:
            _p, s, regs = await _three_people(c)
            rid = regs[2]["id"]
            text = f"申込ID,日付,出欠\r\n{rid},2025/6/10,○\r\n{rid},2025-06-17,出席\r\n"
            r = await self._upload(c, s["id"], text.encode("cp932"))
            assert r.status_code == 200, r.text
            assert r.json()["completers"] == 1

    async def test_bad_lines_are_all_listed_and_nothing_is_written(self, training):
        async with training.client() as c:
            _p, s, regs = await _three_people(c)
            text = (
                "申込ID,日目,出欠\n"
                f"{regs[0]['id']},1,出席\n"
                "9999,1,出席\n"
                f"{regs[1]['id']},7,出席\n"
                f"{regs[1]['id']},1,たぶん\n"
            )
            r = await self._upload(c, s["id"], text.encode())
            assert r.status_code == 422
            assert [e["loc"][1] for e in r.json()["errors"]] == ["line 3", "line 4", "line 5"]
            assert "何も登録していません" in r.json()["detail"]
            got = (await c.get(f"/api/v1/sessions/{s['id']}/attendance")).json()
            assert got["attendances"] == 0

    async def test_missing_columns_are_named(self, training):
        async with training.client() as c:
            _p, s, _regs = await _three_people(c)
            r = await self._upload(c, s["id"], "氏名,出欠\n山田,出席\n".encode())
            assert r.status_code == 422
            assert "申込ID または メールアドレス" in r.json()["detail"]

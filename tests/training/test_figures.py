"""The training read models under concurrent writes, and the rebuild from scratch."""

from __future__ import annotations

import asyncio
from datetime import date

from services.training.figures.service import rebuild_async
from tests.training.factories import CHIYODA, CHUO, MINATO, program, register, session
from tests.training.test_figures_property import from_scratch, stored


async def _equal(training) -> None:
    expected = await from_scratch(training.db.engine)
    got = await stored(training.db.engine)
    for name, rows in expected.items():
        assert got[name] == rows, name


class TestConcurrentWrites:
    async def test_writes_on_several_sessions_at_once_keep_every_figure(self, training):
        """Registrations on three sessions of one kind from the same municipalities, and
        attendance lists, all at once: the shared per-municipality and per-kind rows end equal
        to a computation from scratch (no lost update, no duplicate row)."""
        codes = [CHIYODA, CHUO, MINATO]
        async with training.client() as c:
            p = await program(c)
            sessions = [
                await session(c, p["id"], days=[date(2025, 6, 10 + 7 * i)], capacity=5)
                for i in range(3)
            ]
            first = [(await register(c, s["id"], 100 + i)).json() for i, s in enumerate(sessions)]

            async def reg(i: int):  # type: ignore[no-untyped-def]
                s = sessions[i % 3]
                return await register(c, s["id"], i, code=codes[i % 3])

            async def mark(i: int):  # type: ignore[no-untyped-def]
                return await c.put(
                    f"/api/v1/sessions/{sessions[i]['id']}/attendance",
                    json={
                        "entries": [
                            {"registration_id": first[i]["id"], "day_no": 1, "status": "present"}
                        ]
                    },
                )

            answers = await asyncio.gather(
                *(reg(i) for i in range(24)), *(mark(i) for i in range(3))
            )
            assert all(a.status_code in (200, 201) for a in answers), [a.text for a in answers]
            listed = (await c.get("/api/v1/sessions", params={"fiscal_year": 2025})).json()
        assert [(s["confirmed"], s["waitlisted"]) for s in listed] == [(5, 4)] * 3
        await _equal(training)


class TestRebuild:
    async def test_rebuild_gives_the_rows_the_writes_kept(self, training):
        async with training.client() as c:
            p = await program(c, completion_rule="n_of_m", completion_min_days=1)
            s = await session(c, p["id"], days=[date(2025, 6, 10), date(2025, 6, 17)], capacity=2)
            regs = [
                (await register(c, s["id"], i, code=code)).json()
                for i, code in enumerate([CHIYODA, CHUO, CHUO])
            ]
            await c.put(
                f"/api/v1/sessions/{s['id']}/attendance",
                json={
                    "entries": [
                        {"registration_id": regs[1]["id"], "day_no": 2, "status": "on_demand"}
                    ]
                },
            )
        kept = await stored(training.db.engine)
        async with training.db.session(write=True) as db:
            await rebuild_async(db)
            await db.commit()
        assert await stored(training.db.engine) == kept
        await _equal(training)
        assert {r[1:] for r in kept["municipality_kind_figures"]} == {
            ("全体研修・情報交換会", CHUO, 1, 1, 1, 1),
        }
        assert {r[1:] for r in kept["municipality_year_figures"]} == {
            (CHIYODA, 1, 0, 0, 0, 0),
            (CHUO, 1, 1, 1, 1, 1),
        }

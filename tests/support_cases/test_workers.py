"""The support_cases service with two worker processes (``SUPPORT_CASES_WORKERS=2`` through
``scripts.serve``, real uvicorn on a free port, its own database): case list and round summary
read in one process right after a write in the other see it, the same from every process, and
the summaries equal a computation from scratch."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from services.common.db import make_engine
from tests.support_cases.factories import CITY, FY, TODAY, WARD
from tests.support_cases.test_figures_property import from_scratch, stored
from tests.workers import Served, database_url

READS = (
    "/api/v1/cases",
    f"/api/v1/rounds/{FY}/summary",
    f"/api/v1/views/rounds/{FY}",
    "/api/v1/views/round-summaries?fy_from=2024&fy_to=2026",
)


@pytest.fixture
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    url = database_url("support_cases", tmp_path)
    with Served("support_cases", url, tmp_path / "support_cases.log") as s:
        yield s


class TestTwoWorkers:
    def test_a_read_in_one_process_sees_the_write_in_the_other(self, served: Served) -> None:
        a, b = served.one_per_worker()
        assert a.worker != b.worker
        status, _ = a.request(
            "POST",
            "/api/v1/rounds",
            {
                "fiscal_year": FY,
                "application_opens": (TODAY - timedelta(days=5)).isoformat(),
                "application_closes": (TODAY + timedelta(days=5)).isoformat(),
            },
        )
        assert status == 201
        for writer, code in ((a, CITY), (b, WARD)):
            status, _ = writer.request(
                "POST", f"/api/v1/rounds/{FY}/applications", {"municipality_code": code}
            )
            assert status == 201
        assert b.get(f"/api/v1/rounds/{FY}/summary")["applications"] == 2
        status, adv = b.request("POST", "/api/v1/advisors", {"name": "山田 花子"})
        assert status == 201
        status, case = a.request(
            "POST",
            "/api/v1/cases",
            {
                "fiscal_year": FY,
                "municipality_code": CITY,
                "theme": "介護予防",
                "advisor_ids": [adv["id"]],
            },
        )
        assert status == 201, case
        status, _ = b.request(
            "POST",
            f"/api/v1/cases/{case['id']}/visits",
            {
                "visit_date": (TODAY - timedelta(days=1)).isoformat(),
                "kind": "ヒアリング",
                "advisors": [{"advisor_id": adv["id"], "hours": 2.5}],
            },
        )
        assert status == 201
        [listed] = a.get("/api/v1/cases")
        assert (listed["visits_count"], listed["advisor_hours"]) == (1, 2.5)
        assert listed["last_visit_date"] == (TODAY - timedelta(days=1)).isoformat()
        summary = a.get(f"/api/v1/rounds/{FY}/summary")
        assert (summary["advisor_dispatches"], summary["cases"]) == (1, 1)
        conns = [a, b, *(served.connect() for _ in range(6))]
        for path in READS:
            answers = [c.get(path) for c in conns]
            assert all(x == answers[0] for x in answers), f"{path} differs between workers"
        for c in conns:
            c.close()
        engine = make_engine(served.url)

        async def compare() -> None:
            try:
                assert await stored(engine) == await from_scratch(engine)
            finally:
                await engine.dispose()

        asyncio.run(compare())

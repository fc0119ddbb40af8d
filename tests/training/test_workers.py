"""The training service with two worker processes (``TRAINING_WORKERS=2`` through
``scripts.serve``, real uvicorn on a free port, its own database): every figure read right
after a write in one process is the same from the other, and the read models equal a
computation from scratch. (Synchronous: the server is another process.)"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.common.db import make_engine
from tests.training.test_figures_property import from_scratch, stored
from tests.workers import Served, database_url

READS = (
    "/api/v1/stats?fiscal_year=2025",
    "/api/v1/participation?fiscal_year=2025",
    "/api/v1/targets?fiscal_year=2025",
    "/api/v1/demand?fiscal_year=2025",
    "/api/v1/views/dashboard?fiscal_year=2025",
    "/api/v1/views/municipalities/131016?fiscal_year=2025",
    "/api/v1/views/programs?fiscal_year=2025",
)


@pytest.fixture
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    with Served("training", database_url("training", tmp_path), tmp_path / "training.log") as s:
        yield s


def _same_everywhere(conns, paths=READS) -> dict[str, object]:  # type: ignore[no-untyped-def]
    out = {}
    for path in paths:
        answers = [c.get(path) for c in conns]
        assert all(a == answers[0] for a in answers), f"{path} differs between workers"
        out[path] = answers[0]
    return out


class TestTwoWorkers:
    def test_a_read_in_one_process_sees_the_write_in_the_other(self, served: Served) -> None:
        a, b = served.one_per_worker()
        assert a.worker != b.worker
        status, p = a.request(
            "POST",
            "/api/v1/programs",
            {"name": "全体研修", "kind": "全体研修・情報交換会", "fiscal_year": 2025},
        )
        assert status == 201, p
        status, s = a.request(
            "POST",
            "/api/v1/sessions",
            {
                "program_id": p["id"],
                "days": [{"date": "2025-06-10", "start": "13:30", "end": "16:30"}],
                "format": "会場",
                "capacity": 2,
            },
        )
        assert status == 201, s
        regs = []
        for i, (writer, code) in enumerate(((a, "131016"), (b, "131016"), (a, "131024"))):
            status, reg = writer.request(
                "POST",
                f"/api/v1/sessions/{s['id']}/registrations",
                {"name": f"職員{i}", "municipality_code": code, "email": f"w{i}@ex.jp"},
            )
            assert status == 201, reg
            regs.append(reg)
            # read at once from the other process
            other = b if writer is a else a
            seen = other.get(f"/api/v1/sessions/{s['id']}")
            assert (seen["confirmed"], seen["waitlisted"]) == (min(i + 1, 2), max(0, i - 1))
        status, _ = b.request(
            "PUT",
            f"/api/v1/sessions/{s['id']}/attendance",
            {"entries": [{"registration_id": regs[0]["id"], "day_no": 1, "status": "present"}]},
        )
        assert status == 200
        stats = a.get("/api/v1/stats?fiscal_year=2025")
        assert stats["completers_by_kind"]["全体研修・情報交換会"] == 1
        assert stats["municipalities_reached"] == ["131016"]
        status, _ = a.request("DELETE", f"/api/v1/registrations/{regs[0]['id']}")
        assert status == 204
        promoted = b.get(f"/api/v1/registrations/{regs[2]['id']}")
        assert promoted["status"] == "confirmed"
        after = _same_everywhere([a, b])
        assert (
            after["/api/v1/stats?fiscal_year=2025"]["completers_by_kind"]["全体研修・情報交換会"]
            == 0
        )
        many = [served.connect() for _ in range(6)]
        _same_everywhere([a, b, *many])
        for c in (a, b, *many):
            c.close()
        engine = make_engine(served.url)

        async def compare() -> None:
            try:
                assert await stored(engine) == await from_scratch(engine)
            finally:
                await engine.dispose()

        asyncio.run(compare())

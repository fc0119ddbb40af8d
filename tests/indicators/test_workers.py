"""The indicators service with two worker processes (``INDICATORS_WORKERS=2`` through
``scripts.serve``, real uvicorn on a free port, its own database): results, averages,
取り戻す指標 and the one-call views read right after a write in one process are the same from
the other, and the read models equal a computation from scratch. (Synchronous: the server is
another process.)"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.common.db import make_engine
from tests.indicators.factories import CHIYODA, CHUO, HACHIOJI, MINATO, tiny_framework
from tests.indicators.test_results_property import from_scratch, stored
from tests.workers import Served, database_url


@pytest.fixture
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    with Served(
        "indicators", database_url("indicators", tmp_path), tmp_path / "indicators.log"
    ) as s:
        yield s


def _reads(fid: int) -> tuple[str, ...]:
    return (
        f"/api/v1/frameworks/{fid}/results?prefecture=13",
        f"/api/v1/frameworks/{fid}/averages?prefecture=13",
        f"/api/v1/frameworks/{fid}/recover?entity_code={CHUO}",
        "/api/v1/results/latest?prefecture=13",
        "/api/v1/views/dashboard?prefecture=13",
        f"/api/v1/views/municipalities/{CHIYODA}?prefecture=13",
    )


def _same_everywhere(conns, paths) -> dict[str, object]:  # type: ignore[no-untyped-def]
    out = {}
    for path in paths:
        answers = [c.get(path) for c in conns]
        assert all(a == answers[0] for a in answers), f"{path} differs between workers"
        out[path] = answers[0]
    return out


def _put(conn, fid: int, cells: dict[str, dict[str, float]]) -> None:  # type: ignore[no-untyped-def]
    rows = [
        {"entity_code": e, "item_code": i, "points": p}
        for e, items in cells.items()
        for i, p in items.items()
    ]
    status, body = conn.request("PUT", f"/api/v1/frameworks/{fid}/scores", {"scores": rows})
    assert status == 200, body


class TestTwoWorkers:
    def test_a_read_in_one_process_sees_the_write_in_the_other(self, served: Served) -> None:
        a, b = served.one_per_worker()
        assert a.worker != b.worker
        status, fw = a.request("POST", "/api/v1/frameworks", tiny_framework(2020))
        assert status == 201, fw
        fid = fw["id"]
        _put(a, fid, {CHIYODA: {"a": 10, "c": 10}, CHUO: {"a": 5}, MINATO: {"a": 10}})
        # read at once from the other process
        res = b.get(f"/api/v1/frameworks/{fid}/results?prefecture=13")
        assert [(e["entity_code"], e["total"], e["rank"]) for e in res["entities"]] == [
            (CHIYODA, 20.0, 1),
            (MINATO, 10.0, 2),
            (CHUO, 5.0, 3),
        ]
        # a holds this answer in its read cache: the write in b must still be seen in a
        assert a.get(f"/api/v1/frameworks/{fid}/results?prefecture=13") == res
        # a write in b, read in a: Chuo now ties Chiyoda (same rank), a city joins
        _put(b, fid, {CHUO: {"c": 10, "b1": 5}, HACHIOJI: {"a": 1}})
        res = a.get(f"/api/v1/frameworks/{fid}/results?prefecture=13")
        assert [(e["entity_code"], e["total"], e["national_rank"]) for e in res["entities"]] == [
            (CHIYODA, 20.0, 1),
            (CHUO, 20.0, 1),
            (MINATO, 10.0, 3),
            (HACHIOJI, 1.0, 4),
        ]
        assert {e["entity_code"]: e["peer_rank"] for e in res["entities"]}[HACHIOJI] == 1
        # a peer set made in a moves the groups b reads
        status, ps = a.request(
            "POST",
            "/api/v1/peer-sets",
            {"name": "support-2024", "members": {CHIYODA: "対象", HACHIOJI: "対象"}},
        )
        assert status == 201, ps
        avg = b.get(f"/api/v1/frameworks/{fid}/averages?prefecture=13&group_set=support-2024")
        assert {g["group"]: g["count"] for g in avg["groups"]} == {"対象": 2, "(未所属)": 2}
        profile = b.get(
            f"/api/v1/views/municipalities/{CHIYODA}?prefecture=13&group_set=support-2024"
        )
        suishin = next(g for g in profile["grants"] if g["grant"] == "suishin")
        assert suishin["entity"]["peer_group"] == "対象"
        assert suishin["entity"]["peer_rank"] == 1
        assert [y["total"] for y in suishin["years"]] == [20.0]
        after = _same_everywhere([a, b], _reads(fid))
        dash = after["/api/v1/views/dashboard?prefecture=13"]
        (block,) = [g for g in dash["grants"] if g["grant"] == "suishin"]
        assert [r["entity_code"] for r in block["rows"]] == [
            CHIYODA,
            CHUO,
            MINATO,
            HACHIOJI,
        ]
        many = [served.connect() for _ in range(4)]
        _same_everywhere([a, b, *many], _reads(fid))
        for c in (a, b, *many):
            c.close()
        engine = make_engine(served.url)

        async def compare() -> None:
            try:
                assert await stored(engine) == await from_scratch(engine)
            finally:
                await engine.dispose()

        asyncio.run(compare())

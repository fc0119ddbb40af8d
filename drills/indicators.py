"""Drill: a score import killed half-way (SIGKILL of the indicators process while a
national-scale CSV import is in flight): afterwards either every row or none is present."""

from __future__ import annotations

import asyncio
import random
import signal
import time

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench.indicators_bench import framework, wide_csv
from drills.base import Report, service_client
from services.common.registry import get_registry
from tests.e2e.system import System


async def _pg(system: System) -> asyncpg.Connection:
    u = make_url(system.database_urls["indicators"])
    return await asyncpg.connect(
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        user=u.username or "postgres",
        password=u.password,
        database=u.database,
    )


async def _rows(system: System, framework_id: int) -> int:
    conn = await _pg(system)
    try:
        # Wait until the killed process's backend has gone (its transaction rolled back).
        for _ in range(100):
            busy = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
            )
            if not busy:
                break
            await asyncio.sleep(0.1)
        return await conn.fetchval(
            "SELECT count(*) FROM score WHERE framework_id = $1", framework_id
        )
    finally:
        await conn.close()


async def _writing_transactions(system: System) -> int:
    conn = await _pg(system)
    try:
        return await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
        )
    finally:
        await conn.close()


async def import_killed(system: System, report: Report, municipalities: int = 1741) -> None:
    codes = sorted(get_registry().municipalities)[:municipalities]
    rng = random.Random(9)
    async with service_client(system, "indicators", timeout=120) as c:
        docs = []
        for fy in (2024, 2025):
            doc = framework(fy)
            r = await c.post("/api/v1/frameworks", json=doc)
            if r.status_code != 201:
                raise RuntimeError(f"framework: {r.status_code} {r.text[:300]}")
            docs.append((r.json()["id"], doc))
        (fid_a, doc_a), (fid_b, doc_b) = docs
        cells = len(codes) * 100
        t0 = time.perf_counter()
        r = await c.post(
            f"/api/v1/frameworks/{fid_a}/scores/import",
            files={"file": ("s.csv", wide_csv(doc_a, codes, rng))},
        )
        full = time.perf_counter() - t0
        report.check(
            f"a whole import of {cells:,} cells works",
            r.status_code == 200 and r.json().get("written") == cells,
            f"{r.status_code}, {full:.2f} s",
        )
        body = wide_csv(doc_b, codes, rng)
        report.did(
            f"import of {cells:,} cells into framework {fid_b}; SIGKILL of indicators once its "
            "transaction is writing (PostgreSQL assigned it a transaction id) plus a third of "
            "the rest of the measured import time"
        )
        request = asyncio.create_task(
            c.post(f"/api/v1/frameworks/{fid_b}/scores/import", files={"file": ("s.csv", body)})
        )
        t0 = time.perf_counter()
        in_flight = 0
        while not request.done() and time.perf_counter() - t0 < full * 3 + 10:
            in_flight = await _writing_transactions(system)
            if in_flight:
                break
            await asyncio.sleep(0.01)
        began = time.perf_counter() - t0
        if in_flight:
            # Into the write phase: a third of what is left of the measured whole import.
            await asyncio.sleep(max(0.0, full - began) / 3)
            in_flight = await _writing_transactions(system)
        killed_at = time.perf_counter() - t0
        system.stop("indicators", signal.SIGKILL)
        try:
            answer = await request
            outcome = f"answered {answer.status_code}"
            acknowledged = answer.status_code == 200
        except httpx.HTTPError as exc:
            outcome = f"no answer ({type(exc).__name__})"
            acknowledged = False
        report.check(
            "the import was in flight when the process died",
            not acknowledged and in_flight > 0,
            f"{outcome}; writing began at {began:.2f} s, killed at {killed_at:.2f} s with "
            f"{in_flight} writing transaction(s)",
        )
    system.start("indicators")
    await asyncio.to_thread(system.wait_ready, "indicators", 60)
    rows = await _rows(system, fid_b)
    report.check(
        "afterwards all rows or none are present",
        rows in (0, cells),
        f"{rows:,} of {cells:,} rows",
    )
    async with service_client(system, "indicators", timeout=120) as c:
        r = await c.post(
            f"/api/v1/frameworks/{fid_b}/scores/import", files={"file": ("s.csv", body)}
        )
    rows = await _rows(system, fid_b)
    report.check(
        "the same import after the restart writes every row",
        r.status_code == 200 and rows == cells,
        f"{r.status_code}, {rows:,} rows",
    )

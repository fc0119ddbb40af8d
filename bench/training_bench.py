"""Bench (not a test) of the training service, served with uvicorn (one process) on
127.0.0.1, on a fresh SQLite file and on a fresh PostgreSQL database:

1. burst: 200 registrations at once for a session of 30 seats; exactly 30 confirmed and 170
   waitlisted with positions 1..170 in arrival (seat-giving) order.
2. reads at scale: 500 sessions and 20,000 registrations (three quarters with attendance) in
   one fiscal year, loaded straight into the base tables and the read models rebuilt as a bulk
   import does; then the readers the gateway's views call (stats, participation, targets,
   demand, the view endpoints), each 200 times one after another: p50/p95 latency and the
   service's CPU per call (the server process's CPU time over the calls).

    .venv/bin/python -m bench.training_bench [--port 18003] [--skip-pg] [--skip-reads]
        [--pg postgresql+asyncpg://postgres@127.0.0.1:5432/banso_h_tr_bench]

Figures go to stdout and bench/results/training.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import psutil
from sqlalchemy.engine import make_url

from services.common import migrate
from services.common.actor import Actor, Role, mint_token
from services.common.db import Database
from services.common.models import stamp_created, utcnow
from services.common.registry import get_registry

SECRET = "bench-secret-for-training-bench-0123456789"
N, CAPACITY = 200, 30
SESSIONS, REGISTRATIONS, FY = 500, 20_000, 2025
READ_CALLS = 200
RESULTS = Path(__file__).parent / "results" / "training.json"
ACTOR = Actor(id="bench", name="ベンチ", role=Role.coordinator)


async def _pg_admin(url: str, statements: list[str]) -> None:
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(
        host=u.host, port=u.port or 5432, user=u.username, password=u.password, database="postgres"
    )
    try:
        for s in statements:
            await conn.execute(s)
    finally:
        await conn.close()


def _serve(url: str, port: int) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        TRAINING_DATABASE_URL=url,
        BANSO_TOKEN_SECRET=SECRET,
        BANSO_ENV="development",
        BANSO_LOG_LEVEL="WARNING",
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "services.training.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )


async def _wait_ready(base: str) -> None:
    async with httpx.AsyncClient() as c:
        for _ in range(100):
            try:
                if (await c.get(f"{base}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the app did not become ready")


async def _run(base: str) -> dict[str, object]:
    token = mint_token(
        SECRET, Actor(id="bench", name="ベンチ", role=Role.coordinator), ttl_seconds=600
    )
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=N, max_keepalive_connections=N)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=120) as c:
        p = (
            await c.post(
                "/api/v1/programs",
                json={"name": "ベンチ", "kind": "その他", "fiscal_year": 2025, "region": "全域"},
            )
        ).json()
        s = (
            await c.post(
                "/api/v1/sessions",
                json={
                    "program_id": p["id"],
                    "days": [{"date": "2025-06-10", "start": "13:30", "end": "16:30"}],
                    "format": "会場",
                    "capacity": CAPACITY,
                },
            )
        ).json()
        codes = ["131016", "131024", "131032", "132012", "133086"]

        async def one(i: int) -> httpx.Response:
            return await c.post(
                f"/api/v1/sessions/{s['id']}/registrations",
                json={
                    "name": f"職員 {i}",
                    "municipality_code": codes[i % 5],
                    "role": "実務担当者",
                    "email": f"b{i}@example.jp",
                },
            )

        t0 = time.perf_counter()
        answers = await asyncio.gather(*(one(i) for i in range(N)))
        elapsed = time.perf_counter() - t0
        bad = [a.text for a in answers if a.status_code != 201]
        assert not bad, bad[:3]
        listed = (await c.get(f"/api/v1/sessions/{s['id']}/registrations")).json()
        got = (await c.get(f"/api/v1/sessions/{s['id']}")).json()
    statuses = [a.json()["status"] for a in answers]
    waiting = [r for r in listed if r["status"] == "waitlisted"]
    in_order = [r["waitlist_position"] for r in sorted(waiting, key=lambda r: r["id"])]
    assert statuses.count("confirmed") == CAPACITY, statuses.count("confirmed")
    assert statuses.count("waitlisted") == N - CAPACITY
    assert (got["confirmed"], got["waitlisted"]) == (CAPACITY, N - CAPACITY)
    assert in_order == list(range(1, N - CAPACITY + 1)), in_order[:10]
    assert sorted(
        a.json()["waitlist_position"] for a in answers if a.json()["status"] == "waitlisted"
    ) == list(range(1, N - CAPACITY + 1))
    return {
        "seconds": round(elapsed, 2),
        "per_second": round(N / elapsed, 1),
        "confirmed": CAPACITY,
        "waitlisted": N - CAPACITY,
    }


async def _seed_reads(c: httpx.AsyncClient, url: str) -> dict[str, object]:
    """500 sessions of FY2025 across every kind and 20,000 registrations with attendance,
    inserted straight into the base tables; the read models rebuilt (as a bulk load does)."""
    import services.training.tables  # noqa: F401  (every model, for the foreign keys)
    from services.training.attendance.models import Attendance
    from services.training.figures.service import rebuild_async
    from services.training.programs.models import Kind, SessionDay
    from services.training.registrations.models import Registration

    kinds = [k.value for k in Kind]
    programs = []
    for i in range(SESSIONS // 10):
        r = await c.post(
            "/api/v1/programs",
            json={"name": f"ベンチ {i}", "kind": kinds[i % len(kinds)], "fiscal_year": FY},
        )
        programs.append(r.json()["id"])
    sem = asyncio.Semaphore(8)

    async def one(n: int) -> int:
        day = date(FY, 4, 10) + timedelta(days=(n * 3) % 330)
        async with sem:
            r = await c.post(
                "/api/v1/sessions",
                json={
                    "program_id": programs[n % len(programs)],
                    "days": [
                        {"date": day.isoformat(), "start": "13:30", "end": "16:30"},
                        {
                            "date": (day + timedelta(days=1)).isoformat(),
                            "start": "13:30",
                            "end": "16:30",
                        },
                    ],
                    "format": "会場",
                    "capacity": 60,
                },
            )
        return r.json()["id"]

    sids = await asyncio.gather(*(one(n) for n in range(SESSIONS)))
    home = sorted(m.code for m in get_registry().home())
    per = REGISTRATIONS // len(sids)
    db = Database(url)
    now = utcnow()
    t0 = time.perf_counter()
    try:
        async with db.session(write=True) as s:
            days = {
                (d.session_id, d.day_no): d.id
                for d in (await s.exec(SessionDay.__table__.select())).all()  # type: ignore[attr-defined]
            }
        for start in range(0, len(sids), 50):
            async with db.session(write=True) as s:
                regs = []
                for sid in sids[start : start + 50]:
                    for k in range(per):
                        reg = Registration(
                            session_id=sid,
                            name=f"職員 {sid}-{k}",
                            municipality_code=home[(sid * 7 + k) % len(home)],
                            role="実務担当者",
                            # the same people come back to other sessions: 実人数 < 延べ
                            email=f"p{(sid * 13 + k) % 6000}@bench.example.jp",
                            status="confirmed",
                            seq=k + 1,
                            confirmed_at=now,
                        )
                        stamp_created(reg, ACTOR)
                        regs.append(reg)
                s.add_all(regs)
                await s.flush()
                for n, reg in enumerate(regs):
                    if n % 4 == 3:
                        continue  # a quarter never came
                    for day_no in (1, 2) if n % 2 == 0 else (1,):
                        mark = Attendance(
                            registration_id=reg.id,  # type: ignore[arg-type]
                            day_id=days[(reg.session_id, day_no)],
                            status="present",
                        )
                        stamp_created(mark, ACTOR)
                        s.add(mark)
                await s.commit()
        loaded = time.perf_counter() - t0
        t0 = time.perf_counter()
        async with db.session(write=True) as s:
            await rebuild_async(s)
            await s.commit()
        rebuilt = time.perf_counter() - t0
    finally:
        await db.dispose()
    for body in (
        {
            "name": "地域ケア会議 修了者",
            "kind": Kind.care_meeting.value,
            "metric": "completers",
            "fy_from": FY - 2,
            "fy_to": FY,
            "value": 1350,
        },
        {
            "name": "見える化 年1回以上",
            "kind": Kind.mieruka.value,
            "metric": "sessions_per_year",
            "fy_from": FY,
            "fy_to": FY + 2,
            "value": 1,
        },
        {
            "name": "全62区市町村",
            "metric": "municipalities_reached",
            "fy_from": FY,
            "fy_to": FY + 2,
        },
    ):
        await c.post("/api/v1/targets", json=body)
    return {
        "sessions": len(sids),
        "registrations": per * len(sids),
        "load_s": round(loaded, 1),
        "rebuild_read_models_s": round(rebuilt, 2),
    }


READS = (
    "/api/v1/me",  # the floor: token check and a JSON answer, no database
    f"/api/v1/stats?fiscal_year={FY}",
    f"/api/v1/participation?fiscal_year={FY}",
    f"/api/v1/targets?fiscal_year={FY}",
    f"/api/v1/demand?fiscal_year={FY}",
    f"/api/v1/views/dashboard?fiscal_year={FY}",
    f"/api/v1/views/municipalities/131016?fiscal_year={FY}",
    f"/api/v1/views/years?fy_from={FY - 2}&fy_to={FY}",
)


def _cpu(proc: psutil.Process) -> float:
    t = proc.cpu_times()
    return t.user + t.system


async def _reads(c: httpx.AsyncClient, server: psutil.Process) -> dict[str, dict[str, float]]:
    out = {}
    for path in READS:
        for _ in range(5):  # warm
            assert (await c.get(path)).status_code == 200
        times = []
        cpu0 = _cpu(server)
        for _ in range(READ_CALLS):
            t0 = time.perf_counter()
            r = await c.get(path)
            times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, r.text
        cpu = (_cpu(server) - cpu0) * 1000 / READ_CALLS
        times.sort()
        out[path.split("?")[0].removeprefix("/api/v1")] = {
            "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
            "service_cpu_ms_per_call": round(cpu, 2),
            "bytes": len(r.content),
        }
    stats = (await c.get(READS[1])).json()
    assert sum(stats["completers_by_kind"].values()) > 0 and stats["municipalities_reached"]
    return out


async def bench(url: str, port: int, *, reads: bool) -> dict[str, object]:
    migrate.upgrade("training", url)
    proc = _serve(url, port)
    try:
        base = f"http://127.0.0.1:{port}"
        await _wait_ready(base)
        result: dict[str, object] = {"burst": await _run(base)}
        if reads:
            token = mint_token(SECRET, ACTOR, ttl_seconds=3600)
            async with httpx.AsyncClient(
                base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120
            ) as c:
                result["data"] = await _seed_reads(c, url)
                result["reads"] = await _reads(c, psutil.Process(proc.pid))
        return result
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _print(name: str, result: dict[str, object]) -> None:
    print(f"{name}: burst {result['burst']}")
    if "reads" in result:
        print(f"  data {result['data']}")
        print(f"  {'read':34} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms/call':>12}")
        for path, r in result["reads"].items():  # type: ignore[attr-defined]
            print(
                f"  {path:34} {r['p50_ms']:8.2f} {r['p95_ms']:8.2f} {r['service_cpu_ms_per_call']:12.2f}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=18003)
    parser.add_argument(
        "--pg", default="postgresql+asyncpg://postgres@127.0.0.1:5432/banso_h_tr_bench"
    )
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-reads", action="store_true")
    args = parser.parse_args(argv)
    results: dict[str, object] = {"measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = f"sqlite+aiosqlite:///{Path(tmp) / 'training_bench.db'}"
        results["sqlite"] = asyncio.run(bench(sqlite, args.port, reads=not args.skip_reads))
        _print("SQLite", results["sqlite"])  # type: ignore[arg-type]
    if not args.skip_pg:
        name = make_url(args.pg).database
        asyncio.run(
            _pg_admin(
                args.pg,
                [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'],
            )
        )
        try:
            results["postgresql"] = asyncio.run(
                bench(args.pg, args.port, reads=not args.skip_reads)
            )
            _print("PostgreSQL", results["postgresql"])  # type: ignore[arg-type]
        finally:
            asyncio.run(_pg_admin(args.pg, [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)']))
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

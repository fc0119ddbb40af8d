"""Bench (not a test): 200 concurrent registrations for a session of 30 seats.

Serves the training app with uvicorn on 127.0.0.1, on a fresh SQLite file and on a fresh
PostgreSQL database, fires 200 registrations at once and checks that exactly 30 are
confirmed and 170 waitlisted with positions 1..170 in arrival (seat-giving) order.

    .venv/bin/python -m bench.training_bench [--port 18003] [--pg postgresql+asyncpg://postgres@127.0.0.1:5432/banso_h_tr_bench]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from services.common import migrate
from services.common.actor import Actor, Role, mint_token

SECRET = "bench-secret-for-training-bench-0123456789"
N, CAPACITY = 200, 30


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


async def bench(url: str, port: int) -> dict[str, object]:
    migrate.upgrade("training", url)
    proc = _serve(url, port)
    try:
        base = f"http://127.0.0.1:{port}"
        await _wait_ready(base)
        return await _run(base)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=18003)
    parser.add_argument(
        "--pg", default="postgresql+asyncpg://postgres@127.0.0.1:5432/banso_h_tr_bench"
    )
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = f"sqlite+aiosqlite:///{Path(tmp) / 'training_bench.db'}"
        print("SQLite    ", asyncio.run(bench(sqlite, args.port)))
    if not args.skip_pg:
        name = make_url(args.pg).database
        asyncio.run(
            _pg_admin(
                args.pg,
                [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'],
            )
        )
        try:
            print("PostgreSQL", asyncio.run(bench(args.pg, args.port)))
        finally:
            asyncio.run(_pg_admin(args.pg, [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)']))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

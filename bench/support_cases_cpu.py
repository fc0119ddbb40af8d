"""CPU per read call of the support_cases service, in-process, on bench-sized data.

    .venv/bin/python -m bench.support_cases_cpu                 # SQLite file under a temp dir
    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/banso_x \
        .venv/bin/python -m bench.support_cases_cpu             # PostgreSQL (database recreated)
    ... --profile                                               # cProfile of each call too

Seeds what ``make bench`` seeds for support cases (200 cases with trees and roadmaps, through
the API, bench.seed.support_cases), then calls the app's ASGI entry directly (no HTTP client
in the measurement) N times per call the gateway's views make, as a coordinator, and prints
the process CPU (time.process_time) per call. The database server's CPU is not counted (on
SQLite it is in-process and counted).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import seed
from services.common import migrate
from services.common.actor import Actor, Role, mint_token
from services.common.settings import CommonSettings
from services.support_cases.main import create_app
from services.support_cases.settings import Settings

SECRET = "bench-secret-0123456789-0123456789-abcdef"
ACTOR = Actor(id="bench", name="ベンチ", role=Role.coordinator)
CALLS = (
    "/api/v1/views/rounds/2025",
    "/api/v1/cases?fiscal_year=2026",
    "/api/v1/cases?municipality_code=131016",
)


async def call(app: Any, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    """One GET straight through the app's ASGI entry."""
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8002),
        "state": {},
    }
    status = 0
    body: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(body)


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=300, help="calls per endpoint")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument(
        "--keep",
        help="SQLite file to keep the seeded data in (reused when there); with DATABASE_URL: "
        "any value keeps the PostgreSQL database (created, seeded and reused when there)",
    )
    ap.add_argument("paths", nargs="*", help="calls to measure (default: the views' calls)")
    args = ap.parse_args()
    pg = os.environ.get("DATABASE_URL")
    seeded = False
    if pg:
        from tests import dbs

        url = pg
        if args.keep:
            seeded = await _has_rounds(url)
        if not seeded:
            await asyncio.to_thread(dbs.create_databases, {"support_cases": url})
    else:
        db = Path(args.keep) if args.keep else Path(tempfile.mkdtemp()) / "bench.db"
        seeded = db.exists()
        url = f"sqlite+aiosqlite:///{db}"
    await asyncio.to_thread(migrate.upgrade, "support_cases", url)
    settings = Settings(
        database_url=url,
        common=CommonSettings(env="test", token_secret=SECRET, log_level="WARNING"),
    )
    app = create_app(settings)
    token = mint_token(SECRET, ACTOR, ttl_seconds=3600)
    async with app.router.lifespan_context(app):
        t0 = time.perf_counter()
        if not seeded:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://b",
                headers={"Authorization": f"Bearer {token}"},
            ) as c:
                await seed.support_cases(c, args.cases, lambda *_: None)
        print(
            f"database: {'PostgreSQL' if pg else 'SQLite'}; seed {time.perf_counter() - t0:.1f} s"
        )
        headers = [(b"authorization", f"Bearer {token}".encode()), (b"host", b"b")]
        for path in args.paths or CALLS:
            for _ in range(20):
                status, body = await call(app, path, headers)
                assert status == 200, body[:300]
            prof = cProfile.Profile() if args.profile else None
            c0, w0 = time.process_time(), time.perf_counter()
            if prof:
                prof.enable()
            for _ in range(args.n):
                await call(app, path, headers)
            if prof:
                prof.disable()
            cpu = (time.process_time() - c0) / args.n * 1000
            wall = (time.perf_counter() - w0) / args.n * 1000
            print(f"{path:45s} CPU {cpu:5.2f} ms/call  wall {wall:5.2f} ms  {len(body):,} bytes")
            if prof:
                pstats.Stats(prof).sort_stats("tottime").print_stats(25)
                pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
    if pg and not args.keep:
        from tests import dbs

        await asyncio.to_thread(dbs.drop_databases, {"support_cases": url})
    return 0


async def _has_rounds(url: str) -> bool:
    """Whether the PostgreSQL database is there with rounds in it (seeded before)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return bool((await conn.execute(text("SELECT count(*) FROM support_round"))).scalar())
    except Exception:
        return False
    finally:
        await engine.dispose()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

"""Small factories for training tests: a program, a session, a registration."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

# A Tuesday in FY2025, far from holidays.
PAST_DAY = date(2025, 6, 10)

CHIYODA, CHUO, MINATO, HACHIOJI = "131016", "131024", "131032", "132012"


async def program(c: httpx.AsyncClient, **kw: Any) -> dict[str, Any]:
    body = {
        "name": "全体研修",
        "kind": "全体研修・情報交換会",
        "fiscal_year": 2025,
        "region": "全域",
    }
    body.update(kw)
    r = await c.post("/api/v1/programs", json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def session(
    c: httpx.AsyncClient,
    program_id: int,
    *,
    days: list[date] | None = None,
    capacity: int = 10,
    **kw: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "program_id": program_id,
        "days": [
            {"date": d.isoformat(), "start": "13:30", "end": "16:30"} for d in (days or [PAST_DAY])
        ],
        "format": "会場",
        "capacity": capacity,
        "venue": "都庁第一本庁舎",
    }
    body.update(kw)
    r = await c.post("/api/v1/sessions", json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def register(
    c: httpx.AsyncClient, session_id: int, n: int = 0, *, code: str = CHIYODA, **kw: Any
) -> httpx.Response:
    body = {
        "name": f"職員 {n}",
        "municipality_code": code,
        "role": "実務担当者",
        "email": f"staff{n}@{code}.example.jp",
    }
    body.update(kw)
    return await c.post(f"/api/v1/sessions/{session_id}/registrations", json=body)

"""Small factories for indicator tests: a tiny framework, scores, allocation inputs."""

from __future__ import annotations

from typing import Any

import httpx

# Tokyo wards (区部) and cities (市部) used in tests.
CHIYODA, CHUO, MINATO, SHINJUKU = "131016", "131024", "131032", "131041"
HACHIOJI, TACHIKAWA = "132012", "132021"


def tiny_framework(grant_fy: int = 2020, **kw: Any) -> dict[str, Any]:
    """Max 30: A (a 10 + alternatives b1/b2 → 10) + B (c 10, deduction d −5)."""
    doc = {
        "code": f"test-muni-{grant_fy}",
        "name": f"テスト体系 {grant_fy}",
        "grant": "suishin",
        "level": "municipality",
        "grant_fy": grant_fy,
        "evaluation_fy": grant_fy - 1,
        "max_points": 30,
        "categories": [
            {
                "code": "A",
                "name": "区分A",
                "max_points": 20,
                "items": [
                    {"code": "a", "text": "指標a", "max_points": 10},
                    {"code": "b1", "text": "指標b ア", "max_points": 10, "alternatives": "b"},
                    {"code": "b2", "text": "指標b イ", "max_points": 6, "alternatives": "b"},
                ],
            },
            {
                "code": "B",
                "name": "区分B",
                "max_points": 10,
                "items": [
                    {"code": "c", "text": "指標c", "max_points": 10},
                    {"code": "d", "text": "減点d", "max_points": 0, "min_points": -5},
                ],
            },
        ],
    }
    doc.update(kw)
    return doc


async def make_framework(c: httpx.AsyncClient, grant_fy: int = 2020, **kw: Any) -> int:
    r = await c.post("/api/v1/frameworks", json=tiny_framework(grant_fy, **kw))
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def put_scores(c: httpx.AsyncClient, fid: int, table: dict[str, dict[str, float]]) -> None:
    rows = [
        {"entity_code": e, "item_code": i, "points": p}
        for e, cells in table.items()
        for i, p in cells.items()
    ]
    r = await c.put(f"/api/v1/frameworks/{fid}/scores", json={"scores": rows})
    assert r.status_code == 200, r.text

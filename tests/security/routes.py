"""Enumerate the /api/v1 routes of an app ("METHOD /path/template"), through included routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute

IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})


def _walk(routes: list[Any]) -> Iterator[tuple[str, set[str]]]:
    for r in routes:
        if isinstance(r, APIRoute):
            yield r.path, set(r.methods)
        elif hasattr(r, "effective_candidates"):  # FastAPI's included router (0.16x)
            for c in r.effective_candidates():
                if hasattr(c, "effective_candidates"):
                    yield from _walk([c])
                else:
                    yield c.path, set(c.methods or ())
        elif hasattr(r, "routes"):  # a mounted sub-application
            yield from _walk(list(r.routes))


def api_routes(app: Any, prefix: str = "/api/v1") -> list[str]:
    """Every "METHOD /path" of ``app`` under ``prefix`` ("" for every route), sorted."""
    found = {
        f"{m} {path}"
        for path, methods in _walk(list(app.routes))
        if not prefix or path.startswith(prefix + "/") or path == prefix
        for m in methods
        if m not in IGNORED_METHODS
    }
    return sorted(found)

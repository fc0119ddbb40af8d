"""Answers made once and sent again while nothing they rest on has changed.

A page or a combined JSON answer is a function of the service answers its view used (each
named by its ETag: gateway/clients/base.py, services/common/conditional.py), the person
(actor, session's CSRF token), the path and query, and the day in Tokyo. Every request still
asks each service whether its answer holds (a 304 costs the service one primary-key read);
when all of them do, the answer made before from the same inputs is sent again instead of
rendering the template or encoding the JSON anew. Per process, bounded (256 answers, 32 MB),
least recently used out; never the truth (a changed ETag, another person or another day is another key).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from pydantic_core import to_json

from gateway.clients.base import Kept
from gateway.templating import render, wants_fragment
from services.common import clock


def _key(request: Request, tags: list[str], *parts: str) -> str | None:
    """The answer's key, or None when it may not be kept: no service answer, one without an
    ETag, or a call that failed (a page with a part missing is made anew each time)."""
    if not tags or any(":untagged:" in t or ":unanswered:" in t for t in tags):
        return None
    auth = getattr(request.state, "auth", None)
    actor = getattr(request.state, "actor", None)
    raw = "\x1f".join(
        (
            *parts,
            request.url.path,
            request.url.query,
            actor.model_dump_json() if actor is not None else "",
            getattr(auth, "csrf_token", None) or "",
            clock.today().isoformat(),
            request.app.state.static_version,
            *sorted(tags),
        )
    )
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def _send(hit: tuple[bytes, int, dict[str, str], str]) -> Response:
    body, status, headers, media_type = hit
    return Response(body, status_code=status, headers=headers, media_type=media_type)


def render_kept(
    request: Request,
    tags: list[str],
    name: str,
    make_context: Callable[[], dict[str, Any]],
    *,
    block: str | None = None,
) -> Response:
    """:func:`gateway.templating.render`, or the page made before from the same answers.
    ``tags``: gateway.clients.base.collect_tags, started before the view's calls."""
    mode = "fragment" if block and wants_fragment(request) else "page"
    key = _key(request, tags, "html", name, block or "", mode)
    kept: Kept = request.app.state.kept_responses
    if key is not None and (hit := kept.get(key)) is not None:
        kept.hits += 1
        return _send(hit)
    resp = render(request, name, make_context(), block=block)
    if key is not None and resp.status_code == 200:
        body = bytes(resp.body)
        kept.put(key, (body, 200, {"Vary": "HX-Request"}, "text/html"), len(body))
    return resp


def json_kept(request: Request, tags: list[str], make: Callable[[], Any]) -> Response:
    """The combined JSON answer ``make()`` gives, or the one made before from the same
    answers (encoded as FastAPI would: jsonable_encoder, then JSON)."""
    key = _key(request, tags, "json")
    kept: Kept = request.app.state.kept_responses
    if key is not None and (hit := kept.get(key)) is not None:
        kept.hits += 1
        return _send(hit)
    body = to_json(jsonable_encoder(make()))
    if key is not None:
        kept.put(key, (body, 200, {}, "application/json"), len(body))
    return Response(body, media_type="application/json")

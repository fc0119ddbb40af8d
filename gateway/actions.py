"""One way to handle what a service says to a page or an API call: page vs API is decided
here only (``is_page``); a refusal (409/422) becomes the form's message (the page keeps what
the user typed), a service that is down becomes the notice, any other 4xx (404 …) becomes
the page's own error; files the services make are passed on streaming."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask

from gateway.clients.base import ServiceError, ServiceRejected
from services.common.errors import AppError

T = TypeVar("T")

SERVICE_NAMES = {
    "indicators": "評価指標のサービス",
    "support_cases": "伴走型支援のサービス",
    "training": "研修サービス",
}
# The paths that answer JSON (problem+json on errors); every other path is a page.
API_PREFIX = "/api/"
OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/openapi.json"})
FORM_REFUSALS = (409, 422)
# A write the service refuses for what was sent or who sent it (bad input, too large, not
# allowed for this role, a stale version) is said on the form; a 404 stays the page's 404.
WRITE_REFUSALS = (400, 403, 409, 413, 415, 422)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def is_page(request: Request | str) -> bool:
    """Whether errors on this path are shown as an HTML page (the one rule, by URL: the JSON
    API and the operations endpoints never negotiate content)."""
    path = request if isinstance(request, str) else request.url.path
    return not (path.startswith(API_PREFIX) or path in OPS_PATHS)


def as_app_error(exc: ServiceRejected) -> AppError:
    """A service's 4xx as the gateway's own error (a 404 becomes the page's 404)."""
    err = AppError(
        exc.problem.get("detail") or exc.detail or "サービスが要求を受け付けませんでした",
        title=exc.problem.get("title"),
        errors=exc.problem.get("errors"),
    )
    err.status = exc.status or 400
    return err


def refusal_message(exc: ServiceRejected) -> str:
    """The service's message, with its field messages when it gave some in Japanese."""
    msgs = [str(e.get("msg")) for e in exc.problem.get("errors") or [] if e.get("msg")]
    detail = exc.problem.get("detail") or exc.detail
    japanese = [m for m in msgs if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", m)]
    return "".join(dict.fromkeys([detail, *japanese])) if japanese else str(detail)


def down_notice(exc: ServiceError) -> str:
    return f"{SERVICE_NAMES.get(exc.service, exc.service)}が応答しません ({exc.detail})。"


@dataclass
class Outcome(Generic[T]):
    """What a page action got: the value, or the message to show and its status."""

    value: T | None = None
    message: dict[str, Any] | None = None
    status: int = 200
    refusal: ServiceRejected | None = None  # the service's problem, for field messages
    down: ServiceError | None = None  # the service that did not answer, for its own notice

    @property
    def ok(self) -> bool:
        return self.message is None

    @classmethod
    def refused(cls, text: str, status: int = 422) -> Outcome[Any]:
        """Refused by the gateway before asking the service (the form's own check)."""
        return cls(message={"kind": "error", "text": text}, status=status)


async def attempt(call: Awaitable[T], *, refusals: tuple[int, ...] = FORM_REFUSALS) -> Outcome[T]:
    """Run a page action's service call: 409/422 (or the given ``refusals``) → the form's
    message (the caller renders the form again with what was typed), down → the notice (503),
    any other 4xx → raised as the page's error."""
    try:
        return Outcome(value=await call)
    except ServiceRejected as exc:
        if exc.status not in refusals:
            raise as_app_error(exc) from exc
        message = {"kind": "error", "text": refusal_message(exc)}
        return Outcome(message=message, status=exc.status, refusal=exc)
    except ServiceError as exc:
        message = {"kind": "error", "text": down_notice(exc)}
        return Outcome(message=message, status=503, down=exc)


def attachment(body: bytes | str, media_type: str, filename: str) -> Response:
    """A file the gateway made itself, as a download."""
    disposition = f'attachment; filename="{filename}"'
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})


async def stream(request: Request, opened: Awaitable[httpx.Response], *, what: str) -> Response:
    """A file a service makes, passed on with its content type and file name; a refusal is
    the page's error, a service that is down a 503 page saying so."""
    from gateway.templating import render

    try:
        resp = await opened
    except ServiceRejected as exc:
        raise as_app_error(exc) from exc
    except ServiceError as exc:
        context = {"title": f"{what}を取得できません", "detail": down_notice(exc)}
        return render(request, "error.html", context, status_code=503)
    headers = {
        k: resp.headers[k] for k in ("content-disposition", "content-length") if k in resp.headers
    }
    if "content-encoding" in resp.headers:
        headers.pop("content-length", None)  # the body is passed on decoded
    return StreamingResponse(
        resp.aiter_bytes(),
        media_type=resp.headers.get("content-type", "application/octet-stream"),
        headers=headers,
        background=BackgroundTask(resp.aclose),
    )

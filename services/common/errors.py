"""One error hierarchy and its handlers: every error leaves as RFC 9457 problem+json."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("banso.errors")

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "リクエストが正しくありません",
    401: "認証が必要です",
    403: "権限がありません",
    404: "見つかりません",
    405: "このメソッドは使えません",
    409: "競合が発生しました",
    413: "データが大きすぎます",
    415: "この形式には対応していません",
    422: "入力内容に誤りがあります",
    429: "リクエストが多すぎます",
    500: "サーバー内部でエラーが発生しました",
    503: "一時的に利用できません",
}


class AppError(Exception):
    """Base for errors raised by service code; rendered as problem+json."""

    status: int = 400
    type_: str = "about:blank"

    def __init__(
        self,
        detail: str,
        *,
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.title = title or _TITLES.get(self.status, "エラー")
        self.errors = errors
        self.headers = headers
        self.extra = extra


class BadRequest(AppError):
    status = 400


class Unauthorized(AppError):
    status = 401

    def __init__(self, detail: str = "有効なトークンが必要です", **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kw)


class Forbidden(AppError):
    status = 403


class NotFound(AppError):
    status = 404


class Conflict(AppError):
    status = 409


class Invalid(AppError):
    """422: the request is well-formed but its content breaks a rule."""

    status = 422


class ServiceUnavailable(AppError):
    status = 503


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    type_: str = "about:blank",
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": title or _TITLES.get(status, "エラー"),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _loc(loc: tuple[Any, ...] | list[Any]) -> list[Any]:
    return list(loc)


async def _app_error(request: Request, exc: AppError) -> JSONResponse:
    return problem(
        exc.status,
        exc.detail,
        title=exc.title,
        instance=request.url.path,
        errors=exc.errors,
        headers=exc.headers,
        type_=exc.type_,
        **exc.extra,
    )


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    if any(list(e.get("loc", ()))[:1] == ["path"] for e in exc.errors()):
        wrong_method = method_not_allowed(request)
        if wrong_method is not None:
            return wrong_method
    errors = [{"loc": _loc(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
    where = ", ".join(".".join(str(p) for p in e["loc"]) for e in errors[:5])
    return problem(
        422,
        f"入力内容を確認してください: {where}" if where else "入力内容を確認してください",
        instance=request.url.path,
        errors=errors,
    )


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"{request.url.path} は存在しません"
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        allowed = allowed_methods(request)
        if detail == "Method Not Allowed":
            detail = f"{request.method} は {request.url.path} では使えません ({', '.join(allowed)})"
        headers = {**(headers or {}), "Allow": ", ".join(allowed)}
    return problem(exc.status_code, detail, instance=request.url.path, headers=headers)


_TEMPLATE_PARAM = re.compile(r"\{[^}]+\}")


def _templates(app: Any) -> list[tuple[re.Pattern[str], int, set[str]]]:
    """The documented path templates of an app, as (regex, literal length, methods), kept on
    the app (built once from its OpenAPI document)."""
    cached = getattr(app.state, "_path_templates", None)
    if cached is not None:
        return cached
    out: list[tuple[re.Pattern[str], int, set[str]]] = []
    try:
        paths = app.openapi().get("paths", {})
    except Exception:  # no document: the router alone answers
        paths = {}
    for template, item in paths.items():
        parts = _TEMPLATE_PARAM.split(template)
        regex = re.compile("^" + "[^/]+".join(re.escape(p) for p in parts) + "$")
        methods = {m.upper() for m in item if m in ("get", "put", "post", "patch", "delete")}
        out.append((regex, sum(len(p) for p in parts), methods))
    app.state._path_templates = out
    return out


def documented_methods(request: Request) -> set[str] | None:
    """The methods of the documented resource this path names (the most literal template that
    matches: ``/kotei-hyo/overdue`` before ``/kotei-hyo/{id}``), or None if none documents it."""
    best: tuple[int, set[str]] | None = None
    for regex, literal, methods in _templates(request.app):
        if regex.match(request.url.path) and (best is None or literal > best[0]):
            best = (literal, methods)
    return None if best is None else best[1]


def allowed_methods(request: Request) -> list[str]:
    """Every method the resource at this path answers (a 405's ``Allow``): the documented
    resource's methods, else every method some route of the router answers here. (Starlette
    names only the methods of the first route matching the path, while FastAPI makes one
    route per method.)"""
    from starlette.routing import Match

    methods = documented_methods(request)
    if methods is None:
        methods = set()
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            scope = {**request.scope, "method": method}
            if any(r.matches(scope)[0] == Match.FULL for r in request.app.router.routes):
                methods.add(method)
    methods = set(methods)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def method_not_allowed(request: Request) -> JSONResponse | None:
    """405 when the documented resource at this path has no such method, although a route
    with a parameter in the same place took the request (PUT /kotei-hyo/overdue reaching
    PUT /kotei-hyo/{id} would otherwise answer 422 about the id)."""
    methods = documented_methods(request)
    if methods is None or request.method in methods or request.method in ("HEAD", "OPTIONS"):
        return None
    allowed = allowed_methods(request)
    return problem(
        405,
        f"{request.method} は {request.url.path} では使えません ({', '.join(allowed)})",
        instance=request.url.path,
        headers={"Allow": ", ".join(allowed)},
    )


def _is_data_exception(exc: BaseException) -> bool:
    """A value the driver or the database refused as data (SQLSTATE class 22, overflow)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, OverflowError):
            return True
        if str(getattr(seen, "sqlstate", "") or getattr(seen, "pgcode", "") or "").startswith("22"):
            return True
        seen = seen.__cause__ or getattr(seen, "orig", None)
    return False


def _is_rule_violation(exc: BaseException) -> bool:
    """A CHECK or NOT NULL constraint failed (SQLSTATE 23514 / 23502; SQLite's messages)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        code = str(getattr(seen, "sqlstate", "") or getattr(seen, "pgcode", "") or "")
        if code in ("23514", "23502"):
            return True
        text = str(seen)
        if "CHECK constraint failed" in text or "NOT NULL constraint failed" in text:
            return True
        seen = seen.__cause__ or getattr(seen, "orig", None)
    return False


def _is_connection_loss(exc: BaseException) -> bool:
    """The database went away or is restarting: SQLSTATE class 08 (connection exception) or
    57 (operator intervention: admin shutdown, cannot connect now), or a socket error."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ConnectionError | OSError | TimeoutError):
            return True
        code = str(getattr(seen, "sqlstate", "") or getattr(seen, "pgcode", "") or "")
        if code.startswith(("08", "57")):
            return True
        if type(seen).__name__ in ("ConnectionDoesNotExistError", "InterfaceError"):
            return True
        seen = seen.__cause__ or getattr(seen, "orig", None)
    return False


_UNAVAILABLE_DETAIL = "データベースに接続できません。しばらくしてから再度お試しください"


async def _connection_lost(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(
        exc, FileNotFoundError | PermissionError | IsADirectoryError | NotADirectoryError
    ):
        return await _unexpected(request, exc)  # a file problem is a bug, not the database
    log.error("database unavailable: %s", exc.__class__.__name__, exc_info=exc)
    return problem(
        503, _UNAVAILABLE_DETAIL, instance=request.url.path, headers={"Retry-After": "5"}
    )


async def _db_unavailable(request: Request, exc: DBAPIError) -> JSONResponse:
    # A lost or refused connection is the database being away, not a bug: answer 503
    # so that clients retry, and never claim that a write succeeded.
    if isinstance(exc, DataError) or _is_data_exception(exc):
        # A value the column cannot hold (e.g. an id beyond 64 bits): the input's fault.
        log.warning("data error: %s", exc.orig)
        return problem(422, "値が範囲外か、形式が正しくありません", instance=request.url.path)
    if isinstance(exc, IntegrityError) and _is_rule_violation(exc):
        # A CHECK or NOT NULL constraint (the database keeping the models' invariants) caught
        # a value that got past the checks before it: the input's fault, nothing was written.
        log.warning("constraint refused a value: %s", exc.orig)
        return problem(
            422,
            "値がデータの規則 (範囲・順序・必須) に合いません。入力内容を確認してください",
            instance=request.url.path,
        )
    if isinstance(exc, IntegrityError):
        # Services check their rules first; this is the database catching a race
        # (two requests creating the same unique row at once).
        log.warning("integrity error: %s", exc.orig)
        return problem(
            409,
            "同じデータが既に登録されているか、関連するデータと矛盾します",
            instance=request.url.path,
        )
    if (
        isinstance(exc, OperationalError | InterfaceError)
        or exc.connection_invalidated
        or _is_connection_loss(exc)
    ):
        log.error("database unavailable: %s", exc.__class__.__name__, exc_info=exc)
        return problem(
            503,
            "データベースに接続できません。しばらくしてから再度お試しください",
            instance=request.url.path,
            headers={"Retry-After": "5"},
        )
    return await _unexpected(request, exc)


async def _overflow(request: Request, exc: OverflowError) -> JSONResponse:
    return problem(422, "数値が大きすぎます", instance=request.url.path)


async def _stale(request: Request, exc: StaleDataError) -> JSONResponse:
    return problem(
        409,
        "このデータは他の人が同時に更新しました。最新の内容を読み込み直してください",
        instance=request.url.path,
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(
        500,
        "予期しないエラーが発生しました。時間をおいて再度お試しください",
        instance=request.url.path,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(DBAPIError, _db_unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(StaleDataError, _stale)  # type: ignore[arg-type]
    app.add_exception_handler(OverflowError, _overflow)  # type: ignore[arg-type]
    # A connection refused or reset before SQLAlchemy could wrap it (pool connect, asyncpg).
    app.add_exception_handler(ConnectionError, _connection_lost)
    app.add_exception_handler(OSError, _connection_lost)
    app.add_exception_handler(Exception, _unexpected)

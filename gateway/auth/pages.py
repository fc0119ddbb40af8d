"""Login, logout and the admin's pages for users and API tokens (Japanese, work without JS)."""

from __future__ import annotations

import logging
import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.auth import service
from gateway.auth.deps import AdminActor, client_address, current_auth, safe_next
from gateway.auth.schemas import UserCreate, UserUpdate
from gateway.templating import path_for, render
from services.common.actor import Role
from services.common.db import get_session
from services.common.errors import AppError, NotFound

router = APIRouter(include_in_schema=False)
log = logging.getLogger("banso.auth")
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]

LOGIN_CSRF_COOKIE = "banso_login_csrf"
GENERIC_FAILURE = "ログインIDまたはパスワードが正しくありません。"
NO_STORE = {"Cache-Control": "no-store"}


# --- login and logout ---------------------------------------------------------------------


def _login_page(
    request: Request,
    *,
    next_url: str,
    login: str = "",
    error: str = "",
    notice: str = "",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The login form, with a fresh double-submit token against login CSRF (a site that
    makes your browser log in as someone else)."""
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "auth/login.html",
        {"next": next_url, "login": login, "error": error, "notice": notice, "login_csrf": token},
        status_code=status_code,
    )
    settings = request.app.state.settings
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path="/login",
        httponly=True,
        samesite="lax",
        secure=settings.session_cookie_secure,
    )
    response.headers.update(NO_STORE)
    response.headers.update(headers or {})
    return response


@router.get("/login", name="login", response_class=HTMLResponse)
async def login_form(
    request: Request,
    next: Annotated[str, Query()] = "/",
    reason: Annotated[str, Query()] = "",
) -> Response:
    if current_auth(request) is not None and current_auth(request).via == "session":  # type: ignore[union-attr]
        return RedirectResponse(safe_next(next), status_code=303)
    notice = (
        "ログインの有効期限が切れました。もう一度ログインしてください。"
        if reason == "expired"
        else ""
    )
    return _login_page(request, next_url=safe_next(next), notice=notice)


@router.post("/login", name="login_submit", response_class=HTMLResponse)
async def login_submit(
    request: Request,
    session: Session,
    login: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    settings = request.app.state.settings
    next_url = safe_next(next)
    if not service.same(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        return _login_page(
            request,
            next_url=next_url,
            login=login,
            error="画面の有効期限が切れました。もう一度ログインしてください。",
            status_code=403,
        )
    result = await service.authenticate_password(
        session,
        login=login,
        password=password,
        address=client_address(request),
        passwords=request.app.state.passwords,
        settings=settings,
        now=request.app.state.clock.now(),
    )
    if result.user is None:
        log.warning(
            "login refused",
            extra={
                "login": login[:64],
                "address": client_address(request),
                "locked_seconds": result.retry_after,
            },
        )
        if result.retry_after:
            return _login_page(
                request,
                next_url=next_url,
                login=login,
                error=(
                    "ログインの失敗が続いたため、しばらくログインできません。"
                    f"{result.retry_after} 秒ほど待ってから、もう一度お試しください。"
                ),
                status_code=429,
                headers={"Retry-After": str(result.retry_after)},
            )
        return _login_page(
            request, next_url=next_url, login=login, error=GENERIC_FAILURE, status_code=400
        )
    raw = await service.start_session(
        session,
        user=result.user,
        settings=settings,
        now=request.app.state.clock.now(),
        address=client_address(request),
        replacing=request.cookies.get(settings.session_cookie_name),
    )
    log.info("login", extra={"login": result.user.login, "address": client_address(request)})
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        settings.session_cookie_name,
        raw,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.session_cookie_secure,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", name="logout")
async def logout(request: Request, session: Session) -> Response:
    settings = request.app.state.settings
    raw = request.cookies.get(settings.session_cookie_name)
    if raw:
        await service.end_session(session, raw)
    response = RedirectResponse("/login", status_code=303)
    if request.headers.get("HX-Request") == "true":
        response = Response(status_code=200, headers={"HX-Redirect": "/login"})
    response.delete_cookie(
        settings.session_cookie_name,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.session_cookie_secure,
    )
    return response


# --- admin: users -------------------------------------------------------------------------


def _errors_of(exc: ValidationError | AppError) -> list[str]:
    if isinstance(exc, AppError):
        return [exc.detail]
    return [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]


async def _users_page(
    request: Request,
    session: AsyncSession,
    *,
    form: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "auth/users.html",
        {
            "users": await service.list_users(session),
            "roles": list(Role),
            "form": form or {},
            "errors": errors or [],
            "created": request.query_params.get("created", ""),
            "updated": request.query_params.get("updated", ""),
        },
        status_code=status_code,
    )


@router.get("/admin/users", name="admin_users", response_class=HTMLResponse)
async def users_page(request: Request, session: Session, _: AdminActor) -> Response:
    return await _users_page(request, session)


@router.post("/admin/users", name="admin_users_create", response_class=HTMLResponse)
async def users_create(
    request: Request,
    session: Session,
    actor: AdminActor,
    login: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    municipality_code: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    form = {
        "login": login,
        "display_name": display_name,
        "role": role,
        "municipality_code": municipality_code,
    }
    try:
        data = UserCreate(
            login=login.strip().lower(),
            display_name=display_name,
            role=role,  # type: ignore[arg-type]
            municipality_code=municipality_code.strip() or None,
            password=password,
        )
        user = await service.create_user(
            session,
            data=data,
            passwords=request.app.state.passwords,
            settings=request.app.state.settings,
            by=actor.label,
        )
    except (ValidationError, AppError) as exc:
        await session.rollback()
        status = exc.status if isinstance(exc, AppError) else 422
        return await _users_page(
            request, session, form=form, errors=_errors_of(exc), status_code=status
        )
    return RedirectResponse(
        path_for(request, "admin_users") + "?" + urlencode({"created": user.login}),
        status_code=303,
    )


@router.get("/admin/users/{user_id}", name="admin_user", response_class=HTMLResponse)
async def user_page(request: Request, user_id: int, session: Session, _: AdminActor) -> Response:
    user = await session.get(service.User, user_id)
    if user is None:
        raise NotFound("利用者が見つかりません")
    return render(request, "auth/user.html", {"user": user, "roles": list(Role), "errors": []})


@router.post("/admin/users/{user_id}", name="admin_user_update", response_class=HTMLResponse)
async def user_update(
    request: Request,
    user_id: int,
    session: Session,
    actor: AdminActor,
    version: Annotated[int, Form()],
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    municipality_code: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    try:
        data = UserUpdate(
            display_name=display_name or None,
            role=role or None,  # type: ignore[arg-type]
            municipality_code=municipality_code.strip() or None,
            active=active == "on",
            password=password or None,
            version=version,
        )
        user = await service.update_user(
            session,
            user_id,
            data=data,
            passwords=request.app.state.passwords,
            settings=request.app.state.settings,
            by=actor.label,
            now=request.app.state.clock.now(),
        )
    except (ValidationError, AppError) as exc:
        await session.rollback()
        current = await session.get(service.User, user_id)
        if current is None:
            raise
        status = exc.status if isinstance(exc, AppError) else 422
        return render(
            request,
            "auth/user.html",
            {"user": current, "roles": list(Role), "errors": _errors_of(exc)},
            status_code=status,
        )
    return RedirectResponse(
        path_for(request, "admin_users") + "?" + urlencode({"updated": user.login}),
        status_code=303,
    )


# --- admin: API tokens --------------------------------------------------------------------


async def _tokens_page(
    request: Request,
    session: AsyncSession,
    *,
    created: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    now = request.app.state.clock.now()
    response = render(
        request,
        "auth/tokens.html",
        {
            "tokens": [
                service.token_public(t, u, now) for t, u in await service.list_tokens(session)
            ],
            "users": [u for u in await service.list_users(session) if u.active],
            "created": created,
            "errors": errors or [],
            "default_days": request.app.state.settings.api_token_default_days,
        },
        status_code=status_code,
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/admin/tokens", name="admin_tokens", response_class=HTMLResponse)
async def tokens_page(request: Request, session: Session, _: AdminActor) -> Response:
    return await _tokens_page(request, session)


@router.post("/admin/tokens", name="admin_tokens_create", response_class=HTMLResponse)
async def tokens_create(
    request: Request,
    session: Session,
    actor: AdminActor,
    name: Annotated[str, Form()] = "",
    user_id: Annotated[str, Form()] = "",
    expires_in_days: Annotated[str, Form()] = "",
) -> Response:
    settings = request.app.state.settings
    errors = []
    if not name.strip() or len(name) > 100:
        errors.append("名前を 1〜100 文字で入力してください")
    try:
        days = int(expires_in_days) if expires_in_days else settings.api_token_default_days
        if not 1 <= days <= 730:
            raise ValueError
    except ValueError:
        errors.append("有効期間は 1〜730 日の整数で入力してください")
        days = 0
    owner = int(user_id) if user_id.isdigit() else None
    if errors:
        return await _tokens_page(request, session, errors=errors, status_code=422)
    try:
        raw, token, user = await service.create_token(
            session,
            name=name,
            user_id=owner,
            expires_in_days=days,
            by=actor.label,
            now=request.app.state.clock.now(),
        )
    except AppError as exc:
        await session.rollback()
        return await _tokens_page(request, session, errors=[exc.detail], status_code=exc.status)
    created = {"token": raw, "name": token.name, "expires_at": token.expires_at}
    return await _tokens_page(request, session, created=created, status_code=201)


@router.post(
    "/admin/tokens/{token_id}/revoke", name="admin_token_revoke", response_class=HTMLResponse
)
async def tokens_revoke(
    request: Request, token_id: int, session: Session, actor: AdminActor
) -> Response:
    await service.revoke_token(session, token_id, by=actor.label, now=request.app.state.clock.now())
    return RedirectResponse(path_for(request, "admin_tokens"), status_code=303)

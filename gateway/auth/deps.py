"""Who is acting on this request: the session cookie or an API token, checked for every
route (secure by default: a new router is protected without doing anything), plus CSRF.

Handlers read the actor from ``request.state.actor`` (or ``CurrentActor``) and pass it to
the service clients: ``await services.training.programs(actor=request.state.actor)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup, escape

from gateway.actions import is_page
from gateway.auth import service
from gateway.auth.advised import with_advised
from gateway.auth.models import User
from gateway.templating import render, templates
from services.common.actor import Actor, Role, bearer_token
from services.common.actor import current_actor as current_actor_var
from services.common.db import WRITE_METHODS, Database
from services.common.errors import Forbidden, Unauthorized, problem
from services.common.models import utcnow

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"

# Open without logging in. Everything else needs a session or an API token.
OPEN_PATHS = frozenset(
    {"/healthz", "/readyz", "/metrics", "/login", "/openapi.json", "/docs", "/redoc"}
)


def is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith("/static/")


class Clock:
    """The time the auth rules use (tests move it forward)."""

    def now(self) -> datetime:
        return utcnow()


class LoginRequired(Unauthorized):
    """No valid session: pages go to the login page, the API answers 401."""

    def __init__(self, detail: str = "ログインが必要です", *, expired: bool = False) -> None:
        super().__init__(detail)
        self.expired = expired


class CsrfRefused(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "送信元を確認できませんでした (CSRF トークンがないか正しくありません)。"
            "ページを読み込み直してから、もう一度操作してください",
            title="送信を受け付けられません",
        )


@dataclass
class Auth:
    actor: Actor
    via: Literal["session", "token"]
    user: User | None = None
    session_hash: str | None = None
    csrf_token: str | None = None


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


async def _resolve(request: Request) -> Auth | None:
    app = request.app
    settings = app.state.settings
    db: Database = app.state.db
    now = app.state.clock.now()
    raw_token = bearer_token(request)
    if raw_token is not None:
        async with db.session() as s:
            state = await service.resolve_token(s, raw_token, now=now)
        if state.actor is None or state.token is None:
            raise Unauthorized(state.problem)
        if state.needs_touch:
            async with db.session(write=True) as s:
                await service.touch_token(s, state.token.id, now)  # type: ignore[arg-type]
                await s.commit()
        return Auth(actor=state.actor, via="token")
    raw = request.cookies.get(settings.session_cookie_name)
    if not raw:
        return None
    async with db.session() as s:
        st = await service.load_session(s, raw, settings=settings, now=now)
    if st.row is None:
        return None
    if st.user is None:
        async with db.session(write=True) as s:
            await service.drop_session_hash(s, st.row.id_hash)
            await s.commit()
        request.state.session_expired = True
        return None
    if st.needs_touch:
        async with db.session(write=True) as s:
            await service.touch_session(s, st.row.id_hash, now)
            await s.commit()
    return Auth(
        actor=service.actor_of(st.user),
        via="session",
        user=st.user,
        session_hash=st.row.id_hash,
        csrf_token=st.row.csrf_token,
    )


async def check_csrf(request: Request, auth: Auth) -> None:
    """A state-changing request made with the session cookie must carry the session's
    CSRF token, in the X-CSRF-Token header (htmx, via hx-headers) or the csrf_token field."""
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not service.same(sent, auth.csrf_token):
        raise CsrfRefused()


async def authenticate(request: Request) -> None:
    """App-wide dependency: sets ``request.state.auth`` and ``request.state.actor``."""
    auth = await _resolve(request)
    if auth is not None and auth.actor.role == Role.advisor:
        # the municipalities of the advisor's cases, signed into every service token
        auth.actor = await with_advised(request.app, auth.actor)
    request.state.auth = auth
    request.state.actor = auth.actor if auth else None
    # The service clients read the acting user from here when a handler passes none, so a
    # forgotten ``actor=`` can never turn a municipality user into the built-in coordinator.
    current_actor_var.set(request.state.actor)
    path = request.url.path
    if auth is None:
        if is_open(path):
            return
        raise LoginRequired(expired=getattr(request.state, "session_expired", False))
    if auth.via == "session" and request.method in WRITE_METHODS and path != "/login":
        await check_csrf(request, auth)


async def current_actor(request: Request) -> Actor:
    actor = getattr(request.state, "actor", None)
    if actor is None:
        raise LoginRequired()
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


async def admin_actor(actor: CurrentActor) -> Actor:
    if actor.role != Role.admin:
        raise Forbidden("この操作は管理者だけが行えます")
    return actor


AdminActor = Annotated[Actor, Depends(admin_actor)]


def safe_next(value: str | None) -> str:
    """Only a path on this site (no open redirect), never back to login/logout."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if value.startswith(("/login", "/logout")):
        return "/"
    return value


def _next_of(request: Request) -> str:
    current = request.headers.get("HX-Current-URL")
    if current:
        parts = urlsplit(current)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    if request.method != "GET":
        return "/"
    q = request.url.query
    return request.url.path + (f"?{q}" if q else "")


async def _login_required(request: Request, exc: LoginRequired) -> Response:
    if not is_page(request):
        return problem(
            401,
            "ログインが必要です: Authorization: Bearer に API トークンを付けてください",
            instance=request.url.path,
            headers={"WWW-Authenticate": "Bearer"},
        )
    query = {"next": safe_next(_next_of(request))}
    if exc.expired:
        query["reason"] = "expired"
    url = f"/login?{urlencode(query)}"
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


async def _csrf_refused(request: Request, exc: CsrfRefused) -> Response:
    if not is_page(request):
        return problem(403, exc.detail, title=exc.title, instance=request.url.path)
    return render(
        request, "error.html", {"title": exc.title, "detail": exc.detail}, status_code=403
    )


def current_auth(request: Request) -> Auth | None:
    return getattr(request.state, "auth", None)


def _csrf_token_of(ctx: dict) -> str:
    request = ctx.get("request")
    auth = current_auth(request) if request is not None else None
    return auth.csrf_token or "" if auth else ""


def _install_template_globals() -> None:
    from jinja2 import pass_context

    @pass_context
    def csrf_field(ctx: dict) -> Markup:
        """``{{ csrf_field() }}`` inside every plain POST form."""
        return Markup(
            f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(_csrf_token_of(ctx))}">'
        )

    @pass_context
    def csrf_token(ctx: dict) -> str:
        return _csrf_token_of(ctx)

    @pass_context
    def current_user(ctx: dict) -> Actor | None:
        request = ctx.get("request")
        return getattr(request.state, "actor", None) if request is not None else None

    templates.env.globals.update(
        csrf_field=csrf_field,
        csrf_token=csrf_token,
        current_user=current_user,
        role_labels={r.value: label for r, label in service.ROLE_LABELS.items()},
    )


def _describe_security(app: FastAPI) -> None:
    """Say in the OpenAPI document how the JSON API authenticates (for clients and fuzzers)."""
    plain = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = plain()
        schema.setdefault("components", {})["securitySchemes"] = {
            "apiToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "管理者が発行する API トークン (bnk_…)",
            },
            "session": {
                "type": "apiKey",
                "in": "cookie",
                "name": app.state.settings.session_cookie_name,
                "description": "画面のログインセッション (書き込みには X-CSRF-Token も必要)",
            },
        }
        for path, operations in schema.get("paths", {}).items():
            if is_page(path) or is_open(path):
                continue
            for operation in operations.values():
                operation.setdefault("security", [{"apiToken": []}, {"session": []}])
                operation.setdefault("responses", {}).setdefault(
                    "401", {"description": "ログインしていないか、API トークンが無効です"}
                )
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_auth(app: FastAPI) -> None:
    """Exception handlers, template globals and the OpenAPI security description (the
    dependency itself is set on the app: ``FastAPI(dependencies=[Depends(authenticate)])``)."""
    app.state.clock = Clock()
    app.add_exception_handler(LoginRequired, _login_required)  # type: ignore[arg-type]
    app.add_exception_handler(CsrfRefused, _csrf_refused)  # type: ignore[arg-type]
    _install_template_globals()
    _describe_security(app)

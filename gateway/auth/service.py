"""What people, sessions, API tokens and the lock-out do (plain functions; callers commit)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.auth.models import ApiToken, LoginAttempt, User, UserSession
from gateway.auth.passwords import Passwords
from gateway.auth.schemas import LOGIN_PATTERN, TokenPublic, UserCreate, UserPublic, UserUpdate
from gateway.settings import Settings
from services.common.actor import Actor, Role
from services.common.errors import Conflict, Invalid, NotFound
from services.common.models import check_version, get_for_update
from services.common.registry import CodeError, get_registry

API_TOKEN_PREFIX = "bnk_"
# A session's last_seen_at is written at most this often (not on every request).
TOUCH_EVERY = timedelta(seconds=60)
KEEP_ATTEMPTS = timedelta(days=30)

ROLE_LABELS = {
    Role.admin: "管理者",
    Role.coordinator: "支援担当 (都職員)",
    Role.advisor: "アドバイザー",
    Role.municipality: "区市町村職員",
    Role.viewer: "閲覧者",
    Role.api_client: "API 連携",
}


def as_utc(value: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


# --- people -------------------------------------------------------------------------------


def normalize_login(login: str) -> str:
    return login.strip().lower()


def actor_of(user: User) -> Actor:
    role = Role(user.role)
    return Actor(
        id=user.login,
        name=user.display_name,
        role=role,
        municipality_code=user.municipality_code if role == Role.municipality else None,
    )


def to_public(user: User) -> UserPublic:
    return UserPublic.model_validate(user, from_attributes=True)


def _check_municipality(role: Role, code: str | None, *, field: str = "municipality_code") -> None:
    loc = ["body", field]
    if role == Role.municipality:
        if not code:
            msg = "区市町村職員には所属の地方公共団体コード (6桁) が必要です"
            raise Invalid(msg, errors=[{"loc": loc, "msg": msg}])
        try:
            get_registry().require(code)
        except CodeError as exc:
            raise Invalid(str(exc), errors=[{"loc": loc, "msg": str(exc)}]) from exc
    elif code:
        msg = "地方公共団体コードは区市町村職員にだけ設定できます"
        raise Invalid(msg, errors=[{"loc": loc, "msg": msg}])


def _check_password(password: str, settings: Settings) -> None:
    if len(password) < settings.password_min_length:
        msg = f"パスワードは {settings.password_min_length} 文字以上にしてください"
        raise Invalid(msg, errors=[{"loc": ["body", "password"], "msg": msg}])


async def get_user_by_login(session: AsyncSession, login: str) -> User | None:
    result = await session.exec(select(User).where(User.login == normalize_login(login)))
    return result.first()


async def list_users(session: AsyncSession) -> list[User]:
    return list((await session.exec(select(User).order_by(User.login))).all())


async def create_user(
    session: AsyncSession,
    *,
    data: UserCreate,
    passwords: Passwords,
    settings: Settings,
    by: str,
) -> User:
    """Add a person; the login is unique (case-insensitive)."""
    login = normalize_login(data.login)
    if not re.match(LOGIN_PATTERN, login):
        msg = "ログインIDは半角英小文字・数字・._@- で 3〜64 文字にしてください"
        raise Invalid(msg, errors=[{"loc": ["body", "login"], "msg": msg}])
    _check_municipality(data.role, data.municipality_code)
    _check_password(data.password, settings)
    if await get_user_by_login(session, login):
        raise Conflict(f"ログインID {login} は既に使われています")
    user = User(
        login=login,
        display_name=data.display_name.strip(),
        role=data.role.value,
        municipality_code=data.municipality_code or None,
        password_hash=await passwords.hash(data.password),
        created_by=by,
        updated_by=by,
    )
    session.add(user)
    await session.flush()
    return user


async def update_user(
    session: AsyncSession,
    user_id: int,
    *,
    data: UserUpdate,
    passwords: Passwords,
    settings: Settings,
    by: str,
    now: datetime,
) -> User:
    """Change a person; a new password or deactivation ends their sessions."""
    user = await get_for_update(session, User, user_id)
    if user is None:
        raise NotFound("利用者が見つかりません")
    check_version(user, data.version, what="この利用者")
    changes = data.model_dump(exclude_unset=True, exclude={"version", "password"})
    role = Role(changes.get("role") or user.role)
    code = changes.get("municipality_code", user.municipality_code)
    if role != Role.municipality and "role" in changes and "municipality_code" not in changes:
        code = None
    # Check everything before changing anything.
    _check_municipality(role, code)
    if data.password is not None:
        _check_password(data.password, settings)
    stays_admin = role == Role.admin and changes.get("active", user.active) is not False
    if user.role == Role.admin.value and user.active and not stays_admin:
        others = await session.exec(
            select(func.count()).where(
                User.role == Role.admin.value, col(User.active).is_(True), User.id != user.id
            )
        )
        if others.one() == 0:
            raise Conflict(
                "最後の管理者は無効にしたり役割を変えたりできません。先に別の管理者を追加してください"
            )
    if "display_name" in changes and changes["display_name"]:
        user.display_name = changes["display_name"].strip()
    user.role = role.value
    user.municipality_code = code or None
    end_sessions = False
    if "active" in changes and changes["active"] is not None:
        end_sessions = user.active and not changes["active"]
        user.active = changes["active"]
    if data.password is not None:
        user.password_hash = await passwords.hash(data.password)
        user.password_changed_at = now
        end_sessions = True
    user.updated_at = now
    user.updated_by = by
    user.version += 1
    if end_sessions:
        await session.exec(delete(UserSession).where(col(UserSession.user_id) == user.id))  # type: ignore[call-overload]
    await session.flush()
    return user


# --- lock-out -----------------------------------------------------------------------------


def _remaining(
    failures: int, last: datetime | None, threshold: int, settings: Settings, now: datetime
) -> int:
    """Seconds left of a lock: after ``threshold`` failures, lock_seconds, doubling with
    each further failure, at most lock_max_seconds."""
    if failures < threshold or last is None:
        return 0
    delay = min(
        settings.login_lock_seconds * 2 ** min(failures - threshold, 30),
        settings.login_lock_max_seconds,
    )
    left = (as_utc(last) + timedelta(seconds=delay) - now).total_seconds()
    return max(0, int(left + 0.999))


async def lock_remaining(
    session: AsyncSession, *, login: str, address: str, settings: Settings, now: datetime
) -> int:
    """Seconds until this login, or any login from this address, may be tried again."""
    since = now - timedelta(minutes=settings.login_failure_window_minutes)
    last_ok = (
        await session.exec(
            select(func.max(LoginAttempt.at)).where(
                LoginAttempt.login == login, col(LoginAttempt.succeeded).is_(True)
            )
        )
    ).one()
    account_since = max(since, as_utc(last_ok)) if last_ok else since
    acc = (
        await session.exec(
            select(func.count(), func.max(LoginAttempt.at)).where(
                LoginAttempt.login == login,
                col(LoginAttempt.succeeded).is_(False),
                LoginAttempt.at > account_since,
            )
        )
    ).one()
    addr = (
        await session.exec(
            select(func.count(), func.max(LoginAttempt.at)).where(
                LoginAttempt.address == address,
                col(LoginAttempt.succeeded).is_(False),
                LoginAttempt.at > since,
            )
        )
    ).one()
    return max(
        _remaining(acc[0], acc[1], settings.login_max_failures, settings, now),
        _remaining(addr[0], addr[1], settings.login_max_failures_per_address, settings, now),
    )


async def record_attempt(
    session: AsyncSession, *, login: str, address: str, succeeded: bool, now: datetime
) -> None:
    session.add(LoginAttempt(at=now, login=login[:64], address=address[:64], succeeded=succeeded))
    if succeeded:  # keep the table small: attempts older than 30 days no longer matter
        await session.exec(
            delete(LoginAttempt).where(col(LoginAttempt.at) < now - KEEP_ATTEMPTS)  # type: ignore[call-overload]
        )
    await session.flush()


@dataclass
class LoginResult:
    user: User | None = None
    retry_after: int = 0  # seconds, when locked out


async def authenticate_password(
    session: AsyncSession,
    *,
    login: str,
    password: str,
    address: str,
    passwords: Passwords,
    settings: Settings,
    now: datetime,
) -> LoginResult:
    """Check a login and password against the lock-out, record the attempt. A locked
    login is refused without looking at the password (and without counting)."""
    login = normalize_login(login)[:64]
    wait = await lock_remaining(session, login=login, address=address, settings=settings, now=now)
    if wait:
        return LoginResult(retry_after=wait)
    user = await get_user_by_login(session, login) if login else None
    ok = await passwords.verify(user.password_hash if user else None, password)
    if ok and user is not None and user.active:
        await record_attempt(session, login=login, address=address, succeeded=True, now=now)
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = await passwords.hash(password)
        return LoginResult(user=user)
    await record_attempt(session, login=login, address=address, succeeded=False, now=now)
    wait = await lock_remaining(session, login=login, address=address, settings=settings, now=now)
    return LoginResult(retry_after=wait)


# --- sessions -----------------------------------------------------------------------------


async def start_session(
    session: AsyncSession,
    *,
    user: User,
    settings: Settings,
    now: datetime,
    address: str = "",
    replacing: str | None = None,
) -> str:
    """A new session for ``user`` (the old one, if any, ends: the id rotates on login).
    Returns the cookie value; only its hash is stored."""
    if replacing:
        await end_session(session, replacing)
    raw = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            id_hash=digest(raw),
            user_id=user.id,  # type: ignore[arg-type]
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_absolute_hours),
            address=address[:64],
        )
    )
    await session.flush()
    return raw


async def end_session(session: AsyncSession, raw: str) -> None:
    await session.exec(delete(UserSession).where(col(UserSession.id_hash) == digest(raw)))  # type: ignore[call-overload]


async def end_all_sessions(session: AsyncSession) -> int:
    """Sign everybody out (e.g. after a suspected leak)."""
    result = await session.exec(delete(UserSession))  # type: ignore[call-overload]
    return result.rowcount or 0


@dataclass
class SessionState:
    """What a session cookie resolved to."""

    row: UserSession | None
    user: User | None
    expired: bool = False
    needs_touch: bool = False


async def load_session(
    session: AsyncSession, raw: str, *, settings: Settings, now: datetime
) -> SessionState:
    """The live session and its (active) user; ``expired`` when idle or too old."""
    result = await session.exec(
        select(UserSession, User)
        .join(User, col(User.id) == UserSession.user_id)
        .where(UserSession.id_hash == digest(raw))
    )
    hit = result.first()
    if hit is None:
        return SessionState(None, None)
    row, user = hit
    idle = timedelta(minutes=settings.session_idle_minutes)
    if now >= as_utc(row.expires_at) or now - as_utc(row.last_seen_at) >= idle:
        return SessionState(row, None, expired=True)
    if not user.active:
        return SessionState(row, None, expired=True)
    return SessionState(row, user, needs_touch=now - as_utc(row.last_seen_at) >= TOUCH_EVERY)


async def touch_session(session: AsyncSession, id_hash: str, now: datetime) -> None:
    await session.exec(
        update(UserSession).where(col(UserSession.id_hash) == id_hash).values(last_seen_at=now)  # type: ignore[call-overload]
    )


async def drop_session_hash(session: AsyncSession, id_hash: str) -> None:
    await session.exec(delete(UserSession).where(col(UserSession.id_hash) == id_hash))  # type: ignore[call-overload]


# --- API tokens ---------------------------------------------------------------------------


def token_status(token: ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "失効"
    if now >= as_utc(token.expires_at):
        return "期限切れ"
    return "有効"


def token_public(token: ApiToken, user: User | None, now: datetime) -> TokenPublic:
    return TokenPublic(
        id=token.id,  # type: ignore[arg-type]
        name=token.name,
        user_id=token.user_id,
        user_login=user.login if user else None,
        role=Role(user.role) if user else Role.api_client,
        prefix=token.prefix,
        created_at=as_utc(token.created_at),
        created_by=token.created_by,
        expires_at=as_utc(token.expires_at),
        last_used_at=as_utc(token.last_used_at) if token.last_used_at else None,
        revoked_at=as_utc(token.revoked_at) if token.revoked_at else None,
        status=token_status(token, now),
    )


async def create_token(
    session: AsyncSession,
    *,
    name: str,
    user_id: int | None,
    expires_in_days: int,
    by: str,
    now: datetime,
) -> tuple[str, ApiToken, User | None]:
    """A new API token; the secret is returned here once and never stored."""
    user = None
    if user_id is not None:
        user = await session.get(User, user_id)
        if user is None:
            msg = "指定した利用者が見つかりません"
            raise Invalid(msg, errors=[{"loc": ["body", "user_id"], "msg": msg}])
    raw = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name.strip(),
        user_id=user_id,
        token_hash=digest(raw),
        prefix=raw[:12],
        created_at=now,
        created_by=by,
        expires_at=now + timedelta(days=expires_in_days),
    )
    session.add(token)
    await session.flush()
    return raw, token, user


async def list_tokens(session: AsyncSession) -> list[tuple[ApiToken, User | None]]:
    result = await session.exec(
        select(ApiToken, User)
        .join(User, col(User.id) == ApiToken.user_id, isouter=True)
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    )
    return [(t, u) for t, u in result.all()]


async def revoke_token(
    session: AsyncSession, token_id: int, *, by: str, now: datetime
) -> tuple[ApiToken, User | None]:
    """Revoke for good (revoking twice keeps the first time)."""
    token = await get_for_update(session, ApiToken, token_id)
    if token is None:
        raise NotFound("API トークンが見つかりません")
    if token.revoked_at is None:
        token.revoked_at = now
        token.revoked_by = by
        await session.flush()
    user = await session.get(User, token.user_id) if token.user_id else None
    return token, user


@dataclass
class TokenState:
    token: ApiToken | None
    actor: Actor | None
    problem: str = ""
    needs_touch: bool = False


async def resolve_token(session: AsyncSession, raw: str, *, now: datetime) -> TokenState:
    """The actor an API token stands for, or why it does not."""
    if not raw.startswith(API_TOKEN_PREFIX):
        return TokenState(None, None, "API トークンの形式が正しくありません")
    result = await session.exec(
        select(ApiToken, User)
        .join(User, col(User.id) == ApiToken.user_id, isouter=True)
        .where(ApiToken.token_hash == digest(raw))
    )
    hit = result.first()
    if hit is None:
        return TokenState(None, None, "API トークンが正しくありません")
    token, user = hit
    if token.revoked_at is not None:
        return TokenState(token, None, "API トークンは失効しています")
    if now >= as_utc(token.expires_at):
        return TokenState(token, None, "API トークンの有効期限が切れています")
    if token.user_id is not None:
        if user is None or not user.active:
            return TokenState(token, None, "API トークンの利用者は無効になっています")
        actor = actor_of(user)
    else:
        actor = Actor(id=f"api-token-{token.id}", name=token.name, role=Role.api_client)
    touch = token.last_used_at is None or now - as_utc(token.last_used_at) >= TOUCH_EVERY
    return TokenState(token, actor, needs_touch=touch)


async def touch_token(session: AsyncSession, token_id: int, now: datetime) -> None:
    await session.exec(
        update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=now)  # type: ignore[call-overload]
    )

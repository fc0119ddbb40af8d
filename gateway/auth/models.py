"""Users, login sessions, API tokens and login attempts (the gateway's database)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from gateway.auth.base import Base
from services.common.actor import Role
from services.common.models import Tracked, tz_field, utcnow


class User(Tracked, Base, table=True):
    """A person who logs in. ``login`` is also the actor id the services record."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    municipality_code: str | None = Field(default=None, max_length=6)
    password_hash: str = Field(max_length=255)
    active: bool = Field(default=True)
    password_changed_at: datetime = tz_field(default_factory=utcnow)

    @property
    def role_enum(self) -> Role:
        return Role(self.role)


class UserSession(Base, table=True):
    """A login session. Only the sha256 of the cookie value is stored."""

    __tablename__ = "user_session"

    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    csrf_token: str = Field(max_length=64)
    created_at: datetime = tz_field(default_factory=utcnow)
    last_seen_at: datetime = tz_field(default_factory=utcnow)
    expires_at: datetime = tz_field()
    address: str = Field(default="", max_length=64)


class ApiToken(Base, table=True):
    """A bearer token for the JSON API. Only its sha256 is stored; ``prefix`` is for display.

    With ``user_id`` the token acts as that user (their role); without, it is a service
    account of role api_client named ``name``."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    user_id: int | None = Field(
        default=None, foreign_key="app_user.id", index=True, ondelete="CASCADE"
    )
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    created_at: datetime = tz_field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=200)
    expires_at: datetime = tz_field()
    last_used_at: datetime | None = tz_field(default=None)
    revoked_at: datetime | None = tz_field(default=None)
    revoked_by: str | None = Field(default=None, max_length=200)


class LoginAttempt(Base, table=True):
    """One login attempt; failures since the last success drive the lock-out."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = tz_field(default_factory=utcnow, index=True)
    login: str = Field(max_length=64, index=True)
    address: str = Field(max_length=64, index=True)
    succeeded: bool = Field(default=False)

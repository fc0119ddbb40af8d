"""The acting user: a short-lived HMAC-signed token minted by the gateway, checked by every app."""

from __future__ import annotations

import base64
import contextvars
import hashlib
import hmac
import json
import time
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Request
from pydantic import BaseModel, Field, StringConstraints

from services.common.errors import Unauthorized

TOKEN_PREFIX = "bn1"

# At most this many advised municipalities ride in a token (Tokyo has 62 区市町村); the
# gateway sends no more, a token with more is refused.
MAX_ADVISED = 64

MunicipalityCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]


class Role(StrEnum):
    admin = "admin"
    coordinator = "coordinator"
    advisor = "advisor"
    municipality = "municipality"
    viewer = "viewer"
    api_client = "api_client"


class Actor(BaseModel):
    """Who is acting. ``municipality_code`` is set for municipality staff only; ``advised``
    for advisors only: the municipality codes of the support cases they are assigned to
    (the gateway reads them from support_cases; the token carries them signed, as ``adv``)."""

    id: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=200)
    role: Role
    municipality_code: str | None = Field(None, pattern=r"^\d{6}$")
    advised: tuple[MunicipalityCode, ...] = Field(
        default=(),
        max_length=MAX_ADVISED,
        description="専門家 (advisor) が担当する支援事例の区市町村コード (連絡先の閲覧範囲)",
    )

    @property
    def label(self) -> str:
        """What a write records as its author."""
        return f"{self.id}:{self.name}"


# The actor of the request being served (set by get_actor; the audit trail reads it).
current_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar(
    "current_actor", default=None
)

# The built-in coordinator the gateway acts as until people can log in (security issue).
SYSTEM_COORDINATOR = Actor(id="coordinator-1", name="東京都 支援担当", role=Role.coordinator)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint_token(
    secret: str, actor: Actor, *, ttl_seconds: int = 300, now: float | None = None
) -> str:
    """Sign ``actor`` for ``ttl_seconds``: ``bn1.<payload>.<hmac-sha256>``. An advisor's
    advised municipalities go in as ``adv`` (sorted, only when there are any: a token without
    the claim means none, as the tokens minted before the claim existed)."""
    issued = int(now if now is not None else time.time())
    payload: dict[str, object] = {
        "sub": actor.id,
        "name": actor.name,
        "role": actor.role.value,
        "muni": actor.municipality_code,
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    if actor.advised and actor.role == Role.advisor:
        if len(actor.advised) > MAX_ADVISED:
            raise ValueError(f"advised: at most {MAX_ADVISED} municipalities")
        payload["adv"] = sorted(set(actor.advised))
    body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    signing_input = f"{TOKEN_PREFIX}.{body}".encode()
    sig = _b64(hmac.new(secret.encode(), signing_input, hashlib.sha256).digest())
    return f"{TOKEN_PREFIX}.{body}.{sig}"


def verify_token(secret: str, token: str, *, now: float | None = None, leeway: int = 30) -> Actor:
    """Return the actor a token carries, or raise Unauthorized saying why."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise Unauthorized("トークンの形式が正しくありません")
    signing_input = f"{parts[0]}.{parts[1]}".encode()
    expected = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    try:
        given = _unb64(parts[2])
        payload = json.loads(_unb64(parts[1]))
    except (ValueError, json.JSONDecodeError) as exc:
        raise Unauthorized("トークンを読み取れません") from exc
    if not hmac.compare_digest(expected, given):
        raise Unauthorized("トークンの署名が正しくありません")
    t = now if now is not None else time.time()
    try:
        exp, iat = int(payload["exp"]), int(payload["iat"])
    except (KeyError, TypeError, ValueError) as exc:
        raise Unauthorized("トークンに有効期限がありません") from exc
    if t > exp + leeway:
        raise Unauthorized("トークンの有効期限が切れています")
    if iat > t + leeway:
        raise Unauthorized("トークンの発行時刻が未来です")
    advised = payload.get("adv") or ()
    if not isinstance(advised, list | tuple) or (advised and payload.get("role") != "advisor"):
        raise Unauthorized("トークンの担当区市町村 (adv) が正しくありません")
    try:
        return Actor(
            id=payload["sub"],
            name=payload["name"],
            role=payload["role"],
            municipality_code=payload.get("muni"),
            advised=tuple(advised),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise Unauthorized("トークンの内容が正しくありません") from exc


def bearer_token(request: Request) -> str | None:
    return _bearer(request.headers.get("authorization"))


def bearer_token_of(scope: Any) -> str | None:
    """The bearer token of an ASGI scope (middleware, before a Request exists)."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return _bearer(value.decode("latin-1"))
    return None


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


async def get_actor(request: Request) -> Actor:
    """FastAPI dependency: the verified actor of this request (401 problem+json otherwise)."""
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("Authorization: Bearer トークンが必要です")
    secret = request.app.state.settings.common.token_secret
    actor = verify_token(secret, token)
    current_actor.set(actor)
    return actor

"""Demo users for every role and a demo API token (サンプル, never in production):
`python -m scripts.demo_users` (make run calls it). Creates only what is absent and prints
the sign-in details once. The passwords are fixed demo values, listed in docs/security.md."""

from __future__ import annotations

import asyncio
import sys

from sqlmodel import select

from gateway.auth import service
from gateway.auth.models import ApiToken
from gateway.auth.passwords import Passwords
from gateway.auth.schemas import UserCreate
from gateway.settings import Settings
from services.common.actor import Role
from services.common.db import Database
from services.common.models import utcnow

# (login, display name, role, municipality code, password) — demo only, documented.
DEMO_USERS = (
    ("demo-admin", "デモ 管理者", Role.admin, None, "banso-demo-admin"),
    ("demo-coordinator", "デモ 東京都 支援担当", Role.coordinator, None, "banso-demo-coordinator"),
    ("demo-advisor", "デモ アドバイザー", Role.advisor, None, "banso-demo-advisor"),
    ("demo-chiyoda", "デモ 千代田区 職員", Role.municipality, "131016", "banso-demo-chiyoda"),
    ("demo-viewer", "デモ 閲覧者", Role.viewer, None, "banso-demo-viewer"),
)
DEMO_TOKEN_NAME = "デモ用 API 連携"


async def load(settings: Settings) -> list[str]:
    """Create the absent demo users and the demo token; return the lines to print."""
    db = Database(settings.database_url)
    passwords = Passwords(settings)
    lines: list[str] = []
    try:
        async with db.session(write=True) as session:
            for login, name, role, code, password in DEMO_USERS:
                if await service.get_user_by_login(session, login):
                    continue
                await service.create_user(
                    session,
                    data=UserCreate(
                        login=login,
                        display_name=name,
                        role=role,
                        municipality_code=code,
                        password=password,
                    ),
                    passwords=passwords,
                    settings=settings,
                    by="demo",
                )
                lines.append(f"  {login:<18} {password:<24} {service.ROLE_LABELS[role]}")
            existing = await session.exec(select(ApiToken).where(ApiToken.name == DEMO_TOKEN_NAME))
            if existing.first() is None:
                raw, _, _ = await service.create_token(
                    session,
                    name=DEMO_TOKEN_NAME,
                    user_id=None,
                    expires_in_days=settings.api_token_default_days,
                    by="demo",
                    now=utcnow(),
                )
                lines.append(f"  API トークン (api_client): {raw}")
            await session.commit()
    finally:
        await db.dispose()
    return lines


def main() -> int:
    settings = Settings()
    if settings.common.env == "production":
        print("demo users are refused when ENV=production", file=sys.stderr)
        return 2
    lines = asyncio.run(load(settings))
    if not lines:
        print("demo users: already created (passwords: docs/security.md)", file=sys.stderr)
        return 0
    print("")
    print("  デモ用のログイン (サンプル専用・本番では使わないこと)")
    print(f"  {'ログインID':<16} {'パスワード':<19} 役割")
    for line in lines:
        print(line)
    print("  (API トークンはこの一度だけ表示されます)")
    print("")
    return 0


if __name__ == "__main__":
    sys.exit(main())

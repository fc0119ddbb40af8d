"""Create an admin person and an API token acting as them in the fuzz system's gateway
database; print the token (run with the system's environment: python -m tests.fuzz.admin_token).

The same service functions the admin API and scripts/demo_users.py use: the gateway only
accepts tokens it issued, so the fuzzing must hold one of those."""

from __future__ import annotations

import asyncio
import secrets

from gateway.auth import service
from gateway.auth.passwords import Passwords
from gateway.auth.schemas import UserCreate
from gateway.settings import Settings
from services.common.db import Database
from services.common.models import utcnow

LOGIN = "fuzz-admin"


async def make_token() -> str:
    settings = Settings()
    db = Database(settings.database_url)
    try:
        async with db.session(write=True) as session:
            user = await service.get_user_by_login(session, LOGIN)
            if user is None:
                user = await service.create_user(
                    session,
                    data=UserCreate(
                        login=LOGIN,
                        display_name="ファジング 管理者",
                        role="admin",
                        municipality_code=None,
                        password=secrets.token_urlsafe(24),
                    ),
                    passwords=Passwords(settings),
                    settings=settings,
                    by="fuzz",
                )
            raw, _, _ = await service.create_token(
                session,
                name="ファジング",
                user_id=user.id,
                expires_in_days=1,
                by="fuzz",
                now=utcnow(),
            )
            await session.commit()
    finally:
        await db.dispose()
    return raw


if __name__ == "__main__":
    print(asyncio.run(make_token()))

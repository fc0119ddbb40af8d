"""Create the first administrator: `python -m scripts.create_admin LOGIN [--name 表示名]`.

Asks for the password twice, or reads it from BANSO_ADMIN_PASSWORD (for automation).
Run the gateway's migrations first (`python -m scripts.migrate gateway`)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from gateway.auth import service
from gateway.auth.passwords import Passwords
from gateway.auth.schemas import UserCreate
from gateway.settings import Settings
from services.common.actor import Role
from services.common.db import Database
from services.common.errors import AppError


async def create(settings: Settings, login: str, name: str, password: str) -> str:
    db = Database(settings.database_url)
    try:
        async with db.session(write=True) as session:
            user = await service.create_user(
                session,
                data=UserCreate(
                    login=login.strip().lower(),
                    display_name=name,
                    role=Role.admin,
                    password=password,
                ),
                passwords=Passwords(settings),
                settings=settings,
                by="create_admin",
            )
            await session.commit()
            return user.login
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("login", help="ログインID (半角英小文字・数字・._@-)")
    parser.add_argument("--name", default="管理者", help="表示名")
    args = parser.parse_args(argv)
    password = os.environ.get("BANSO_ADMIN_PASSWORD")
    if not password:
        password = getpass.getpass("パスワード: ")
        if password != getpass.getpass("もう一度: "):
            print("error: パスワードが一致しません", file=sys.stderr)
            return 2
    try:
        login = asyncio.run(create(Settings(), args.login, args.name, password))
    except AppError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    except ValueError as exc:  # pydantic: a login that breaks the pattern
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"管理者 {login} を作成しました。", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

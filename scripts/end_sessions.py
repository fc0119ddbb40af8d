"""Sign everybody out of the gateway: `python -m scripts.end_sessions` (e.g. after rotating
secrets or a suspected leak). API tokens are not touched: revoke them on /admin/tokens."""

from __future__ import annotations

import asyncio
import sys

from gateway.auth import service
from gateway.settings import Settings
from services.common.db import Database


async def end_all(settings: Settings) -> int:
    db = Database(settings.database_url)
    try:
        async with db.session(write=True) as session:
            count = await service.end_all_sessions(session)
            await session.commit()
            return count
    finally:
        await db.dispose()


def main() -> int:
    count = asyncio.run(end_all(Settings()))
    print(f"{count} 件のセッションを終了しました。", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

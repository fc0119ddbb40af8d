"""Load demo data (サンプル) into every service once: `python -m scripts.demo`.

Each service may offer ``services/<name>/demo.py`` with ``async def load(session) -> str | None``;
it loads only into an empty database and says what it loaded (None when it skipped).
"""

from __future__ import annotations

import asyncio
import importlib
import sys

from scripts.apps import SERVICES, settings_of
from services.common.db import Database


async def load_service(service: str) -> str | None:
    try:
        module = importlib.import_module(f"services.{service}.demo")
    except ModuleNotFoundError as exc:
        if exc.name == f"services.{service}.demo":
            return None
        raise
    tables = importlib.import_module(f"services.{service}.tables")
    # With the counter behind the service's ETags: a running service's callers see the load.
    db = Database(settings_of(service).database_url, data_version=tables.data_version)
    try:
        async with db.session(write=True) as session:
            result = await module.load(session)
            await session.commit()
            return result
    finally:
        await db.dispose()


async def main() -> int:
    for service in SERVICES:
        result = await load_service(service)
        print(f"demo {service}: {result or 'already loaded or nothing to load'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

"""Conditional reads: every service's data version, and ETag / If-None-Match on its GETs.

A service's answers depend on its own database, the request (path and query), the actor, and
the clock. Each service database holds one counter row (``data_version``) that every
transaction which writes increments just before it commits, in the same transaction: a reader
that sees the new counter sees the new rows (PostgreSQL READ COMMITTED and SQLite WAL both give a
later statement a snapshot at least as new as an earlier one's), and writers queue on the row
only for the instant between their last statement and their commit.

A GET under /api/v1 answered 200 carries ``ETag: W/"<digest>"`` of (the counter, the path and
query, the verified actor, the Tokyo minute). When the caller sends that value back in
``If-None-Match`` and nothing it covers has changed, the service answers 304 without a body and
without running the route: one primary-key read instead of the view's queries and its JSON.
The gateway keeps the answers it was given and sends their ETags (gateway/clients/base.py).

The minute bounds how long an answer that depends on the time of day (an application window
closing, "this month") can be reused, and a new deployment's code; a writer outside the services
(a script, the benchmark's bulk insert) bumps the counter with :func:`bump` — and every service
leaps it forward by a random amount when it starts, for what migrations, scripts or a restored
backup changed while it was down.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import sqlite3
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Integer,
    MetaData,
    Table,
    event,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from starlette.routing import Match

from services.common import clock
from services.common.actor import bearer_token_of, verify_token
from services.common.errors import Unauthorized

DATA_VERSION_TABLE = "data_version"
_WROTE = "banso_wrote"

# Statements that never change data (anything else in a transaction counts as a write:
# INSERT, UPDATE, DELETE, DDL, and a WITH that may end in one).
_READS = ("SELECT", "PRAGMA", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "SHOW", "SET")
_READS += ("EXPLAIN", ";", "")


def data_version_table(metadata: MetaData) -> Table:
    """The counter row of a service database (one row, id 1)."""
    return Table(
        DATA_VERSION_TABLE,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("n", BigInteger, nullable=False),
        CheckConstraint("id = 1", name="ck_data_version_one_row"),
        CheckConstraint("n >= 0", name="ck_data_version_n"),
    )


def install_versioning(engine: AsyncEngine, session_class: type[Session], table: Table) -> None:
    """Count every committed writing transaction of ``session_class`` on ``engine``."""
    sync = engine.sync_engine
    bump_stmt = update(table).where(table.c.id == 1).values(n=table.c.n + 1)

    @event.listens_for(sync, "begin")
    def _clear(conn: Connection) -> None:
        conn.info.pop(_WROTE, None)

    @event.listens_for(sync, "before_cursor_execute")
    def _watch(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        head = statement.lstrip()[:9].split(None, 1)
        word = head[0].upper() if head else ""
        if word not in _READS:
            conn.info[_WROTE] = True

    @event.listens_for(session_class, "before_commit")
    def _bump(session: Session) -> None:
        if not session.in_transaction():
            return
        conn = session.connection()
        if conn.info.pop(_WROTE, False):
            conn.execute(bump_stmt)
            conn.info.pop(_WROTE, None)


async def bump(
    engine: AsyncEngine, table_name: str = DATA_VERSION_TABLE, *, leap: bool = False
) -> None:
    """Increment the counter outside a service's sessions (start-up, scripts, bulk loads).

    ``leap``: by a random amount up to 2**40 instead of 1 — at start-up and after anything that
    may have put older rows back (a restored backup restores an older counter too: counting on
    from it by one could meet a value a caller still holds an ETag for)."""
    step = 1 + secrets.randbelow(2**40) if leap else 1
    async with engine.begin() as conn:
        await conn.exec_driver_sql(f"UPDATE {table_name} SET n = n + {step} WHERE id = 1")


async def bump_quietly(engine: AsyncEngine, table_name: str = DATA_VERSION_TABLE) -> None:
    """:func:`bump`, for a service starting on a database not migrated yet (its readiness
    says so; the counter then simply is not there)."""
    try:
        await bump(engine, table_name, leap=True)
    except Exception:  # no table before the migration that creates it
        return


async def read_version(engine: AsyncEngine, table: Table) -> int | None:
    async with engine.connect() as conn:
        value = (await conn.execute(select(table.c.n).where(table.c.id == 1))).scalar()
        await conn.rollback()
    return value


class VersionReader:
    """The counter, read as cheaply as the database allows: it is read on every GET.

    SQLite: one primary-key read on a plain sqlite3 connection in the event loop's thread (a few
    microseconds in WAL mode, where a reader never waits for a writer; aiosqlite would hop to
    its thread and back three times). PostgreSQL: a small asyncpg pool of its own, without the
    engine's pre-ping (one round trip). Anything else: through the engine."""

    def __init__(self, engine: AsyncEngine, table: Table) -> None:
        self.engine = engine
        self.table = table
        self.sql = f"SELECT n FROM {table.name} WHERE id = 1"
        self._sqlite: sqlite3.Connection | None = None
        db = engine.url.database
        self._sqlite_uri = (
            Path(db).resolve().as_uri() + "?mode=ro"
            if engine.url.get_backend_name() == "sqlite" and db and db != ":memory:"
            else None
        )
        self._pool: Any = None
        self._pool_lock = asyncio.Lock()

    async def read(self) -> int | None:
        url = self.engine.url
        backend = url.get_backend_name()
        if self._sqlite_uri is not None:
            if self._sqlite is None:
                self._sqlite = sqlite3.connect(
                    self._sqlite_uri,
                    uri=True,
                    isolation_level=None,
                    timeout=0.05,  # never hold the event loop: a busy moment answers 200
                )
            row = self._sqlite.execute(self.sql).fetchone()
            return row[0] if row else None
        if backend == "postgresql" and url.get_driver_name() == "asyncpg":
            if self._pool is None:
                async with self._pool_lock:
                    if self._pool is None:
                        import asyncpg

                        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
                        self._pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
            return await self._pool.fetchval(self.sql)
        return await read_version(self.engine, self.table)

    async def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class ConditionalGetMiddleware:
    """ETag on every 200 GET under ``prefix``; 304 when If-None-Match still holds.

    The actor's token is verified here (a 304 is an answer: it is given only to the actor the
    ETag was made for, and an invalid token passes on to the route's own 401)."""

    def __init__(self, app: Any, *, table: Table, prefix: str = "/api/v1/") -> None:
        self.app = app
        self.table = table
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        tag = await self._etag(scope)
        if tag is None:
            await self.app(scope, receive, send)
            return
        if _matches(scope, tag):
            _find_route(scope)  # for the access log and the metrics' route label
            await send(
                {
                    "type": "http.response.start",
                    "status": 304,
                    "headers": [(b"etag", tag), (b"cache-control", b"private, no-cache")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def tagged(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"etag" for k, _ in headers):
                    headers.append((b"etag", tag))
                    headers.append((b"cache-control", b"private, no-cache"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, tagged)

    async def _etag(self, scope: Scope) -> bytes | None:
        app = scope["app"]
        token = bearer_token_of(scope)
        db = getattr(app.state, "db", None)
        if token is None or db is None:
            return None
        try:
            actor = verify_token(app.state.settings.common.token_secret, token)
        except Unauthorized:
            return None
        reader: VersionReader | None = getattr(app.state, "version_reader", None)
        if reader is None:
            return None
        try:
            version = await reader.read()
        except Exception:  # no counter (yet), or no database: the route answers as usual
            return None
        if version is None:
            return None
        minute = clock.now_tokyo().strftime("%Y-%m-%dT%H:%M")
        raw = "\x1f".join(
            (
                str(version),
                scope.get("root_path", "") + scope["path"],
                scope.get("query_string", b"").decode("latin-1"),
                actor.model_dump_json(),
                minute,
            )
        )
        digest = hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()
        return f'W/"{version}-{digest}"'.encode()


def _find_route(scope: Scope) -> None:
    """The route a path belongs to (remembered per app and path: routes never change)."""
    app = scope["app"]
    routes: dict[str, dict[str, Any]] | None = getattr(app.state, "conditional_routes", None)
    if routes is None:
        routes = app.state.conditional_routes = {}
    child = routes.get(scope["path"])
    if child is None:
        for route in app.router.routes:
            match, found = route.matches(scope)
            if match == Match.FULL:
                child = found
                break
        else:
            return
        if len(routes) > 4096:
            routes.clear()
        routes[scope["path"]] = child
    scope.update(child)


def _matches(scope: Scope, tag: bytes) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"if-none-match":
            return any(v.strip() == tag for v in value.split(b","))
    return False

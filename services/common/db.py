"""Async database engine and the per-request session that owns the transaction."""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import Request
from pydantic_core import from_json
from sqlalchemy import Table, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

# Whether the current request means to write: on SQLite a writing transaction starts with
# BEGIN IMMEDIATE, so that writers queue at the start (busy_timeout) instead of failing
# half-way with "database is locked", and a read-then-write (count seats, then insert)
# cannot interleave with another writer. Readers keep plain BEGIN and run concurrently (WAL).
_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """An async engine for SQLite (aiosqlite) or PostgreSQL (asyncpg). JSON columns are read
    with pydantic-core's parser (the same values as the json module's, several times faster:
    read models keep lists and maps in JSON columns)."""
    if is_sqlite(url):
        db_path = make_url(url).database
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url, echo=echo, connect_args={"timeout": 30}, json_deserializer=from_json
        )
        _sqlite_transactions(engine)
        return engine
    # PostgreSQL: connections rest in autocommit, and only writing sessions open a transaction
    # (Database.session). A read then costs one round trip per statement: no BEGIN/COMMIT, and
    # the pool's liveness ping is one ";" instead of BEGIN, ";", ROLLBACK. Under READ
    # COMMITTED every statement sees its own snapshot anyway, so a read-only session loses
    # nothing by not being a transaction.
    return create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        json_deserializer=from_json,
        isolation_level="AUTOCOMMIT",
    )


def _sqlite_transactions(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Take transaction control away from the driver (SQLAlchemy's documented recipe),
        # so that BEGIN is ours and SAVEPOINT works.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


class Database:
    """Engine and session factory of one service."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        echo: bool = False,
        audit: Table | None = None,
        data_version: Table | None = None,
    ) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size, echo=echo)
        sync_session_class: type[Session] = Session
        if audit is not None or data_version is not None:
            # A Session subclass per database, so that its listeners stay with this service.
            sync_session_class = type("ServiceSession", (Session,), {})
        if audit is not None:
            from services.common.audit import install_audit

            install_audit(sync_session_class, audit)
        if data_version is not None:
            from services.common.conditional import install_versioning

            install_versioning(self.engine, sync_session_class, data_version)
        self.audit = audit
        self.data_version = data_version
        self.sessionmaker = async_sessionmaker(
            self.engine,
            class_=AsyncSession,
            expire_on_commit=False,
            sync_session_class=sync_session_class,
        )
        # Writing sessions: a real transaction (READ COMMITTED) on PostgreSQL, where the
        # engine's connections otherwise rest in autocommit (make_engine). SQLite's
        # transactions are ours already (BEGIN / BEGIN IMMEDIATE, _sqlite_transactions).
        self.write_sessionmaker = (
            self.sessionmaker
            if self.is_sqlite
            else async_sessionmaker(
                self.engine.execution_options(isolation_level="READ COMMITTED"),
                class_=AsyncSession,
                expire_on_commit=False,
                sync_session_class=sync_session_class,
            )
        )

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    def session(self, *, write: bool = False) -> AsyncSession:
        """A new session; ``write=True`` marks its transactions as writing (see above): on
        PostgreSQL only a writing session runs in a transaction, a reading one in autocommit."""
        _write_intent.set(write)
        return self.write_sessionmaker() if write else self.sessionmaker()

    async def dispose(self) -> None:
        await self.engine.dispose()


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session: commit on success, roll back on error.

    Declare it with ``Depends(get_session, scope="function")`` so the commit happens before
    the response is sent: a failed commit must never follow a 200.
    """
    db: Database = request.app.state.db
    async with db.session(write=request.method in WRITE_METHODS) as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise

"""The database engine: SQLite in WAL mode by default, any SQLAlchemy async URL otherwise."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# Execution option that marks the group-commit writer's connection (see `_on_begin`).
WRITER_OPTION = "appliance_writer"


def make_engine(url: str) -> AsyncEngine:
    """Create the async engine; for SQLite, turn on WAL, full sync and real SAVEPOINTs."""
    if not url.startswith("sqlite"):
        return create_async_engine(url, pool_pre_ping=True)
    engine = create_async_engine(url, connect_args={"timeout": 30})
    event.listen(engine.sync_engine, "connect", _on_connect)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # The writer takes the write lock at BEGIN, so its transaction never fails to
        # upgrade from a read. Reads begin deferred: in WAL mode they neither wait for the
        # writer nor hold it up, and they see the last commit.
        if connection.get_execution_options().get(WRITER_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")

    return engine


def make_writer_engine(url: str) -> Engine | None:
    """Create a synchronous engine for the writer's thread, or None where there is none.

    Only a SQLite file gets one: it is the same database file through the standard
    `sqlite3` driver, with the same settings as `make_engine`, and every transaction
    begins with BEGIN IMMEDIATE because only the writer uses it. Other databases (and an
    in-memory SQLite, which a second connection would not share) keep the async path.
    """
    return _make_sync_engine(url, "BEGIN IMMEDIATE")


def make_reader_engine(url: str) -> Engine | None:
    """Create a synchronous engine for read threads, or None where there is none.

    As `make_writer_engine`, but transactions begin deferred: in WAL mode a read never
    waits for the writer and sees the last commit.
    """
    return _make_sync_engine(url, "BEGIN")


def _make_sync_engine(url: str, begin: str) -> Engine | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    # The pool hands connections to worker threads, but the engine is created and
    # disposed of on the event loop's thread.
    engine = create_engine(
        parsed.set(drivername="sqlite"),
        connect_args={"timeout": 30, "check_same_thread": False},
    )
    event.listen(engine, "connect", _on_connect)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT, so SQLAlchemy emits BEGIN
    # itself (the recipe in SQLAlchemy's SQLite dialect documentation).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk when it returns, so an acknowledged message survives
    # power loss, not only a crash of the process.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)

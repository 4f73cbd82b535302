"""PostgreSQL databases for the test suite, when it runs on PostgreSQL.

`scripts/run-tests` starts a throwaway server and sets APPLIANCE_TEST_DATABASE_URL to its
maintenance database. Without that variable every test uses SQLite.

Every test gets the same default database, emptied after each test that left rows in it
(TRUNCATE is about ten times faster than creating a database per test, which matters over
a suite of more than a thousand tests). A test that needs more databases (a restore
target, a copy target) makes them with `create_database` or `create_blank_database`;
those are copied from a template that already contains the current schema.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from sqlalchemy.engine import URL, make_url

from appliance.db import make_engine
from appliance.migrate import upgrade
from appliance.models import Base

T = TypeVar("T")

BASE_URL = os.environ.get("APPLIANCE_TEST_DATABASE_URL", "")
TEMPLATE = "appliance_template"
_template_ready = False


def enabled() -> bool:
    return bool(BASE_URL)


async def _admin_connection(url: URL) -> asyncpg.Connection:
    return await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
    )


async def _make_template(admin: asyncpg.Connection, base: URL) -> None:
    """Create the template database with every migration applied, once per test run."""
    global _template_ready
    if _template_ready:
        return
    await admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
    engine = make_engine(base.set(database=TEMPLATE).render_as_string(hide_password=False))
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    _template_ready = True


async def create_database() -> str:
    """Create an empty database with the current schema; return its SQLAlchemy URL."""
    base = make_url(BASE_URL)
    name = f"test_{secrets.token_hex(6)}"
    admin = await _admin_connection(base)
    try:
        await _make_template(admin, base)
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    finally:
        await admin.close()
    return base.set(database=name).render_as_string(hide_password=False)


async def create_blank_database() -> str:
    """Create a database with no tables at all (for copy and restore targets)."""
    base = make_url(BASE_URL)
    name = f"test_{secrets.token_hex(6)}"
    admin = await _admin_connection(base)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return base.set(database=name).render_as_string(hide_password=False)


async def drop_database(url: str) -> None:
    """Drop a database made by `create_database`, closing any connection still open."""
    base = make_url(BASE_URL)
    name = make_url(url).database
    admin = await _admin_connection(base)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


class DefaultDatabase:
    """The database every test uses by default, with a connection kept open to empty it.

    Its connection lives on an event loop in a thread of its own, so that tests can use it
    from synchronous fixtures and from inside a running loop alike.
    """

    def __init__(self) -> None:
        self.url = ""
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, daemon=True).start()
        self._connection: asyncpg.Connection | None = None

    def run(self, function: Callable[[], Awaitable[T]]) -> T:
        async def wrapper() -> T:
            return await function()

        return asyncio.run_coroutine_threadsafe(wrapper(), self._loop).result(120)

    def get_url(self) -> str:
        if not self.url:
            self.url = self.run(create_database)
        return self.url

    def reset(self) -> None:
        """Close other sessions on the default database and empty it if a test wrote to it."""
        if self.url:
            self.run(self._reset)

    def close(self) -> None:
        """Close the kept connection, so that none is left for the interpreter to collect."""
        if self._connection is not None:
            self.run(self._connection.close)
            self._connection = None

    async def _reset(self) -> None:
        if self._connection is None:
            self._connection = await _admin_connection(make_url(self.url))
        connection = self._connection
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        tables = [f'"{table.name}"' for table in Base.metadata.sorted_tables]
        used = " OR ".join(f"EXISTS (SELECT 1 FROM {table})" for table in tables)
        if await connection.fetchval(f"SELECT {used}"):
            await connection.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


DEFAULT = DefaultDatabase()

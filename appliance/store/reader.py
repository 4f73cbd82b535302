"""Reads as synchronous functions of a Connection, run off the event loop in one hop.

Through aiosqlite every statement of an async session is a round trip between the event
loop and the driver's thread, and opening and closing the session add more. The hot
reads of delivery (recipient checks, forwarding rules, folder ids) are instead written
as functions of a plain `Connection`. On SQLite, `Reader.run` calls such a function in a
small thread pool on a synchronous engine of the same file, so the whole read costs one
thread hop. On other databases it runs the function through `AsyncConnection.run_sync`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")
THREADS = 2  # reads are short; more threads would only contend for the GIL


class Reader:
    """Runs read-only functions of a Connection, each in its own short transaction."""

    def __init__(self, engine: AsyncEngine, sync_engine: Engine | None = None) -> None:
        self._engine = engine
        self._sync_engine = sync_engine
        self._threads = (
            ThreadPoolExecutor(THREADS, thread_name_prefix="db-reader")
            if sync_engine is not None
            else None
        )

    async def run(self, function: Callable[[Connection], T]) -> T:
        """Call `function` with a Connection in a read transaction and return its result.

        On SQLite the function runs outside the event loop's thread, so it must not
        touch loop objects. It must not write: its transaction is rolled back.
        """
        if self._sync_engine is None:
            async with self._engine.connect() as connection:
                return await connection.run_sync(function)
        return await asyncio.get_running_loop().run_in_executor(
            self._threads, self._call, self._sync_engine, function
        )

    @staticmethod
    def _call(engine: Engine, function: Callable[[Connection], T]) -> T:
        with engine.connect() as connection:
            return function(connection)

    async def close(self) -> None:
        """Close the pooled connections and stop the threads."""
        if self._threads is None or self._sync_engine is None:
            return
        await asyncio.get_running_loop().run_in_executor(self._threads, self._sync_engine.dispose)
        self._threads.shutdown(wait=False)

"""Group commit: every write to the metadata database goes through one writer task.

Callers hand the writer a function of a transaction. The writer takes every function that
is waiting, runs each inside its own SAVEPOINT of one transaction, and commits once, so a
burst of deliveries costs one database sync instead of one each. A function that raises
rolls back only its own savepoint and gets its exception back; the others still commit.
With a single writer, SQLite never sees two writers and UID assignment needs no lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.db import WRITER_OPTION

log = logging.getLogger("appliance.store")
T = TypeVar("T")
MAX_BATCH = 256


@dataclass
class Transaction:
    """What a write function receives: the session and a place for after-commit hooks."""

    session: AsyncSession
    hooks: list[Callable[[], None]] = field(default_factory=list)

    def after_commit(self, hook: Callable[[], None]) -> None:
        """Run `hook` once the transaction is durable (e.g. to wake IMAP IDLE)."""
        self.hooks.append(hook)


WriteFunction = Callable[[Transaction], Awaitable[Any]]


class Writer:
    """Runs write functions in batches, one commit per batch."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._queue: asyncio.Queue[tuple[WriteFunction, asyncio.Future[Any]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="db-writer")

    async def stop(self) -> None:
        """Finish every write already handed in, then stop."""
        if self._task is None:
            return
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def run(self, function: Callable[[Transaction], Awaitable[T]]) -> T:
        """Run `function` in the next batch and return its result once committed."""
        if self._task is None:
            self.start()
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        await self._queue.put((function, future))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._commit_batch(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _commit_batch(self, batch: list[tuple[WriteFunction, asyncio.Future[Any]]]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        hooks: list[Callable[[], None]] = []
        try:
            async with self._sessions() as session, session.begin():
                await session.connection(execution_options={WRITER_OPTION: True})
                for function, _future in batch:
                    transaction = Transaction(session)
                    try:
                        async with session.begin_nested():
                            result = await function(transaction)
                    except Exception as error:  # handed back to the caller below
                        outcomes.append((False, error))
                    else:
                        outcomes.append((True, result))
                        hooks.extend(transaction.hooks)
        except Exception as error:
            log.exception("commit of a batch of %d writes failed", len(batch))
            for _function, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (ok, value), (_function, future) in zip(outcomes, batch, strict=True):
            if future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        for hook in hooks:
            try:
                hook()
            except Exception:
                log.exception("after-commit hook failed")

"""Group commit: every write to the metadata database goes through one writer task.

Callers hand the writer a function of a transaction. The writer takes every function that
is waiting, runs each inside its own SAVEPOINT of one transaction, and commits once, so a
burst of deliveries costs one database sync instead of one each. A function that raises
rolls back only its own savepoint and gets its exception back; the others still commit.
With a single writer, SQLite never sees two writers and UID assignment needs no lock.

Two kinds of function exist. An async one (`run`) gets a `Transaction` around an
`AsyncSession`; every statement it runs is a round trip between the event loop and the
driver's thread. A synchronous one (`run_sync`) gets a plain `Session`. On SQLite the
writer runs a whole batch of those in one call to its own thread, on a second engine of
the same database file, so a batch costs one thread hop instead of several per statement.
Batches of the two kinds take turns and never overlap. On other databases a synchronous
function runs inside an async batch through `AsyncSession.run_sync`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar, cast

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, sessionmaker

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
SyncWriteFunction = Callable[[Session], Any]
ResultHook = Callable[[Any], None]


@dataclass
class _Job:
    """One queued write: an async or a synchronous function, and where its result goes."""

    future: asyncio.Future[Any]
    function: WriteFunction | None = None
    sync_function: SyncWriteFunction | None = None
    after_commit: ResultHook | None = None


# The outcome of one function: (True, result) or (False, exception).
Outcome = tuple[bool, Any]


class Writer:
    """Runs write functions in batches, one commit per batch."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], sync_engine: Engine | None = None
    ) -> None:
        self._sessions = sessions
        self._sync_engine = sync_engine
        self._sync_sessions = (
            sessionmaker(sync_engine, expire_on_commit=False) if sync_engine is not None else None
        )
        self._thread: ThreadPoolExecutor | None = None  # made by start() where needed
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    @property
    def batches_in_thread(self) -> bool:
        """Whether synchronous functions run in the writer's own thread (SQLite files)."""
        return self._sync_sessions is not None

    def start(self) -> None:
        if self._thread is None and self._sync_engine is not None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-writer")
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="db-writer")

    async def stop(self) -> None:
        """Finish every write already handed in, then stop and close the writer's thread."""
        if self._task is not None:
            await self._queue.join()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._thread is not None and self._sync_engine is not None:
            # Disposed of in the thread that used the connections.
            await asyncio.get_running_loop().run_in_executor(
                self._thread, self._sync_engine.dispose
            )
            self._thread.shutdown(wait=False)
            self._thread = None

    async def run(self, function: Callable[[Transaction], Awaitable[T]]) -> T:
        """Run `function` in the next batch and return its result once committed."""
        return cast(T, await self._submit(_Job(self._new_future(), function=function)))

    async def run_sync(
        self,
        function: Callable[[Session], T],
        after_commit: Callable[[T], None] | None = None,
    ) -> T:
        """Run `function` with a plain Session in the next batch; return its result once committed.

        `after_commit`, if given, is called with the result on the event loop once the
        batch is durable, even if the caller was cancelled in the meantime. The function
        runs outside the event loop's thread on SQLite, so it must not touch loop objects.
        """
        job = _Job(self._new_future(), sync_function=function, after_commit=after_commit)
        return cast(T, await self._submit(job))

    @staticmethod
    def _new_future() -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    async def _submit(self, job: _Job) -> Any:
        if self._task is None:
            self.start()
        await self._queue.put(job)
        return await job.future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                in_thread = [job for job in batch if self._in_thread(job)]
                on_loop = [job for job in batch if not self._in_thread(job)]
                if in_thread:
                    await self._commit_in_thread(in_thread)
                if on_loop:
                    await self._commit_on_loop(on_loop)
            finally:
                for _ in batch:
                    self._queue.task_done()

    def _in_thread(self, job: _Job) -> bool:
        return job.sync_function is not None and self._sync_sessions is not None

    async def _commit_in_thread(self, batch: list[_Job]) -> None:
        functions = [job.sync_function for job in batch if job.sync_function is not None]
        loop = asyncio.get_running_loop()
        try:
            outcomes = await loop.run_in_executor(self._thread, self._run_batch, functions)
        except Exception as error:
            self._fail(batch, error)
            return
        self._settle(batch, outcomes, [])

    def _run_batch(self, functions: list[SyncWriteFunction]) -> list[Outcome]:
        """Run synchronous functions in one transaction, each in a savepoint (writer thread)."""
        assert self._sync_sessions is not None
        outcomes: list[Outcome] = []
        with self._sync_sessions() as session, session.begin():
            session.connection()  # BEGIN IMMEDIATE now: the batch holds the write lock
            for function in functions:
                try:
                    with session.begin_nested():
                        outcomes.append((True, function(session)))
                except Exception as error:  # handed back to the caller
                    outcomes.append((False, error))
        return outcomes

    async def _commit_on_loop(self, batch: list[_Job]) -> None:
        outcomes: list[Outcome] = []
        hooks: list[Callable[[], None]] = []
        try:
            async with self._sessions() as session, session.begin():
                await session.connection(execution_options={WRITER_OPTION: True})
                for job in batch:
                    transaction = Transaction(session)
                    try:
                        async with session.begin_nested():
                            result = await self._call_on_loop(job, transaction)
                    except Exception as error:  # handed back to the caller below
                        outcomes.append((False, error))
                    else:
                        outcomes.append((True, result))
                        hooks.extend(transaction.hooks)
        except Exception as error:
            self._fail(batch, error)
            return
        self._settle(batch, outcomes, hooks)

    @staticmethod
    async def _call_on_loop(job: _Job, transaction: Transaction) -> Any:
        if job.function is not None:
            return await job.function(transaction)
        assert job.sync_function is not None
        return await transaction.session.run_sync(job.sync_function)

    @staticmethod
    def _fail(batch: list[_Job], error: Exception) -> None:
        log.error("commit of a batch of %d writes failed", len(batch), exc_info=error)
        for job in batch:
            if not job.future.done():
                job.future.set_exception(error)

    @staticmethod
    def _settle(
        batch: list[_Job], outcomes: list[Outcome], hooks: list[Callable[[], None]]
    ) -> None:
        """Hand each caller its result or exception, then run the after-commit hooks."""
        for (ok, value), job in zip(outcomes, batch, strict=True):
            if ok and job.after_commit is not None:
                hooks.append(partial(job.after_commit, value))
            if job.future.done():
                continue
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)
        for hook in hooks:
            try:
                hook()
            except Exception:
                log.exception("after-commit hook failed")

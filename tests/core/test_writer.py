"""The group-commit writer: savepoints per function, one writer at a time, both paths."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from appliance.config import Settings
from appliance.core import Core
from appliance.db import make_engine, make_sessionmaker, make_writer_engine
from appliance.models import Counter
from appliance.store.types import AccountInfo
from appliance.store.writer import Transaction, Writer
from tests import postgres
from tests.core.conftest import message

SQLITE_ONLY = pytest.mark.skipif(postgres.enabled(), reason="settings of SQLite's own engines")


class Boom(Exception):
    pass


def add_counter(name: str, value: int = 1) -> Callable[[Session], int]:
    """Return a synchronous write function that inserts a counter row."""

    def write(session: Session) -> int:
        session.add(Counter(name=name, value=value))
        session.flush()
        return id(session)

    return write


def add_counter_then_fail(name: str) -> Callable[[Session], int]:
    def write(session: Session) -> int:
        session.add(Counter(name=name, value=1))
        session.flush()
        raise Boom(name)

    return write


async def counter_names(core: Core) -> list[str]:
    async with core.sessions() as session:
        return sorted(
            await session.scalars(select(Counter.name).where(Counter.name != "uidvalidity"))
        )


@pytest.fixture
async def async_only_writer(core: Core) -> AsyncIterator[Writer]:
    """A second writer on the same database without a synchronous engine, as on PostgreSQL."""
    writer = Writer(core.sessions)
    writer.start()
    try:
        yield writer
    finally:
        await writer.stop()


def test_writer_engine_only_for_sqlite_files(tmp_path: Path) -> None:
    engine = make_writer_engine(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    assert engine is not None
    assert engine.url.drivername == "sqlite"
    assert engine.url.database == str(tmp_path / "a.db")
    engine.dispose()
    assert make_writer_engine("sqlite+aiosqlite://") is None
    assert make_writer_engine("sqlite+aiosqlite:///:memory:") is None
    assert make_writer_engine("postgresql+asyncpg://mail@db.example/mail") is None


async def test_core_runs_sync_batches_in_thread(core: Core) -> None:
    thread_name = await core.writer.run_sync(lambda _session: threading.current_thread().name)
    if postgres.enabled():
        # No synchronous engine: the function runs in the async batch on the loop's thread.
        assert core.writer.batches_in_thread is False
        assert thread_name == "MainThread"
    else:
        assert core.writer.batches_in_thread is True
        assert thread_name.startswith("db-writer")


async def test_failing_sync_function_rolls_back_alone(core: Core) -> None:
    results = await asyncio.gather(
        core.writer.run_sync(add_counter("first")),
        core.writer.run_sync(add_counter_then_fail("second")),
        core.writer.run_sync(add_counter("third")),
        return_exceptions=True,
    )
    first, second, third = results
    assert isinstance(second, Boom)
    assert str(second) == "second"
    assert first == third, "the three functions did not share one batch"
    assert await counter_names(core) == ["first", "third"]


@SQLITE_ONLY
async def test_sync_pragmas_match_async(core: Core) -> None:
    def pragmas(session: Session) -> list[object]:
        connection = session.connection()
        return [
            connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        ]

    assert await core.writer.run_sync(pragmas) == ["wal", 2, 1, 30000]


@SQLITE_ONLY
async def test_sync_writer_holds_write_lock(core: Core) -> None:
    # BEGIN IMMEDIATE: the batch owns the write lock before its first statement, so a
    # second writer on another connection cannot begin a transaction.
    path = core.settings.data_dir / "appliance.db"

    def try_second_writer(_session: Session) -> str:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            return str(error)
        finally:
            other.close()
        return "second writer began"

    assert await core.writer.run_sync(try_second_writer) == "database is locked"


async def test_after_commit_gets_result_once_durable(core: Core) -> None:
    seen: list[tuple[int, bool]] = []

    def write(session: Session) -> int:
        session.add(Counter(name="hooked", value=7))
        return 7

    def hook(result: int) -> None:
        seen.append((result, threading.current_thread() is threading.main_thread()))

    assert await core.writer.run_sync(write, hook) == 7
    assert seen == [(7, True)]
    assert await counter_names(core) == ["hooked"]


async def test_after_commit_skipped_on_failure(core: Core) -> None:
    seen: list[object] = []
    with pytest.raises(Boom):
        await core.writer.run_sync(add_counter_then_fail("failed"), seen.append)
    assert seen == []
    assert await counter_names(core) == []


async def test_sync_and_async_batches_never_overlap(core: Core) -> None:
    lock = threading.Lock()
    active = {"sync": 0, "async": 0}
    overlaps: list[str] = []

    def enter(kind: str, other: str) -> None:
        with lock:
            active[kind] += 1
            if active[other]:
                overlaps.append(kind)

    def leave(kind: str) -> None:
        with lock:
            active[kind] -= 1

    def sync_write(number: int) -> Callable[[Session], int]:
        def write(session: Session) -> int:
            enter("sync", "async")
            time.sleep(0.001)
            session.add(Counter(name=f"sync-{number:03d}", value=number))
            session.flush()
            leave("sync")
            return number

        return write

    def async_write(number: int) -> Callable[[Transaction], Awaitable[int]]:
        async def write(tx: Transaction) -> int:
            enter("async", "sync")
            await asyncio.sleep(0.001)
            tx.session.add(Counter(name=f"async-{number:03d}", value=number))
            await tx.session.flush()
            leave("async")
            return number

        return write

    calls: list[Awaitable[int]] = []
    for number in range(60):
        calls.append(core.writer.run_sync(sync_write(number)))
        calls.append(core.writer.run(async_write(number)))
        if number % 7 == 0:
            await asyncio.sleep(0)  # let batches start while more writes arrive
    results = await asyncio.gather(*calls)
    assert results == [number for number in range(60) for _kind in ("sync", "async")]
    assert overlaps == []
    names = await counter_names(core)
    assert len(names) == 120
    assert names[0] == "async-000"
    assert names[-1] == "sync-059"


async def test_sync_functions_on_async_path(core: Core, async_only_writer: Writer) -> None:
    assert async_only_writer.batches_in_thread is False
    results = await asyncio.gather(
        async_only_writer.run_sync(add_counter("first")),
        async_only_writer.run_sync(add_counter_then_fail("second")),
        async_only_writer.run_sync(add_counter("third")),
        return_exceptions=True,
    )
    assert isinstance(results[1], Boom)
    assert results[0] == results[2]
    assert await counter_names(core) == ["first", "third"]


async def test_concurrent_appends_get_uids_in_order(core: Core, account: AccountInfo) -> None:
    raws = [message(f"Thư {number}", "x" * number) for number in range(200)]
    results = await asyncio.gather(*(core.store.append(account.id, "INBOX", raw) for raw in raws))
    inbox = await core.store.folder(account.id, "INBOX")
    stored = await core.store.messages(inbox.id)
    quota = await core.store.quota(account.id)
    assert sorted(uid for _validity, uid in results) == list(range(1, 201))
    assert {validity for validity, _uid in results} == {inbox.uidvalidity}
    assert [info.uid for info in stored] == list(range(1, 201))
    assert sorted(info.modseq for info in stored) == list(range(2, 202))
    assert inbox.uidnext == 201
    assert inbox.highestmodseq == 201
    assert quota.used_bytes == sum(len(raw) for raw in raws)
    assert quota.messages == 200
    by_uid = {uid: raw for (_validity, uid), raw in zip(results, raws, strict=True)}
    for info in stored[::40]:
        assert await core.store.read(info.blob_key) == by_uid[info.uid]


async def test_async_engine_reads_sync_writes(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    engine = make_engine(settings.database)
    writer = Writer(make_sessionmaker(engine), make_writer_engine(settings.database))
    try:
        # The writer thread creates the database file; the async engine then reads it.
        def create(session: Session) -> int:
            connection = session.connection()
            connection.exec_driver_sql("CREATE TABLE probe (n INTEGER)")
            connection.exec_driver_sql("INSERT INTO probe VALUES (1), (2)")
            return 2

        assert await writer.run_sync(create) == 2
        async with engine.connect() as connection:
            count = await connection.scalar(text("SELECT count(*) FROM probe"))
        assert count == 2
    finally:
        await writer.stop()
        await engine.dispose()

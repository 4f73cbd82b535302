"""The scheduler: due jobs run once, on one node, even when nodes share a database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from appliance.config import Settings
from appliance.core import Core
from appliance.models import Job

START = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
async def nodes(tmp_path: Path) -> AsyncIterator[tuple[Core, Core]]:
    """Two cores on one database, each with its own data folder and a stopped clock."""
    first = await Core.open(Settings(data_dir=tmp_path / "first"))
    shared = replace(Settings(data_dir=tmp_path / "second"), database_url=first.settings.database)
    second = await Core.open(shared)
    for core in (first, second):
        core.clock.stop_at(START)
    try:
        yield first, second
    finally:
        await second.close()
        await first.close()


def add_probe(core: Core, name: str, runs: list[str], pause: float = 0.0) -> None:
    async def probe(now: datetime) -> str:
        runs.append(name)
        await asyncio.sleep(pause)
        return f"ran on {name}"

    core.scheduler.add("probe", HOUR, probe)


async def next_run(core: Core) -> datetime | None:
    async with core.sessions() as session:
        return await session.scalar(select(Job.next_run_at).where(Job.name == "probe"))


async def test_two_nodes_run_a_due_job_once(nodes: tuple[Core, Core]) -> None:
    first, second = nodes
    runs: list[str] = []
    add_probe(first, "first", runs, pause=0.05)
    add_probe(second, "second", runs, pause=0.05)

    together = await asyncio.gather(first.scheduler.run_due(), second.scheduler.run_due())
    assert len(runs) == 1
    assert sorted(together, key=len) == [[], ["probe"]]
    assert await next_run(first) == START + HOUR

    # Not due again before the interval has passed, on either node.
    assert await first.scheduler.run_due() == []
    assert await second.scheduler.run_due() == []
    for core in (first, second):
        core.clock.advance(HOUR)
    await asyncio.gather(first.scheduler.run_due(), second.scheduler.run_due())
    assert len(runs) == 2


async def test_lease_of_stopped_node_expires(nodes: tuple[Core, Core]) -> None:
    first, second = nodes
    runs: list[str] = []
    add_probe(first, "first", runs, pause=60.0)
    add_probe(second, "second", runs)

    # The first node claims the job and stops in the middle of it.
    claimed = asyncio.create_task(first.scheduler.run_due())
    while not runs:
        await asyncio.sleep(0.01)
    claimed.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await claimed
    assert runs == ["first"]
    assert await next_run(second) == START + timedelta(minutes=30)

    assert await second.scheduler.run_due() == []
    second.clock.advance(timedelta(minutes=30))
    assert await second.scheduler.run_due() == ["probe"]
    assert runs == ["first", "second"]
    assert await next_run(second) == START + timedelta(minutes=30) + HOUR

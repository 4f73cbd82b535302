"""One in-process scheduler for the lifecycle jobs, with their state in the database.

Each job runs at a fixed interval; its next due time is stored, so a job whose time
passed while the appliance was down runs as soon as it starts again. Every job is
idempotent: it works out what is due from the data, never from how often it ran, so a
job run twice does no harm. All times come from the one clock, which tests move.

Several nodes may share one database. A node claims a due job before it runs it: one
statement moves the job's due time past a lease, and succeeds only while the job is
still due, so one node runs it. If that node stops during the job, another takes it once
the lease has passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.clock import Clock
from appliance.models import Job
from appliance.store.writer import Transaction, Writer

log = logging.getLogger("appliance.scheduler")
TICK_SECONDS = 60.0
LEASE = timedelta(minutes=30)  # how long a claimed job is left to the node that claimed it


@dataclass(frozen=True)
class JobSpec:
    name: str
    interval: timedelta
    run: Callable[[datetime], Awaitable[str]]  # returns a short outcome for the job table


class Scheduler:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], writer: Writer, clock: Clock
    ) -> None:
        self.sessions = sessions
        self.writer = writer
        self.clock = clock
        self.jobs: dict[str, JobSpec] = {}
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def add(
        self, name: str, interval: timedelta, run: Callable[[datetime], Awaitable[str]]
    ) -> None:
        self.jobs[name] = JobSpec(name, interval, run)

    async def run_due(self) -> list[str]:
        """Run every job whose time has come; return their names. Safe to call any time."""
        async with self._lock:
            now = self.clock.now()
            async with self.sessions() as session:
                rows = {row.name: row.next_run_at for row in await session.scalars(select(Job))}
            ran = []
            for spec in self.jobs.values():
                due = rows.get(spec.name)
                if due is not None and due > now:
                    continue
                if not await self._claim(spec, now):
                    continue  # another node took it
                try:
                    outcome = await spec.run(now)
                except Exception as error:
                    log.exception("job %s failed", spec.name)
                    outcome = f"failed: {type(error).__name__}"
                await self._record(spec, now, outcome)
                log.info("job %s ran: %s", spec.name, outcome)
                ran.append(spec.name)
            return ran

    async def _claim(self, spec: JobSpec, now: datetime) -> bool:
        """Take a due job for this node; False if another node has taken it first."""
        lease = now + min(spec.interval, LEASE)

        async def write(tx: Transaction) -> bool:
            session = tx.session
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            await session.execute(
                insert(Job).values(name=spec.name, last_outcome="").on_conflict_do_nothing()
            )
            claimed = await session.execute(
                update(Job)
                .where(
                    Job.name == spec.name, or_(Job.next_run_at.is_(None), Job.next_run_at <= now)
                )
                .values(next_run_at=lease)
                .execution_options(synchronize_session=False)
            )
            return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]

        return await self.writer.run(write)

    async def _record(self, spec: JobSpec, now: datetime, outcome: str) -> None:
        async def write(tx: Transaction) -> None:
            row = await tx.session.get(Job, spec.name)
            if row is None:
                row = Job(name=spec.name)
                tx.session.add(row)
            row.last_run_at = now
            row.next_run_at = now + spec.interval
            row.last_outcome = outcome[:200]

        await self.writer.run(write)

    def start(self) -> None:
        """Run due jobs now (catching up after downtime), then every minute."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            await self.run_due()
            await asyncio.sleep(TICK_SECONDS)

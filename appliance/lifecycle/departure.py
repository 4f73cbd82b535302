"""Retirement, leaving, transfer out of the city: the mailbox ends on the official date.

Scheduling records a `LifecycleEvent` (kind "retire") due at 00:00 in Huế on the official
date. The hourly `run_lifecycle_events` job then runs each due event in steps, each step
committed with the event's state, so a crash or a stop mid-way resumes where it was:

- pending: the account is revoked (no login, mail bounces with 550 5.1.1), the person
  leaves the directory, and for a folder handover the mailbox move is recorded;
- handover: the content goes to the unit, either moved into the unit's mailbox under
  `Bàn giao/<full name>` or exported to `DATA/exports/<address>-<date>.mbox` (mode 0600);
- done: never run again.
"""

from __future__ import annotations

import json
import logging
import mailbox
import os
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.audit import Audit
from appliance.blobs import BlobStore
from appliance.directory.queries import bump_generation
from appliance.lifecycle.addresses import (
    IN_USE_STATES,
    account_by_address,
    local_part,
    person_of,
    require_in_use,
    set_issued_state,
)
from appliance.lifecycle.moves import MailboxMoves
from appliance.lifecycle.records import (
    DEPARTURE_REASONS,
    HANDOVER_FOLDER,
    HANDOVER_FORMS,
    DepartureResult,
    EventContext,
    EventInfo,
    LifecycleError,
    local_day,
    start_of_day,
)
from appliance.lifecycle.retention import Retention, export_mbox, revoke_in
from appliance.models import Account, Folder, LifecycleEvent, Person, Unit
from appliance.store.types import HIERARCHY_SEPARATOR
from appliance.store.writer import Transaction, Writer

log = logging.getLogger("appliance.lifecycle")

KIND = "retire"
OPEN_STATES = ("pending", "handover")


async def schedule_departure_in(
    tx: Transaction, ctx: EventContext, address: str, on: date, reason: str, handover: str
) -> DepartureResult:
    """Schedule the end of a person's mailbox on the official date `on`."""
    if reason not in DEPARTURE_REASONS:
        raise LifecycleError(
            f"unknown reason {reason!r}; use one of {', '.join(DEPARTURE_REASONS)}"
        )
    if handover not in HANDOVER_FORMS:
        raise LifecycleError(
            f"unknown handover {handover!r}; use one of {', '.join(HANDOVER_FORMS)}"
        )

    session = tx.session
    account = await account_by_address(session, address)
    require_in_use(account)
    person = await person_of(session, account)
    if on < local_day(ctx.now):
        raise LifecycleError(f"the official date {on.isoformat()} is already past")
    pending = await session.scalar(
        select(LifecycleEvent.id).where(
            LifecycleEvent.account_id == account.id,
            LifecycleEvent.kind == KIND,
            LifecycleEvent.state.in_(OPEN_STATES),
        )
    )
    if pending is not None:
        raise LifecycleError(f"{account.address} already has a departure scheduled (#{pending})")
    if handover == "folder":
        await unit_mailbox(session, person, ctx.domain)

    row = LifecycleEvent(
        kind=KIND,
        account_id=account.id,
        due_at=start_of_day(on),
        payload=json.dumps({"reason": reason, "handover": handover, "person_id": person.id}),
        state="pending",
        created_by=ctx.by,
        created_at=ctx.now,
        outcome="",
    )
    session.add(row)
    await session.flush()
    return DepartureResult(row.id, account.address, on, reason, handover)


async def unit_mailbox(session: AsyncSession, person: Person, domain: str) -> Account:
    """Return the mailbox of the person's unit, or of the nearest unit above that has one."""
    unit: Unit | None = await session.get_one(Unit, person.unit_id)
    seen: set[int] = set()
    while unit is not None and unit.id not in seen:
        seen.add(unit.id)
        if unit.mailbox is not None:
            account = await session.scalar(
                select(Account).where(Account.address == f"{unit.mailbox}@{domain}")
            )
            if account is not None and account.state in IN_USE_STATES:
                return account
        unit = None if unit.parent_id is None else await session.get(Unit, unit.parent_id)
    raise LifecycleError(
        f"the unit of {person.full_name} has no mailbox to receive the content; "
        "hand it over as an mbox archive instead"
    )


class Departures:
    """Runs due departure events, step by step (see the module docstring)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writer: Writer,
        audit: Audit,
        retention: Retention,
        moves: MailboxMoves,
        blobs: BlobStore,
        exports_dir: Path,
        domain: str,
    ) -> None:
        self.sessions = sessions
        self.writer = writer
        self.audit = audit
        self.retention = retention
        self.moves = moves
        self.blobs = blobs
        self.exports_dir = exports_dir
        self.domain = domain

    async def run_due(self, now: datetime) -> str:
        """Job: run every departure whose date has come; a failed one is tried again next run."""
        async with self.sessions() as session:
            due = list(
                await session.scalars(
                    select(LifecycleEvent.id)
                    .where(
                        LifecycleEvent.kind == KIND,
                        LifecycleEvent.state.in_(OPEN_STATES),
                        LifecycleEvent.due_at <= now,
                    )
                    .order_by(LifecycleEvent.due_at, LifecycleEvent.id)
                )
            )
        failed = 0
        for event_id in due:
            try:
                await self.run_one(event_id, now)
            except Exception as error:
                failed += 1
                log.exception("lifecycle event %d failed; the next run tries it again", event_id)
                await self._note(event_id, f"failed: {error}")
        return f"ran {len(due) - failed}, failed {failed}"

    async def run_one(self, event_id: int, now: datetime) -> None:
        async with self.sessions() as session:
            event = await session.get_one(LifecycleEvent, event_id)
            state, account_id, due_at = event.state, event.account_id, event.due_at
            account = await session.get_one(Account, account_id)
            address, account_state = account.address, account.state
        if state not in OPEN_STATES:
            return  # done, or cancelled before it started
        if state == "pending":
            revoke = account_state in IN_USE_STATES
            state = await self.writer.run(lambda tx: self._left(tx, event_id, revoke))
            if state == "cancelled":
                return
            if revoke:
                reason = str(json.loads(event.payload)["reason"])
                await self.audit.record("account_revoked", account=address, outcome=reason)
        outcome = await self._hand_over(event_id, address, due_at)
        await self.writer.run(lambda tx: self._done(tx, event_id, now, outcome))
        await self.audit.record(
            "lifecycle_departed", account=address, service="lifecycle", outcome="ok", detail=outcome
        )

    async def _left(self, tx: Transaction, event_id: int, revoke: bool) -> str:
        """Revoke the account, take the person out of the directory, record the move.

        The event row is locked and its state checked in this transaction, so a cancel
        (`appliance.lifecycle.cancel`) either commits first and nothing is revoked, or
        finds the event started. Returns the event's state before this step.
        """
        session = tx.session
        event = await session.get_one(LifecycleEvent, event_id, with_for_update=True)
        if event.state != "pending":
            return event.state
        if revoke:
            await revoke_in(tx, event.account_id, event.due_at)
        payload = json.loads(event.payload)
        account = await session.get_one(Account, event.account_id)
        person = await session.get_one(Person, int(payload["person_id"]))
        person.left_on = local_day(event.due_at)
        await set_issued_state(session, local_part(account.address), "retired")
        await bump_generation(session)
        if payload["handover"] == "folder":
            target = await unit_mailbox(session, person, self.domain)
            prefix = await _free_prefix(session, target.id, person, account.address)
            payload["move_id"] = await self.moves.start_in(
                account.id, target.id, prefix, event.created_by, tx
            )
            event.payload = json.dumps(payload)
        event.state = "handover"
        return "pending"

    async def _hand_over(self, event_id: int, address: str, due_at: datetime) -> str:
        async with self.sessions() as session:
            event = await session.get_one(LifecycleEvent, event_id)
            payload = json.loads(event.payload)
        if payload["handover"] == "folder":
            progress = await self.moves.run(int(payload["move_id"]))
            return f"moved {progress.moved} messages into {progress.target} (move #{progress.id})"
        path = self.exports_dir / f"{address}-{local_day(due_at).isoformat()}.mbox"
        count = await self._export(event.account_id, path)
        return f"exported {count} messages to {path.name}"

    async def _export(self, account_id: int, path: Path) -> int:
        """Write the mbox under a temporary name first, so a stopped export starts over."""
        if path.exists():
            box = mailbox.mbox(path, create=False)
            try:
                return len(box)
            finally:
                box.close()
        self.exports_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial_path = path.with_name(path.name + ".part")
        partial_path.unlink(missing_ok=True)
        count = await export_mbox(self.sessions, self.blobs, account_id, partial_path)
        os.replace(partial_path, path)
        return count

    async def _done(self, tx: Transaction, event_id: int, now: datetime, outcome: str) -> None:
        event = await tx.session.get_one(LifecycleEvent, event_id)
        event.state = "done"
        event.done_at = now
        event.outcome = outcome

    async def _note(self, event_id: int, outcome: str) -> None:
        async def write(tx: Transaction) -> None:
            event = await tx.session.get_one(LifecycleEvent, event_id)
            event.outcome = outcome[:500]

        await self.writer.run(write)

    async def list(self, *, open_only: bool = False) -> list[EventInfo]:
        async with self.sessions() as session:
            query = (
                select(LifecycleEvent, Account.address)
                .join(Account, Account.id == LifecycleEvent.account_id)
                .where(LifecycleEvent.kind == KIND)
                .order_by(LifecycleEvent.due_at, LifecycleEvent.id)
            )
            if open_only:
                query = query.where(LifecycleEvent.state.in_(OPEN_STATES))
            rows = (await session.execute(query)).all()
        return [_event_info(event, address) for event, address in rows]


def _event_info(event: LifecycleEvent, address: str) -> EventInfo:
    payload = json.loads(event.payload)
    return EventInfo(
        id=event.id,
        kind=event.kind,
        account_id=event.account_id,
        address=address,
        due_at=event.due_at,
        state=event.state,
        reason=str(payload.get("reason", "")),
        handover=str(payload.get("handover", "")),
        outcome=event.outcome,
        done_at=event.done_at,
    )


async def _free_prefix(session: AsyncSession, account_id: int, person: Person, address: str) -> str:
    """Return `Bàn giao/<full name>`, with the address added if another namesake has it."""
    prefix = f"{HANDOVER_FOLDER}{HIERARCHY_SEPARATOR}{person.full_name}"
    used = await session.scalar(
        select(Folder.id).where(
            Folder.account_id == account_id,
            (Folder.name == prefix)
            | Folder.name.startswith(prefix + HIERARCHY_SEPARATOR, autoescape=True),
        )
    )
    return prefix if used is None else f"{prefix} ({local_part(address)})"

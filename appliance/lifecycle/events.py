"""The account lifecycle events, each applied in one transaction and audited after it.

The events are hire, transfer, unit rename, departure (retirement, leaving, transfer out
of the city) and agency mailbox handover. Each runs as one writer transaction, so it
applies wholly or not at all. After the commit it writes one audit line, or one line with
outcome `refused` and the reason. Dated steps (departures) and the end of forwarding
periods run from scheduled jobs registered in `appliance.jobs`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.accounts import Accounts
from appliance.admin_scope import AdminIdentity, AdminScope
from appliance.audit import Audit
from appliance.blobs import BlobStore
from appliance.clock import Clock
from appliance.credentials import Credentials
from appliance.directory.records import PersonInput
from appliance.directory.service import Directory
from appliance.errors import ApplianceError
from appliance.lifecycle.actions import Payload, apply_in
from appliance.lifecycle.cancel import DepartureRef, cancel_departure_in, find_departure
from appliance.lifecycle.departure import Departures, schedule_departure_in
from appliance.lifecycle.handover import handover_in
from appliance.lifecycle.moves import MailboxMoves, MoveProgress
from appliance.lifecycle.records import (
    CancelledDeparture,
    DepartureResult,
    EventContext,
    EventInfo,
    EventResult,
    HandoverResult,
    HireResult,
    LifecycleError,
    RenameResult,
    TransferResult,
    local_day,
)
from appliance.lifecycle.rename import rename_unit_in
from appliance.lifecycle.retention import Retention
from appliance.lifecycle.transfer import transfer_in
from appliance.models import Account, IssuedAddress, MailboxMove
from appliance.store.writer import Transaction, Writer

R = TypeVar("R", bound=EventResult)
SERVICE = "lifecycle"  # the audit log's service column for every lifecycle line


class Lifecycle:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writer: Writer,
        clock: Clock,
        audit: Audit,
        directory: Directory,
        accounts: Accounts,
        credentials: Credentials,
        moves: MailboxMoves,
        retention: Retention,
        blobs: BlobStore,
        exports_dir: Path,
        domain: str,
        scope: AdminScope,
    ) -> None:
        self.sessions = sessions
        self.writer = writer
        self.clock = clock
        self.audit = audit
        self.directory = directory
        self.accounts = accounts
        self.credentials = credentials
        self.moves = moves
        self.retention = retention
        self.departures = Departures(
            sessions, writer, audit, retention, moves, blobs, exports_dir, domain
        )
        self.domain = domain
        self.scope = scope

    def context(self, by: str) -> EventContext:
        return EventContext(
            self.directory,
            self.accounts,
            self.credentials,
            self.moves,
            self.domain,
            self.clock.now(),
            by,
        )

    # Events

    async def hire(self, person: PersonInput, *, by: str, client: str = "") -> HireResult:
        """Create a person's mailbox by the naming rules; refused for short contracts."""

        async def write(tx: Transaction, ctx: EventContext) -> HireResult:
            new = await ctx.directory.add_person_in(tx, person)
            return HireResult(new.person.id, new.address, new.password)

        return await self._run("lifecycle_hire", person.full_name, write, by, client)

    async def transfer(
        self, address: str, to_unit: str, *, by: str, client: str = ""
    ) -> TransferResult:
        """Give the owner of `address` a mailbox in `to_unit`; the old address forwards."""

        async def write(tx: Transaction, ctx: EventContext) -> TransferResult:
            return await transfer_in(tx, ctx, address, to_unit)

        return await self._run("lifecycle_transfer", address, write, by, client)

    async def rename_unit(
        self,
        unit: str,
        name: str,
        abbreviation: str | None = None,
        *,
        by: str,
        client: str = "",
    ) -> RenameResult:
        """Rename a unit and every address under it; the old addresses forward."""

        async def write(tx: Transaction, ctx: EventContext) -> RenameResult:
            return await rename_unit_in(tx, ctx, unit, name, abbreviation)

        return await self._run("lifecycle_rename", unit, write, by, client)

    async def schedule_departure(
        self,
        address: str,
        on: date,
        reason: str,
        handover: str,
        *,
        by: str,
        client: str = "",
    ) -> DepartureResult:
        """Schedule the revocation of `address` on the official date `on`."""

        async def write(tx: Transaction, ctx: EventContext) -> DepartureResult:
            return await schedule_departure_in(tx, ctx, address, on, reason, handover)

        return await self._run("lifecycle_departure", address, write, by, client)

    async def cancel_departure(
        self,
        reference: int | str,
        *,
        by: AdminIdentity | str,
        client: str = "",
        reason: str,
    ) -> CancelledDeparture:
        """Cancel a departure (by event id or address) whose first step has not run.

        `by` is the signed-in admin, checked by `AdminScope.target` like every admin
        action (a unit admin only in their own units, refused and audited as
        `out_of_scope`), or the command line's operator name, who may cancel any.
        """
        actor = by.address if isinstance(by, AdminIdentity) else by
        subject = reference if isinstance(reference, str) else f"event #{reference}"
        if not reason.strip():
            # Checked first: without a reason nothing is looked up or changed.
            missing = LifecycleError("a reason is required to cancel a departure")
            await self._refused(subject, missing, actor, client)
            raise missing
        try:
            async with self.sessions() as session:
                ref = await find_departure(session, reference)
        except ApplianceError as error:
            if isinstance(by, AdminIdentity) and not by.is_centre:
                # Refused like another unit's departure, so a unit admin cannot probe ids.
                refusal = await self.scope.refuse(by, "cancel the departure of", subject, client)
                raise refusal from None
            await self._refused(subject, error, actor, client)
            raise
        if isinstance(by, AdminIdentity):
            await self.scope.target(by, ref.account_id, "cancel the departure of", client)
        return await self._cancel(ref, reason, actor, client)

    async def _cancel(
        self, ref: DepartureRef, reason: str, actor: str, client: str
    ) -> CancelledDeparture:
        now = self.clock.now()
        try:
            cancelled = await self.writer.run(
                lambda tx: cancel_departure_in(tx, ref, reason, actor, now)
            )
        except ApplianceError as error:
            await self._refused(ref.address, error, actor, client)
            raise
        await self.audit.record(
            cancelled.audit_event,
            account=cancelled.account,
            client=client,
            service=SERVICE,
            outcome="cancelled",
            detail=f"{cancelled.summary()}; by {actor}",
        )
        return cancelled

    async def handover(
        self,
        unit: str,
        to_person: int,
        on: date | None = None,
        *,
        by: str,
        client: str = "",
    ) -> HandoverResult:
        """Hand a unit's own mailbox over to another person (default date: today)."""

        async def write(tx: Transaction, ctx: EventContext) -> HandoverResult:
            day = on or local_day(ctx.now)
            return await handover_in(tx, ctx, unit, to_person, day)

        return await self._run("lifecycle_handover", unit, write, by, client)

    async def apply(
        self, event: str, payload: Payload, *, by: str, client: str = ""
    ) -> EventResult:
        """Run an event given as a name and a payload (see `appliance.lifecycle.actions`)."""

        async def write(tx: Transaction, ctx: EventContext) -> EventResult:
            return await apply_in(tx, ctx, event, payload)

        subject = str(payload.get("address") or payload.get("unit") or "")
        return await self._run(f"lifecycle_{event}", subject, write, by, client)

    async def _run(
        self,
        audit_event: str,
        subject: str,
        write: Callable[[Transaction, EventContext], Awaitable[R]],
        by: str,
        client: str,
    ) -> R:
        ctx = self.context(by)
        try:
            result = await self.writer.run(lambda tx: write(tx, ctx))
        except ApplianceError as error:
            await self._refused(subject, error, by, client, audit_event)
            raise
        await self.record(result, by, client)
        return result

    async def _refused(
        self,
        subject: str,
        error: ApplianceError,
        by: str,
        client: str,
        audit_event: str = DepartureResult.audit_event,
    ) -> None:
        await self.audit.record(
            audit_event,
            account=subject,
            client=client,
            service=SERVICE,
            outcome="refused",
            detail=f"{error.message}; by {by}",
        )

    async def record(self, result: EventResult, by: str, client: str) -> None:
        """Write the audit lines of an applied event (never its password)."""
        await self.audit.record(
            result.audit_event,
            account=result.account,
            client=client,
            service=SERVICE,
            outcome="ok",
            detail=f"{result.summary()}; by {by}",
        )
        if isinstance(result, HandoverResult):
            await self.audit.record(
                "password_reset",
                account=result.address,
                client=client,
                service=SERVICE,
                outcome="ok",
                detail=f"by {by}, handover",
            )

    # Scheduled jobs

    async def run_due_events(self, now: datetime) -> str:
        """Job: run the departures whose official date has come."""
        return await self.departures.run_due(now)

    async def end_forwarding(self, now: datetime) -> str:
        """Job: revoke addresses whose forwarding period ended, and retire their issue rows."""
        outcome = await self.retention.end_forwarding(now)

        async def write(tx: Transaction) -> int:
            rows = await tx.session.execute(
                select(IssuedAddress, Account.state)
                .join(Account, Account.address == IssuedAddress.local_part + f"@{self.domain}")
                .where(IssuedAddress.state == "forwarding")
            )
            retired = 0
            for issued, state in rows:
                if state in ("revoked", "purged"):
                    issued.state = "retired"
                    retired += 1
            return retired

        retired = await self.writer.run(write)
        return f"{outcome}, {retired} addresses retired"

    # Reads and mailbox moves

    async def events(self, *, open_only: bool = False) -> list[EventInfo]:
        return await self.departures.list(open_only=open_only)

    async def move_ids(self) -> list[int]:
        async with self.sessions() as session:
            return list(await session.scalars(select(MailboxMove.id).order_by(MailboxMove.id)))

    async def move_accounts(self, move_id: int) -> tuple[int, int]:
        """Return the source and target account ids of a move, or raise LifecycleError."""
        async with self.sessions() as session:
            move = await session.get(MailboxMove, move_id)
            if move is None:
                raise LifecycleError(f"no mailbox move has the id {move_id}")
            return move.source_account_id, move.target_account_id

    async def move_progress(self, move_id: int) -> MoveProgress:
        await self.move_accounts(move_id)
        return await self.moves.progress(move_id)

    async def move_step(self, move_id: int, batch_size: int) -> MoveProgress:
        """Move one batch of a move (progress shows between batches); resumable any time."""
        await self.move_accounts(move_id)
        return await self.moves.run(move_id, batch_size=batch_size, max_batches=1)

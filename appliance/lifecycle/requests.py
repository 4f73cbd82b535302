"""Unit requests: a unit admin files one, and the operations centre approves or rejects it.

A unit admin files a request to create, change or revoke a mailbox of their own unit (or
a unit below it); a request about another unit is refused and audited as out of scope.
The centre approves it, which runs the lifecycle event in the same transaction as the
request's new state, or rejects it with a reason. An approved request whose event is
refused (a taken address, a short contract) ends in state "failed" with the reason, and
nothing of the event is applied. The unit sees each of its requests and its state.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.admin_scope import AdminIdentity, AdminScope
from appliance.audit import Audit
from appliance.clock import Clock
from appliance.errors import ApplianceError
from appliance.lifecycle.actions import REQUEST_EVENTS, apply_in, check_payload, subject_unit
from appliance.lifecycle.events import SERVICE, Lifecycle
from appliance.lifecycle.records import EventResult, LifecycleError
from appliance.models import MailboxRequest, Unit
from appliance.store.writer import Transaction, Writer

REQUEST_STATES = ("pending", "approved", "rejected", "failed")


class RequestNotPending(LifecycleError):
    """The request does not exist or was already decided."""


@dataclass(frozen=True)
class RequestInfo:
    id: int
    unit_id: int
    unit_name: str
    unit_mailbox: str
    kind: str  # create, change or revoke
    event: str  # the lifecycle event it runs: hire, transfer, rename_unit…
    payload: dict[str, object]
    filed_by: str
    filed_at: datetime
    state: str
    decided_by: str
    decided_at: datetime | None
    reason: str
    outcome: str


@dataclass(frozen=True)
class Decision:
    """An approved request and what its event did; `result` is None when it failed."""

    request: RequestInfo
    result: EventResult | None


def request_info(row: MailboxRequest, unit: Unit) -> RequestInfo:
    payload = json.loads(row.payload)
    event = str(payload.pop("event", ""))
    return RequestInfo(
        id=row.id,
        unit_id=row.unit_id,
        unit_name=unit.name,
        unit_mailbox=unit.mailbox or unit.abbreviation,
        kind=row.kind,
        event=event,
        payload=payload,
        filed_by=row.filed_by,
        filed_at=row.filed_at,
        state=row.state,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        reason=row.reason,
        outcome=row.outcome,
    )


class Requests:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writer: Writer,
        clock: Clock,
        audit: Audit,
        scope: AdminScope,
        lifecycle: Lifecycle,
    ) -> None:
        self.sessions = sessions
        self.writer = writer
        self.clock = clock
        self.audit = audit
        self.scope = scope
        self.lifecycle = lifecycle

    async def file(
        self,
        admin: AdminIdentity,
        kind: str,
        event: str,
        payload: Mapping[str, object],
        client: str = "",
    ) -> RequestInfo:
        """File a request for the admin's own unit; raise OutOfScope (audited) otherwise."""
        if kind not in REQUEST_EVENTS:
            raise LifecycleError(f"unknown request kind {kind!r}; use create, change or revoke")
        if event not in REQUEST_EVENTS[kind]:
            allowed = ", ".join(REQUEST_EVENTS[kind])
            raise LifecycleError(f"a {kind} request runs one of: {allowed}, not {event!r}")
        check_payload(event, payload)
        async with self.sessions() as session:
            unit = await subject_unit(session, event, payload)
        if not self.scope.may_see_unit(admin, unit.id):
            raise await self.scope.refuse(
                admin, f"file a {kind} request for", unit.mailbox or unit.name, client
            )
        now = self.clock.now()

        async def write(tx: Transaction) -> RequestInfo:
            row = MailboxRequest(
                unit_id=unit.id,
                kind=kind,
                payload=json.dumps({"event": event, **payload}, ensure_ascii=False),
                filed_by=admin.address,
                filed_at=now,
                state="pending",
                decided_by="",
                reason="",
                outcome="",
            )
            tx.session.add(row)
            await tx.session.flush()
            return request_info(row, unit)

        info = await self.writer.run(write)
        await self._audit("request_filed", info, admin.address, client, f"{kind} {event}")
        return info

    async def approve(self, admin: AdminIdentity, request_id: int, client: str = "") -> Decision:
        """Approve a pending request as a centre admin and run its event."""
        await self.scope.require_centre(admin, "approve request", f"#{request_id}", client)
        return await self.decide_approve(request_id, admin.address, client)

    async def reject(
        self, admin: AdminIdentity, request_id: int, reason: str, client: str = ""
    ) -> RequestInfo:
        """Reject a pending request as a centre admin; the reason is required."""
        await self.scope.require_centre(admin, "reject request", f"#{request_id}", client)
        return await self.decide_reject(request_id, admin.address, reason, client)

    async def decide_approve(self, request_id: int, decided_by: str, client: str = "") -> Decision:
        """Approve a request as `decided_by` (the command line's operator, or a centre admin).

        The event and the request's new state commit together. If the event is refused,
        a second transaction marks the request failed with the reason.
        """
        ctx = self.lifecycle.context(decided_by)

        async def write(tx: Transaction) -> tuple[RequestInfo, EventResult]:
            row, unit = await self._pending(tx.session, request_id)
            payload = json.loads(row.payload)
            result = await apply_in(tx, ctx, str(payload.pop("event")), payload)
            self._decide(row, "approved", decided_by, ctx.now, "", result.summary())
            return request_info(row, unit), result

        try:
            info, result = await self.writer.run(write)
        except RequestNotPending:
            raise
        except ApplianceError as error:
            failed = await self._fail(request_id, decided_by, error.message)
        else:
            await self.lifecycle.record(result, decided_by, client)
            await self._audit("request_approved", info, decided_by, client, result.summary())
            return Decision(info, result)
        await self._audit("request_failed", failed, decided_by, client, failed.outcome)
        return Decision(failed, None)

    async def decide_reject(
        self, request_id: int, decided_by: str, reason: str, client: str = ""
    ) -> RequestInfo:
        reason = reason.strip()
        if not reason:
            raise LifecycleError("a rejection needs a reason for the unit")
        now = self.clock.now()

        async def write(tx: Transaction) -> RequestInfo:
            row, unit = await self._pending(tx.session, request_id)
            self._decide(row, "rejected", decided_by, now, reason, "")
            return request_info(row, unit)

        info = await self.writer.run(write)
        await self._audit("request_rejected", info, decided_by, client, reason)
        return info

    async def _fail(self, request_id: int, decided_by: str, message: str) -> RequestInfo:
        now = self.clock.now()

        async def write(tx: Transaction) -> RequestInfo:
            row, unit = await self._pending(tx.session, request_id)
            self._decide(row, "failed", decided_by, now, "", message)
            return request_info(row, unit)

        return await self.writer.run(write)

    async def _pending(self, session: AsyncSession, request_id: int) -> tuple[MailboxRequest, Unit]:
        row = await session.get(MailboxRequest, request_id)
        if row is None:
            raise RequestNotPending(f"no request has the id {request_id}")
        if row.state != "pending":
            raise RequestNotPending(f"request #{request_id} is already {row.state}")
        return row, await session.get_one(Unit, row.unit_id)

    @staticmethod
    def _decide(
        row: MailboxRequest, state: str, by: str, now: datetime, reason: str, outcome: str
    ) -> None:
        row.state = state
        row.decided_by = by
        row.decided_at = now
        row.reason = reason
        row.outcome = outcome

    async def _audit(
        self, event: str, info: RequestInfo, by: str, client: str, detail: str
    ) -> None:
        await self.audit.record(
            event,
            account=by,
            client=client,
            service=SERVICE,
            outcome=info.state,
            detail=f"request #{info.id} ({info.unit_mailbox}): {detail}",
        )

    # Reads

    async def list_requests(
        self, *, unit: str | None = None, state: str | None = None
    ) -> list[RequestInfo]:
        """Return requests, newest first, of one unit (its mailbox name) or all."""
        async with self.sessions() as session:
            query = (
                select(MailboxRequest, Unit)
                .join(Unit, Unit.id == MailboxRequest.unit_id)
                .order_by(MailboxRequest.filed_at.desc(), MailboxRequest.id.desc())
            )
            if unit is not None:
                query = query.where(Unit.mailbox == unit.strip().lower())
            if state is not None:
                query = query.where(MailboxRequest.state == state)
            rows = (await session.execute(query)).all()
        return [request_info(row, found) for row, found in rows]

    async def visible(self, admin: AdminIdentity, *, state: str | None = None) -> list[RequestInfo]:
        """Return the requests of the admin's units (every request for a centre admin)."""
        return [
            info
            for info in await self.list_requests(state=state)
            if self.scope.may_see_unit(admin, info.unit_id)
        ]

    async def get(self, admin: AdminIdentity, request_id: int, client: str = "") -> RequestInfo:
        """Return one request the admin may see; raise OutOfScope (audited) otherwise."""
        async with self.sessions() as session:
            row = await session.get(MailboxRequest, request_id)
            unit = None if row is None else await session.get_one(Unit, row.unit_id)
        if row is None or unit is None or not self.scope.may_see_unit(admin, unit.id):
            raise await self.scope.refuse(admin, "see request", f"#{request_id}", client)
        return request_info(row, unit)

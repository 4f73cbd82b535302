"""Cancelling a scheduled departure before its first step runs.

Only an event in state `pending` can be cancelled: once the hourly job has run its first
step, the account is revoked and the person has left the directory, so the departure is
past undoing. A cancelled event is kept, in state `cancelled`, with who cancelled it, when
(`done_at`) and why (`outcome`). The job selects only open states, so it never runs it.
The job's first step and a cancel each lock the event row and check its state in their
own transaction, so exactly one of them wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from appliance.lifecycle.addresses import account_by_address
from appliance.lifecycle.departure import KIND, OPEN_STATES
from appliance.lifecycle.records import CancelledDeparture, LifecycleError, local_day
from appliance.models import Account, LifecycleEvent
from appliance.store.writer import Transaction

MAX_REASON = 1000  # characters of the cancel reason kept in the event's outcome


@dataclass(frozen=True)
class DepartureRef:
    """The event a cancel refers to, and the account it would revoke."""

    event_id: int
    account_id: int
    address: str


async def find_departure(session: AsyncSession, reference: int | str) -> DepartureRef:
    """Return the departure with the id `reference`, or the latest one of that address.

    For an address, an open event is preferred over a done or cancelled one, so the error
    for a departure that cannot be cancelled names the event it found.
    """
    if isinstance(reference, int):
        event = await session.get(LifecycleEvent, reference)
        if event is None or event.kind != KIND:
            raise LifecycleError(f"no scheduled departure has the id {reference}")
        account = await session.get_one(Account, event.account_id)
        return DepartureRef(event.id, account.id, account.address)
    account = await account_by_address(session, reference)
    events = select(LifecycleEvent.id).where(
        LifecycleEvent.account_id == account.id, LifecycleEvent.kind == KIND
    )
    event_id = await session.scalar(
        events.where(LifecycleEvent.state.in_(OPEN_STATES)).order_by(LifecycleEvent.id.desc())
    )
    if event_id is None:
        event_id = await session.scalar(events.order_by(LifecycleEvent.id.desc()))
    if event_id is None:
        raise LifecycleError(f"{account.address} has no scheduled departure to cancel")
    return DepartureRef(event_id, account.id, account.address)


async def cancel_departure_in(
    tx: Transaction, ref: DepartureRef, reason: str, by: str, now: datetime
) -> CancelledDeparture:
    """Mark the departure `ref` cancelled, or raise LifecycleError if it is not pending."""
    reason = reason.strip()
    if not reason:
        raise LifecycleError("a reason is required to cancel a departure")
    if len(reason) > MAX_REASON:
        raise LifecycleError(f"the reason is longer than {MAX_REASON} characters")
    event = await tx.session.get_one(LifecycleEvent, ref.event_id, with_for_update=True)
    on = local_day(event.due_at)
    name = f"the departure #{event.id} of {ref.address} on {on.isoformat()}"
    if event.state == "cancelled":
        raise LifecycleError(f"{name} is already cancelled ({event.outcome})")
    if event.state != "pending":
        raise LifecycleError(
            f"{name} has started (state {event.state}) and can no longer be cancelled: "
            "the account is already revoked"
        )
    event.state = "cancelled"
    event.done_at = now
    event.outcome = f"cancelled by {by}: {reason}"
    return CancelledDeparture(event.id, ref.address, on, reason)

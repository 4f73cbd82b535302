"""Lifecycle events described as JSON payloads, as unit requests store them.

Each event has a name and a payload of plain values. `apply_in` checks the payload and
runs the event inside the caller's transaction, so an approved request and its event
commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from appliance.directory.contracts import parse_contract_type
from appliance.directory.queries import find_unit
from appliance.directory.records import PersonInput
from appliance.lifecycle.addresses import account_by_address
from appliance.lifecycle.departure import schedule_departure_in
from appliance.lifecycle.handover import handover_in
from appliance.lifecycle.records import (
    EventContext,
    EventResult,
    HireResult,
    LifecycleError,
    local_day,
)
from appliance.lifecycle.rename import rename_unit_in
from appliance.lifecycle.transfer import transfer_in
from appliance.models import Person, Unit
from appliance.store.writer import Transaction

# The events a unit request of each kind may ask for.
REQUEST_EVENTS: dict[str, tuple[str, ...]] = {
    "create": ("hire",),
    "change": ("transfer", "rename_unit", "handover"),
    "revoke": ("departure",),
}
EVENTS = tuple(event for events in REQUEST_EVENTS.values() for event in events)

# Text fields each event needs; the others are checked by their parsers below.
REQUIRED_TEXT: dict[str, tuple[str, ...]] = {
    "transfer": ("address", "to_unit"),
    "rename_unit": ("unit", "name"),
    "departure": ("address", "reason", "handover"),
    "handover": ("unit",),
}

Payload = Mapping[str, object]


def text(payload: Payload, key: str, *, required: bool = True) -> str:
    value = payload.get(key, "")
    if not isinstance(value, str):
        raise LifecycleError(f"the field {key!r} must be text")
    value = value.strip()
    if required and not value:
        raise LifecycleError(f"the field {key!r} is missing")
    return value


def day(payload: Payload, key: str, default: date | None = None) -> date:
    value = text(payload, key, required=default is None)
    if not value and default is not None:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise LifecycleError(f"the field {key!r} is not a date (YYYY-MM-DD): {value!r}") from None


def person_input(payload: Payload) -> PersonInput:
    """Return the person a hire payload describes."""
    try:
        contract_type = parse_contract_type(text(payload, "contract_type", required=False))
    except ValueError as error:
        raise LifecycleError(str(error)) from None
    contract_end = text(payload, "contract_end", required=False)
    return PersonInput(
        family=text(payload, "family"),
        middle=text(payload, "middle", required=False),
        given=text(payload, "given"),
        unit=text(payload, "unit"),
        position=text(payload, "position", required=False),
        contract_type=contract_type,
        contract_end=day(payload, "contract_end") if contract_end else None,
        phone=text(payload, "phone", required=False),
    )


def check_payload(event: str, payload: Payload) -> None:
    """Raise LifecycleError unless `payload` has every field `event` needs, well formed."""
    if event not in EVENTS:
        raise LifecycleError(f"unknown lifecycle event {event!r}; use one of {', '.join(EVENTS)}")
    for key in REQUIRED_TEXT.get(event, ()):
        text(payload, key)
    if event == "hire":
        person_input(payload)
    if event == "departure":
        day(payload, "on")
    if event == "handover":
        person_id(payload)
        day(payload, "on", date.min)


def person_id(payload: Payload) -> int:
    value = payload.get("to_person")
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise LifecycleError("the field 'to_person' must be a person id")
    try:
        return int(value)
    except ValueError:
        raise LifecycleError(f"the field 'to_person' is not a person id: {value!r}") from None


async def apply_in(tx: Transaction, ctx: EventContext, event: str, payload: Payload) -> EventResult:
    """Run the event `event` with `payload` inside the caller's transaction."""
    check_payload(event, payload)
    if event == "hire":
        new = await ctx.directory.add_person_in(tx, person_input(payload))
        return HireResult(new.person.id, new.address, new.password)
    if event == "transfer":
        return await transfer_in(tx, ctx, text(payload, "address"), text(payload, "to_unit"))
    if event == "rename_unit":
        abbreviation = text(payload, "abbreviation", required=False) or None
        return await rename_unit_in(
            tx, ctx, text(payload, "unit"), text(payload, "name"), abbreviation
        )
    if event == "departure":
        return await schedule_departure_in(
            tx,
            ctx,
            text(payload, "address"),
            day(payload, "on"),
            text(payload, "reason"),
            text(payload, "handover"),
        )
    on = day(payload, "on", local_day(ctx.now))
    return await handover_in(tx, ctx, text(payload, "unit"), person_id(payload), on)


async def subject_unit(session: AsyncSession, event: str, payload: Payload) -> Unit:
    """Return the unit an event is about: the one named, or the unit of the person moved."""
    if event in ("transfer", "departure"):
        account = await account_by_address(session, text(payload, "address"))
        unit_id = await session.scalar(
            select(Person.unit_id).where(Person.account_id == account.id).order_by(Person.id)
        )
        if unit_id is None:
            raise LifecycleError(f"{account.address} is not the mailbox of a person of a unit")
        return await session.get_one(Unit, unit_id)
    return await find_unit(session, text(payload, "unit"))

"""Handover of an agency mailbox: a new responsible person, a new password, a record.

The people responsible until now get the handover date as the end of their term, the new
person is named responsible from that date, the mailbox gets a generated password that
must be changed at first login (web sessions end, app passwords are revoked) and its
second factor is turned off, so the previous holder keeps no way in. A `handovers` row
records the date and both names as they were on the day.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from appliance.directory.queries import find_unit
from appliance.lifecycle.addresses import account_by_address, require_in_use
from appliance.lifecycle.records import EventContext, HandoverResult, LifecycleError
from appliance.models import Handover, Person, UnitResponsible
from appliance.passwords import generate_password, hash_generated_password
from appliance.store.writer import Transaction


async def handover_in(
    tx: Transaction, ctx: EventContext, unit_ref: str, to_person_id: int, on: date
) -> HandoverResult:
    """Hand the mailbox of the unit `unit_ref` over to the person `to_person_id` on `on`."""
    session = tx.session
    unit = await find_unit(session, unit_ref)
    if unit.mailbox is None:
        raise LifecycleError(f"the unit {unit.name!r} has no mailbox here")
    account = await account_by_address(session, f"{unit.mailbox}@{ctx.domain}")
    require_in_use(account)
    person = await session.get(Person, to_person_id)
    if person is None or person.left_on is not None or person.external:
        raise LifecycleError(f"no current staff member has the person id {to_person_id}")
    current = list(
        await session.scalars(
            select(Person)
            .join(UnitResponsible, UnitResponsible.person_id == Person.id)
            .where(UnitResponsible.unit_id == unit.id, UnitResponsible.until.is_(None))
            .order_by(Person.id)
        )
    )
    previous = [p for p in current if p.id != person.id]
    if not previous and current:
        raise LifecycleError(f"{person.full_name} is already responsible for {account.address}")
    for row in await session.scalars(
        select(UnitResponsible).where(
            UnitResponsible.unit_id == unit.id,
            UnitResponsible.until.is_(None),
            UnitResponsible.person_id != person.id,
        )
    ):
        row.until = on
    await ctx.directory.add_responsible_in(tx, unit.mailbox, person.id, since=on)

    password = generate_password()
    await ctx.credentials.store_password_in(
        tx, account.id, hash_generated_password(password), ctx.now, must_change=True, revoke=True
    )
    await ctx.credentials.clear_totp_in(tx, account.id)
    from_name = ", ".join(p.full_name for p in previous)
    session.add(
        Handover(
            unit_id=unit.id,
            account_id=account.id,
            from_person_id=previous[0].id if previous else None,
            to_person_id=person.id,
            from_name=from_name,
            to_name=person.full_name,
            handed_over_on=on,
            recorded_by=ctx.by,
            recorded_at=ctx.now,
        )
    )
    return HandoverResult(account.address, from_name, person.full_name, on, password)

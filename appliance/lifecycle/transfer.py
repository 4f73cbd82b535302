"""A transfer within the city: a new mailbox in the new unit, the old address forwarding.

The person's directory row moves to the new unit and gets a new address by the naming
rules of the new unit's agency (numbered on collision, never an address issued before).
The old account forwards to the new address for one calendar month and then is revoked
by the `end_forwarding` job; its content stays where it is until a unit admin runs the
mailbox move recorded here (`appliance lifecycle move-run`). A transfer between two units
of the same agency keeps the address, because the address names only the agency.
"""

from __future__ import annotations

from appliance.directory import naming
from appliance.directory.queries import agency_of, bump_generation, find_unit, taken_local_parts
from appliance.lifecycle.addresses import (
    account_by_address,
    local_part,
    person_of,
    refresh_search_text,
    require_in_use,
    retarget_rules,
    set_issued_state,
    start_forwarding,
)
from appliance.lifecycle.records import (
    TRANSFER_FORWARD_MONTHS,
    EventContext,
    LifecycleError,
    TransferResult,
)
from appliance.locks import add_months
from appliance.models import IssuedAddress, Unit
from appliance.passwords import generate_password, hash_generated_password
from appliance.store.writer import Transaction


async def transfer_in(
    tx: Transaction, ctx: EventContext, address: str, to_unit: str
) -> TransferResult:
    """Transfer the owner of `address` to the unit whose mailbox name is `to_unit`."""
    session = tx.session
    account = await account_by_address(session, address)
    require_in_use(account)
    if account.kind != "personal":
        raise LifecycleError(f"{account.address} is a {account.kind} mailbox, not a person's")
    person = await person_of(session, account)
    unit = await find_unit(session, to_unit)
    if unit.state != "open":
        raise LifecycleError(f"the unit {unit.name!r} is closed")
    if unit.id == person.unit_id:
        raise LifecycleError(f"{person.full_name} is already in the unit {unit.name!r}")
    old_agency = await agency_of(session, await session.get_one(Unit, person.unit_id))
    new_agency = await agency_of(session, unit)
    person.unit_id = unit.id
    await bump_generation(session)
    unit_ref = unit.mailbox or unit.abbreviation
    if old_agency.id == new_agency.id:
        await refresh_search_text(session, person, local_part(account.address))
        return TransferResult(account.address, account.address, unit_ref, "", None, None)

    taken = await taken_local_parts(session, ctx.domain)
    candidate = naming.person_local_part(
        person.family, person.middle, person.given, new_agency.mailbox or ""
    )
    local = naming.next_free(candidate, taken)
    password = generate_password()
    new = await ctx.accounts.add(
        tx,
        f"{local}@{ctx.domain}",
        hash_generated_password(password),
        display_name=person.full_name,
        kind="personal",
        must_change_password=True,
    )
    await set_issued_state(session, local_part(account.address), "forwarding")
    session.add(
        IssuedAddress(
            local_part=local, role="person", person_id=person.id, issued_at=ctx.now, state="live"
        )
    )
    person.account_id = new.id
    await refresh_search_text(session, person, local)
    until = add_months(ctx.now, TRANSFER_FORWARD_MONTHS)
    await start_forwarding(session, account, new.address, until)
    await retarget_rules(session, account.address, new.address)
    move_id = await ctx.moves.start_in(account.id, new.id, "", ctx.by, tx)
    return TransferResult(account.address, new.address, unit_ref, password, until, move_id)

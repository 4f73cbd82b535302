"""A unit rename: new names for the unit's mailbox and every address under it.

An agency, commune or ward gets a new mailbox name (an agency's new abbreviation, or a
commune's or ward's name folded by the naming rules), and so does every address that ends
in it: sub-units `<abbreviation>.<new>`, people `<name>.<new>` and the unit IT admin
`admin.<new>`. A person keeps the first label of their address (with its collision
number) unless that is taken under the new name; then the naming rules number it again.
A renamed sub-unit changes only its own mailbox, because people's addresses name only
the agency.

Each address is renamed in place on its account, which keeps its mail, password and
second factor. Each old address gets a row of its own that only forwards (kind
"service", no password, no folders) for two calendar months; then the `end_forwarding`
job revokes it and mail to it bounces. Addresses are never issued twice: the old ones
stay in `issued_addresses`, in state forwarding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from appliance.admin_units import UNIT_ADMIN_PREFIX, descendants, unit_tree
from appliance.directory import naming
from appliance.directory.queries import (
    AddressTaken,
    agency_of,
    bump_generation,
    find_unit,
    taken_local_parts,
)
from appliance.directory.search import search_key
from appliance.lifecycle.addresses import (
    IN_USE_STATES,
    account_by_address,
    local_part,
    refresh_search_text,
    retarget_rules,
    set_issued_state,
    start_forwarding,
)
from appliance.lifecycle.records import (
    RENAME_FORWARD_MONTHS,
    EventContext,
    LifecycleError,
    RenameResult,
)
from appliance.locks import add_months
from appliance.models import Account, IssuedAddress, Person, Unit
from appliance.store.writer import Transaction


@dataclass
class Renaming:
    """One address to rename: a unit's mailbox, a unit admin's or a person's."""

    old: str  # local parts
    new: str
    role: str  # as in issued_addresses: agency, subunit, special, unit_admin, person
    unit: Unit | None = None
    person: Person | None = None


async def rename_unit_in(
    tx: Transaction, ctx: EventContext, unit_ref: str, name: str, abbreviation: str | None
) -> RenameResult:
    """Rename a unit to `name`, and its mailbox and the addresses under it when they change."""
    session = tx.session
    unit = await find_unit(session, unit_ref)
    if unit.mailbox is None:
        raise LifecycleError(f"the unit {unit.name!r} has no mailbox here to rename")
    if unit.state != "open":
        raise LifecycleError(f"the unit {unit.name!r} is closed")
    name = name.strip()
    if not name:
        raise LifecycleError("the new unit name is empty")
    old_mailbox = unit.mailbox
    new_mailbox = await _new_mailbox(session, unit, name, abbreviation)
    unit.name = name
    unit.search_text = search_key(name)
    await bump_generation(session)
    if new_mailbox == old_mailbox:
        await _refresh_unit_people(session, unit)
        return RenameResult(old_mailbox, old_mailbox, name, (), None)

    plan = await _plan(session, ctx.domain, unit, old_mailbox, new_mailbox)
    until = add_months(ctx.now, RENAME_FORWARD_MONTHS)
    await _apply(tx, ctx, plan, until)
    await _refresh_unit_people(session, unit)
    renamed = tuple((f"{r.old}@{ctx.domain}", f"{r.new}@{ctx.domain}") for r in plan)
    return RenameResult(old_mailbox, new_mailbox, name, renamed, until)


async def _new_mailbox(
    session: AsyncSession, unit: Unit, name: str, abbreviation: str | None
) -> str:
    """Return the unit's mailbox name after the rename, and store its new abbreviation.

    Without an abbreviation a department, special mailbox or sub-unit keeps its mailbox
    name, and a commune or ward gets the one its new name folds to.
    """
    old = unit.mailbox or ""
    if unit.kind in naming.SUBUNIT_KINDS:
        if not abbreviation:
            return old
        agency = await agency_of(session, unit)
        new = naming.subunit_address(abbreviation, agency.mailbox or "")
        unit.abbreviation = naming.first_label(new)
        return new
    if unit.kind in ("department", "special") and not abbreviation:
        return old
    new = naming.agency_mailbox(unit.kind, name, abbreviation)
    unit.abbreviation = new
    return new


async def _plan(
    session: AsyncSession, domain: str, unit: Unit, old_mailbox: str, new_mailbox: str
) -> list[Renaming]:
    """List every address to rename; raise AddressTaken if a unit's new name was issued."""
    taken = await taken_local_parts(session, domain)
    units = [unit]
    if unit.kind in naming.AGENCY_KINDS:
        below = descendants(unit.id, await unit_tree(session)) - {unit.id}
        units += list(
            await session.scalars(
                select(Unit).where(Unit.id.in_(below), Unit.mailbox.is_not(None)).order_by(Unit.id)
            )
        )
    plan: list[Renaming] = []
    for each in units:
        old = each.mailbox or ""
        if each is unit:
            plan.append(Renaming(old, new_mailbox, _unit_role(each), unit=each))
        elif old.endswith(f".{old_mailbox}"):
            new = f"{naming.first_label(old)}.{new_mailbox}"
            plan.append(Renaming(old, new, _unit_role(each), unit=each))
    for renaming in list(plan):
        admin = f"{UNIT_ADMIN_PREFIX}{renaming.old}"
        if await _in_use(session, f"{admin}@{domain}"):
            plan.append(Renaming(admin, f"{UNIT_ADMIN_PREFIX}{renaming.new}", "unit_admin"))
    for renaming in plan:
        if renaming.new in taken:
            raise AddressTaken(
                f"the address {renaming.new}@{domain} is already issued, so the unit cannot "
                "take that name; choose another abbreviation"
            )
        taken.add(renaming.new)
    if unit.kind in naming.AGENCY_KINDS:
        plan += await _plan_people(session, [u.id for u in units], old_mailbox, new_mailbox, taken)
    return plan


async def _plan_people(
    session: AsyncSession,
    unit_ids: list[int],
    old_mailbox: str,
    new_mailbox: str,
    taken: set[str],
) -> list[Renaming]:
    rows = await session.execute(
        select(Person, Account)
        .join(Account, Account.id == Person.account_id)
        .where(
            Person.unit_id.in_(unit_ids),
            Person.left_on.is_(None),
            Account.state.in_(IN_USE_STATES),
        )
        .order_by(Account.id)
    )
    plan = []
    for person, account in rows:
        old = local_part(account.address)
        if not old.endswith(f".{old_mailbox}"):
            continue
        new = f"{naming.first_label(old)}.{new_mailbox}"
        if naming.is_taken(new, taken):
            candidate = naming.person_local_part(
                person.family, person.middle, person.given, new_mailbox
            )
            new = naming.next_free(candidate, taken)
        taken.add(new)
        plan.append(Renaming(old, new, "person", person=person))
    return plan


def _unit_role(unit: Unit) -> str:
    if unit.kind == "special":
        return "special"
    return "agency" if unit.kind in naming.AGENCY_KINDS else "subunit"


async def _in_use(session: AsyncSession, address: str) -> bool:
    state = await session.scalar(select(Account.state).where(Account.address == address))
    return state in IN_USE_STATES


async def _apply(tx: Transaction, ctx: EventContext, plan: list[Renaming], until: datetime) -> None:
    session = tx.session
    accounts: list[tuple[Renaming, Account]] = []
    for renaming in plan:
        account = await account_by_address(session, f"{renaming.old}@{ctx.domain}")
        account.address = f"{renaming.new}@{ctx.domain}"
        accounts.append((renaming, account))
        if renaming.unit is not None:
            renaming.unit.mailbox = renaming.new
    # The old addresses must be free before their forwarding rows are inserted.
    await session.flush()
    for renaming, account in accounts:
        old_address = f"{renaming.old}@{ctx.domain}"
        stub = await ctx.accounts.add(
            tx,
            old_address,
            "",
            display_name=account.display_name,
            kind="service",
            default_folders=False,
        )
        await start_forwarding(
            session, await session.get_one(Account, stub.id), account.address, until
        )
        await retarget_rules(session, old_address, account.address)
        await _reissue(session, renaming, ctx.now)
        if renaming.person is not None:
            await refresh_search_text(session, renaming.person, renaming.new)


async def _reissue(session: AsyncSession, renaming: Renaming, now: datetime) -> None:
    """Mark the old local part forwarding and issue the new one, for the same owner."""
    old = await set_issued_state(session, renaming.old, "forwarding")
    person_id = None if renaming.person is None else renaming.person.id
    unit_id = None if renaming.unit is None else renaming.unit.id
    if old is None:
        session.add(
            IssuedAddress(
                local_part=renaming.old,
                role=renaming.role,
                person_id=person_id,
                unit_id=unit_id,
                issued_at=now,
                state="forwarding",
            )
        )
    session.add(
        IssuedAddress(
            local_part=renaming.new,
            role=renaming.role,
            person_id=person_id if old is None else old.person_id,
            unit_id=unit_id if old is None else old.unit_id,
            issued_at=now,
            state="live",
        )
    )


async def _refresh_unit_people(session: AsyncSession, unit: Unit) -> None:
    """Store the unit's new name in the search text of the people filed in it."""
    rows = await session.execute(
        select(Person, Account.address)
        .outerjoin(Account, Account.id == Person.account_id)
        .where(Person.unit_id == unit.id)
    )
    for person, address in rows:
        await refresh_search_text(session, person, local_part(address or ""))

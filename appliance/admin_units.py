"""Which unit each account belongs to, and which units sit under a unit.

An account belongs to a unit when a directory person with that account is filed in the
unit, when its address is the unit's own mailbox, or when its local part was issued for
the unit or for a person of the unit (the `issued_addresses` table). A unit's IT admin,
`admin.<unit mailbox>`, belongs to that unit. The first of these that applies wins, so
an account maps to exactly one unit or to none.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from appliance.models import Account, IssuedAddress, Person, Unit

UNIT_ADMIN_PREFIX = "admin."  # a unit's IT admin is admin.<unit mailbox>@domain


async def unit_tree(session: AsyncSession) -> dict[int, list[int]]:
    """Return the children of every unit, by parent id."""
    children: dict[int, list[int]] = {}
    for unit_id, parent_id in await session.execute(select(Unit.id, Unit.parent_id)):
        if parent_id is not None:
            children.setdefault(parent_id, []).append(unit_id)
    return children


def descendants(root: int, children: dict[int, list[int]]) -> frozenset[int]:
    """Return `root` and every unit below it; a cycle in the data cannot loop forever."""
    found = {root}
    pending = [root]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return frozenset(found)


async def account_units(
    session: AsyncSession, domain: str, account_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Return the unit id of each account that belongs to one, by account id.

    With `account_ids`, only those accounts are looked up.
    """
    wanted = None if account_ids is None else set(account_ids)
    found: dict[int, int] = {}
    people = select(Person.account_id, Person.unit_id).where(Person.account_id.is_not(None))
    if wanted is not None:
        people = people.where(Person.account_id.in_(wanted))
    for account_id, unit_id in await session.execute(people.order_by(Person.id)):
        if account_id is not None:
            found.setdefault(account_id, unit_id)
    by_local = await _units_by_local_part(session)
    suffix = f"@{domain}"
    accounts = select(Account.id, Account.address)
    if wanted is not None:
        accounts = accounts.where(Account.id.in_(wanted))
    for account_id, address in await session.execute(accounts):
        if account_id in found or not address.endswith(suffix):
            continue
        local = address[: -len(suffix)]
        owner = by_local.get(local)
        if owner is None and local.startswith(UNIT_ADMIN_PREFIX):
            owner = by_local.get(local[len(UNIT_ADMIN_PREFIX) :])
        if owner is not None:
            found[account_id] = owner
    return found


async def _units_by_local_part(session: AsyncSession) -> dict[str, int]:
    """Return the unit of every unit mailbox and of every address issued to a unit or person."""
    by_local: dict[str, int] = {}
    rows = await session.execute(
        select(IssuedAddress.local_part, IssuedAddress.unit_id, Person.unit_id).outerjoin(
            Person, Person.id == IssuedAddress.person_id
        )
    )
    for local_part, unit_id, person_unit_id in rows:
        owner = unit_id if unit_id is not None else person_unit_id
        if owner is not None:
            by_local[local_part] = owner
    for mailbox, unit_id in await session.execute(
        select(Unit.mailbox, Unit.id).where(Unit.mailbox.is_not(None))
    ):
        if mailbox is not None:
            by_local[mailbox] = unit_id
    return by_local

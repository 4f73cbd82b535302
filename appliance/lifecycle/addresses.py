"""Reads and writes on addresses that several lifecycle events share."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from appliance.directory.queries import person_search_text
from appliance.lifecycle.records import LifecycleError
from appliance.models import Account, ForwardingRule, IssuedAddress, Person, Unit, WebSession

# States in which an account still belongs to its owner; the others are on their way out.
IN_USE_STATES = ("active", "locked")


async def account_by_address(session: AsyncSession, address: str) -> Account:
    account = await session.scalar(
        select(Account).where(Account.address == address.strip().lower())
    )
    if account is None:
        raise LifecycleError(f"no account has the address {address!r}")
    return account


async def person_of(session: AsyncSession, account: Account) -> Person:
    """Return the directory person whose mailbox `account` is, or raise LifecycleError."""
    person = await session.scalar(
        select(Person).where(Person.account_id == account.id).order_by(Person.id)
    )
    if person is None:
        raise LifecycleError(
            f"{account.address} is not the mailbox of a person in the directory; "
            "add the person with `appliance directory import` first"
        )
    return person


def require_in_use(account: Account) -> None:
    if account.state not in IN_USE_STATES:
        raise LifecycleError(f"{account.address} is {account.state}, not in use")


async def start_forwarding(
    session: AsyncSession, account: Account, target: str, until: datetime
) -> None:
    """Turn `account` into an old address that forwards to `target` until `until`.

    The owner can no longer log in with it (only active accounts log in), so its web
    sessions end now.
    """
    account.state = "forwarding"
    account.forward_to = target
    account.forward_until = until
    await session.execute(delete(WebSession).where(WebSession.account_id == account.id))


async def retarget_rules(session: AsyncSession, old: str, new: str) -> None:
    """Point other accounts' forwarding rules at the new address, before the old one ends."""
    await session.execute(
        update(ForwardingRule).where(ForwardingRule.target == old).values(target=new)
    )


async def set_issued_state(session: AsyncSession, local: str, state: str) -> IssuedAddress | None:
    row = await session.scalar(select(IssuedAddress).where(IssuedAddress.local_part == local))
    if row is not None:
        row.state = state
    return row


async def refresh_search_text(session: AsyncSession, person: Person, local: str) -> None:
    unit = await session.get_one(Unit, person.unit_id)
    person.search_text = person_search_text(person.full_name, local, unit.name)


def local_part(address: str) -> str:
    return address.rpartition("@")[0]

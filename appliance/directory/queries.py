"""Reads and small writes on the directory tables, shared by the service and the import."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from appliance.directory.naming import AGENCY_KINDS
from appliance.directory.records import (
    DEFAULT_PUBLIC_FIELDS,
    PUBLIC_FIELDS,
    PersonInfo,
    PersonInput,
    UnitInfo,
)
from appliance.directory.search import search_key
from appliance.errors import ApplianceError
from appliance.models import Account, Counter, IssuedAddress, Person, Unit

GENERATION_COUNTER = "directory_generation"


class UnitNotFound(ApplianceError):
    """No unit has that mailbox name."""


class UnitClosed(ApplianceError):
    """The unit is closed."""


class AddressTaken(ApplianceError):
    """The address is already issued, reserved or in use."""


class MailboxRefused(ApplianceError):
    """The person may not have a personal mailbox."""


def unit_info(unit: Unit) -> UnitInfo:
    return UnitInfo(
        id=unit.id,
        kind=unit.kind,
        name=unit.name,
        mailbox=unit.mailbox,
        abbreviation=unit.abbreviation,
        parent_id=unit.parent_id,
        state=unit.state,
        publish=unit.publish,
    )


def parse_public_fields(text: str) -> tuple[str, ...]:
    fields = tuple(name for name in text.split(",") if name in PUBLIC_FIELDS)
    return fields or DEFAULT_PUBLIC_FIELDS


def live_people(*columns: Any) -> Select[Any]:
    """Select `columns` of the people who have not left, with their unit and live address.

    They come leaders first, then by rank and name, as the directory lists them.
    """
    return (
        select(*columns)
        .join(Unit, Person.unit_id == Unit.id)
        .outerjoin(
            IssuedAddress,
            (IssuedAddress.person_id == Person.id) & (IssuedAddress.state == "live"),
        )
        .where(Person.left_on.is_(None))
        .order_by(Person.is_leader.desc(), Person.rank, Person.given, Person.id)
    )


def person_info(person: Person, unit_name: str, address: str) -> PersonInfo:
    return PersonInfo(
        id=person.id,
        full_name=person.full_name,
        family=person.family,
        middle=person.middle,
        given=person.given,
        unit_id=person.unit_id,
        unit_name=unit_name,
        position=person.position,
        is_leader=person.is_leader,
        rank=person.rank,
        phone=person.phone,
        address=address,
        external=person.external,
        public_fields=parse_public_fields(person.public_fields),
    )


def person_search_text(full_name: str, local_part: str, unit_name: str) -> str:
    """Return the folded words a person is found by: name, address labels and unit name."""
    return " ".join([search_key(full_name), local_part.replace(".", " "), search_key(unit_name)])


def person_values(
    person: PersonInput,
    unit_id: int,
    unit_name: str,
    local: str,
    account_id: int | None,
    now: datetime,
) -> dict[str, object]:
    """Return the column values of a new people row; without an account it is a contact."""
    return {
        "family": person.family.strip(),
        "middle": person.middle.strip(),
        "given": person.given.strip(),
        "full_name": person.full_name,
        "search_text": person_search_text(person.full_name, local, unit_name),
        "unit_id": unit_id,
        "position": person.position,
        "is_leader": person.is_leader,
        "rank": person.rank,
        "contract_type": person.contract_type,
        "contract_end": person.contract_end,
        "phone": person.phone,
        "email": "",
        "public_fields": ",".join(person.public_fields),
        "external": account_id is None,
        "account_id": account_id,
        "created_at": now,
    }


def new_person_row(
    person: PersonInput,
    unit_id: int,
    unit_name: str,
    local: str,
    account_id: int | None,
    now: datetime,
) -> Person:
    return Person(**person_values(person, unit_id, unit_name, local, account_id, now))


async def find_unit(session: AsyncSession, reference: str) -> Unit:
    """Return the unit whose mailbox (or, for external offices, abbreviation) is `reference`."""
    reference = reference.strip().lower()
    unit = await session.scalar(select(Unit).where(Unit.mailbox == reference))
    if unit is None:
        unit = await session.scalar(
            select(Unit).where(Unit.mailbox.is_(None), Unit.abbreviation == reference)
        )
    if unit is None:
        raise UnitNotFound(f"no unit has the mailbox name {reference!r}")
    return unit


async def agency_of(session: AsyncSession, unit: Unit) -> Unit:
    """Return the agency a unit belongs to: itself, or the nearest agency above it."""
    current = unit
    seen = set()
    while current.kind not in AGENCY_KINDS:
        if current.parent_id is None or current.id in seen:
            raise UnitNotFound(f"the unit {unit.name!r} belongs to no agency")
        seen.add(current.id)
        parent = await session.get(Unit, current.parent_id)
        if parent is None:
            raise UnitNotFound(f"the unit {unit.name!r} belongs to no agency")
        current = parent
    return current


async def taken_local_parts(session: AsyncSession, domain: str) -> set[str]:
    """Return every local part ever issued, plus those of accounts made outside the directory."""
    taken = set(await session.scalars(select(IssuedAddress.local_part)))
    suffix = f"@{domain}"
    for address in await session.scalars(select(Account.address)):
        if address.endswith(suffix):
            taken.add(address[: -len(suffix)])
    return taken


async def is_issued(session: AsyncSession, local: str, domain: str) -> bool:
    """Tell whether one local part was ever issued or belongs to an account."""
    issued = await session.scalar(select(IssuedAddress.id).where(IssuedAddress.local_part == local))
    if issued is not None:
        return True
    account = await session.scalar(select(Account.id).where(Account.address == f"{local}@{domain}"))
    return account is not None


async def bump_generation(session: AsyncSession) -> None:
    """Count a directory change, so every search index rebuilds before its next query."""
    counter = await session.get(Counter, GENERATION_COUNTER)
    if counter is None:
        session.add(Counter(name=GENERATION_COUNTER, value=1))
    else:
        counter.value += 1


async def generation(session: AsyncSession) -> int:
    value = await session.scalar(select(Counter.value).where(Counter.name == GENERATION_COUNTER))
    return int(value or 0)

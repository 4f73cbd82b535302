"""Bulk import against the database: dry run, then all-or-nothing apply in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from appliance.directory.importing import (
    ImportRejected,
    Proposal,
    Snapshot,
    SourceRow,
    UnitSnapshot,
    name_key,
    plan_import,
    problems_summary,
)
from appliance.directory.queries import (
    agency_of,
    bump_generation,
    person_values,
    taken_local_parts,
)
from appliance.models import IssuedAddress, Person, Unit
from appliance.passwords import generate_password, hash_generated_password
from appliance.store.writer import Transaction

if TYPE_CHECKING:
    from appliance.directory.service import Directory

# Called with the number of rows just finished, for a progress bar.
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Created:
    """A row whose person and account were created, with the initial password."""

    number: int
    full_name: str
    address: str
    password: str


async def load_snapshot(session: AsyncSession, domain: str) -> Snapshot:
    """Read the units, the taken addresses and the people who have a live address."""
    units: dict[str, UnitSnapshot] = {}
    for unit in await session.scalars(select(Unit).where(Unit.mailbox.is_not(None))):
        try:
            agency = (await agency_of(session, unit)).mailbox or ""
        except Exception:  # an external or orphaned unit cannot take staff
            continue
        units[unit.mailbox or ""] = UnitSnapshot(unit.id, unit.name, unit.state, agency)
    existing: dict[tuple[int, str, str, str], list[str]] = {}
    rows = await session.execute(
        select(Person, IssuedAddress.local_part)
        .join(IssuedAddress, IssuedAddress.person_id == Person.id)
        .where(IssuedAddress.state == "live")
        .order_by(Person.id)
    )
    for person, local in rows:
        key = name_key(person.unit_id, person.family, person.middle, person.given)
        existing.setdefault(key, []).append(local)
    taken = frozenset(await taken_local_parts(session, domain))
    return Snapshot(units=units, taken=taken, existing=existing)


async def plan(directory: Directory, rows: list[SourceRow], unit: str | None) -> list[Proposal]:
    """Return the dry run: one proposal per row, against the directory as it is now."""
    async with directory.sessions() as session:
        snapshot = await load_snapshot(session, directory.domain)
    return plan_import(rows, unit, snapshot, directory.clock.now().date())


async def apply(
    directory: Directory,
    rows: list[SourceRow],
    unit: str | None,
    progress: Progress | None = None,
) -> list[Created]:
    """Create every new row's person and account in one transaction, or none of them.

    Raises ImportRejected, naming each row with a problem, before anything is written.
    The plan is made again inside the transaction, so a change since the dry run cannot
    let two rows take one address.
    """
    proposals = await plan(directory, rows, unit)
    summary = problems_summary(proposals)
    if summary:
        raise ImportRejected(f"nothing was created; fix these rows and run again:\n{summary}")
    hashes: dict[int, tuple[str, str]] = {}
    for proposal in proposals:
        if proposal.status == "new":
            password = generate_password()
            hashes[proposal.number] = (password, hash_generated_password(password))
            if progress is not None:
                progress(1)
    today = directory.clock.now().date()

    async def write(tx: Transaction) -> list[Created]:
        snapshot = await load_snapshot(tx.session, directory.domain)
        fresh = [p for p in plan_import(rows, unit, snapshot, today) if p.status == "new"]
        if any(proposal.number not in hashes for proposal in fresh):
            raise ImportRejected("the directory changed during the import; run it again")
        created = await _insert(tx, directory, snapshot, fresh, hashes)
        if progress is not None:
            progress(len(created))
        if created:
            await bump_generation(tx.session)
        return created

    return await directory.writer.run(write)


async def _insert(
    tx: Transaction,
    directory: Directory,
    snapshot: Snapshot,
    fresh: list[Proposal],
    hashes: dict[int, tuple[str, str]],
) -> list[Created]:
    """Insert the accounts, people and issued addresses of planned rows, table by table."""
    if not fresh:
        return []
    now = directory.clock.now()
    people = [proposal.person for proposal in fresh if proposal.person is not None]
    accounts = await directory.accounts.add_many(
        tx,
        [
            (
                f"{proposal.address}@{directory.domain}",
                hashes[proposal.number][1],
                proposal.full_name,
            )
            for proposal in fresh
        ],
        must_change_password=True,
    )
    values = []
    for proposal, person, account in zip(fresh, people, accounts, strict=True):
        unit = snapshot.units[person.unit]
        values.append(person_values(person, unit.id, unit.name, proposal.address, account.id, now))
    await tx.session.execute(insert(cast(Table, Person.__table__)), values)
    by_account: dict[int, int] = {}
    account_ids = [account.id for account in accounts]
    for start in range(0, len(account_ids), 500):
        found = await tx.session.execute(
            select(Person.account_id, Person.id).where(
                Person.account_id.in_(account_ids[start : start + 500])
            )
        )
        by_account.update({account_id: person_id for account_id, person_id in found if account_id})
    person_ids = [by_account[account_id] for account_id in account_ids]
    issued = [
        {
            "local_part": proposal.address,
            "role": "person",
            "person_id": person_id,
            "issued_at": now,
            "state": "live",
            "override_reason": "",
        }
        for proposal, person_id in zip(fresh, person_ids, strict=True)
    ]
    await tx.session.execute(insert(cast(Table, IssuedAddress.__table__)), issued)
    return [
        Created(proposal.number, proposal.full_name, proposal.address, hashes[proposal.number][0])
        for proposal in fresh
    ]

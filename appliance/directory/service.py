"""The directory service: units, people, addresses and accounts, search and exports."""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.accounts import Accounts
from appliance.clock import Clock
from appliance.directory import bulk, export, naming
from appliance.directory.contracts import mailbox_refusal
from appliance.directory.importing import Proposal, SourceRow
from appliance.directory.queries import (
    AddressTaken,
    MailboxRefused,
    UnitClosed,
    UnitNotFound,
    agency_of,
    bump_generation,
    find_unit,
    is_issued,
    live_people,
    new_person_row,
    person_info,
    taken_local_parts,
    unit_info,
)
from appliance.directory.records import NewAccount, PersonInfo, PersonInput, UnitInfo
from appliance.directory.search import SearchIndex, SearchResult, search_key
from appliance.directory.search_cache import SearchCache
from appliance.directory.units_file import UNITS_FILE, read_units_file
from appliance.models import IssuedAddress, Person, Unit, UnitResponsible
from appliance.passwords import generate_password, hash_generated_password
from appliance.store.writer import Transaction, Writer

log = logging.getLogger("appliance.directory")

UNIT_KINDS = (*naming.AGENCY_KINDS, *naming.SUBUNIT_KINDS, "external")


class Directory:
    """The city directory on the core's database: every write goes through the writer."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writer: Writer,
        clock: Clock,
        accounts: Accounts,
        domain: str,
    ) -> None:
        self.sessions = sessions
        self.writer = writer
        self.clock = clock
        self.accounts = accounts
        self.domain = domain
        self._search = SearchCache()

    # Units

    async def load_units(self, path: Path = UNITS_FILE) -> int:
        """Create the units of the city's units file that do not exist yet; return how many.

        Idempotent, so `appliance init` can call it on every run.
        """
        rows = read_units_file(path)

        async def write(tx: Transaction) -> int:
            created = 0
            for row in rows:
                exists = await tx.session.scalar(select(Unit.id).where(Unit.mailbox == row.mailbox))
                if exists is None:
                    await self._insert_unit(tx, row.kind, row.name, row.mailbox, row.confirmed)
                    created += 1
            if created:
                await bump_generation(tx.session)
            return created

        created = await self.writer.run(write)
        log.info(
            "units file loaded: %d units created, %d already present", created, len(rows) - created
        )
        return created

    async def add_unit(
        self,
        kind: str,
        name: str,
        *,
        abbreviation: str | None = None,
        parent: str | None = None,
        publish: bool = False,
    ) -> UnitInfo:
        """Create a unit: an agency, a sub-unit under `parent`, or an external office.

        An agency's mailbox follows the naming rules; a sub-unit's is
        `<abbreviation>.<agency>`. External offices get no mailbox here, and their
        abbreviation is the key that people are filed under.
        """
        if kind not in UNIT_KINDS:
            raise ValueError(f"unknown unit kind {kind!r}; use one of {', '.join(UNIT_KINDS)}")

        async def write(tx: Transaction) -> UnitInfo:
            parent_unit = None if parent is None else await find_unit(tx.session, parent)
            if kind in naming.AGENCY_KINDS:
                mailbox: str | None = naming.agency_mailbox(kind, name, abbreviation)
            elif kind in naming.SUBUNIT_KINDS:
                if parent_unit is None or not abbreviation:
                    raise naming.InvalidName(f"a {kind} needs a parent unit and an abbreviation")
                agency = await agency_of(tx.session, parent_unit)
                mailbox = naming.subunit_address(abbreviation, agency.mailbox or "")
            else:
                mailbox = None
            unit = await self._insert_unit(
                tx, kind, name, mailbox, "", abbreviation=abbreviation or "", parent=parent_unit
            )
            unit.publish = publish
            await bump_generation(tx.session)
            return unit_info(unit)

        return await self.writer.run(write)

    async def _insert_unit(
        self,
        tx: Transaction,
        kind: str,
        name: str,
        mailbox: str | None,
        confirmed: str,
        *,
        abbreviation: str = "",
        parent: Unit | None = None,
    ) -> Unit:
        if parent is not None and parent.state != "open":
            raise UnitClosed(f"the unit {parent.name!r} is closed")
        now = self.clock.now()
        unit = Unit(
            kind=kind,
            name=name,
            mailbox=mailbox,
            abbreviation=abbreviation or (mailbox or "").split(".", 1)[0],
            parent_id=None if parent is None else parent.id,
            state="open",
            publish=False,
            mailbox_confirmed=confirmed,
            search_text=search_key(name),
            created_at=now,
        )
        tx.session.add(unit)
        await tx.session.flush()
        if mailbox is None:
            return unit
        if await is_issued(tx.session, mailbox, self.domain):
            raise AddressTaken(f"the address {mailbox}@{self.domain} is already issued")
        role = (
            "special"
            if kind == "special"
            else "agency"
            if kind in naming.AGENCY_KINDS
            else "subunit"
        )
        tx.session.add(
            IssuedAddress(
                local_part=mailbox, role=role, unit_id=unit.id, issued_at=now, state="live"
            )
        )
        account_kind = "service" if kind == "special" else "agency"
        await self.accounts.add(
            tx, f"{mailbox}@{self.domain}", "", display_name=name, kind=account_kind
        )
        return unit

    async def rename_unit(self, mailbox: str, name: str) -> UnitInfo:
        """Change a unit's display name; its mailbox name stays as issued."""

        async def write(tx: Transaction) -> UnitInfo:
            unit = await find_unit(tx.session, mailbox)
            unit.name = name
            unit.search_text = search_key(name)
            await bump_generation(tx.session)
            return unit_info(unit)

        return await self.writer.run(write)

    async def close_unit(self, mailbox: str) -> UnitInfo:
        """Mark a unit closed: no new people or sub-units. Its addresses stay issued."""

        async def write(tx: Transaction) -> UnitInfo:
            unit = await find_unit(tx.session, mailbox)
            unit.state = "closed"
            unit.closed_at = self.clock.now()
            await bump_generation(tx.session)
            return unit_info(unit)

        return await self.writer.run(write)

    async def set_publish(self, mailbox: str, publish: bool) -> UnitInfo:
        """Choose whether a unit's directory is published (public page and exports)."""

        async def write(tx: Transaction) -> UnitInfo:
            unit = await find_unit(tx.session, mailbox)
            unit.publish = publish
            return unit_info(unit)

        return await self.writer.run(write)

    async def units(self) -> list[UnitInfo]:
        async with self.sessions() as session:
            rows = await session.scalars(select(Unit).order_by(Unit.kind, Unit.mailbox, Unit.id))
            return [unit_info(row) for row in rows]

    async def unit(self, reference: str) -> UnitInfo:
        async with self.sessions() as session:
            return unit_info(await find_unit(session, reference))

    # People

    async def add_person(
        self,
        person: PersonInput,
        *,
        address: str | None = None,
        override_by: str | None = None,
        override_reason: str = "",
    ) -> NewAccount:
        """Add a person with a personal mailbox; return the address and initial password.

        The address follows the naming rules, numbered on collision. A centre admin may
        give `address` instead (its local part); it must be `<name>.<agency>` and free,
        and `override_by` records who chose it.
        """
        return await self.writer.run(
            lambda tx: self.add_person_in(
                tx,
                person,
                address=address,
                override_by=override_by,
                override_reason=override_reason,
            )
        )

    async def add_person_in(
        self,
        tx: Transaction,
        person: PersonInput,
        *,
        address: str | None = None,
        override_by: str | None = None,
        override_reason: str = "",
    ) -> NewAccount:
        """Do what `add_person` does, inside the caller's transaction."""
        if address is not None and not override_by:
            raise ValueError("an explicit address needs override_by, the admin who chose it")
        refusal = mailbox_refusal(
            person.contract_type, person.contract_end, self.clock.now().date()
        )
        if refusal is not None:
            raise MailboxRefused(f"{person.full_name}: no personal mailbox: {refusal}")
        password = generate_password()
        password_hash = hash_generated_password(password)
        taken = await taken_local_parts(tx.session, self.domain)
        unit = await find_unit(tx.session, person.unit)
        agency = (await agency_of(tx.session, unit)).mailbox or ""
        if address is None:
            candidate = naming.person_local_part(person.family, person.middle, person.given, agency)
            local = naming.next_free(candidate, taken)
        else:
            local = self._check_override(address, agency, taken)
        new = await self.insert_person(
            tx, person, local, password, password_hash, override_by, override_reason
        )
        await bump_generation(tx.session)
        return new

    async def insert_person(
        self,
        tx: Transaction,
        person: PersonInput,
        local: str,
        password: str,
        password_hash: str,
        override_by: str | None = None,
        override_reason: str = "",
    ) -> NewAccount:
        """Insert a person, the issued address `local` and the account with `password_hash`."""
        unit = await find_unit(tx.session, person.unit)
        if unit.state != "open":
            raise UnitClosed(f"the unit {unit.name!r} is closed")
        now = self.clock.now()
        account = await self.accounts.add(
            tx,
            f"{local}@{self.domain}",
            password_hash,
            display_name=person.full_name,
            kind="personal",
            must_change_password=True,
        )
        row = new_person_row(person, unit.id, unit.name, local, account.id, now)
        tx.session.add(row)
        await tx.session.flush()
        tx.session.add(
            IssuedAddress(
                local_part=local,
                role="person",
                person_id=row.id,
                issued_at=now,
                state="live",
                override_by=override_by,
                override_reason=override_reason,
            )
        )
        info = person_info(row, unit.name, f"{local}@{self.domain}")
        return NewAccount(person=info, address=info.address, password=password)

    def _check_override(self, address: str, agency_mailbox: str, taken: set[str]) -> str:
        local = naming.check_local_part(address.split("@", 1)[0])
        first, _, rest = local.partition(".")
        if rest != agency_mailbox or "." in first:
            raise naming.InvalidName(
                f"invalid address {address!r}: a person's address is <name>.{agency_mailbox}"
            )
        if naming.is_taken(local, taken):
            raise AddressTaken(f"the address {local}@{self.domain} is already issued or reserved")
        return local

    async def add_contact(self, person: PersonInput, email: str = "") -> PersonInfo:
        """List an external contact (no mailbox here) under an external or city unit."""

        async def write(tx: Transaction) -> PersonInfo:
            unit = await find_unit(tx.session, person.unit)
            row = new_person_row(person, unit.id, unit.name, "", None, self.clock.now())
            row.email = email.strip()
            tx.session.add(row)
            await tx.session.flush()
            await bump_generation(tx.session)
            return person_info(row, unit.name, row.email)

        return await self.writer.run(write)

    async def add_responsible(self, unit: str, person_id: int) -> None:
        """Name a person responsible for a unit's own mailbox."""
        await self.writer.run(lambda tx: self.add_responsible_in(tx, unit, person_id))

    async def add_responsible_in(
        self, tx: Transaction, unit: str, person_id: int, since: date | None = None
    ) -> None:
        """Name a person responsible inside the caller's transaction, again if their term ended."""
        found = await find_unit(tx.session, unit)
        if await tx.session.get(Person, person_id) is None:
            raise UnitNotFound(f"no person has the id {person_id}")
        row = await tx.session.get(UnitResponsible, (found.id, person_id))
        if row is None:
            tx.session.add(UnitResponsible(unit_id=found.id, person_id=person_id, since=since))
        elif row.until is not None:
            row.since, row.until = since, None

    async def responsibles(self, unit: str) -> list[PersonInfo]:
        async with self.sessions() as session:
            found = await find_unit(session, unit)
            ids = set(
                await session.scalars(
                    select(UnitResponsible.person_id).where(
                        UnitResponsible.unit_id == found.id, UnitResponsible.until.is_(None)
                    )
                )
            )
        return [person for person in await self.people() if person.id in ids]

    async def people(
        self, unit: str | None = None, *, ids: Collection[int] | None = None
    ) -> list[PersonInfo]:
        """Return people, of one unit or all, leaders first, then by rank and name.

        `ids` keeps only the people with these ids, such as the hits of a search.
        """
        async with self.sessions() as session:
            query = live_people(Person, Unit.name, IssuedAddress.local_part)
            if unit is not None:
                query = query.where(Person.unit_id == (await find_unit(session, unit)).id)
            if ids is not None:
                query = query.where(Person.id.in_(list(ids)))
            rows = (await session.execute(query)).all()
        return [
            person_info(person, unit_name, f"{local}@{self.domain}" if local else person.email)
            for person, unit_name, local in rows
        ]

    # Search and exports

    async def search(self, query: str, limit: int = 20) -> list[SearchResult]:
        """Find people by name, unit or address, accents optional; best first."""
        index = await self._current_index()
        return index.search(query, limit)

    async def _current_index(self) -> SearchIndex:
        async with self.sessions() as session:
            return await self._search.current(session)

    async def export(self, unit: str, form: str) -> str:
        """Return a published unit's directory as "json", "csv" or "vcard" text."""
        found = await self.unit(unit)
        people = await self.people(unit)
        return export.render(found, people, form, self.domain)

    # Bulk import

    async def plan_import(self, rows: list[SourceRow], unit: str | None) -> list[Proposal]:
        """Dry-run a staff list: the proposed address and the problems of every row."""
        return await bulk.plan(self, rows, unit)

    async def apply_import(
        self, rows: list[SourceRow], unit: str | None, progress: bulk.Progress | None = None
    ) -> list[bulk.Created]:
        """Create every new person of a staff list, all or nothing."""
        return await bulk.apply(self, rows, unit, progress)

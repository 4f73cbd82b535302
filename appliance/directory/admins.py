"""Unit IT admin mailboxes: `admin.<agency mailbox>@`, one per agency, commune or ward."""

from __future__ import annotations

from appliance.directory import naming
from appliance.directory.queries import AddressTaken, agency_of, find_unit, is_issued
from appliance.directory.service import Directory
from appliance.models import IssuedAddress
from appliance.passwords import generate_password, hash_generated_password
from appliance.store.writer import Transaction


async def add_unit_admin(directory: Directory, unit: str) -> tuple[str, str]:
    """Create the IT admin account of the agency that `unit` belongs to.

    Returns (address, initial password); the password is shown only now and must be
    changed at first login. The address is issued like any other and never reissued.
    """
    password = generate_password()
    password_hash = hash_generated_password(password)

    async def write(tx: Transaction) -> str:
        agency = await agency_of(tx.session, await find_unit(tx.session, unit))
        local = naming.admin_address(agency.mailbox or "")
        if await is_issued(tx.session, local, directory.domain):
            raise AddressTaken(f"{local}@{directory.domain} was already issued")
        account = await directory.accounts.add(
            tx,
            f"{local}@{directory.domain}",
            password_hash,
            display_name=f"Quản trị CNTT {agency.name}",
            kind="unit_admin",
            must_change_password=True,
        )
        tx.session.add(
            IssuedAddress(
                local_part=local,
                role="unit_admin",
                unit_id=agency.id,
                issued_at=directory.clock.now(),
                state="live",
            )
        )
        return account.address

    return await directory.writer.run(write), password

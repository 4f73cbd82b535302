"""The small demo directory loaded by `appliance init --demo`, and the first centre admin.

Demo people are added through the directory, so their addresses follow the naming rules.
Their passwords are generated, printed once, and need no change at first login, so the
demo can be tried at once; real accounts made by imports and events must be changed.
"""

from __future__ import annotations

from appliance.accounts import AccountExists
from appliance.core import Core
from appliance.directory import naming
from appliance.directory.admins import add_unit_admin
from appliance.directory.records import PersonInput
from appliance.passwords import generate_password

CENTRE_ADMIN = "quantri"  # the operations centre's first administrator, made at init

# (family, middle, given, unit mailbox, position)
DEMO_PEOPLE: tuple[tuple[str, str, str, str, str], ...] = (
    ("Nguyễn", "Văn", "An", "skhcn", "Chuyên viên"),
    ("Tôn Nữ", "Thị", "Hà", "skhcn", "Trưởng phòng"),
    ("Lê", "Thị", "Hoa", "vyda", "Công chức văn phòng"),
)
# Unit mailboxes made by the units file, given a password for the demo.
DEMO_UNIT_MAILBOXES = ("skhcn", "vyda", "tiepnhan")


async def create_centre_admin(core: Core) -> tuple[str, str] | None:
    """Create the first centre admin if missing; return (address, password) once."""
    address = f"{CENTRE_ADMIN}@{core.settings.domain}"
    password = generate_password(16)
    try:
        await core.accounts.create(
            address,
            password,
            display_name="Trung tâm điều hành thư công vụ",
            kind="centre_admin",
            must_change_password=True,
        )
    except AccountExists:
        return None
    return address, password


async def load_demo(core: Core) -> list[tuple[str, str]]:
    """Create the demo people, a unit IT admin and unit mailbox passwords, once."""
    domain = core.settings.domain
    created = []
    for family, middle, given, unit, position in DEMO_PEOPLE:
        local = naming.person_local_part(family, middle, given, unit)
        if await core.accounts.find(f"{local}@{domain}") is not None:
            continue
        person = PersonInput(family, middle, given, unit, position=position)
        new = await core.directory.add_person(person)
        created.append(await _demo_password(core, new.address))
    admin = f"{naming.admin_address('skhcn')}@{domain}"
    if await core.accounts.find(admin) is None:
        address, _initial = await add_unit_admin(core.directory, "skhcn")
        created.append(await _demo_password(core, address, length=16))
    for mailbox in DEMO_UNIT_MAILBOXES:
        account = await core.accounts.find(f"{mailbox}@{domain}")
        if account is not None and not await core.accounts.has_password(account.address):
            created.append(await _demo_password(core, account.address))
    return created


async def _demo_password(core: Core, address: str, length: int = 14) -> tuple[str, str]:
    password = generate_password(length)
    await core.accounts.set_password(address, password, must_change=False)
    return address, password

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from appliance.core import Core
from appliance.directory.queries import AddressTaken, generation
from appliance.errors import UnknownRecipient
from appliance.jobs import register_jobs
from appliance.locks import add_months
from appliance.models import Account, IssuedAddress, Unit
from tests.lifecycle.conftest import START
from tests.lifecycle.helpers import (
    BY,
    MESSAGE,
    account_row,
    count_rows,
    hire,
    inbox_count,
    issued_state,
)

PASSWORD = "Mật-khẩu-2026!"
NEW_NAME = "Sở Khoa học, Công nghệ và Đổi mới sáng tạo"


async def test_rename_renames_every_address(city: Core) -> None:
    hired = await hire(city, "Nguyễn", "Văn", "An", "vp.skhcn")
    admin = await city.accounts.create("admin.skhcn@hue.gov.vn", PASSWORD, kind="unit_admin")
    before = await city.accounts.get(hired.address)
    await city.store.append(before.id, "INBOX", MESSAGE)
    renamed = await city.lifecycle.rename_unit("skhcn", NEW_NAME, "skhcndm", by=BY)
    assert renamed.renamed == (
        ("skhcn@hue.gov.vn", "skhcndm@hue.gov.vn"),
        ("vp.skhcn@hue.gov.vn", "vp.skhcndm@hue.gov.vn"),
        ("admin.skhcn@hue.gov.vn", "admin.skhcndm@hue.gov.vn"),
        ("nvan.skhcn@hue.gov.vn", "nvan.skhcndm@hue.gov.vn"),
    )
    assert renamed.forward_until == add_months(START, 2)
    after = await city.accounts.get("nvan.skhcndm@hue.gov.vn")
    assert after.id == before.id
    assert await inbox_count(city, after.id) == 1
    assert (await city.accounts.get("admin.skhcndm@hue.gov.vn")).id == admin.id
    old = await account_row(city, hired.address)
    assert (old.kind, old.state, old.password_hash) == ("service", "forwarding", "")
    assert await city.store.list_folders(old.id) == []
    assert await issued_state(city, "nvan.skhcn") == "forwarding"
    assert await issued_state(city, "nvan.skhcndm") == "live"
    unit = await city.directory.unit("skhcndm")
    assert (unit.name, unit.abbreviation) == (NEW_NAME, "skhcndm")
    [found] = await city.directory.search("nvan.skhcndm")
    assert found.address == "nvan.skhcndm"
    login = await city.auth.login(
        "nvan.skhcndm@hue.gov.vn", hired.password, service="webmail", client="t"
    )
    assert login.id == before.id


async def test_rename_forwards_exactly_two_months(city: Core) -> None:
    hired = await hire(city, "Nguyễn", "Văn", "An", "skhcn")
    await city.lifecycle.rename_unit("skhcn", NEW_NAME, "skhcndm", by=BY)
    account = await city.accounts.get("nvan.skhcndm@hue.gov.vn")
    city.clock.stop_at(START.replace(month=5) - timedelta(minutes=1))
    await city.delivery.check_recipient(hired.address, may_relay=False)
    await city.delivery.deliver(MESSAGE, "a@example.org", [hired.address])
    assert await inbox_count(city, account.id) == 1
    city.clock.stop_at(START.replace(month=5))
    with pytest.raises(UnknownRecipient) as bounced:
        await city.delivery.check_recipient(hired.address, may_relay=False)
    assert bounced.value.smtp_reply == (550, "5.1.1 No such user here")
    register_jobs(city)
    await city.scheduler.run_due()
    assert (await account_row(city, hired.address)).state == "revoked"
    assert await issued_state(city, "nvan.skhcn") == "retired"
    await city.delivery.deliver(MESSAGE, "a@example.org", ["nvan.skhcndm@hue.gov.vn"])
    assert await inbox_count(city, account.id) == 2


async def test_rename_commune_derives_mailbox(city: Core) -> None:
    await city.directory.add_unit("commune", "Xã Vinh Hiền")
    hired = await hire(city, "Trần", "", "Bình", "vinhhien")
    renamed = await city.lifecycle.rename_unit("vinhhien", "Xã Phú Vinh", by=BY)
    assert renamed.new_mailbox == "phuvinh"
    assert dict(renamed.renamed)[hired.address] == "tbinh.phuvinh@hue.gov.vn"


async def test_rename_renumbers_taken_person_address(city: Core) -> None:
    await city.accounts.create("nvan.skhcndm@hue.gov.vn", PASSWORD)
    hired = await hire(city, "Nguyễn", "Văn", "An", "skhcn")
    renamed = await city.lifecycle.rename_unit("skhcn", NEW_NAME, "skhcndm", by=BY)
    assert dict(renamed.renamed)[hired.address] == "nvan2.skhcndm@hue.gov.vn"


async def test_rename_with_taken_address_changes_nothing(city: Core) -> None:
    hired = await hire(city, "Nguyễn", "Văn", "An", "skhcn")
    await city.accounts.create("vp.skhcndm@hue.gov.vn", PASSWORD)
    accounts_before = await count_rows(city, Account)
    issued_before = await count_rows(city, IssuedAddress)
    async with city.sessions() as session:
        generation_before = await generation(session)
    with pytest.raises(AddressTaken):
        await city.lifecycle.rename_unit("skhcn", NEW_NAME, "skhcndm", by=BY)
    assert await count_rows(city, Account) == accounts_before
    assert await count_rows(city, IssuedAddress) == issued_before
    async with city.sessions() as session:
        assert await generation(session) == generation_before
        names = set(await session.scalars(select(Unit.name)))
    assert NEW_NAME not in names
    assert (await account_row(city, hired.address)).state == "active"
    assert (await account_row(city, "skhcn@hue.gov.vn")).state == "active"
    assert await issued_state(city, "nvan.skhcn") == "live"


async def test_rename_subunit_keeps_people(city: Core) -> None:
    hired = await hire(city, "Nguyễn", "Văn", "An", "vp.skhcn")
    renamed = await city.lifecycle.rename_unit("vp.skhcn", "Văn phòng Sở", "vps", by=BY)
    assert renamed.renamed == (("vp.skhcn@hue.gov.vn", "vps.skhcn@hue.gov.vn"),)
    assert (await account_row(city, hired.address)).state == "active"

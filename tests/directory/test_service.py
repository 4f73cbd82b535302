"""The directory service on a real database: units, people, collisions, overrides."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from appliance.core import Core
from appliance.directory.naming import InvalidName
from appliance.directory.queries import AddressTaken, MailboxRefused, UnitClosed
from appliance.directory.records import PersonInput
from appliance.directory.units_file import UNITS_FILE
from appliance.models import Account, IssuedAddress, Unit


def person(
    family: str, middle: str, given: str, unit: str = "skhcn", **extra: object
) -> PersonInput:
    return PersonInput(family=family, middle=middle, given=given, unit=unit, **extra)  # type: ignore[arg-type]


async def test_units_loaded_with_mailboxes(core: Core) -> None:
    with UNITS_FILE.open(encoding="utf-8") as file:
        expected = {row["mailbox"]: row["name"] for row in csv.DictReader(file)}

    units = await core.directory.units()

    assert {unit.mailbox: unit.name for unit in units} == expected
    assert len(units) == 57


async def test_units_have_accounts(core: Core) -> None:
    async with core.sessions() as session:
        accounts = {row.address: row.kind for row in await session.scalars(select(Account))}

    assert accounts["skhcn@hue.gov.vn"] == "agency"
    assert accounts["cmlc@hue.gov.vn"] == "agency"
    assert accounts["tiepnhan@hue.gov.vn"] == "service"
    assert len(accounts) == 57


async def test_load_units_idempotent(core: Core) -> None:
    assert await core.directory.load_units() == 0
    assert len(await core.directory.units()) == 57


async def test_add_person_issues_address(core: Core) -> None:
    new = await core.directory.add_person(person("Nguyễn", "Văn", "An", position="Chuyên viên"))

    assert new.address == "nvan.skhcn@hue.gov.vn"
    assert new.person.full_name == "Nguyễn Văn An"
    assert new.person.position == "Chuyên viên"
    assert len(new.password) == 16


async def test_initial_password_logs_in(core: Core) -> None:
    new = await core.directory.add_person(person("Tôn Nữ", "Thị", "Hà"))

    account = await core.auth.login(new.address, new.password, service="web", client="127.0.0.1")
    status = await core.auth.status(account.id)

    assert account.address == "tntha.skhcn@hue.gov.vn"
    assert account.display_name == "Tôn Nữ Thị Hà"
    assert status.must_change_password is True


async def test_collision_numbers(core: Core) -> None:
    first = await core.directory.add_person(person("Nguyễn", "Văn", "An"))
    second = await core.directory.add_person(person("Nguyễn", "Văn", "An"))
    third = await core.directory.add_person(person("Ngô", "Việt", "An"))

    assert first.address == "nvan.skhcn@hue.gov.vn"
    assert second.address == "nvan2.skhcn@hue.gov.vn"
    assert third.address == "nvan3.skhcn@hue.gov.vn"


async def test_sub_unit_staff_named_under_agency(core: Core) -> None:
    division = await core.directory.add_unit(
        "division", "Văn phòng Sở", abbreviation="vp", parent="skhcn"
    )
    service_unit = await core.directory.add_unit(
        "service_unit", "Trung tâm Kiểm soát bệnh tật", abbreviation="cdc", parent="syt"
    )
    in_division = await core.directory.add_person(person("Lê", "Văn", "Bình", unit="vp.skhcn"))
    in_service = await core.directory.add_person(person("Lê", "Văn", "Bình", unit="cdc.syt"))

    assert division.mailbox == "vp.skhcn"
    assert service_unit.mailbox == "cdc.syt"
    assert in_division.address == "lvbinh.skhcn@hue.gov.vn"
    assert in_service.address == "lvbinh.syt@hue.gov.vn"


async def test_retired_and_forwarding_not_reissued(core: Core) -> None:
    async def issue(local: str, state: str) -> None:
        async def write(tx: object) -> None:
            tx.session.add(  # type: ignore[attr-defined]
                IssuedAddress(
                    local_part=local, role="person", issued_at=core.clock.now(), state=state
                )
            )

        await core.writer.run(write)

    await issue("ttha.skhcn", "retired")
    await issue("ttha2.skhcn", "forwarding")

    new = await core.directory.add_person(person("Trần", "Thị", "Hà"))

    assert new.address == "ttha3.skhcn@hue.gov.vn"


async def test_account_outside_directory_taken(core: Core) -> None:
    await core.accounts.create("lthoa.vyda@hue.gov.vn", "Mật-khẩu-2026!")

    new = await core.directory.add_person(person("Lê", "Thị", "Hoa", unit="vyda"))

    assert new.address == "lthoa2.vyda@hue.gov.vn"


async def test_reserved_word_skipped(core: Core) -> None:
    new = await core.directory.add_person(person("Âu Dương", "", "Min"))

    assert new.address == "admin2.skhcn@hue.gov.vn"


async def test_sub_unit_name_collides(core: Core) -> None:
    await core.directory.add_person(person("Lê", "Thị", "Hoa", unit="vyda"))

    with pytest.raises(AddressTaken, match=r"lthoa\.vyda"):
        await core.directory.add_unit(
            "division", "Tổ Hòa giải", abbreviation="lthoa", parent="vyda"
        )


async def test_override_recorded(core: Core) -> None:
    new = await core.directory.add_person(
        person("Nguyễn", "Văn", "An"),
        address="an.skhcn",
        override_by="centre@hue.gov.vn",
        override_reason="the person asked for a short address",
    )
    async with core.sessions() as session:
        issued = await session.scalar(
            select(IssuedAddress).where(IssuedAddress.local_part == "an.skhcn")
        )

    assert new.address == "an.skhcn@hue.gov.vn"
    assert issued is not None
    assert issued.override_by == "centre@hue.gov.vn"
    assert issued.override_reason == "the person asked for a short address"


async def test_override_checks_form_and_uniqueness(core: Core) -> None:
    await core.directory.add_person(person("Nguyễn", "Văn", "An"))
    admin = "centre@hue.gov.vn"

    with pytest.raises(AddressTaken):
        await core.directory.add_person(
            person("Nguyễn", "Văn", "An"), address="nvan.skhcn", override_by=admin
        )
    with pytest.raises(AddressTaken):
        await core.directory.add_person(
            person("Nguyễn", "Văn", "An"), address="admin.skhcn", override_by=admin
        )
    with pytest.raises(InvalidName, match=r"<name>\.skhcn"):
        await core.directory.add_person(
            person("Nguyễn", "Văn", "An"), address="an.snv", override_by=admin
        )
    with pytest.raises(InvalidName):
        await core.directory.add_person(
            person("Nguyễn", "Văn", "An"), address="an_b.skhcn", override_by=admin
        )
    with pytest.raises(ValueError, match="override_by"):
        await core.directory.add_person(person("Nguyễn", "Văn", "An"), address="an.skhcn")


@pytest.mark.parametrize(
    ("contract_type", "months", "refused"),
    [
        ("permanent", None, None),
        ("indefinite", None, None),
        ("fixed_term", 13, None),
        ("fixed_term", 11, "less than 12 months"),
        ("fixed_term", None, "without an end date"),
        ("seasonal", None, "seasonal contracts get no personal mailbox"),
        ("probation", None, "probation contracts get no personal mailbox"),
    ],
)
async def test_contract_rule(
    core: Core, contract_type: str, months: int | None, refused: str | None
) -> None:
    today = core.clock.now().date()
    end = None if months is None else today + timedelta(days=months * 31)
    entry = person("Hồ", "Văn", "Nam", contract_type=contract_type, contract_end=end)

    if refused is None:
        new = await core.directory.add_person(entry)
        assert new.address == "hvnam.skhcn@hue.gov.vn"
    else:
        with pytest.raises(MailboxRefused, match=refused):
            await core.directory.add_person(entry)


async def test_closed_unit_refuses_people(core: Core) -> None:
    closed = await core.directory.close_unit("aluoi5")

    assert closed.state == "closed"
    with pytest.raises(UnitClosed):
        await core.directory.add_person(person("Kăn", "", "Sáu", unit="aluoi5"))


async def test_rename_keeps_mailbox(core: Core) -> None:
    renamed = await core.directory.rename_unit("sngv", "Sở Ngoại vụ thành phố Huế")

    assert renamed.name == "Sở Ngoại vụ thành phố Huế"
    assert renamed.mailbox == "sngv"


async def test_external_contact_without_mailbox(core: Core) -> None:
    office = await core.directory.add_unit(
        "external", "Kho bạc Nhà nước khu vực XII", abbreviation="kbnn"
    )
    contact = await core.directory.add_contact(
        person("Phan", "Thanh", "Tùng", unit="kbnn", position="Giám đốc"), email="tung@kbnn.vn"
    )
    async with core.sessions() as session:
        accounts = set(await session.scalars(select(Account.address)))

    assert office.mailbox is None
    assert contact.external is True
    assert contact.address == "tung@kbnn.vn"
    assert not any(address.startswith("ptt") for address in accounts)
    assert len(accounts) == 57


async def test_responsible_persons(core: Core) -> None:
    head = await core.directory.add_person(
        person("Hoàng", "Văn", "Minh", position="Chánh Văn phòng")
    )
    await core.directory.add_responsible("skhcn", head.person.id)
    await core.directory.add_responsible("skhcn", head.person.id)

    responsibles = await core.directory.responsibles("skhcn")

    assert [p.address for p in responsibles] == ["hvminh.skhcn@hue.gov.vn"]


async def test_people_leaders_first(core: Core) -> None:
    await core.directory.add_person(person("Lê", "Văn", "An", unit="vyda"))
    await core.directory.add_person(
        person("Trần", "Thị", "Bé", unit="vyda", is_leader=True, rank=2)
    )
    await core.directory.add_person(person("Võ", "Đại", "Chủ", unit="vyda", is_leader=True, rank=1))

    listed = await core.directory.people("vyda")

    assert [p.full_name for p in listed] == ["Võ Đại Chủ", "Trần Thị Bé", "Lê Văn An"]


async def test_people_by_ids(core: Core) -> None:
    first = await core.directory.add_person(person("Lê", "Văn", "An", unit="vyda"))
    await core.directory.add_person(person("Trần", "Thị", "Bé", unit="vyda"))
    third = await core.directory.add_person(
        person("Võ", "Đại", "Chủ", unit="skhcn", is_leader=True, rank=1)
    )

    listed = await core.directory.people(ids={first.person.id, third.person.id})
    in_unit = await core.directory.people("vyda", ids=[third.person.id])

    assert [p.full_name for p in listed] == ["Võ Đại Chủ", "Lê Văn An"]
    assert in_unit == []
    assert await core.directory.people(ids=[]) == []


async def test_unit_state_stored(core: Core) -> None:
    async with core.sessions() as session:
        unit = await session.scalar(select(Unit).where(Unit.mailbox == "cmlc"))

    assert unit is not None
    assert unit.kind == "commune"
    assert unit.mailbox_confirmed == "assumed"
    assert unit.state == "open"


def test_units_file_copied_unchanged() -> None:
    shared = Path(__file__).resolve().parents[3] / "shared" / "data" / "hue-units.csv"
    if not shared.exists():
        pytest.skip("the shared data folder is not beside this checkout")

    assert UNITS_FILE.read_bytes() == shared.read_bytes()


async def test_today_in_contract_rule(core: Core) -> None:
    core.clock.advance(timedelta(days=400))
    end = date.today() + timedelta(days=380)
    entry = person("Hồ", "Văn", "Nam", contract_type="fixed_term", contract_end=end)

    with pytest.raises(MailboxRefused, match="less than 12 months"):
        await core.directory.add_person(entry)

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from appliance.core import Core
from appliance.errors import AuthenticationFailed
from appliance.lifecycle.records import LifecycleError
from appliance.models import Handover, UnitResponsible
from tests.lifecycle.helpers import BY, audit_entries, hire


async def test_handover_resets_password_and_records_names(city: Core) -> None:
    first = await hire(city, "Nguyễn", "Văn", "An", "skhcn")
    second = await hire(city, "Lê", "Thị", "Hoa", "vp.skhcn")
    initial = await city.lifecycle.handover("skhcn", first.person_id, date(2026, 1, 5), by=BY)
    assert initial.from_name == ""
    await city.auth.login("skhcn@hue.gov.vn", initial.password, service="webmail", client="t")

    handed = await city.lifecycle.handover("skhcn", second.person_id, date(2026, 3, 10), by=BY)
    assert (handed.from_name, handed.to_name) == ("Nguyễn Văn An", "Lê Thị Hoa")
    assert handed.password != initial.password
    with pytest.raises(AuthenticationFailed):
        await city.auth.login("skhcn@hue.gov.vn", initial.password, service="webmail", client="t")
    account = await city.auth.login(
        "skhcn@hue.gov.vn", handed.password, service="webmail", client="t"
    )
    status = await city.auth.status(account.id)
    assert status.must_change_password is True
    assert [p.full_name for p in await city.directory.responsibles("skhcn")] == ["Lê Thị Hoa"]
    async with city.sessions() as session:
        record = await session.scalar(select(Handover).order_by(Handover.id.desc()))
        ended = await session.get(UnitResponsible, (record.unit_id, first.person_id))
    assert record is not None
    assert (record.from_name, record.to_name, record.handed_over_on) == (
        "Nguyễn Văn An",
        "Lê Thị Hoa",
        date(2026, 3, 10),
    )
    assert (record.from_person_id, record.to_person_id) == (first.person_id, second.person_id)
    assert record.recorded_by == BY
    assert ended is not None
    assert ended.until == date(2026, 3, 10)
    resets = await audit_entries(city, "password_reset")
    assert [entry.account for entry in resets] == ["skhcn@hue.gov.vn", "skhcn@hue.gov.vn"]
    assert all(handed.password not in entry.detail for entry in resets)


async def test_handover_to_current_holder_is_refused(city: Core) -> None:
    first = await hire(city, "Nguyễn", "Văn", "An", "skhcn")
    await city.lifecycle.handover("skhcn", first.person_id, by=BY)
    with pytest.raises(LifecycleError) as refused:
        await city.lifecycle.handover("skhcn", first.person_id, by=BY)
    assert refused.value.message == "Nguyễn Văn An is already responsible for skhcn@hue.gov.vn"
    async with city.sessions() as session:
        assert len(list(await session.scalars(select(Handover)))) == 1

from __future__ import annotations

from datetime import date, timedelta

import pytest

from appliance.core import Core
from appliance.directory.queries import MailboxRefused, UnitNotFound
from appliance.directory.records import PersonInput
from appliance.errors import AuthenticationFailed, UnknownRecipient
from appliance.jobs import register_jobs
from appliance.lifecycle.records import LifecycleError
from appliance.models import Account, MailboxMove
from tests.lifecycle.conftest import START
from tests.lifecycle.helpers import (
    BY,
    MESSAGE,
    account_row,
    audit_entries,
    count_rows,
    hire,
    inbox_count,
    issued_state,
)


async def test_hire_creates_named_mailbox(city: Core) -> None:
    first = await hire(city, "Nguyễn", "Văn", "An", "skhcn")
    second = await hire(city, "Nông", "Viết", "An", "vp.skhcn")
    assert first.address == "nvan.skhcn@hue.gov.vn"
    assert second.address == "nvan2.skhcn@hue.gov.vn"
    assert len(first.password) == 16
    row = await account_row(city, first.address)
    assert (row.kind, row.state, row.must_change_password) == ("personal", "active", True)
    [entry, _] = await audit_entries(city, "lifecycle_hire")
    assert entry.outcome == "ok"
    assert entry.detail == f"created nvan.skhcn@hue.gov.vn; by {BY}"
    assert first.password not in entry.detail


async def test_hire_refuses_short_contract(city: Core) -> None:
    person = PersonInput(
        "Lê", "Thị", "Hoa", "skhcn", contract_type="fixed_term", contract_end=date(2026, 9, 1)
    )
    with pytest.raises(MailboxRefused) as refused:
        await city.lifecycle.hire(person, by=BY)
    assert refused.value.message == (
        "Lê Thị Hoa: no personal mailbox: contract ends on 2026-09-01, "
        "less than 12 months from 2026-03-10"
    )
    assert await count_rows(city, Account) == 3  # the three unit mailboxes only
    [entry] = await audit_entries(city, "lifecycle_hire")
    assert (entry.outcome, entry.account) == ("refused", "Lê Thị Hoa")


async def test_transfer_forwards_exactly_one_month(city: Core) -> None:
    hired = await hire(city, "Nguyễn", "Văn", "An", "skhcn")
    moved = await city.lifecycle.transfer(hired.address, "snv", by=BY)
    assert moved.new_address == "nvan.snv@hue.gov.vn"
    assert moved.forward_until == START.replace(month=4)
    new = await city.accounts.get(moved.new_address)
    old = await account_row(city, hired.address)
    assert (old.state, old.forward_to) == ("forwarding", "nvan.snv@hue.gov.vn")
    assert await issued_state(city, "nvan.skhcn") == "forwarding"
    assert await issued_state(city, "nvan.snv") == "live"
    with pytest.raises(AuthenticationFailed):
        await city.auth.login(hired.address, hired.password, service="webmail", client="t")

    city.clock.stop_at(START.replace(month=4) - timedelta(minutes=1))
    await city.delivery.check_recipient(hired.address, may_relay=False)
    await city.delivery.deliver(MESSAGE, "a@example.org", [hired.address])
    assert await inbox_count(city, new.id) == 1

    city.clock.stop_at(START.replace(month=4))
    with pytest.raises(UnknownRecipient) as bounced:
        await city.delivery.check_recipient(hired.address, may_relay=False)
    assert bounced.value.smtp_reply == (550, "5.1.1 No such user here")
    register_jobs(city)
    await city.scheduler.run_due()
    assert (await account_row(city, hired.address)).state == "revoked"
    assert await issued_state(city, "nvan.skhcn") == "retired"
    assert (await account_row(city, moved.new_address)).state == "active"


async def test_transfer_records_move_not_run(city: Core) -> None:
    hired = await hire(city, "Nguyễn", "Văn", "An", "skhcn")
    old = await city.accounts.get(hired.address)
    await city.store.append(old.id, "INBOX", MESSAGE)
    moved = await city.lifecycle.transfer(hired.address, "snv", by=BY)
    assert moved.move_id is not None
    progress = await city.lifecycle.move_progress(moved.move_id)
    assert (progress.source, progress.target) == (hired.address, moved.new_address)
    assert (progress.total, progress.moved, progress.state) == (1, 0, "running")
    assert await inbox_count(city, old.id) == 1


async def test_transfer_inside_agency_keeps_address(city: Core) -> None:
    hired = await hire(city, "Nguyễn", "Văn", "An", "skhcn")
    moved = await city.lifecycle.transfer(hired.address, "vp.skhcn", by=BY)
    assert (moved.new_address, moved.move_id, moved.password) == (hired.address, None, "")
    assert (await account_row(city, hired.address)).state == "active"
    [person] = await city.directory.people("vp.skhcn")
    assert person.address == hired.address


async def test_transfer_to_same_unit_changes_nothing(city: Core) -> None:
    hired = await hire(city, "Nguyễn", "Văn", "An", "skhcn")
    with pytest.raises(LifecycleError) as refused:
        await city.lifecycle.transfer(hired.address, "skhcn", by=BY)
    assert (
        refused.value.message == "Nguyễn Văn An is already in the unit 'Sở Khoa học và Công nghệ'"
    )
    assert await count_rows(city, MailboxMove) == 0
    [entry] = await audit_entries(city, "lifecycle_transfer")
    assert entry.outcome == "refused"


async def test_transfer_to_unknown_unit_is_refused(city: Core) -> None:
    hired = await hire(city, "Nguyễn", "Văn", "An", "skhcn")
    accounts_before = await count_rows(city, Account)
    with pytest.raises(UnitNotFound):
        await city.lifecycle.transfer(hired.address, "nosuch", by=BY)
    assert await count_rows(city, Account) == accounts_before
    assert (await account_row(city, hired.address)).state == "active"
    [person] = await city.directory.people("skhcn")
    assert person.address == hired.address

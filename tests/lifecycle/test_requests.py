from __future__ import annotations

import pytest

from appliance.admin_scope import AdminIdentity
from appliance.core import Core
from appliance.errors import OutOfScope
from appliance.lifecycle.records import LifecycleError
from appliance.lifecycle.requests import RequestNotPending
from appliance.models import Account, MailboxRequest
from tests.lifecycle.helpers import account_row, audit_entries, count_rows

PASSWORD = "Mật-khẩu-2026!"
HIRE = {"family": "Nguyễn", "middle": "Văn", "given": "An", "unit": "vp.skhcn"}


async def admin_of(core: Core, address: str, kind: str = "unit_admin") -> AdminIdentity:
    account = await core.accounts.create(address, PASSWORD, kind=kind)
    return await core.admin_scope.identify(account.id)


async def test_request_approved_creates_mailbox(city: Core) -> None:
    unit_admin = await admin_of(city, "admin.skhcn@hue.gov.vn")
    centre = await admin_of(city, "trungtam@hue.gov.vn", "centre_admin")
    filed = await city.requests.file(unit_admin, "create", "hire", HIRE)
    assert (filed.state, filed.unit_mailbox, filed.filed_by) == (
        "pending",
        "vp.skhcn",
        "admin.skhcn@hue.gov.vn",
    )
    decision = await city.requests.approve(centre, filed.id)
    assert decision.result is not None
    assert decision.request.state == "approved"
    assert decision.request.outcome == "created nvan.skhcn@hue.gov.vn"
    assert decision.request.decided_by == "trungtam@hue.gov.vn"
    assert (await account_row(city, "nvan.skhcn@hue.gov.vn")).state == "active"
    [seen] = await city.requests.visible(unit_admin)
    assert (seen.id, seen.state) == (filed.id, "approved")
    [entry] = await audit_entries(city, "lifecycle_hire")
    assert entry.detail == "created nvan.skhcn@hue.gov.vn; by trungtam@hue.gov.vn"


async def test_unit_admin_cannot_file_for_other_unit(city: Core) -> None:
    unit_admin = await admin_of(city, "admin.skhcn@hue.gov.vn")
    with pytest.raises(OutOfScope):
        await city.requests.file(unit_admin, "create", "hire", {**HIRE, "unit": "snv"})
    assert await count_rows(city, MailboxRequest) == 0
    [entry] = await audit_entries(city, "out_of_scope")
    assert (entry.account, entry.detail) == (
        "admin.skhcn@hue.gov.vn",
        "file a create request for snv",
    )


async def test_unit_admin_cannot_approve(city: Core) -> None:
    unit_admin = await admin_of(city, "admin.skhcn@hue.gov.vn")
    filed = await city.requests.file(unit_admin, "create", "hire", HIRE)
    with pytest.raises(OutOfScope):
        await city.requests.approve(unit_admin, filed.id)
    [pending] = await city.requests.list_requests(state="pending")
    assert pending.id == filed.id


async def test_rejection_needs_reason(city: Core) -> None:
    unit_admin = await admin_of(city, "admin.skhcn@hue.gov.vn")
    centre = await admin_of(city, "trungtam@hue.gov.vn", "centre_admin")
    filed = await city.requests.file(unit_admin, "create", "hire", HIRE)
    with pytest.raises(LifecycleError):
        await city.requests.reject(centre, filed.id, "  ")
    rejected = await city.requests.reject(centre, filed.id, "Đã có hộp thư")
    assert (rejected.state, rejected.reason) == ("rejected", "Đã có hộp thư")
    with pytest.raises(RequestNotPending):
        await city.requests.approve(centre, filed.id)
    assert await city.accounts.find("nvan.skhcn@hue.gov.vn") is None


async def test_failed_request_applies_nothing(city: Core) -> None:
    unit_admin = await admin_of(city, "admin.skhcn@hue.gov.vn")
    centre = await admin_of(city, "trungtam@hue.gov.vn", "centre_admin")
    filed = await city.requests.file(
        unit_admin,
        "change",
        "rename_unit",
        {"unit": "skhcn", "name": "Sở Mới", "abbreviation": "smoi"},
    )
    await city.accounts.create("admin.smoi@hue.gov.vn", PASSWORD, kind="unit_admin")
    accounts_before = await count_rows(city, Account)
    decision = await city.requests.approve(centre, filed.id)
    assert decision.result is None
    assert decision.request.state == "failed"
    assert decision.request.outcome.startswith(
        "the address admin.smoi@hue.gov.vn is already issued"
    )
    assert await count_rows(city, Account) == accounts_before
    assert (await city.directory.unit("skhcn")).name == "Sở Khoa học và Công nghệ"
    assert (await account_row(city, "admin.skhcn@hue.gov.vn")).state == "active"


async def test_request_with_wrong_event_is_refused(city: Core) -> None:
    unit_admin = await admin_of(city, "admin.skhcn@hue.gov.vn")
    with pytest.raises(LifecycleError) as refused:
        await city.requests.file(unit_admin, "create", "transfer", {"address": "x", "to_unit": "y"})
    assert refused.value.message == "a create request runs one of: hire, not 'transfer'"
    with pytest.raises(LifecycleError) as missing:
        await city.requests.file(unit_admin, "create", "hire", {"unit": "skhcn", "given": "An"})
    assert missing.value.message == "the field 'family' is missing"

"""The unlock queue: a unit files, the centre approves after one working day or rejects."""

from __future__ import annotations

import re

from tests.admin.conftest import (
    CENTRE,
    SKHCN_ADMIN,
    SLIP_PASSWORD,
    STC_ADMIN,
    AdminClient,
    City,
    audit_rows,
)
from tests.harness import RunningAppliance


def file_request(appliance: RunningAppliance, city: City) -> int:
    """Lock the SKHCN staff account and file its unlock request as the unit admin."""
    account_id = city.ids[city.skhcn_staff]
    core = appliance.core
    appliance.call(lambda: core.locks.lock(account_id, "rule_violation", CENTRE))
    return appliance.call(
        lambda: core.locks.file_unlock_request(account_id, SKHCN_ADMIN, "Cán bộ đã cam kết")
    )


def move_to_due(appliance: RunningAppliance, request_id: int) -> None:
    """Stop the clock at the moment the request becomes actionable (one working day on)."""
    requests = appliance.call(lambda: appliance.core.locks.unlock_requests())
    due = next(item.actionable_at for item in requests if item.id == request_id)
    appliance.clock.stop_at(due)


def test_queue_shows_actionable_date(
    client: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    appliance.clock.stop_at(appliance.clock.now())
    request_id = file_request(appliance, city)
    client.login(CENTRE, secret=city.centre_secret)

    page = client.get("/unlocks")

    assert page.status_code == 200
    assert f'<tr data-request="{request_id}">' in page.text
    assert "chưa đến hạn xử lý" in page.text
    assert f'action="/unlocks/{request_id}/approve"' not in page.text
    early = client.submit("/unlocks", f"/unlocks/{request_id}/approve", {})
    assert early.status_code == 409
    assert "Chưa thể duyệt" in early.text


def test_approve_after_one_working_day(
    client: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    appliance.clock.stop_at(appliance.clock.now())
    request_id = file_request(appliance, city)
    move_to_due(appliance, request_id)
    client.login(CENTRE, secret=city.centre_secret)

    page = client.get("/unlocks")
    assert f'action="/unlocks/{request_id}/approve"' in page.text
    approved = client.submit("/unlocks", f"/unlocks/{request_id}/approve", {})
    assert approved.status_code == 303
    slip = client.get(approved.headers["location"])

    found = SLIP_PASSWORD.search(slip.text)
    assert found is not None
    account_id = city.ids[city.skhcn_staff]
    assert appliance.call(lambda: appliance.core.accounts.by_id(account_id)).state == "active"
    assert appliance.call(lambda: appliance.core.auth.status(account_id)).must_change_password
    login = appliance.call(
        lambda: appliance.core.auth.login(
            city.skhcn_staff, found.group(1), service="web", client="t"
        )
    )
    assert login.id == account_id
    assert client.get(approved.headers["location"]).status_code == 410
    unlocked = audit_rows(appliance, "account_unlocked")
    assert [(row.account, row.detail) for row in unlocked] == [(city.skhcn_staff, f"by {CENTRE}")]


def test_reject_needs_reason(centre: AdminClient, city: City, appliance: RunningAppliance) -> None:
    request_id = file_request(appliance, city)

    empty = centre.submit("/unlocks", f"/unlocks/{request_id}/reject", {"reason": " "})
    done = centre.submit("/unlocks", f"/unlocks/{request_id}/reject", {"reason": "Chưa đủ hồ sơ"})

    assert empty.status_code == 400
    assert "Từ chối cần ghi lý do." in empty.text
    assert done.status_code == 303
    page = centre.get(done.headers["location"])
    assert "Đã từ chối yêu cầu mở khóa." in page.text
    assert re.search(r"<td>Chưa đủ hồ sơ</td>", page.text)
    assert appliance.call(lambda: appliance.core.locks.unlock_requests()) == []


def test_unit_admin_cannot_decide(
    skhcn_admin: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    request_id = file_request(appliance, city)
    move_to_due(appliance, request_id)
    skhcn_admin.login(SKHCN_ADMIN)

    page = skhcn_admin.get("/unlocks")
    response = skhcn_admin.submit("/unlocks", f"/unlocks/{request_id}/approve", {})

    assert f'<tr data-request="{request_id}">' in page.text
    assert "/approve" not in page.text
    assert response.status_code == 403
    assert (
        appliance.call(lambda: appliance.core.accounts.by_id(city.ids[city.skhcn_staff])).state
        == "locked"
    )
    refused = audit_rows(appliance, "out_of_scope")
    assert [(row.account, row.detail) for row in refused] == [
        (SKHCN_ADMIN, f"approve_unlock request #{request_id}")
    ]


def test_other_unit_requests_hidden(
    client: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    request_id = file_request(appliance, city)
    client.login(STC_ADMIN)

    page = client.get("/unlocks")

    assert f'data-request="{request_id}"' not in page.text
    assert city.skhcn_staff not in page.text

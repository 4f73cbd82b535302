"""The lifecycle forms: the centre applies events, unit admins file requests."""

from __future__ import annotations

from datetime import timedelta

from appliance.lifecycle.records import local_day
from tests.admin.conftest import (
    CENTRE,
    SKHCN_ADMIN,
    SLIP_PASSWORD,
    AdminClient,
    City,
    audit_rows,
    other_client,
)
from tests.harness import RunningAppliance

HIRE = {"family": "Phạm", "middle": "Minh", "given": "Tuấn", "contract_type": "permanent"}


def slip_password(client: AdminClient, location: str) -> str:
    assert location.startswith("/handover/")
    slip = client.get(location)
    assert slip.status_code == 200
    found = SLIP_PASSWORD.search(slip.text)
    assert found is not None
    return found.group(1)


def test_centre_hire_shows_password_once(centre: AdminClient, appliance: RunningAppliance) -> None:
    response = centre.submit("/lifecycle/hire", "/lifecycle/hire", {**HIRE, "unit": "skhcn"})
    assert response.status_code == 303
    password = slip_password(centre, response.headers["location"])
    account = appliance.call(
        lambda: appliance.core.auth.login(
            "pmtuan.skhcn@hue.gov.vn", password, service="webmail", client="t"
        )
    )
    assert account.address == "pmtuan.skhcn@hue.gov.vn"
    assert centre.get(response.headers["location"]).status_code == 410
    [entry] = audit_rows(appliance, "lifecycle_hire")
    assert entry.detail == f"created pmtuan.skhcn@hue.gov.vn; by {CENTRE}"


def test_centre_hire_refused_shows_reason(centre: AdminClient) -> None:
    form = {**HIRE, "unit": "skhcn", "contract_type": "seasonal"}
    response = centre.submit("/lifecycle/hire", "/lifecycle/hire", form)
    assert response.status_code == 400
    assert "seasonal contracts get no personal mailbox" in response.text
    assert 'value="Phạm"' in response.text


def test_unit_request_approved_by_centre(
    skhcn_admin: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    filed = skhcn_admin.submit("/lifecycle/hire", "/lifecycle/hire", {**HIRE, "unit": "vp.skhcn"})
    assert filed.status_code == 303
    assert filed.headers["location"] == "/lifecycle/unit_request?done=filed"
    listed = skhcn_admin.get("/lifecycle/unit_request?done=filed")
    assert "Đã gửi yêu cầu." in listed.text
    assert '<td class="state">đang chờ</td>' in listed.text
    assert appliance.call(lambda: appliance.core.accounts.find("pmtuan.skhcn@hue.gov.vn")) is None
    [request] = appliance.call(lambda: appliance.core.requests.list_requests())

    centre = other_client(appliance)
    try:
        centre.login(CENTRE, secret=city.centre_secret)
        approved = centre.submit(
            "/lifecycle/unit_request", f"/lifecycle/requests/{request.id}/approve", {}
        )
        assert approved.status_code == 303
        password = slip_password(centre, approved.headers["location"])
    finally:
        centre.close()
    assert len(password) == 16
    seen = skhcn_admin.get("/lifecycle/unit_request")
    assert '<td class="state">đã duyệt</td>' in seen.text
    assert "created pmtuan.skhcn@hue.gov.vn" in seen.text


def test_unit_admin_cannot_request_for_other_unit(
    skhcn_admin: AdminClient, appliance: RunningAppliance
) -> None:
    response = skhcn_admin.submit("/lifecycle/hire", "/lifecycle/hire", {**HIRE, "unit": "stc"})
    assert response.status_code == 404
    assert appliance.call(lambda: appliance.core.requests.list_requests()) == []
    [entry] = audit_rows(appliance, "out_of_scope")
    assert (entry.account, entry.detail) == (SKHCN_ADMIN, "file a create request for stc")


def test_unit_admin_cannot_approve(skhcn_admin: AdminClient, appliance: RunningAppliance) -> None:
    skhcn_admin.submit("/lifecycle/hire", "/lifecycle/hire", {**HIRE, "unit": "skhcn"})
    [request] = appliance.call(lambda: appliance.core.requests.list_requests())
    page = skhcn_admin.get("/lifecycle/unit_request")
    assert f"/lifecycle/requests/{request.id}/approve" not in page.text
    response = skhcn_admin.submit(
        "/lifecycle/unit_request", f"/lifecycle/requests/{request.id}/approve", {}
    )
    assert response.status_code == 403
    [still] = appliance.call(lambda: appliance.core.requests.list_requests())
    assert still.state == "pending"


def schedule(appliance: RunningAppliance, address: str, days_ahead: int) -> int:
    """Schedule the departure of `address` in `days_ahead` days; return the event id."""
    on = local_day(appliance.clock.now()) + timedelta(days=days_ahead)
    lifecycle = appliance.core.lifecycle
    scheduled = appliance.call(
        lambda: lifecycle.schedule_departure(address, on, "retirement", "mbox", by=CENTRE)
    )
    return scheduled.event_id


def departure_state(appliance: RunningAppliance, event_id: int) -> str:
    events = appliance.call(lambda: appliance.core.lifecycle.events())
    [event] = [event for event in events if event.id == event_id]
    return event.state


def test_centre_cancels_departure(
    centre: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    event_id = schedule(appliance, city.stc_staff, 7)
    page = centre.get("/lifecycle/unit_request")
    action = f'action="/lifecycle/departures/{event_id}/cancel"'
    assert action in page.text
    assert '<button type="submit" class="danger">Hủy</button>' in page.text
    assert '<td class="state">chờ đến ngày</td>' in page.text

    without_token = centre.post(
        f"/lifecycle/departures/{event_id}/cancel", data={"reason": "no token"}
    )
    assert without_token.status_code == 403
    empty = centre.submit(
        "/lifecycle/unit_request", f"/lifecycle/departures/{event_id}/cancel", {"reason": " "}
    )
    assert empty.status_code == 400
    assert "Vui lòng nhập lý do hủy." in empty.text
    assert departure_state(appliance, event_id) == "pending"

    cancelled = centre.submit(
        "/lifecycle/unit_request",
        f"/lifecycle/departures/{event_id}/cancel",
        {"reason": "lên lịch nhầm"},
    )
    assert cancelled.status_code == 303
    assert cancelled.headers["location"] == "/lifecycle/unit_request?done=cancelled#departures"
    shown = centre.get("/lifecycle/unit_request?done=cancelled")
    assert "Đã hủy lịch thu hồi hộp thư." in shown.text
    assert '<td class="state">đã hủy</td>' in shown.text
    assert action not in shown.text
    assert departure_state(appliance, event_id) == "cancelled"
    entries = audit_rows(appliance, "lifecycle_departure")
    assert [entry.outcome for entry in entries] == ["ok", "cancelled"]
    assert entries[1].account == city.stc_staff
    assert entries[1].detail.endswith(f"is cancelled: lên lịch nhầm; by {CENTRE}")

    appliance.clock.advance(timedelta(days=8))
    lifecycle = appliance.core.lifecycle
    ran = appliance.call(lambda: lifecycle.run_due_events(appliance.clock.now()))
    assert ran == "ran 0, failed 0"
    assert appliance.call(lambda: appliance.core.accounts.get(city.stc_staff)).state == "active"


def test_unit_admin_cancels_only_own_departures(
    skhcn_admin: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    own = schedule(appliance, city.vp_skhcn_staff, 7)
    other = schedule(appliance, city.stc_staff, 7)
    page = skhcn_admin.get("/lifecycle/unit_request")
    assert f'data-departure="{own}"' in page.text
    assert f'data-departure="{other}"' not in page.text

    refused = skhcn_admin.submit(
        "/lifecycle/unit_request", f"/lifecycle/departures/{other}/cancel", {"reason": "x"}
    )
    assert refused.status_code == 404
    assert departure_state(appliance, other) == "pending"
    [entry] = audit_rows(appliance, "out_of_scope")
    assert (entry.account, entry.detail) == (
        SKHCN_ADMIN,
        f"cancel the departure of {city.stc_staff}",
    )

    allowed = skhcn_admin.submit(
        "/lifecycle/unit_request", f"/lifecycle/departures/{own}/cancel", {"reason": "hoãn"}
    )
    assert allowed.status_code == 303
    assert departure_state(appliance, own) == "cancelled"


def test_cancel_started_departure_refused(
    centre: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    event_id = schedule(appliance, city.skhcn_staff, 0)
    lifecycle = appliance.core.lifecycle
    ran = appliance.call(lambda: lifecycle.run_due_events(appliance.clock.now()))
    assert ran == "ran 1, failed 0"
    page = centre.get("/lifecycle/unit_request")
    assert f'action="/lifecycle/departures/{event_id}/cancel"' not in page.text
    assert '<td class="state">đã thu hồi</td>' in page.text

    refused = centre.submit(
        "/lifecycle/unit_request", f"/lifecycle/departures/{event_id}/cancel", {"reason": "x"}
    )
    assert refused.status_code == 409
    assert "Không thực hiện được:" in refused.text
    assert "has started (state done) and can no longer be cancelled" in refused.text
    assert departure_state(appliance, event_id) == "done"

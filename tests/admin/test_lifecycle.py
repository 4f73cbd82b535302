"""The lifecycle forms: the centre applies events, unit admins file requests."""

from __future__ import annotations

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

"""A unit admin cannot see or act on accounts of another unit, over real HTTP.

Each refused request answers 404 (the account stays hidden) or 403 (a centre-only action
on a visible account), changes nothing, and leaves one `out_of_scope` audit row.
"""

from __future__ import annotations

import pytest

from tests.admin.conftest import STC_ADMIN, AdminClient, City, audit_rows
from tests.harness import DEFAULT_PASSWORD, RunningAppliance


@pytest.fixture
def stc_admin(client: AdminClient, city: City) -> AdminClient:
    client.login(STC_ADMIN)
    return client


def refusals(appliance: RunningAppliance) -> list[tuple[str, str, str, str]]:
    return [
        (row.account, row.service, row.outcome, row.detail)
        for row in audit_rows(appliance, "out_of_scope")
    ]


def test_other_unit_account_hidden(
    stc_admin: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    account_id = city.ids[city.skhcn_staff]

    page = stc_admin.get(f"/accounts/{account_id}")

    assert page.status_code == 404
    assert city.skhcn_staff not in page.text
    assert refusals(appliance) == [(STC_ADMIN, "admin", "refused", f"view {city.skhcn_staff}")]


def test_other_unit_not_listed(stc_admin: AdminClient, city: City) -> None:
    page = stc_admin.get("/accounts", params={"q": "an"})

    assert city.skhcn_staff not in page.text
    assert city.vp_skhcn_staff not in page.text


def test_unknown_account_hidden(
    stc_admin: AdminClient, appliance: RunningAppliance, city: City
) -> None:
    page = stc_admin.get("/accounts/99999")

    assert page.status_code == 404
    assert refusals(appliance) == [(STC_ADMIN, "admin", "refused", "view account #99999")]


def test_reset_refused(stc_admin: AdminClient, city: City, appliance: RunningAppliance) -> None:
    account_id = city.ids[city.vp_skhcn_staff]
    token = stc_admin.csrf("/accounts")

    response = stc_admin.post(f"/accounts/{account_id}/reset", data={"csrf_token": token})

    assert response.status_code == 404
    login = appliance.call(
        lambda: appliance.core.auth.login(
            city.vp_skhcn_staff, DEFAULT_PASSWORD, service="web", client="t"
        )
    )
    assert login.id == account_id
    assert audit_rows(appliance, "password_reset") == []
    assert refusals(appliance) == [
        (STC_ADMIN, "admin", "refused", f"reset_password {city.vp_skhcn_staff}")
    ]


def test_lock_refused(stc_admin: AdminClient, city: City, appliance: RunningAppliance) -> None:
    account_id = city.ids[city.skhcn_staff]
    token = stc_admin.csrf("/accounts")

    response = stc_admin.post(
        f"/accounts/{account_id}/lock", data={"csrf_token": token, "reason": "compromised"}
    )

    assert response.status_code == 404
    account = appliance.call(lambda: appliance.core.accounts.by_id(account_id))
    assert account.state == "active"
    assert refusals(appliance) == [(STC_ADMIN, "admin", "refused", f"lock {city.skhcn_staff}")]


def test_unlock_request_refused(
    stc_admin: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    account_id = city.ids[city.skhcn_staff]
    appliance.call(lambda: appliance.core.locks.lock(account_id, "compromised", "ttdh"))
    token = stc_admin.csrf("/accounts")

    response = stc_admin.post(
        f"/accounts/{account_id}/unlock-request", data={"csrf_token": token, "reason": "x"}
    )

    assert response.status_code == 404
    assert appliance.call(lambda: appliance.core.locks.unlock_requests()) == []
    assert refusals(appliance) == [
        (STC_ADMIN, "admin", "refused", f"request_unlock {city.skhcn_staff}")
    ]


def test_centre_actions_refused(
    stc_admin: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    account_id = city.ids[city.stc_staff]
    token = stc_admin.csrf(f"/accounts/{account_id}")

    quota = stc_admin.post(
        f"/accounts/{account_id}/quota", data={"csrf_token": token, "quota_mib": "99999"}
    )
    bulk = stc_admin.post(
        f"/accounts/{account_id}/bulk-sender", data={"csrf_token": token, "registered": "1"}
    )
    totp = stc_admin.post(f"/accounts/{account_id}/totp-off", data={"csrf_token": token})

    assert [quota.status_code, bulk.status_code, totp.status_code] == [403, 403, 403]
    assert appliance.call(lambda: appliance.core.store.quota(account_id)).limit_bytes == 5 * 1024**3
    assert refusals(appliance) == [
        (STC_ADMIN, "admin", "refused", f"set_quota {city.stc_staff}"),
        (STC_ADMIN, "admin", "refused", f"set_bulk_sender {city.stc_staff}"),
        (STC_ADMIN, "admin", "refused", f"disable_totp {city.stc_staff}"),
    ]


def test_own_unit_page_hides_centre_actions(stc_admin: AdminClient, city: City) -> None:
    page = stc_admin.get(f"/accounts/{city.ids[city.stc_staff]}")

    assert page.status_code == 200
    assert f'action="/accounts/{city.ids[city.stc_staff]}/reset"' in page.text
    assert "/quota" not in page.text
    assert "/bulk-sender" not in page.text


def test_admin_account_not_manageable(
    stc_admin: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    token = stc_admin.csrf("/accounts")

    response = stc_admin.post(f"/accounts/{city.ids[STC_ADMIN]}/reset", data={"csrf_token": token})

    assert response.status_code == 404
    assert refusals(appliance) == [(STC_ADMIN, "admin", "refused", f"reset_password {STC_ADMIN}")]


def test_action_without_csrf_refused(
    stc_admin: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    account_id = city.ids[city.stc_staff]

    missing = stc_admin.post(f"/accounts/{account_id}/lock", data={"reason": "compromised"})
    wrong = stc_admin.post(
        f"/accounts/{account_id}/lock", data={"csrf_token": "0" * 64, "reason": "compromised"}
    )

    assert missing.status_code == 403
    assert wrong.status_code == 403
    assert "Biểu mẫu đã hết hạn" in wrong.text
    assert appliance.call(lambda: appliance.core.accounts.by_id(account_id)).state == "active"


def test_centre_refusals_on_dashboard(
    centre: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    stc = AdminClient(appliance)
    try:
        stc.login(STC_ADMIN)
        stc.get(f"/accounts/{city.ids[city.skhcn_staff]}")
    finally:
        stc.close()

    page = centre.get("/")

    assert f"<td>{STC_ADMIN}</td><td>view {city.skhcn_staff}</td>" in page.text

"""The account list, an account's page and the actions on it, by a centre and a unit admin."""

from __future__ import annotations

import re

from tests.admin.conftest import (
    SKHCN_ADMIN,
    SLIP_PASSWORD,
    AdminClient,
    City,
    audit_rows,
    enable_totp,
)
from tests.harness import RunningAppliance


def listed(page: str) -> list[str]:
    """Return the addresses of the account list, in order."""
    return re.findall(r'<td><a href="/accounts/\d+">([^<]+)</a></td>', page)


def test_centre_sees_every_account(centre: AdminClient, city: City) -> None:
    page = centre.get("/accounts?kind=personal")

    assert page.status_code == 200
    assert listed(page.text) == sorted([city.skhcn_staff, city.vp_skhcn_staff, city.stc_staff])


def test_unit_admin_sees_own_units(skhcn_admin: AdminClient, city: City) -> None:
    page = skhcn_admin.get("/accounts")

    assert listed(page.text) == sorted(
        [
            SKHCN_ADMIN,
            city.skhcn_staff,
            city.vp_skhcn_staff,
            "skhcn@hue.gov.vn",
            "vp.skhcn@hue.gov.vn",
        ]
    )
    assert "Sở Tài chính" not in page.text


def test_search_without_accents(centre: AdminClient, city: City) -> None:
    page = centre.get("/accounts", params={"q": "ngoc"})

    assert listed(page.text) == [city.stc_staff]


def test_filter_by_unit_includes_subunits(
    centre: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    unit = appliance.call(lambda: appliance.core.directory.unit("skhcn"))

    page = centre.get("/accounts", params={"unit": str(unit.id), "kind": "personal"})

    assert listed(page.text) == sorted([city.skhcn_staff, city.vp_skhcn_staff])


def test_filter_by_state(centre: AdminClient, city: City, appliance: RunningAppliance) -> None:
    appliance.call(
        lambda: appliance.core.locks.lock(city.ids[city.stc_staff], "compromised", "test")
    )

    page = centre.get("/accounts?state=locked")

    assert listed(page.text) == [city.stc_staff]


def test_account_page_facts(centre: AdminClient, city: City, appliance: RunningAppliance) -> None:
    account_id = city.ids[city.skhcn_staff]
    appliance.call(lambda: appliance.core.credentials.create_app_password(account_id, "điện thoại"))

    page = centre.get(f"/accounts/{account_id}")

    assert page.status_code == 200
    assert f"<h1>{city.skhcn_staff}</h1>" in page.text
    assert '<span id="quota-use">0 B / 5 GiB (0,0%)</span>' in page.text
    assert "(0 / 5.368.709.120 byte)" in page.text
    assert '<dd id="last-login">Chưa bao giờ</dd>' in page.text
    assert 'id="totp-state">Tắt</span>' in page.text
    assert '<dd id="app-passwords">1</dd>' in page.text
    assert '<dd id="password-age">0 ngày</dd>' in page.text


def test_reset_shows_password_once(
    skhcn_admin: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    account_id = city.ids[city.vp_skhcn_staff]
    appliance.call(lambda: appliance.core.credentials.create_app_password(account_id, "máy tính"))

    response = skhcn_admin.submit(f"/accounts/{account_id}", f"/accounts/{account_id}/reset", {})
    assert response.status_code == 303
    slip_path = response.headers["location"]
    slip = skhcn_admin.get(slip_path)
    again = skhcn_admin.get(slip_path)

    assert slip.status_code == 200
    assert "<h1>Phiếu bàn giao mật khẩu</h1>" in slip.text
    found = SLIP_PASSWORD.search(slip.text)
    assert found is not None
    password = found.group(1)
    assert again.status_code == 410
    assert password not in again.text
    assert "@media print" in skhcn_admin.get("/static/admin.css").text
    status = appliance.call(lambda: appliance.core.auth.status(account_id))
    assert status.must_change_password is True
    login = appliance.call(
        lambda: appliance.core.auth.login(city.vp_skhcn_staff, password, service="web", client="t")
    )
    assert login.id == account_id
    assert appliance.call(lambda: appliance.core.credentials.list_app_passwords(account_id)) == []
    resets = audit_rows(appliance, "password_reset")
    assert [(row.account, row.detail) for row in resets] == [
        (city.vp_skhcn_staff, f"by {SKHCN_ADMIN}")
    ]


def test_lock_with_reason(
    skhcn_admin: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    account_id = city.ids[city.skhcn_staff]

    response = skhcn_admin.submit(
        f"/accounts/{account_id}",
        f"/accounts/{account_id}/lock",
        {"reason": "compromised", "detail": "mật khẩu bị lộ"},
    )

    assert response.status_code == 303
    page = skhcn_admin.get(response.headers["location"])
    assert "Đã khóa tài khoản." in page.text
    assert 'id="account-state">bị khóa</span>' in page.text
    assert "Tài khoản bị lộ, chiếm quyền" in page.text
    locks = audit_rows(appliance, "account_locked")
    assert [(row.account, row.outcome, row.detail) for row in locks] == [
        (city.skhcn_staff, "compromised", f"by {SKHCN_ADMIN}: mật khẩu bị lộ")
    ]


def test_lock_needs_known_reason(skhcn_admin: AdminClient, city: City) -> None:
    account_id = city.ids[city.skhcn_staff]

    response = skhcn_admin.submit(
        f"/accounts/{account_id}", f"/accounts/{account_id}/lock", {"reason": "inactive"}
    )

    assert response.status_code == 400
    assert "Hãy chọn lý do khóa." in response.text


def test_unit_admin_files_unlock_request(
    skhcn_admin: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    account_id = city.ids[city.skhcn_staff]
    appliance.call(lambda: appliance.core.locks.lock(account_id, "rule_violation", "ttdh"))

    response = skhcn_admin.submit(
        f"/accounts/{account_id}",
        f"/accounts/{account_id}/unlock-request",
        {"reason": "Đã nhắc nhở cán bộ"},
    )
    again = skhcn_admin.submit(
        f"/accounts/{account_id}",
        f"/accounts/{account_id}/unlock-request",
        {"reason": "Lần hai"},
    )

    assert response.status_code == 303
    assert again.status_code == 409
    requests = appliance.call(lambda: appliance.core.locks.unlock_requests())
    assert [(r.account, r.requested_by, r.reason) for r in requests] == [
        (city.skhcn_staff, SKHCN_ADMIN, "Đã nhắc nhở cán bộ")
    ]


def test_centre_sets_quota(centre: AdminClient, city: City, appliance: RunningAppliance) -> None:
    account_id = city.ids[city.stc_staff]

    response = centre.submit(
        f"/accounts/{account_id}", f"/accounts/{account_id}/quota", {"quota_mib": "2048"}
    )

    assert response.status_code == 303
    quota = appliance.call(lambda: appliance.core.store.quota(account_id))
    assert quota.limit_bytes == 2048 * 1024 * 1024
    page = centre.get(f"/accounts/{account_id}")
    assert '<span id="quota-use">0 B / 2 GiB (0,0%)</span>' in page.text


def test_bulk_sender_refused_without_2fa(centre: AdminClient, city: City) -> None:
    account_id = city.ids["stc@hue.gov.vn"]

    response = centre.submit(
        f"/accounts/{account_id}", f"/accounts/{account_id}/bulk-sender", {"registered": "1"}
    )

    assert response.status_code == 409
    assert (
        "tài khoản phải bật xác thực hai lớp trước khi được gửi thư số lượng lớn" in response.text
    )
    assert '<dd id="bulk-sender">Không</dd>' in response.text


def test_bulk_sender_with_2fa(centre: AdminClient, city: City, appliance: RunningAppliance) -> None:
    account_id = city.ids["stc@hue.gov.vn"]
    enable_totp(appliance, account_id)

    response = centre.submit(
        f"/accounts/{account_id}", f"/accounts/{account_id}/bulk-sender", {"registered": "1"}
    )

    assert response.status_code == 303
    assert '<dd id="bulk-sender">Có</dd>' in centre.get(f"/accounts/{account_id}").text


def test_centre_turns_off_2fa(centre: AdminClient, city: City, appliance: RunningAppliance) -> None:
    account_id = city.ids[city.stc_staff]
    enable_totp(appliance, account_id)

    response = centre.submit(f"/accounts/{account_id}", f"/accounts/{account_id}/totp-off", {})

    assert response.status_code == 303
    status = appliance.call(lambda: appliance.core.auth.status(account_id))
    assert status.totp_enabled is False
    rows = audit_rows(appliance, "totp_disabled")
    assert [(row.account, row.detail) for row in rows] == [(city.stc_staff, "ttdh@hue.gov.vn")]

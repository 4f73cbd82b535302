"""The admin console in a real Chromium: a unit files an unlock request, the centre approves.

The unit admin skips 2FA enrolment; the centre admin must enrol, reading the secret from
the enrolment page. Between the two, the clock moves one working day, the earliest the
centre may act. The approved account is active again with a password that must change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, sync_playwright

from appliance.errors import PasswordExpired
from tests.admin.conftest import ADMIN_PASSWORD, CENTRE, SKHCN_ADMIN, build_city
from tests.harness import RunningAppliance

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def sign_in(page: Page, base: str, address: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", address)
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")


def test_unlock_request_and_approval(appliance: RunningAppliance, tmp_path: Path) -> None:
    city = build_city(appliance, centre_totp=False)
    core = appliance.core
    locked_id = city.ids[city.skhcn_staff]
    appliance.call(lambda: core.locks.lock(locked_id, "rule_violation", CENTRE))
    appliance.clock.stop_at(appliance.clock.now())
    shots = Path(os.environ.get("ADMIN_SCREENSHOTS", tmp_path))
    base = f"http://127.0.0.1:{appliance.ports['admin']}"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        try:
            unit = browser.new_page(viewport={"width": 1280, "height": 860})
            sign_in(unit, base, SKHCN_ADMIN)
            assert unit.locator("h1").inner_text() == "Bật xác thực hai lớp"
            unit.click("button[name=skip]")
            assert unit.locator("h1").inner_text() == "Tổng quan"
            unit.screenshot(path=str(shots / "admin-dashboard-unit.png"), full_page=True)
            unit.click("a[href='/accounts']")
            unit.click(f"text={city.skhcn_staff}")
            assert unit.locator("#account-state").inner_text() == "bị khóa"
            unit.fill("#unlock-reason", "Cán bộ đã cam kết tuân thủ quy chế")
            unit.click("form[action$='/unlock-request'] button")
            assert unit.locator(".notice").inner_text() == "Đã gửi yêu cầu mở khóa."
            unit.screenshot(path=str(shots / "admin-account-unit.png"), full_page=True)

            requests = appliance.call(lambda: core.locks.unlock_requests())
            assert [(item.account, item.requested_by) for item in requests] == [
                (city.skhcn_staff, SKHCN_ADMIN)
            ]
            appliance.clock.stop_at(requests[0].actionable_at)

            centre = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
            sign_in(centre, base, CENTRE)
            assert centre.locator("button[name=skip]").count() == 0
            centre.screenshot(path=str(shots / "admin-enrol.png"), full_page=True)
            secret = centre.locator("#totp-secret").inner_text().replace(" ", "")
            centre.fill("#code", pyotp.TOTP(secret).at(appliance.clock.now()))
            centre.click("button.primary")
            assert centre.locator("ul.codes li").count() == 10
            centre.click("button.primary")
            assert centre.locator("h1").inner_text() == "Tổng quan"
            centre.click("a[href='/unlocks']")
            centre.screenshot(path=str(shots / "admin-unlocks.png"), full_page=True)
            centre.click(f"form[action='/unlocks/{requests[0].id}/approve'] button")
            assert centre.locator("h1").inner_text() == "Phiếu bàn giao mật khẩu"
            assert centre.locator("#slip-address").inner_text() == city.skhcn_staff
            password = centre.locator("#slip-password").inner_text()
            centre.screenshot(path=str(shots / "admin-slip.png"), full_page=True)
            centre.emulate_media(media="print")
            assert centre.locator("header.topbar").is_hidden()
            centre.screenshot(path=str(shots / "admin-slip-print.png"), full_page=True)
            centre.emulate_media(media="screen")
            centre.reload()
            assert centre.locator("h1").inner_text() == "Đã hiển thị"
        finally:
            browser.close()

    assert appliance.call(lambda: core.accounts.by_id(locked_id)).state == "active"
    assert appliance.call(lambda: core.auth.status(locked_id)).must_change_password is True
    with pytest.raises(PasswordExpired):
        appliance.call(
            lambda: core.auth.login(city.skhcn_staff, password, service="imap", client="t")
        )

"""Settings and the directory in a real Chromium: two-factor enrolment and recipient suggestions.

The browser reads the TOTP secret from the enrolment page, as a person typing it into an
authenticator app would, and codes are computed from it with pyotp.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pyotp
from playwright.sync_api import Browser, ConsoleMessage, Page

from appliance.directory.records import PersonInput
from tests.harness import DEFAULT_PASSWORD, RunningAppliance

ADDRESS = "lvbinh.skhcn@hue.gov.vn"


def open_page(browser: Browser, problems: list[str]) -> Page:
    """Open a page that records console errors, such as Content-Security-Policy violations."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})

    def note(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", note)
    return page


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", ADDRESS)
    page.fill("#password", DEFAULT_PASSWORD)
    page.click("button[type=submit].primary")


def test_totp_enrolment_then_sign_in(
    appliance: RunningAppliance, browser: Browser, tmp_path: Path
) -> None:
    appliance.add_account(ADDRESS, display_name="Lê Văn Bình")
    base = f"http://127.0.0.1:{appliance.ports['http']}"
    shots = Path(os.environ.get("WEBMAIL_SCREENSHOTS", tmp_path))
    problems: list[str] = []
    page = open_page(browser, problems)

    sign_in(page, base)
    page.wait_for_selector("table.messages, p.empty")
    page.click("text=Cài đặt")
    page.wait_for_selector("#two-factor")
    assert page.inner_text("#two-factor .state") == "Đang tắt."
    page.click("text=Bật xác thực hai yếu tố")
    page.wait_for_selector("#totp-secret")
    secret = page.inner_text("#totp-secret").replace(" ", "")
    qr_width = page.eval_on_selector("img.qr", "image => image.naturalWidth")
    page.screenshot(path=str(shots / "totp-enrol.png"), full_page=True)
    totp = pyotp.TOTP(secret)
    page.fill("#code", totp.now())
    page.click("text=Xác nhận và bật")
    page.wait_for_selector("#recovery-codes")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    page.click("text=Tôi đã lưu các mã")
    page.wait_for_selector("#two-factor")
    state = page.inner_text("#two-factor .state")
    page.click("button:has-text('Đăng xuất')")
    page.wait_for_selector("#username")

    sign_in(page, base)
    page.wait_for_selector("#code")
    # The code of the next time step: the one used to confirm cannot be used again.
    page.fill("#code", totp.at(time.time() + 30))
    page.click("button[type=submit].primary")
    page.wait_for_selector("main h1")

    assert len(secret) == 32
    assert qr_width > 100
    assert len(codes) == 10
    assert state.startswith("Đang bật")
    assert page.inner_text("main h1") == "Hộp thư đến"
    assert problems == []


def test_recipient_suggestions(appliance: RunningAppliance, browser: Browser) -> None:
    directory = appliance.core.directory
    appliance.call(
        lambda: directory.add_unit("department", "Sở Khoa học và Công nghệ", abbreviation="skhcn")
    )
    appliance.call(
        lambda: directory.add_person(
            PersonInput("Nguyễn", "Văn", "An", "skhcn", position="Chuyên viên")
        )
    )
    appliance.add_account(ADDRESS, display_name="Lê Văn Bình")
    base = f"http://127.0.0.1:{appliance.ports['http']}"
    problems: list[str] = []
    page = open_page(browser, problems)
    sign_in(page, base)
    page.wait_for_selector("main h1")

    page.goto(f"{base}/compose")
    page.type("#to", "nguyen v")
    page.wait_for_selector("#suggest-to li")
    shown = page.inner_text("#suggest-to li")
    expanded = page.get_attribute("#to", "aria-expanded")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")

    assert shown == "Nguyễn Văn An nvan.skhcn@hue.gov.vn · Sở Khoa học và Công nghệ"
    assert expanded == "true"
    assert page.input_value("#to") == "Nguyễn Văn An <nvan.skhcn@hue.gov.vn>, "
    assert page.is_hidden("#suggest-to")
    assert problems == []
